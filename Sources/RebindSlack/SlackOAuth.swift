import Foundation
import Logging
import RebindCore

/// The OAuth v2 install flow's server side: exchanges the `code` Slack hands the redirect
/// for a workspace's bot token (`oauth.v2.access`).
///
/// Per Slack's documentation the call is form-encoded with `client_id` and `client_secret`
/// in the body (never the URL), and needs no bearer token.
public struct SlackOAuth: Sendable {
    public let baseURL: String
    public let clientID: String
    public let timeout: TimeInterval
    private let clientSecret: Secret
    private let transport: any HTTPTransport
    private let logger: Logger

    public static let methodName = "oauth.v2.access"

    public init(
        baseURL: String = SlackClient.defaultBaseURL,
        clientID: String,
        clientSecret: Secret,
        transport: any HTTPTransport,
        timeout: TimeInterval = 10,
        logger: Logger = Logger(label: "rebind.slack")
    ) {
        self.baseURL = SlackClient.trimmed(baseURL)
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.transport = transport
        self.timeout = SlackClient.validTimeout(timeout)
        self.logger = logger
    }

    /// Exchanges a temporary authorization code for the workspace's bot token. `redirectURI`
    /// must be the one the authorization used, if it named one.
    public func access(code: String, redirectURI: String? = nil) async throws(SlackClient.Error) -> SlackOAuthAccess {
        guard !code.isEmpty else { throw .invalidRequest(method: Self.methodName, reason: "the authorization code is empty") }
        guard !clientID.isEmpty, !clientSecret.value.isEmpty else {
            throw .invalidRequest(method: Self.methodName, reason: "the client id and client secret must be set")
        }
        var fields: [(name: String, value: String)] = [("client_id", clientID), ("client_secret", clientSecret.value), ("code", code)]
        if let redirectURI { fields.append(("redirect_uri", redirectURI)) }
        let request = HTTPRequest(
            method: "POST",
            url: "\(baseURL)/\(Self.methodName)",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: SlackForm(fields: fields).encoded,
            timeout: timeout
        )
        return try await SlackClient.exchange(method: Self.methodName, request: request, transport: transport, logger: logger) { text in
            text.replacing(clientSecret.value, with: "<redacted>").replacing(code, with: "<code>")
        }
    }
}
