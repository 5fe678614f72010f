import Foundation
import Logging
import RebindCore
import RebindCrypto

/// Hands a checked key to the trading platform as a Standard Webhooks signed `POST` of the
/// binding update's JSON to `REBIND_PLATFORM_URL` (DESIGN §3, "Binding update sent to the
/// platform").
///
/// Each call is one attempt; retrying with backoff is the outbox's job. `webhook-id` is the
/// id the caller gives, so every attempt at one update carries the same id (and the same
/// body bytes) and the platform can drop repeats; `webhook-timestamp` and the signature are
/// made afresh for each attempt, so a retry an hour later is not refused as stale.
///
/// The answer decides the error: 2xx returns; 5xx, 408, 429 and no answer at all throw
/// `.retryable` (with the `Retry-After` delay when the platform gave one); any other status
/// throws `.refused`. `.refused` with status 0 means nothing was sent because Rebind could not
/// make the request (an unusable verdict, an id that can't be a header): retrying won't help.
///
/// The credentials travel only in the request body. Log lines carry the key's last
/// characters at most; error reasons never carry a credential, even when the platform's
/// error message quotes one.
public struct PlatformBindingPublisher: BindingPublisher {
    /// Where updates are posted, exactly as configured.
    public let url: String
    /// Seconds one attempt may take, answer included.
    public let timeout: TimeInterval
    private let signer: StandardWebhooks
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// Longest platform error message kept in a reason, in characters.
    static let maximumReasonLength = 200

    /// - Parameters:
    ///   - url: `REBIND_PLATFORM_URL`; updates are posted to it as it is.
    ///   - secret: `REBIND_PLATFORM_SECRET`, the platform's Standard Webhooks secret.
    ///   - timeout: seconds one attempt may take before it counts as retryable.
    ///   - now: the clock `webhook-timestamp` is read from.
    public init(
        url: String,
        secret: WebhookSecret,
        transport: any HTTPTransport,
        timeout: TimeInterval = 10,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "rebind.platform")
    ) {
        self.url = url
        self.timeout = timeout
        self.signer = StandardWebhooks(secrets: [secret])
        self.transport = transport
        self.now = now
        self.logger = logger
    }

    public func publish(_ update: BindingUpdate, id: String) async throws(PublishError) {
        let metadata: Logger.Metadata = [
            "binding.id": "\(id)",
            "user.id": "\(update.userID)",
            "account.id": "\(update.accountID)",
            "account.exchange": "\(update.exchange)",
            "key.hint": "\(update.credentials.keyHint)",
            "robot.count": "\(update.robotIDs.count)",
        ]
        guard update.verification.usable else {
            throw .refused(status: 0, reason: "not sent: the key's check found it unusable")
        }
        let body: Data
        do {
            body = try BindingUpdateBody.encode(update)
        } catch {
            // Only strings, booleans and dates go in, so this does not happen; the encoder's
            // message is left out all the same, as it could quote a value.
            throw .refused(status: 0, reason: "not sent: the binding update could not be encoded as JSON")
        }
        try await send(body, id: id, credentials: update.credentials, metadata: metadata)
    }

    public func post(_ body: Data, id: String) async throws(PublishError) {
        try await send(body, id: id, credentials: nil, metadata: ["platform.event.id": "\(id)"])
    }

    /// One signed attempt; `credentials` (when the body holds some) are kept out of every
    /// reason and log line.
    func send(_ body: Data, id: String, credentials: ExchangeCredentials?, metadata: Logger.Metadata) async throws(PublishError) {
        var metadata = metadata
        let request = try makeRequest(body: body, id: id)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            let failure = PublishError.retryable(reason: Self.noAnswerReason(error, credentials: credentials), retryAfter: nil)
            metadata["platform.error"] = "\(failure)"
            logger.debug("Platform event not delivered", metadata: metadata)
            throw failure
        }
        metadata["http.status"] = "\(response.status)"
        if let failure = Self.failure(for: response, credentials: credentials, now: now()) {
            metadata["platform.error"] = "\(failure)"
            logger.debug("Platform event not taken by the platform", metadata: metadata)
            throw failure
        }
        logger.debug("Platform event taken by the platform", metadata: metadata)
    }

    /// The signed request for one attempt.
    func makeRequest(for update: BindingUpdate, id: String) throws(PublishError) -> HTTPRequest {
        guard update.verification.usable else {
            throw .refused(status: 0, reason: "not sent: the key's check found it unusable")
        }
        do {
            return try makeRequest(body: try BindingUpdateBody.encode(update), id: id)
        } catch let error as PublishError {
            throw error
        } catch {
            throw .refused(status: 0, reason: "not sent: the binding update could not be encoded as JSON")
        }
    }

    /// The signed request carrying `body`.
    func makeRequest(body: Data, id: String) throws(PublishError) -> HTTPRequest {
        // Standard Webhooks ids are opaque but must be non-empty; a control character would
        // break the header.
        guard !id.isEmpty, !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .refused(status: 0, reason: "not sent: the webhook id is empty or holds control characters")
        }
        let timestamp = Int64(now().timeIntervalSince1970.rounded(.down))
        let signature: [(name: String, value: String)]
        do {
            signature = try signer.headers(id: id, timestamp: timestamp, body: body)
        } catch {
            throw .refused(status: 0, reason: "not sent: \(error)")
        }
        return HTTPRequest(
            method: "POST",
            url: url,
            headers: [("Content-Type", "application/json"), ("Accept", "application/json")] + signature,
            body: body,
            timeout: timeout
        )
    }
}
