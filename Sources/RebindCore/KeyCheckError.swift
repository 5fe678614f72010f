/// Why a key check produced no verdict: the exchange could not be asked, or its answer said
/// nothing about the key. None of these mean the key is bad; the user should try again.
public enum KeyCheckError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The exchange is rate limiting (HTTP 429, Binance's 418 ban) or failing (5xx, or one of
    /// its "busy" error codes).
    case busy(exchange: String, status: Int)
    /// No answer arrived: timeout, refused or dropped connection, DNS, TLS. `reason` names
    /// the endpoint only, never a path or query.
    case unreachable(exchange: String, reason: String)
    /// An answer arrived that is not the exchange's API speaking (an HTML error page, a
    /// body that does not decode).
    case unexpectedAnswer(exchange: String, status: Int, reason: String)
    /// The exchange kept refusing the request's timestamp after Rebind synchronised with
    /// its server time.
    case clockOutOfSync(exchange: String)
    /// The credentials hold characters an HTTP header cannot carry, so they were not sent.
    /// `CredentialFormat` refuses such values before they get here.
    case unsendableCredentials(exchange: String)
    /// The task was cancelled before the exchange answered.
    case cancelled

    public var description: String {
        switch self {
        case .busy(let exchange, let status): "\(exchange) is busy (HTTP \(status)); the key was not checked"
        case .unreachable(let exchange, let reason): "\(exchange) could not be reached: \(reason)"
        case .unexpectedAnswer(let exchange, let status, let reason):
            "\(exchange) answered HTTP \(status) with something other than its API's answer: \(reason)"
        case .clockOutOfSync(let exchange):
            "\(exchange) refused the request's timestamp even after synchronising with its server time"
        case .unsendableCredentials(let exchange):
            "The key or passphrase for \(exchange) holds line breaks or control characters, so it was not sent"
        case .cancelled: "The key check was cancelled before the exchange answered"
        }
    }

    /// The sentence a user sees.
    public var userMessage: String {
        switch self {
        case .busy(let exchange, _):
            "\(exchange) is busy right now and did not check the key; try again in a few minutes."
        case .unreachable(let exchange, _):
            "\(exchange) could not be reached, so the key was not checked; try again in a few minutes."
        case .unexpectedAnswer(let exchange, _, _):
            "\(exchange) gave an answer Rebind could not read, so the key was not checked; try again later."
        case .clockOutOfSync(let exchange):
            "Rebind's clock and \(exchange)'s disagree, so the key was not checked; try again later."
        case .unsendableCredentials:
            "The key or passphrase holds line breaks or invisible characters; copy it again."
        case .cancelled:
            "The key check was cancelled; try again."
        }
    }

    /// How the missing verdict reads where one is expected: not usable, cause `unknown`, and
    /// the user message as its warning.
    public var verdict: KeyVerdict {
        .refused(.unknown, .checkFailed(self))
    }
}
