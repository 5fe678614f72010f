import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindHTTP
import RebindPlatform
import RebindSimulator
import Testing

/// `PlatformBindingPublisher` over the real `CurlTransport` against the fake platform, which
/// checks signatures with its own copy of the secret.
@Suite("Binding updates sent to the platform")
struct PlatformBindingPublisherTests {
    let secret: WebhookSecret
    let secretText: String

    init() {
        (secret, secretText) = Fixture.platformSecret()
    }

    func publisher(
        url: String,
        secret: WebhookSecret? = nil,
        timeout: TimeInterval = 45,
        now: @escaping @Sendable () -> Date = { Date() },
        log: LogRecorder = LogRecorder()
    ) throws -> PlatformBindingPublisher {
        PlatformBindingPublisher(
            url: url,
            secret: secret ?? self.secret,
            transport: try testTransport(timeout: timeout, logger: log.logger(label: "rebind.test.curl")),
            timeout: timeout,
            now: now,
            logger: log.logger(label: "rebind.test.platform")
        )
    }

    /// Publishes `update` once to a fake behaving as told; returns the outcome and the fake's record.
    func publishOnce(
        _ update: BindingUpdate = Fixture.okxUpdate,
        behaviour: FakePlatformServer.Behaviour = .accept(),
        now: @escaping @Sendable () -> Date = { Date() },
        timeout: TimeInterval = 45
    ) async throws -> (result: Result<Void, PublishError>, deliveries: [FakePlatformServer.Delivery]) {
        try await FakePlatformServer.withServer(secret: secretText, behaviour: behaviour, now: now) { fake in
            let publisher = try publisher(url: fake.url, timeout: timeout, now: now)
            let result = await attempt(publisher, update)
            return (result, fake.deliveries())
        }
    }

    /// One attempt, its outcome returned rather than thrown.
    func attempt(
        _ publisher: PlatformBindingPublisher,
        _ update: BindingUpdate = Fixture.okxUpdate,
        id: String = Fixture.webhookID
    ) async -> Result<Void, PublishError> {
        await outcome { () async throws(PublishError) in try await publisher.publish(update, id: id) }
    }

    // MARK: What the platform receives

    @Test("The platform receives a correctly signed update with exactly the given key, robots and body shape")
    func deliveredUpdate() async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let publisher = try publisher(url: fake.url)
            try await publisher.publish(Fixture.okxUpdate, id: Fixture.webhookID)

            #expect(fake.rejections().isEmpty)
            let delivery = try #require(fake.deliveries().only)
            #expect(delivery.status == 202)
            #expect(delivery.isApplied)
            #expect(delivery.webhookID == Fixture.webhookID)

            let update = delivery.update
            #expect(update.type == "api_binding.update_requested")
            #expect(update.userID == "u_1001")
            #expect(update.accountID == "acc_42")
            #expect(update.exchange == "okx")
            #expect(update.credentials.apiKey == Fixture.okxCredentials.apiKey)
            #expect(update.credentials.apiSecret == Fixture.okxCredentials.apiSecret.value)
            #expect(update.credentials.passphrase == Fixture.okxCredentials.passphrase?.value)
            #expect(update.robotIDs == ["rb_7", "rb_8"])
            #expect(update.occurredAt == "2026-11-26T09:30:00Z")
            #expect(update.verification.checkedAt == "2026-11-26T09:29:12Z")
            #expect(update.verification.canTrade)
            #expect(!update.verification.canWithdraw)
            #expect(!update.verification.ipRestricted)
            #expect(update.verification.tradingExpiresAt == nil)

            // The whole body, byte for byte: every field, null included, and nothing else.
            let expected =
                #"{"account":{"exchange":"okx","id":"acc_42"},"#
                + #""credentials":{"api_key":"5d3f1a2b-8c4e-4f6a-9b1d-2e3f4a5b6c7d","api_secret":"9F3A0C6E1B7D4E2F8A5C3B1D0E9F7A6C","passphrase":"Tr4d3r-Pass!2026"},"#
                + #""occurred_at":"2026-11-26T09:30:00Z","robot_ids":["rb_7","rb_8"],"type":"api_binding.update_requested","#
                + #""user":{"id":"u_1001"},"#
                + #""verification":{"can_trade":true,"can_withdraw":false,"checked_at":"2026-11-26T09:29:12Z","ip_restricted":false,"trading_expires_at":null}}"#
            #expect(delivery.request.bodyText == expected)

            let request = delivery.request
            #expect(request.method == "POST")
            #expect(request.path == FakePlatformServer.path)
            #expect(request.header("Content-Type") == "application/json")
            let timestamp = try #require(Int64(delivery.webhookTimestamp))
            #expect(abs(Double(timestamp) - Date().timeIntervalSince1970) < 60)
            // A second opinion on the signature, from Rebind's own inbound verifier.
            try StandardWebhooks(secrets: [secret]).verify(
                id: delivery.webhookID,
                timestamp: delivery.webhookTimestamp,
                signature: delivery.webhookSignature,
                body: delivery.rawBody,
                now: Date()
            )
        }
    }

    @Test("A Binance key goes with a null passphrase and its trading expiry as an RFC 3339 UTC time")
    func binanceUpdate() async throws {
        let (result, deliveries) = try await publishOnce(Fixture.binanceUpdate)
        try result.get()
        let delivery = try #require(deliveries.only)
        #expect(delivery.update.exchange == "binance")
        #expect(delivery.update.credentials.apiKey == FakeBinanceServer.apiKey)
        #expect(delivery.update.credentials.apiSecret == FakeBinanceServer.secret.value)
        #expect(delivery.update.credentials.passphrase == nil)
        #expect(delivery.update.verification.tradingExpiresAt == "2026-12-26T09:29:12Z")
        #expect(delivery.update.robotIDs == ["rb_9"])
        let json = try #require(try JSONSerialization.jsonObject(with: delivery.rawBody) as? [String: Any])
        let credentials = try #require(json["credentials"] as? [String: Any])
        #expect(credentials.keys.sorted() == ["api_key", "api_secret", "passphrase"])
        #expect(credentials["passphrase"] is NSNull)
    }

    @Test("The credentials travel in the body only: not in the URL or any header")
    func credentialsInBodyOnly() async throws {
        let (_, deliveries) = try await publishOnce()
        let request = try #require(deliveries.only).request
        for value in Fixture.values(of: Fixture.okxCredentials) {
            #expect(request.bodyText.contains(value))
            #expect(!request.path.contains(value))
            #expect(!request.headers.contains { $0.name.contains(value) || $0.value.contains(value) })
        }
    }

    // MARK: Answers worth retrying

    @Test("5xx and 408 are retryable, with no delay unless the platform gave one", arguments: [500, 502, 503, 504, 408])
    func retryableStatus(status: Int) async throws {
        let (result, deliveries) = try await publishOnce(behaviour: .failFirst(1, status: status))
        guard case .retryable(let reason, let retryAfter) = result.error else {
            Issue.record("expected a retryable error, got \(result)")
            return
        }
        #expect(reason.contains("HTTP \(status)"))
        #expect(reason.contains("try_again"))
        #expect(retryAfter == nil)
        #expect(deliveries.only?.isApplied == false)
    }

    @Test("429 is retryable after the Retry-After seconds")
    func tooManyRequests() async throws {
        let (result, _) = try await publishOnce(behaviour: .failFirst(1, status: 429, retryAfter: "17"))
        guard case .retryable(let reason, let retryAfter) = result.error else {
            Issue.record("expected a retryable error, got \(result)")
            return
        }
        #expect(reason.contains("HTTP 429"))
        #expect(retryAfter == 17)
    }

    @Test("A Retry-After date is read as the wait from the publisher's clock")
    func retryAfterDate() async throws {
        let now = Fixture.occurredAt  // Thu, 26 Nov 2026 09:30:00 GMT
        let (result, _) = try await publishOnce(
            behaviour: .failFirst(1, status: 503, retryAfter: "Thu, 26 Nov 2026 09:31:30 GMT"),
            now: { now }
        )
        #expect(
            result.error
                == .retryable(reason: "the platform answered HTTP 503: try_again: The platform could not take the update now", retryAfter: 90)
        )
    }

    @Test("An unreadable Retry-After is no delay rather than a guess")
    func unreadableRetryAfter() async throws {
        let (result, _) = try await publishOnce(behaviour: .failFirst(1, status: 429, retryAfter: "soon"))
        guard case .retryable(_, let retryAfter) = result.error else {
            Issue.record("expected a retryable error, got \(result)")
            return
        }
        #expect(retryAfter == nil)
    }

    @Test("A platform that never answers is retryable once the attempt times out")
    func hangingPlatform() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let (result, deliveries) = try await publishOnce(behaviour: .hang, timeout: 0.5)
        guard case .retryable(let reason, nil) = result.error else {
            Issue.record("expected a retryable error, got \(result)")
            return
        }
        #expect(reason.contains("timed out"))
        #expect(clock.now - started < .seconds(30), "a short timeout must win over the long default, even on a loaded machine")
        #expect(deliveries.isEmpty)
    }

    @Test("A dropped connection is retryable")
    func droppedConnection() async throws {
        let (result, _) = try await publishOnce(behaviour: .drop)
        guard case .retryable(let reason, nil) = result.error else {
            Issue.record("expected a retryable error, got \(result)")
            return
        }
        #expect(reason.contains("dropped"))
    }

    @Test("A platform that is not listening is retryable")
    func nothingListening() async throws {
        let port = try await LoopbackHTTPServer.unusedPort()
        let publisher = try publisher(url: "http://127.0.0.1:\(port)\(FakePlatformServer.path)")
        let result = await attempt(publisher)
        guard case .retryable(let reason, nil) = result.error else {
            Issue.record("expected a retryable error, got \(result)")
            return
        }
        #expect(reason.contains("refused"))
    }

    // MARK: Refusals

    @Test("A permanent refusal carries the platform's status, code and message")
    func refusal() async throws {
        let (result, deliveries) = try await publishOnce(behaviour: .refuse())
        #expect(result.error == .refused(status: 422, reason: "binding_rejected: The API key belongs to another account"))
        #expect(deliveries.only?.isApplied == false)
    }

    @Test("Every other 4xx is a refusal", arguments: [400, 403, 404, 409, 410, 413])
    func otherClientErrors(status: Int) async throws {
        let (result, _) = try await publishOnce(behaviour: .refuse(status: status, code: "no", message: "not this"))
        #expect(result.error == .refused(status: status, reason: "no: not this"))
    }

    @Test("A refusal without the platform's error JSON is described, never quoted")
    func refusalWithoutErrorJSON() async throws {
        try await LoopbackHTTPServer.withServer(handler: { _ in .text(403, "Forbidden by the firewall") }) { server in
            let publisher = try publisher(url: server.baseURL + "/bindings")
            let result = await attempt(publisher)
            #expect(result.error == .refused(status: 403, reason: "no error message (25 bytes, text/plain; charset=utf-8)"))
        }
    }

    @Test("A long platform message is shortened")
    func longMessage() async throws {
        let message = String(repeating: "very long explanation ", count: 50)
        let (result, _) = try await publishOnce(behaviour: .refuse(message: message))
        guard case .refused(422, let reason) = result.error else {
            Issue.record("expected a refusal, got \(result)")
            return
        }
        #expect(reason.hasPrefix("binding_rejected: very long explanation"))
        #expect(reason.count == 201)
        #expect(reason.hasSuffix("…"))
    }

    @Test("A key whose check found it unusable is never sent")
    func unusableVerdict() async throws {
        var update = Fixture.okxUpdate
        update.verification = KeyVerdict(cause: .permissionMissing, canTrade: true, canWithdraw: true)
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let publisher = try publisher(url: fake.url)
            let result = await attempt(publisher, update)
            guard case .refused(0, _) = result.error else {
                Issue.record("expected a refusal before sending, got \(result)")
                return
            }
            #expect(fake.requests().isEmpty)
        }
    }

    @Test("An id that can't be a webhook-id header is never sent", arguments: ["", "msg_1\r\nX-Injected: 1"])
    func unsendableID(id: String) async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let publisher = try publisher(url: fake.url)
            let result = await attempt(publisher, id: id)
            guard case .refused(0, _) = result.error else {
                Issue.record("expected a refusal before sending, got \(result)")
                return
            }
            #expect(fake.requests().isEmpty)
        }
    }

    // MARK: Retries and duplicates

    @Test("Every attempt at one update carries the same id and body, with a fresh timestamp and signature")
    func sameIDAcrossAttempts() async throws {
        let clock = SteppingClock(step: 1)
        try await FakePlatformServer.withServer(secret: secretText, behaviour: .failFirst(2, status: 503)) { fake in
            let publisher = try publisher(url: fake.url, now: { clock.now() })
            // What the outbox does: the same update under the same id until it is taken.
            var results: [Result<Void, PublishError>] = []
            for _ in 0..<3 {
                results.append(await attempt(publisher))
            }
            #expect(results.map { $0.error == nil } == [false, false, true])

            let deliveries = fake.deliveries()
            #expect(deliveries.map(\.status) == [503, 503, 202])
            #expect(Set(deliveries.map(\.webhookID)) == [Fixture.webhookID])
            #expect(Set(deliveries.map(\.rawBody)).count == 1)
            #expect(Set(deliveries.map(\.webhookTimestamp)).count == 3)
            #expect(Set(deliveries.map(\.webhookSignature)).count == 3)
            #expect(fake.appliedUpdates().count == 1)
        }
    }

    @Test("A repeated id is answered 2xx and applied once; a new id is a new update")
    func duplicateDelivery() async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let publisher = try publisher(url: fake.url)
            try await publisher.publish(Fixture.okxUpdate, id: Fixture.webhookID)
            try await publisher.publish(Fixture.okxUpdate, id: Fixture.webhookID)
            #expect(fake.deliveries().map(\.isDuplicate) == [false, true])
            #expect(fake.appliedUpdates().count == 1)

            try await publisher.publish(Fixture.okxUpdate, id: "msg_another")
            #expect(fake.appliedUpdates().count == 2)
        }
    }

    // MARK: The signature

    @Test("An update signed with the wrong secret is refused by the platform with 401")
    func wrongSecret() async throws {
        let (other, _) = WebhookSecret.generate()
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let publisher = try publisher(url: fake.url, secret: other)
            let result = await attempt(publisher)
            #expect(result.error == .refused(status: 401, reason: "invalid_signature: no v1 signature matches"))
            #expect(fake.deliveries().isEmpty)
            #expect(fake.rejections().map(\.status) == [401])
        }
    }

    @Test("A publisher whose clock is off by more than 300 s is refused by the platform")
    func skewedClock() async throws {
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let publisher = try publisher(url: fake.url, now: { Date().addingTimeInterval(-600) })
            let result = await attempt(publisher)
            #expect(result.error == .refused(status: 401, reason: "invalid_signature: webhook-timestamp is more than 300 seconds away"))
        }
    }

    // MARK: Secrets stay secret

    @Test("No credential value appears in any error description or log line, whatever the platform does")
    func noCredentialLeaks() async throws {
        let log = LogRecorder()
        let credentials = Fixture.okxCredentials
        // A platform that quotes back every value it refused.
        let quoting = "api_key \(credentials.apiKey), api_secret \(credentials.apiSecret.value), passphrase \(credentials.passphrase?.value ?? "")"
        let behaviours: [FakePlatformServer.Behaviour] = [
            .accept(), .failFirst(1, status: 503), .failFirst(1, status: 429, retryAfter: "3"), .refuse(message: quoting),
            .refuse(status: 409, code: quoting, message: quoting), .drop, .hang,
        ]
        var errors: [PublishError] = []
        for behaviour in behaviours {
            try await FakePlatformServer.withServer(secret: secretText, behaviour: behaviour) { fake in
                // Short only where the platform never answers; a loaded machine must not turn an
                // answer into a timeout.
                let timeout: TimeInterval = if case .hang = behaviour { 0.5 } else { 10 }
                let publisher = try publisher(url: fake.url, timeout: timeout, log: log)
                if case .failure(let error) = await attempt(publisher) {
                    errors.append(error)
                }
            }
        }
        // And a wrong secret, and nothing listening.
        try await FakePlatformServer.withServer(secret: secretText) { fake in
            let publisher = try publisher(url: fake.url, secret: WebhookSecret.generate().secret, log: log)
            if case .failure(let error) = await attempt(publisher) {
                errors.append(error)
            }
        }
        let port = try await LoopbackHTTPServer.unusedPort()
        let unreachable = try publisher(url: "http://127.0.0.1:\(port)/", log: log)
        if case .failure(let error) = await attempt(unreachable) {
            errors.append(error)
        }

        #expect(errors.count == behaviours.count - 1 + 2)
        let lines = log.all
        #expect(lines.count >= behaviours.count)
        let texts = errors.flatMap { error -> [String] in
            switch error {
            case .retryable(let reason, _), .refused(_, let reason): [reason, "\(error)", String(reflecting: error)]
            }
        }
        for value in Fixture.values(of: credentials) {
            for text in texts + lines {
                #expect(!text.contains(value), "a credential leaked into: \(text)")
            }
        }
        // The quoted refusal was kept, with the values cut out.
        #expect(texts.contains { $0.contains("api_secret <redacted>, passphrase <redacted>") })
        // The key's last characters are all a log line may carry of it.
        #expect(lines.contains { $0.contains("key.hint=\(credentials.keyHint)") })
    }
}

extension Array {
    /// The one element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
