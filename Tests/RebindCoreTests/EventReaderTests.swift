import Foundation
import Testing

@testable import RebindCore

/// The byte-level reader must read every plainly valid event exactly as `JSONDecoder` does,
/// and never accept a body `JSONDecoder` refuses: then every 400 and its wording stay as they were.
@Suite("Event reader against JSONDecoder")
struct EventReaderTests {
    /// Valid events of every shape the reader is meant to take itself.
    static let valid: [String] = [
        EventDecoderTests.paused,
        #"{"type":"robot.resumed","occurred_at":"2026-11-26T09:30:00.123+08:00","user":{"id":"u_1"},"account":{"id":"a","exchange":"okx"},"robot":{"id":"r","name":"n"}}"#,
        #"{"type":"robot.stopped","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u_1","locale":null,"telegram_chat_id":-1001234567890,"slack":null},"account":{"id":"a","exchange":"binance","label":null,"api_key_hint":null,"bound_at":null,"exchange_uid":"354937868","ip_restricted":true,"expires_at":"2027-01-01T00:00:00Z"},"robot":{"id":"r","name":"网格 BTC","market":"futures","open_positions":3,"exposure":{"amount":"1234.56","currency":"USDT"}},"reason":{"text":"API expired or no permission","code":-2015,"message":null}}"#,
        #"{"type":"api_binding.updated","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u_2","locale":"zh-Hans"},"account":{"id":"a2","exchange":"okx","ip_restricted":false},"robot":null,"reason":null}"#,
        // Escapes of every kind, a surrogate pair, and "/" escaped as some encoders write it.
        #"{"type":"robot.paused","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u\"3\\"},"account":{"id":"a\/b","exchange":"binance"},"robot":{"id":"r\u0031","name":"Grid \ud83d\ude80 \u4e2d\b\f\n\r\t"},"reason":{"text":"Stopped","code":"50111"}}"#,
        // Fields the reader does not know, of every JSON kind, at the top and nested.
        #"{"id":"evt_1","type":"robot.paused","extra":{"a":[1,-2.5,0,true,false,null,"x",{"b":[]}],"c":{}},"occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u","vip":true},"account":{"id":"a","exchange":"binance","n":-0.25},"robot":{"id":"r","name":"n","tags":["a","b"]},"reason":{"text":"t","extra":null}}"#,
        // Blanks wherever JSON allows them.
        " \n\t{ \"type\" : \"robot.paused\" ,\r\n \"occurred_at\":\"2026-11-26T09:30:00Z\", \"user\" : { \"id\" : \"u\" } , \"account\":{\"id\":\"a\",\"exchange\":\"binance\"}, \"robot\":{\"id\":\"r\",\"name\":\"n\"},\"reason\":{\"text\":\"t\",\"code\" : 0 } } \n",
    ]

    @Test("Reads every valid shape itself, exactly as JSONDecoder decodes it")
    func readsValidEvents() throws {
        for text in Self.valid {
            let body = Data(text.utf8)
            let read = try #require(EventReader.read(body), "the reader gave up on \(text)")
            #expect(read == (try EventDecoder.jsonDecode(body)))
        }
    }

    /// Bytes that turn valid JSON into something else, or into other valid JSON.
    static let replacements: [UInt8] = Array("\"\\{}[],:0-.eEn1 ".utf8) + [0x01, 0x7F, 0xC3, 0xFF]

    @Test(
        "Over every one-byte deletion, insertion and replacement of the valid events, the reader accepts only what JSONDecoder accepts, as it decodes it"
    )
    func neverAcceptsWhatJSONDecoderRefuses() throws {
        var accepted = 0
        var refused = 0
        for text in Self.valid {
            let original = Array(text.utf8)
            var variants: [[UInt8]] = []
            for index in original.indices {
                var deleted = original
                deleted.remove(at: index)
                variants.append(deleted)
                for byte in Self.replacements {
                    var replaced = original
                    replaced[index] = byte
                    variants.append(replaced)
                    var inserted = original
                    inserted.insert(byte, at: index)
                    variants.append(inserted)
                }
            }
            for variant in variants {
                let body = Data(variant)
                guard let read = EventReader.read(body) else {
                    refused += 1
                    continue
                }
                accepted += 1
                let decoded: RobotEvent
                do {
                    decoded = try EventDecoder.jsonDecode(body)
                } catch {
                    Issue.record("the reader accepted what JSONDecoder refuses (\(error)): \(String(decoding: variant, as: UTF8.self))")
                    continue
                }
                #expect(read == decoded, "\(String(decoding: variant, as: UTF8.self))")
            }
        }
        // Both sides were exercised: blanks and digits keep many variants valid.
        #expect(accepted > 1_000)
        #expect(refused > 10_000)
    }

    @Test(
        "Gives up where JSONDecoder decides",
        arguments: [
            "", "null", "[]", "{}", #"{"type":"robot.paused"}"#,
            // A field twice, a number with an exponent or fraction where a whole number goes, -0,
            // a number past 64 bits, a lone surrogate, an unknown type, nesting past the bound.
            #"{"type":"robot.paused","type":"robot.paused","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u"},"account":{"id":"a","exchange":"b"}}"#,
            #"{"type":"robot.resumed","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u","telegram_chat_id":1e3},"account":{"id":"a","exchange":"b"}}"#,
            #"{"type":"robot.resumed","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u","telegram_chat_id":1.0},"account":{"id":"a","exchange":"b"}}"#,
            #"{"type":"robot.resumed","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u","telegram_chat_id":-0},"account":{"id":"a","exchange":"b"}}"#,
            #"{"type":"robot.resumed","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u","telegram_chat_id":9223372036854775808},"account":{"id":"a","exchange":"b"}}"#,
            #"{"type":"robot.resumed","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u\ud800"},"account":{"id":"a","exchange":"b"}}"#,
            #"{"type":"robot.exploded","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u"},"account":{"id":"a","exchange":"b"}}"#,
            #"{"type":"robot.resumed","occurred_at":"2026-11-26 09:30","user":{"id":"u"},"account":{"id":"a","exchange":"b"}}"#,
            #"{"x":"# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
                + #","type":"robot.resumed","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u"},"account":{"id":"a","exchange":"b"}}"#,
        ]
    )
    func givesUp(text: String) {
        #expect(EventReader.read(Data(text.utf8)) == nil)
    }

    @Test("Whole numbers at the edges of 64 bits read as JSONDecoder reads them")
    func integerEdges() throws {
        for value in ["9223372036854775807", "-9223372036854775808", "0", "-1"] {
            let text =
                #"{"type":"robot.resumed","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u","telegram_chat_id":"#
                + value + #"},"account":{"id":"a","exchange":"b"},"robot":{"id":"r","name":"n"}}"#
            let body = Data(text.utf8)
            let read = try #require(EventReader.read(body))
            #expect(read.user.telegramChatId == Int64(value))
            #expect(read == (try EventDecoder.jsonDecode(body)))
        }
    }
}
