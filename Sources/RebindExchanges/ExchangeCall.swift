import Foundation
import Logging
import RebindCore

/// One exchange's HTTP calls, with every way of getting no answer turned into a
/// `KeyCheckError`, so a verifier deals only with answers.
struct ExchangeCall: Sendable {
    /// As users know it: `Binance`, `OKX`.
    let exchangeName: String
    let baseURL: String
    let transport: any HTTPTransport
    let timeout: TimeInterval
    let logger: Logger

    init(exchangeName: String, baseURL: String, transport: any HTTPTransport, timeout: TimeInterval, logger: Logger) {
        self.exchangeName = exchangeName
        // A trailing slash would double the path's first one.
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.transport = transport
        self.timeout = timeout
        self.logger = logger
    }

    /// Sends `GET base + pathAndQuery`; returns whatever answered, except a busy exchange,
    /// which no caller can take as a verdict.
    func get(_ pathAndQuery: String, headers: [(name: String, value: String)]) async throws(KeyCheckError) -> HTTPResponse {
        let request = HTTPRequest(method: "GET", url: baseURL + pathAndQuery, headers: headers, timeout: timeout)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            logger.debug("Exchange not reached", metadata: ["exchange.name": "\(exchangeName)", "http.error": "\(error)"])
            throw .unreachable(exchange: exchangeName, reason: error.description)
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .unreachable(exchange: exchangeName, reason: String(describing: error))
        }
        if Self.isBusy(response.status) {
            logger.debug("Exchange busy", metadata: ["exchange.name": "\(exchangeName)", "http.status": "\(response.status)"])
            throw .busy(exchange: exchangeName, status: response.status)
        }
        return response
    }

    /// Rate limited (429; 418 is Binance's ban for ignoring a 429) or failing (5xx): the
    /// exchange said nothing about the key.
    static func isBusy(_ status: Int) -> Bool {
        status == 429 || status == 418 || (500...599).contains(status)
    }

    /// Whether a value can travel in an HTTP header as it is.
    static func isHeaderSafe(_ value: String) -> Bool {
        !value.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// How far the exchange's clock runs ahead of ours (negative: behind), reading its
    /// server time as of the midpoint between asking and hearing back.
    static func clockOffset(serverTime: Date, askedAt: Date, answeredAt: Date) -> TimeInterval {
        serverTime.timeIntervalSince(askedAt) - answeredAt.timeIntervalSince(askedAt) / 2
    }

    /// A short reason for an answer that is not the API's JSON; never quotes the body,
    /// which could echo the request.
    static func unreadable(_ response: HTTPResponse, what: String) -> String {
        let type = response.header("Content-Type") ?? "no content type"
        return "\(what) (\(response.body.count) bytes, \(type))"
    }
}
