import Foundation
import RebindCore
import RebindCrypto
import Testing

/// Slack's own signing example (shared/reference/test-vectors.md), and the refusals.
@Suite("Slack request signing v0")
struct SlackSignatureTests {
    static let secret = Secret("8f742231b10e8888abcd99yyyzzz85a5")
    static let timestamp: Int64 = 1_531_420_618
    static let body = Data(
        ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar"
            + "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
            + "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c").utf8
    )
    static let expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

    let verifier = SlackSignature(signingSecret: secret)
    var signedAt: Date { Date(timeIntervalSince1970: TimeInterval(Self.timestamp)) }

    func verify(
        timestamp: String? = String(timestamp),
        signature: String? = expected,
        body: Data = body,
        now: Date? = nil
    ) throws(SlackSignature.Error) {
        try verifier.verify(timestamp: timestamp, signature: signature, body: body, now: now ?? signedAt)
    }

    @Test("Signing Slack's example gives Slack's signature")
    func signVector() {
        #expect(SlackSignature.sign(timestamp: Self.timestamp, body: Self.body, signingSecret: Self.secret) == Self.expected)
    }

    @Test("Slack's example verifies, at the moment it was signed and up to 5 minutes either side")
    func verifyVector() throws {
        try verify()
        try verify(now: signedAt.addingTimeInterval(300))
        try verify(now: signedAt.addingTimeInterval(-300))
    }

    @Test("The signature's hex digits may be upper case")
    func upperCaseHex() throws {
        try verify(signature: "v0=" + Self.expected.dropFirst(3).uppercased())
    }

    @Test("A timestamp more than 5 minutes old is refused as stale, even with a good signature")
    func stale() {
        #expect(throws: SlackSignature.Error.stale) { try verify(now: signedAt.addingTimeInterval(301)) }
    }

    @Test("A timestamp more than 5 minutes ahead is refused as future")
    func future() {
        #expect(throws: SlackSignature.Error.future) { try verify(now: signedAt.addingTimeInterval(-301)) }
    }

    @Test("One byte changed in the body is a mismatch")
    func alteredBody() {
        var altered = Self.body
        altered[altered.count - 1] ^= 0x01
        #expect(throws: SlackSignature.Error.mismatch) { try verify(body: altered) }
        #expect(throws: SlackSignature.Error.mismatch) { try verify(body: Self.body + Data("&x=1".utf8)) }
    }

    @Test("A different timestamp is a mismatch: the timestamp is signed too")
    func alteredTimestamp() {
        #expect(throws: SlackSignature.Error.mismatch) { try verify(timestamp: String(Self.timestamp + 1)) }
    }

    @Test("Another secret's signature, or one bit off, is a mismatch")
    func wrongSecret() {
        let other = SlackSignature.sign(timestamp: Self.timestamp, body: Self.body, signingSecret: Secret("another-signing-secret"))
        #expect(throws: SlackSignature.Error.mismatch) { try verify(signature: other) }
        let lastBitFlipped = String(Self.expected.dropLast()) + "2"
        #expect(throws: SlackSignature.Error.mismatch) { try verify(signature: lastBitFlipped) }
    }

    @Test("A missing or empty header is refused, naming the header")
    func missingHeaders() {
        #expect(throws: SlackSignature.Error.missingHeader("X-Slack-Signature")) { try verify(signature: nil) }
        #expect(throws: SlackSignature.Error.missingHeader("X-Slack-Signature")) { try verify(signature: "") }
        #expect(throws: SlackSignature.Error.missingHeader("X-Slack-Request-Timestamp")) { try verify(timestamp: nil) }
        #expect(throws: SlackSignature.Error.missingHeader("X-Slack-Request-Timestamp")) { try verify(timestamp: "") }
    }

    @Test(
        "Malformed headers are refused before any comparison",
        arguments: [
            "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",  // no version
            "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",  // another version
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b5",  // short
            "v0=z2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",  // not hex
            "v0=",
        ]
    )
    func malformedSignature(signature: String) {
        #expect(throws: SlackSignature.Error.malformedSignature) { try verify(signature: signature) }
    }

    @Test("A timestamp that is not integer seconds is malformed", arguments: ["1531420618.5", "-1531420618", "abc", " 1531420618"])
    func malformedTimestamp(timestamp: String) {
        #expect(throws: SlackSignature.Error.malformedTimestamp) { try verify(timestamp: timestamp) }
    }

    @Test("No error's description holds the secret or the expected signature")
    func errorsKeepSecrets() {
        let errors: [SlackSignature.Error] = [
            .missingHeader("X-Slack-Signature"), .malformedTimestamp, .malformedSignature, .stale, .future, .mismatch,
        ]
        for error in errors {
            #expect(!error.description.contains(Self.secret.value))
            #expect(!error.description.contains(Self.expected.dropFirst(3)))
            #expect(!String(reflecting: error).contains(Self.secret.value))
        }
        #expect(String(describing: Self.secret) == "<redacted>")
    }
}
