import Foundation
import RebindCore
import RebindCrypto
import RebindHTTP
import RebindSimulator
import Testing

/// The fake platform really checks what it receives, so a test that passes against it says
/// something about Rebind: requests are made by hand here, not by the publisher.
@Suite("The fake platform receives as a real one would")
struct FakePlatformServerTests {
    /// The Standard Webhooks vector (reference/test-vectors.md).
    static let vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let vectorID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let vectorTimestamp = "1614265330"
    static let vectorBody = #"{"test": 2432232314}"#
    static let vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let vectorSignatureLastBitFlipped = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
    static let vectorTime = Date(timeIntervalSince1970: 1_614_265_330)

    let secret: WebhookSecret
    let secretText: String

    init() {
        (secret, secretText) = Fixture.platformSecret()
    }

    /// Posts `body` with the given headers to the fake and returns the status.
    func post(_ body: String, headers: [(name: String, value: String)], to fake: FakePlatformServer) async throws -> HTTPResponse {
        try await testTransport().send(HTTPRequest(method: "POST", url: fake.url, headers: headers, body: Data(body.utf8)))
    }

    /// The three Standard Webhooks headers for `body`, signed now (or at `date`) with `secret`.
    func signed(_ body: String, id: String = "msg_1", at date: Date = Date(), with secret: WebhookSecret? = nil) -> [(name: String, value: String)] {
        let timestamp = Int64(date.timeIntervalSince1970)
        return [
            ("Content-Type", "application/json"), ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", StandardWebhooks.sign(id: id, timestamp: timestamp, body: Data(body.utf8), secret: secret ?? self.secret)),
        ]
    }

    /// A well-formed binding update body.
    static func body(exchange: String = "okx", passphrase: String = #""Tr4d3r-Pass!2026""#, verification: String? = nil) -> String {
        let checks =
            verification
            ?? #"{"checked_at":"2026-11-26T09:29:12Z","can_trade":true,"can_withdraw":false,"ip_restricted":false,"trading_expires_at":null}"#
        return #"{"type":"api_binding.update_requested","occurred_at":"2026-11-26T09:30:00Z","user":{"id":"u_1001"},"#
            + #""account":{"id":"acc_42","exchange":"\#(exchange)"},"#
            + #""credentials":{"api_key":"k-123","api_secret":"s-456","passphrase":\#(passphrase)},"#
            + #""verification":\#(checks),"robot_ids":["rb_7","rb_8"]}"#
    }

    @Test("The published Standard Webhooks vector passes its signature check, and one bit off does not")
    func publishedVector() async throws {
        try await FakePlatformServer.withServer(secret: Self.vectorSecret, now: { Self.vectorTime }) { fake in
            let headers: [(name: String, value: String)] = [
                ("Content-Type", "application/json"), ("webhook-id", Self.vectorID), ("webhook-timestamp", Self.vectorTimestamp),
            ]
            // The vector's body is not a binding update: past the signature, it is refused for its shape.
            let good = try await post(Self.vectorBody, headers: headers + [("webhook-signature", Self.vectorSignature)], to: fake)
            #expect(good.status == 400)
            let flipped = try await post(Self.vectorBody, headers: headers + [("webhook-signature", Self.vectorSignatureLastBitFlipped)], to: fake)
            #expect(flipped.status == 401)
            #expect(fake.rejections().map(\.code) == ["invalid_body", "invalid_signature"])
        }
    }

    @Test("A correctly signed update is taken, answered with its id")
    func signedUpdate() async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let response = try await post(Self.body(), headers: signed(Self.body()), to: fake)
            #expect(response.status == 202)
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"duplicate":false,"id":"msg_1"}"#)
            #expect(fake.appliedUpdates().only?.credentials.apiSecret == "s-456")
        }
    }

    @Test("A body changed after signing is refused with 401")
    func tamperedBody() async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let tampered = Self.body().replacing("rb_8", with: "rb_9")
            let response = try await post(tampered, headers: signed(Self.body()), to: fake)
            #expect(response.status == 401)
            #expect(fake.deliveries().isEmpty)
        }
    }

    @Test("Another secret's signature is refused with 401")
    func otherSecret() async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let response = try await post(Self.body(), headers: signed(Self.body(), with: WebhookSecret.generate().secret), to: fake)
            #expect(response.status == 401)
            #expect(fake.rejections().only?.reason == "no v1 signature matches")
        }
    }

    // 330 s rather than 301: on a loaded machine the request can take seconds to arrive, and a
    // stamp ahead of the clock comes closer to it meanwhile.
    @Test("A signature more than 300 s old or ahead is refused with 401", arguments: [-330.0, 330.0])
    func staleTimestamp(offset: TimeInterval) async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            // Whole seconds rounded away from now: truncating 301 s ahead to whole seconds could
            // land within 300 s of the server's clock by the time the request arrives.
            let stamp = (Date().timeIntervalSince1970 + offset).rounded(offset > 0 ? .up : .down)
            let response = try await post(Self.body(), headers: signed(Self.body(), at: Date(timeIntervalSince1970: stamp)), to: fake)
            #expect(response.status == 401)
            #expect(fake.rejections().only?.reason == "webhook-timestamp is more than 300 seconds away")
        }
    }

    @Test("A missing signature header is refused with 401", arguments: ["webhook-id", "webhook-timestamp", "webhook-signature"])
    func missingHeader(name: String) async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let headers = signed(Self.body()).filter { $0.name != name }
            let response = try await post(Self.body(), headers: headers, to: fake)
            #expect(response.status == 401)
            #expect(fake.rejections().only?.reason == "\(name) is missing")
        }
    }

    @Test("A body that is not JSON by its content type is refused with 415")
    func notJSON() async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let headers = signed(Self.body()).map { $0.name == "Content-Type" ? ("Content-Type", "text/plain") : $0 }
            let response = try await post(Self.body(), headers: headers, to: fake)
            #expect(response.status == 415)
        }
    }

    @Test("A signed body of the wrong shape is refused with 400 naming the field")
    func wrongShape() async throws {
        let missingExpiry = Self.body(
            verification: #"{"checked_at":"2026-11-26T09:29:12Z","can_trade":true,"can_withdraw":false,"ip_restricted":false}"#
        )
        let localTime = Self.body(
            verification: #"{"checked_at":"26/11/2026 09:29","can_trade":true,"can_withdraw":false,"ip_restricted":false,"trading_expires_at":null}"#
        )
        let cases: [(body: String, field: String)] = [
            (missingExpiry, "verification.trading_expires_at"),
            (localTime, "verification.checked_at"),
            (Self.body(passphrase: "null"), "credentials.passphrase"),
        ]
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            for (body, field) in cases {
                let response = try await post(body, headers: signed(body), to: fake)
                #expect(response.status == 400)
                let error = try JSONDecoder().decode([String: [String: String]].self, from: response.body)
                #expect(error["error"]?["field"] == field)
            }
            #expect(fake.deliveries().isEmpty)
        }
    }

    @Test("A Binance update may leave out the passphrase or send it as null")
    func binanceWithoutPassphrase() async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let null = Self.body(exchange: "binance", passphrase: "null")
            let left = null.replacing(#","passphrase":null"#, with: "")
            let withNull = try await post(null, headers: signed(null, id: "msg_1"), to: fake)
            let leftOut = try await post(left, headers: signed(left, id: "msg_2"), to: fake)
            #expect(withNull.status == 202)
            #expect(leftOut.status == 202)
            #expect(fake.appliedUpdates().map(\.credentials.passphrase) == [nil, nil])
        }
    }

    @Test("Switching the behaviour while running changes the next answer")
    func switchBehaviour() async throws {
        try await FakePlatformServer.withServer(secret: secretText, behaviour: .failFirst(1, status: 429, retryAfter: "5")) { fake in
            let limited = try await post(Self.body(), headers: signed(Self.body()), to: fake)
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") == "5")
            fake.behaviour = .refuse()
            let refused = try await post(Self.body(), headers: signed(Self.body()), to: fake)
            #expect(refused.status == 422)
            fake.behaviour = .accept(status: 200)
            let accepted = try await post(Self.body(), headers: signed(Self.body()), to: fake)
            #expect(accepted.status == 200)
            #expect(fake.deliveries().map(\.status) == [429, 422, 200])
        }
    }
}
