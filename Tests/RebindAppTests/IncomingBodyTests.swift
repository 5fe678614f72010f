import Testing

@testable import RebindApp

@Suite("Content-Type of signed JSON endpoints")
struct IncomingBodyTests {
    @Test(
        "application/json in any case, with parameters and blanks, is JSON",
        arguments: [
            "application/json", "Application/JSON", "APPLICATION/JSON; charset=utf-8", " application/json ",
            "\tapplication/json\t;charset=UTF-8", "application/json;", "application/json ; q=1",
        ]
    )
    func accepted(contentType: String) {
        #expect(IncomingBody.isJSON(contentType: contentType))
    }

    @Test(
        "Other media types, look-alikes and empty values are not",
        arguments: [
            "", ";", "text/plain", "application/jsonx", "application/json-patch+json", "xapplication/json",
            "application /json", "application/x-www-form-urlencoded", "application/js on", "applicatioN/jsoN\u{0}",
            "application/ json", "\u{00A0}application/json",
        ]
    )
    func refused(contentType: String) {
        #expect(!IncomingBody.isJSON(contentType: contentType))
    }
}
