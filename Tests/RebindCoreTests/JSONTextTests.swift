import Foundation
import Testing

@testable import RebindCore

/// What the stores write for an incident's reason and exposure must read back, with
/// `JSONDecoder` as with the direct reader, as the value written.
@Suite("JSON text of stored values")
struct JSONTextTests {
    static let awkward = [
        "", "plain", "quote \" and backslash \\", "slash / and \\/", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1F}\u{7F}",
        "网格 BTC/USDT", "🚀 emoji", "\u{2028}\u{2029}", "e\u{301}", "{\"json\":[1]}",
    ]

    @Test("A reason reads back as written, by JSONDecoder and by the direct reader")
    func reasons() throws {
        for text in Self.awkward {
            for reason in [
                RobotEvent.Reason(text: text), RobotEvent.Reason(text: "t", code: text, message: text),
                RobotEvent.Reason(text: text, code: "-2015"), RobotEvent.Reason(text: text, message: nil),
            ] {
                let json = JSONText.reason(reason)
                #expect(try JSONDecoder().decode(RobotEvent.Reason.self, from: Data(json.utf8)) == reason, "\(json)")
                #expect(JSONText.readReason(json) == reason, "\(json)")
            }
        }
    }

    @Test("A quoted string reads back as itself")
    func quoted() throws {
        for text in Self.awkward {
            #expect(try JSONDecoder().decode(String.self, from: Data(JSONText.quoted(text).utf8)) == text)
        }
        #expect(JSONText.quoted("a\"b\u{1}") == #""a\"b\u0001""#)
    }

    @Test("Exposure per currency reads back as written, keys in order")
    func objects() throws {
        let members = Dictionary(uniqueKeysWithValues: Self.awkward.enumerated().map { ("k\($0.offset)\($0.element)", $0.element) })
        for value in [members, [:], ["USDT": "1234.56"], ["USDT": "1", "BTC": "0.5"]] {
            let json = JSONText.object(value)
            #expect(try JSONDecoder().decode([String: String].self, from: Data(json.utf8)) == value, "\(json)")
            #expect(JSONText.readObject(json) == value, "\(json)")
        }
        #expect(JSONText.object(["USDT": "1", "BTC": "0.5"]) == #"{"BTC":"0.5","USDT":"1"}"#)
    }

    @Test("What JSONEncoder wrote before (escaped slashes, numeric codes) still reads, directly or by the fallback")
    func olderText() throws {
        let older = String(decoding: try JSONEncoder().encode(RobotEvent.Reason(text: "BTC/USDT", code: "-2015", message: "m")), as: UTF8.self)
        #expect(JSONText.readReason(older) == RobotEvent.Reason(text: "BTC/USDT", code: "-2015", message: "m"))
        #expect(JSONText.readReason(#"{"text":"t","code":-2015}"#) == RobotEvent.Reason(text: "t", code: "-2015"))
    }

    @Test(
        "A reason in any other shape is left to JSONDecoder",
        arguments: [#"{"text":"t""#, #"{"code":"1"}"#, #"{"text":"t","text":"u"}"#, #"{"text":1}"#, "[]", #"{"text":"t"} x"#, ""]
    )
    func reasonGivesUp(text: String) {
        #expect(JSONText.readReason(text) == nil)
    }

    @Test(
        "An object in any other shape is left to JSONDecoder",
        arguments: [#"{"a":"1","a":"2"}"#, #"{"a":1}"#, #"{"a":null}"#, "[]", #"{"a":"1"} x"#, #"{"a":"1",}"#, ""]
    )
    func objectGivesUp(text: String) {
        #expect(JSONText.readObject(text) == nil)
    }
}
