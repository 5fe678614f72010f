import Foundation
import RebindCore

/// Reading the platform's answer: which statuses are worth retrying, how long to wait, and
/// what the platform said, with no credential in it.
extension PlatformBindingPublisher {
    /// Nil for a 2xx; otherwise the error the answer means.
    static func failure(for response: HTTPResponse, credentials: ExchangeCredentials?, now: Date) -> PublishError? {
        if response.isSuccess { return nil }
        let message = platformMessage(in: response, credentials: credentials)
        let said = message.map { ": " + $0 } ?? ""
        switch response.status {
        case 408, 429, 500...599:
            let delay = retryAfter(response.header("Retry-After"), now: now)
            return .retryable(reason: "the platform answered HTTP \(response.status)\(said)", retryAfter: delay)
        case 300...399:
            // Redirects are not followed (a signed body re-sent elsewhere is not what was
            // configured), so a moved endpoint is a configuration error, not a passing one.
            return .refused(status: response.status, reason: "redirected; check REBIND_PLATFORM_URL\(said)")
        default:
            return .refused(status: response.status, reason: message ?? unreadable(response))
        }
    }

    /// Why no answer came, for `.retryable`: a transport error says so in words already.
    static func noAnswerReason(_ error: any Error, credentials: ExchangeCredentials?) -> String {
        switch error {
        case let error as TransportError: redacting(error.description, credentials: credentials)
        case is CancellationError: "cancelled before the platform answered"
        default: redacting("the platform was not reached: \(error)", credentials: credentials)
        }
    }

    /// `Retry-After` as seconds from `now`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
    /// Nil when absent or unreadable; a date in the past is no wait at all.
    static func retryAfter(_ value: String?, now: Date) -> TimeInterval? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return Int(value).map(TimeInterval.init)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// The message of an error answer in DESIGN §3's form, `{"error": {"code", "message"}}`,
    /// as `code: message`, credentials redacted, shortened. Nil for any other body, which is
    /// never quoted: it could echo the request.
    static func platformMessage(in response: HTTPResponse, credentials: ExchangeCredentials?) -> String? {
        struct ErrorAnswer: Decodable {
            struct Detail: Decodable {
                var code: String?
                var message: String?
            }
            var error: Detail
        }
        guard let answer = try? JSONDecoder().decode(ErrorAnswer.self, from: response.body) else { return nil }
        let parts = [answer.error.code, answer.error.message].compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        guard !parts.isEmpty else { return nil }
        let flat = String(parts.joined(separator: ": ").unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        // Redacted before shortening, so a cut can't leave the start of a credential behind.
        let text = redacting(flat, credentials: credentials)
        return text.count > maximumReasonLength ? String(text.prefix(maximumReasonLength)) + "…" : text
    }

    /// A short account of an answer whose body is not the platform's error JSON.
    static func unreadable(_ response: HTTPResponse) -> String {
        "no error message (\(response.body.count) bytes, \(response.header("Content-Type") ?? "no content type"))"
    }

    /// `text` with every credential value replaced, for a platform that quotes what it
    /// refused. Longest first, so a value is removed whole before any shorter one inside it.
    static func redacting(_ text: String, credentials: ExchangeCredentials?) -> String {
        guard let credentials else { return text }
        let values = [credentials.apiKey, credentials.apiSecret.value, credentials.passphrase?.value]
            .compactMap { $0 }.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        return values.reduce(text) { text, value in text.replacing(value, with: "<redacted>") }
    }
}
