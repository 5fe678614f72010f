import Foundation
import RebindCrypto
import Testing

/// The Standard Webhooks vectors of shared/reference/test-vectors.md, and the refusals.
@Suite("Standard Webhooks signatures")
struct StandardWebhooksTests {
    static let secretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = Data(#"{"test": 2432232314}"#.utf8)
    static let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let lastBitFlipped = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="

    let secret: WebhookSecret

    init() throws {
        secret = try WebhookSecret(Self.secretText, variable: "TEST")
    }
    var verifier: StandardWebhooks { StandardWebhooks(secrets: [secret]) }
    var signedAt: Date { Date(timeIntervalSince1970: TimeInterval(Self.timestamp)) }

    func verify(
        signature: String?,
        id: String? = id,
        timestamp: String? = String(timestamp),
        body: Data = body,
        now: Date? = nil
    ) throws(StandardWebhooks.Error) {
        try verifier.verify(id: id, timestamp: timestamp, signature: signature, body: body, now: now ?? signedAt)
    }

    @Test("Signing the published message gives the published signature")
    func signVector() {
        #expect(StandardWebhooks.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: secret) == Self.expected)
    }

    @Test("The published signature verifies")
    func verifyVector() throws {
        try verify(signature: Self.expected)
    }

    @Test("A signature one bit off is refused")
    func lastBit() {
        #expect(throws: StandardWebhooks.Error.noMatchingSignature) { try verify(signature: Self.lastBitFlipped) }
    }

    @Test("Any matching v1 entry among decoys and other versions verifies")
    func severalEntries() throws {
        let header = "v1a,\(Self.expected.dropFirst(3)) v2,\(Self.expected.dropFirst(3)) \(Self.lastBitFlipped) \(Self.expected)"
        try verify(signature: header)
        #expect(throws: StandardWebhooks.Error.noMatchingSignature) {
            try verify(signature: "v1a,\(Self.expected.dropFirst(3)) v2,\(Self.expected.dropFirst(3))")
        }
    }

    @Test("One secret checks many messages at once, each against its own body")
    func sharedSecretConcurrently() async throws {
        // Every check starts from the secret's keyed MAC: a check that changed it would make
        // the next ones fail, or pass a tampered body.
        let verifier = self.verifier
        let signedAt = self.signedAt
        let tampered = Data(#"{"test": 2432232315}"#.utf8)
        let outcomes = await withTaskGroup(of: (Bool, Bool).self) { group in
            for index in 0..<200 {
                group.addTask {
                    let genuine = index % 3 != 0
                    let accepted =
                        (try? verifier.verify(
                            id: Self.id,
                            timestamp: String(Self.timestamp),
                            signature: Self.expected,
                            body: genuine ? Self.body : tampered,
                            now: signedAt
                        )) != nil
                    return (genuine, accepted)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.count == 200)
        #expect(outcomes.allSatisfy { genuine, accepted in genuine == accepted })
        #expect(StandardWebhooks.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: secret) == Self.expected)
    }

    @Test("Blank runs and empty entries in the signature header are skipped")
    func blankEntries() throws {
        try verify(signature: "  v1,  \(Self.lastBitFlipped)   \(Self.expected)  ")
        #expect(throws: StandardWebhooks.Error.noMatchingSignature) { try verify(signature: "v1, v1,x v1") }
    }

    @Test("Old and new secrets both verify during rotation")
    func rotation() throws {
        let (other, _) = WebhookSecret.generate()
        let rotating = StandardWebhooks(secrets: [other, secret])
        try rotating.verify(id: Self.id, timestamp: String(Self.timestamp), signature: Self.expected, body: Self.body, now: signedAt)
        let retired = StandardWebhooks(secrets: [other])
        #expect(throws: StandardWebhooks.Error.noMatchingSignature) {
            try retired.verify(id: Self.id, timestamp: String(Self.timestamp), signature: Self.expected, body: Self.body, now: signedAt)
        }
    }

    @Test("A timestamp 300 s away is accepted, 301 s away is refused, either way")
    func window() throws {
        try verify(signature: Self.expected, now: signedAt.addingTimeInterval(300))
        try verify(signature: Self.expected, now: signedAt.addingTimeInterval(-300))
        #expect(throws: StandardWebhooks.Error.timestampTooOld) { try verify(signature: Self.expected, now: signedAt.addingTimeInterval(301)) }
        #expect(throws: StandardWebhooks.Error.timestampTooNew) { try verify(signature: Self.expected, now: signedAt.addingTimeInterval(-301)) }
    }

    @Test("Missing headers are named")
    func missing() {
        #expect(throws: StandardWebhooks.Error.missingHeader("webhook-id")) { try verify(signature: Self.expected, id: nil) }
        #expect(throws: StandardWebhooks.Error.missingHeader("webhook-timestamp")) { try verify(signature: Self.expected, timestamp: nil) }
        #expect(throws: StandardWebhooks.Error.missingHeader("webhook-signature")) { try verify(signature: nil) }
        #expect(throws: StandardWebhooks.Error.missingHeader("webhook-signature")) { try verify(signature: "") }
    }

    @Test("A malformed timestamp is refused")
    func malformedTimestamp() {
        for text in ["abc", "1614265330.5", "-1614265330", " 1614265330", "99999999999999999999999"] {
            #expect(throws: StandardWebhooks.Error.invalidTimestamp) { try verify(signature: Self.expected, timestamp: text) }
        }
    }

    @Test("A changed body or id is refused")
    func tampered() {
        #expect(throws: StandardWebhooks.Error.noMatchingSignature) {
            try verify(signature: Self.expected, body: Data(#"{"test": 2432232315}"#.utf8))
        }
        #expect(throws: StandardWebhooks.Error.noMatchingSignature) { try verify(signature: Self.expected, id: "msg_other") }
    }

    @Test("With no secret configured, everything is refused")
    func noSecret() {
        #expect(throws: StandardWebhooks.Error.noSecretConfigured) {
            try StandardWebhooks(secrets: []).verify(
                id: Self.id,
                timestamp: String(Self.timestamp),
                signature: Self.expected,
                body: Self.body,
                now: signedAt
            )
        }
    }

    @Test("Outbound headers carry a signature that verifies")
    func outbound() throws {
        let headers = try verifier.headers(id: "msg_1", timestamp: Self.timestamp, body: Self.body)
        let signature = try #require(headers.first { $0.name == "webhook-signature" }?.value)
        try verify(signature: signature, id: "msg_1")
    }

    @Test("Secrets parse from a space-separated list, and never print")
    func secretList() throws {
        let (_, generated) = WebhookSecret.generate()
        let secrets = try WebhookSecret.list("\(Self.secretText)  \(generated)", variable: "REBIND_EVENTS_SECRET")
        #expect(secrets.count == 2)
        #expect(!"\(secrets)".contains("MfKQ9r8G"))
        #expect(throws: WebhookSecret.Error.malformed(variable: "REBIND_EVENTS_SECRET")) {
            try WebhookSecret.list("whsec_not-base64!", variable: "REBIND_EVENTS_SECRET")
        }
    }
}

@Suite("Constant-time comparison")
struct ConstantTimeTests {
    @Test("Equal bytes compare equal; any difference or length change does not")
    func compare() {
        #expect(ConstantTime.equals("token-123", "token-123"))
        #expect(!ConstantTime.equals("token-123", "token-124"))
        #expect(!ConstantTime.equals("token-123", "token-12"))
        #expect(!ConstantTime.equals("", "x"))
        #expect(ConstantTime.equals("", ""))
        // A presented token longer or shorter than the secret, or the secret with more after it.
        let secret = String(repeating: "s", count: 32)
        for presented in [String(repeating: "s", count: 31), secret + "s", secret + "\u{0}", String(repeating: "s", count: 256)] {
            #expect(!ConstantTime.equals(presented, secret))
        }
    }
}
