import HTTPTypes
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

    @Test("A signed request's fields are found whatever their case and order; one sent twice reads as both values joined")
    func signedRequestFields() throws {
        var fields = HTTPFields()
        fields.append(HTTPField(name: try #require(HTTPField.Name("Webhook-Signature")), value: "v1,first"))
        fields.append(HTTPField(name: .contentType, value: "application/json"))
        fields.append(HTTPField(name: try #require(HTTPField.Name("X-Other")), value: "ignored"))
        fields.append(HTTPField(name: try #require(HTTPField.Name("WEBHOOK-ID")), value: "msg_1"))
        fields.append(HTTPField(name: .contentLength, value: "42"))
        fields.append(HTTPField(name: try #require(HTTPField.Name("webhook-signature")), value: "v1,second"))
        fields.append(HTTPField(name: try #require(HTTPField.Name("webhook-timestamp")), value: "1614265330"))

        let found = SignedRequestFields(fields)
        #expect(found.webhookID == "msg_1")
        #expect(found.webhookTimestamp == "1614265330")
        #expect(found.contentType == "application/json")
        #expect(found.contentLength == "42")
        // As HTTPFields' subscript reads them, so a sender sees no difference.
        #expect(found.webhookSignature == "v1,first, v1,second")
        #expect(found.webhookSignature == fields[.webhookSignature])

        let none = SignedRequestFields(HTTPFields())
        #expect(none.webhookID == nil && none.webhookTimestamp == nil && none.webhookSignature == nil)
        #expect(none.contentType == nil && none.contentLength == nil)
    }
}
