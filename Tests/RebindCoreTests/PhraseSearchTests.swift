import Foundation
import Testing

@testable import RebindCore

/// The classifier's byte-by-byte search and trimming replace Foundation's on the event path;
/// they must find and trim exactly what Foundation does.
@Suite("Classifier text search")
struct PhraseSearchTests {
    static let fragments = ["api", "api key", "key", "invalid api key operation permission", "a", "aa", "ip", "is not", "z", "permission"]

    static let texts = [
        "", "a", "aa", "aaa", "api", "ap", "api key", "invalid api key operation permission",
        "pause invalid api key operation permission", "your ip 1 2 3 4 is not included in your api key s ip whitelist",
        "apiapi key", "key api", "aab", "abaa", "permissio", "xpermission", "z",
    ]

    @Test("Finds the first occurrence where Foundation does, in the whole text and in its tails")
    func sameAsFoundation() {
        for text in Self.texts {
            for offset in 0...text.count {
                let tail = text.dropFirst(offset)
                for fragment in Self.fragments {
                    let ours = Phrase.asciiRange(of: fragment, in: tail)
                    let foundation = tail.range(of: fragment)
                    #expect(ours == foundation, "\(fragment) in \(tail)")
                }
            }
        }
    }

    @Test("An empty fragment is found nowhere, as with Foundation")
    func emptyFragment() {
        #expect(Phrase.asciiRange(of: "", in: "api"[...]) == nil)
        #expect("api"[...].range(of: "") == nil)
    }

    @Test("A phrase with other letters still classifies (Foundation's comparison)")
    func nonASCIIPhrase() {
        let reason = RobotEvent.Reason(text: "Invest Control Limit — 超过投资上限")
        #expect(ReasonClassifier().classify(reason, exchange: "binance") == .notKeyRelated)
        let other = RobotEvent.Reason(text: "超过投资上限 Invest Control Limit")
        #expect(ReasonClassifier().classify(other, exchange: "binance") == .unknown)
    }

    @Test(
        "Codes are trimmed of the blanks Foundation trims, and only those",
        arguments: [
            " -2015 ", "\t50111\n", "\u{3000}-1022\u{00A0}", "\u{2028}50105\u{2029}", "\u{0085}-2015", "-2015", "", "   ", "\u{200B}-2015",
            "\u{200C}-2015\u{FEFF}",
        ]
    )
    func trimsCodes(code: String) {
        var expected = code.trimmingCharacters(in: .whitespacesAndNewlines)
        if expected.hasPrefix("\u{2212}") { expected = "-" + expected.dropFirst() }
        #expect(ReasonClassifier.normalizedCode(code) == expected)
    }
}
