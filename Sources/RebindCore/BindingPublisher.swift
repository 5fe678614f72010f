import Foundation

/// Hands a checked key to the trading platform (DESIGN §3, "Binding update sent to the
/// platform"). Adapter: `PlatformBindingPublisher`, a Standard Webhooks signed POST.
public protocol BindingPublisher: Sendable {
    /// Returns when the platform took the update (2xx). Throws `PublishError`.
    func publish(_ update: BindingUpdate, id: String) async throws(PublishError)
    /// Posts another event to the platform (`api_binding.expiring`), its JSON body already
    /// made, signed the same way and answered the same way.
    func post(_ body: Data, id: String) async throws(PublishError)
}

public struct BindingUpdate: Sendable, Equatable {
    public var occurredAt: Date
    public var userID: String
    public var accountID: String
    public var exchange: String
    public var credentials: ExchangeCredentials
    public var verification: KeyVerdict
    public var checkedAt: Date
    public var robotIDs: [String]

    public init(
        occurredAt: Date,
        userID: String,
        accountID: String,
        exchange: String,
        credentials: ExchangeCredentials,
        verification: KeyVerdict,
        checkedAt: Date,
        robotIDs: [String]
    ) {
        self.occurredAt = occurredAt
        self.userID = userID
        self.accountID = accountID
        self.exchange = exchange
        self.credentials = credentials
        self.verification = verification
        self.checkedAt = checkedAt
        self.robotIDs = robotIDs
    }
}

public enum PublishError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 5xx, 408, 429, timeouts, dropped connections: retry with backoff (`retryAfter` when the
    /// platform said how long).
    case retryable(reason: String, retryAfter: TimeInterval?)
    /// Any other 4xx: the platform will not take this update; the user finishes on the web.
    case refused(status: Int, reason: String)

    public var description: String {
        switch self {
        case .retryable(let reason, _): "binding update not delivered yet: \(reason)"
        case .refused(let status, let reason): "the platform refused the binding update (HTTP \(status)): \(reason)"
        }
    }
}
