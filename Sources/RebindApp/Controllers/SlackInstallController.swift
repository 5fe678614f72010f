import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RebindCore
import RebindCrypto
import RebindRendering
import RebindSlack
import Synchronization

/// Slack's OAuth v2 install, for many workspaces: `GET /v1/slack/install` sends the admin to
/// Slack's authorize page, `GET /v1/slack/oauth/callback` trades the code Slack hands back
/// for the workspace's bot token and keeps it sealed, bound to the workspace.
///
/// The `state` is stateless, so any replica can check it: `<issued>.<nonce>.<mac>`, an
/// HMAC-SHA256 under `stateSecret` over `issued.nonce`, valid for 10 minutes. The nonce is
/// also set in a short-lived cookie that the callback must carry, so a state (and the code
/// Slack pairs with it) only completes in the browser that started the install; a used nonce
/// is refused again by this process, and the cookie is cleared once the callback ran.
///
/// Pages are short HTML that never repeat the code, the client secret or a token.
struct SlackInstallController: Sendable {
    /// `users:read` lets Rebind ask a user's language (`users.info`); workspaces installed before
    /// it was asked for still work, without it.
    static let scopes = "chat:write,im:write,im:history,commands,users:read"
    static let stateValidity: TimeInterval = 10 * 60
    /// Replicas' clocks differ a little; a state issued slightly "later" is still fine.
    static let clockSkew: TimeInterval = 60
    /// `__Host-`: set only by this host over HTTPS, for path `/`, so a sibling subdomain
    /// cannot plant one.
    static let cookieName = "__Host-rebind_slack_install"
    static let installPath = "/v1/slack/install"
    static let callbackPath = "/v1/slack/oauth/callback"

    let settings: RebindConfiguration.SlackOAuthSettings
    let oauth: SlackOAuth
    let store: any SlackInstallationStore
    let envelope: SecretEnvelope
    let stateSecret: Secret
    let now: @Sendable () -> Date
    let onInstalled: @Sendable (String) async -> Void
    /// The pages' words (`slack/labels/install_*`), in the browser's language.
    let replies: ChatReplyRenderer
    let matcher: LocaleMatcher
    private let usedNonces = UsedNonces()

    init(
        settings: RebindConfiguration.SlackOAuthSettings,
        oauth: SlackOAuth,
        store: any SlackInstallationStore,
        envelope: SecretEnvelope,
        stateSecret: Secret,
        now: @escaping @Sendable () -> Date,
        replies: ChatReplyRenderer,
        matcher: LocaleMatcher,
        onInstalled: @escaping @Sendable (String) async -> Void
    ) {
        self.settings = settings
        self.oauth = oauth
        self.store = store
        self.envelope = envelope
        self.stateSecret = stateSecret
        self.now = now
        self.onInstalled = onInstalled
        self.replies = replies
        self.matcher = matcher
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get(RouterPath(Self.installPath)) { _, _ in
            install()
        }
        router.get(RouterPath(Self.callbackPath)) { request, context in
            await callback(request, logger: context.logger)
        }
    }

    // MARK: Install

    /// 302 to Slack's authorize page with a fresh state, and the state's nonce in a cookie.
    func install() -> Response {
        let nonce = Self.randomToken(bytes: 16)
        let state = signState(issued: Int64(now().timeIntervalSince1970.rounded(.down)), nonce: nonce)
        var response = Response.redirect(to: authorizeURL(state: state), type: .found)
        response.headers[.cacheControl] = "no-store"
        response.setCookie(
            Cookie(
                name: Self.cookieName,
                value: nonce,
                maxAge: Int(Self.stateValidity),
                path: "/",
                secure: true,
                httpOnly: true,
                sameSite: .lax
            )
        )
        return response
    }

    func authorizeURL(state: String) -> String {
        var query = [("client_id", settings.clientID), ("scope", Self.scopes), ("state", state)]
        if let redirectURL = settings.redirectURL { query.append(("redirect_uri", redirectURL)) }
        let separator = settings.authorizeURL.contains("?") ? "&" : "?"
        return settings.authorizeURL + separator + query.map { "\(Self.percentEncoded($0))=\(Self.percentEncoded($1))" }.joined(separator: "&")
    }

    // MARK: Callback

    func callback(_ request: Request, logger: Logger) async -> Response {
        var response = await finishInstall(request, logger: logger)
        // The flow is over either way: the nonce has no further use in this browser.
        response.setCookie(Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/", secure: true, httpOnly: true, sameSite: .lax))
        return response
    }

    private func finishInstall(_ request: Request, logger: Logger) async -> Response {
        let query = request.uri.queryParameters
        let page = Page(
            replies: replies,
            locale: matcher.match(KeyFormController.firstLanguage(request.headers[.acceptLanguage]))
        )
        if let error = query["error"].map(String.init) {
            logger.info("Slack install not completed", metadata: ["slack.oauth_error": "\(error.prefix(64))"])
            if error == "access_denied" {
                return page(.ok, title: .notInstalledTitle, message: .cancelled)
            }
            return page(.badRequest, title: .notInstalledTitle, message: .slackError, values: ["error": String(error.prefix(64))], restart: true)
        }
        let nonce: String
        do throws(StateError) {
            nonce = try verifyState(query["state"].map(String.init), cookie: request.cookies[Self.cookieName]?.value)
        } catch {
            logger.info("Slack install refused", metadata: ["error.code": "\(error.code)"])
            return page(.badRequest, title: .linkInvalidTitle, message: error.label, restart: true)
        }
        guard let code = query["code"].map(String.init), !code.isEmpty else {
            logger.info("Slack install refused", metadata: ["error.code": "missing_code"])
            return page(.badRequest, title: .linkInvalidTitle, message: .noCode, restart: true)
        }
        // Spent before the exchange, so two tabs racing with one state cannot both go on.
        guard usedNonces.use(nonce, until: now().addingTimeInterval(Self.stateValidity + Self.clockSkew), now: now()) else {
            logger.info("Slack install refused", metadata: ["error.code": "state_replayed"])
            return page(.badRequest, title: .linkInvalidTitle, message: StateError.replayed.label, restart: true)
        }

        let access: SlackOAuthAccess
        do {
            access = try await oauth.access(code: code, redirectURI: settings.redirectURL)
        } catch {
            // The client's errors are already redacted of the code and the secret.
            logger.warning("Slack's oauth.v2.access failed", metadata: ["error": "\(error)"])
            return page(.badGateway, title: .unconfirmedTitle, message: .unconfirmed, restart: true)
        }
        let teamID = access.team.id
        do {
            let sealed = try envelope.seal(access.accessToken, as: SlackInstallation.context(teamID: teamID))
            try await store.saveSlackInstallation(
                SlackInstallation(
                    teamID: teamID,
                    teamName: access.team.name,
                    botUserID: access.botUserID,
                    sealedToken: sealed,
                    installedAt: now()
                )
            )
        } catch {
            logger.error("A Slack installation could not be stored", metadata: ["slack.team_id": "\(teamID)", "error": "\(type(of: error))"])
            return page(.serviceUnavailable, title: .notSavedTitle, message: .notSaved, restart: true)
        }
        await onInstalled(teamID)
        logger.info("Slack workspace installed", metadata: ["slack.team_id": "\(teamID)"])
        return page(.ok, title: .installedTitle, message: .installed, values: ["workspace": access.team.name ?? teamID])
    }

    // MARK: State

    enum StateError: Error, Equatable {
        case missing, malformed, forged, expired, issuedInFuture, missingCookie, wrongBrowser, replayed

        var code: String {
            switch self {
            case .missing: "state_missing"
            case .malformed: "state_malformed"
            case .forged: "state_forged"
            case .expired: "state_expired"
            case .issuedInFuture: "state_in_future"
            case .missingCookie: "state_cookie_missing"
            case .wrongBrowser: "state_cookie_mismatch"
            case .replayed: "state_replayed"
            }
        }

        /// What the page says of it.
        var label: InstallLabel {
            switch self {
            case .missing: .stateMissing
            case .malformed, .forged: .stateForged
            case .expired: .stateExpired
            case .issuedInFuture: .stateInFuture
            case .missingCookie: .cookieMissing
            case .wrongBrowser: .wrongBrowser
            case .replayed: .replayed
            }
        }
    }

    func signState(issued: Int64, nonce: String) -> String {
        "\(issued).\(nonce).\(mac(issued: issued, nonce: nonce))"
    }

    /// The state's nonce, once its MAC, age and cookie check out.
    func verifyState(_ state: String?, cookie: String?) throws(StateError) -> String {
        guard let state, !state.isEmpty else { throw .missing }
        let parts = state.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let issued = Int64(parts[0]), parts[1].utf8.count == 22,
            parts[1].allSatisfy(Self.isBase64URL)
        else { throw .malformed }
        let nonce = String(parts[1])
        guard ConstantTime.equals(mac(issued: issued, nonce: nonce), String(parts[2])) else { throw .forged }
        let age = now().timeIntervalSince1970 - Double(issued)
        guard age <= Self.stateValidity else { throw .expired }
        guard age >= -Self.clockSkew else { throw .issuedInFuture }
        guard let cookie, !cookie.isEmpty else { throw .missingCookie }
        guard ConstantTime.equals(cookie, nonce) else { throw .wrongBrowser }
        return nonce
    }

    private func mac(issued: Int64, nonce: String) -> String {
        let key = SymmetricKey(data: Data(stateSecret.value.utf8))
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(issued).\(nonce)".utf8), using: key)
        return Self.base64URL(Data(code))
    }

    // MARK: Encoding

    static func randomToken(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return base64URL(Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }

    static func base64URL(_ data: Data) -> String {
        Base64URL.encode(data)
    }

    static func isBase64URL(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_")
    }

    /// RFC 3986 unreserved characters stay; everything else (`,` `:` `/` included) is encoded.
    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func htmlEscaped(_ text: some StringProtocol) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// The result pages in one language.
    struct Page {
        let replies: ChatReplyRenderer
        let locale: String

        func callAsFunction(
            _ status: HTTPResponse.Status,
            title: InstallLabel,
            message: InstallLabel,
            values: [String: String] = [:],
            restart: Bool = false
        ) -> Response {
            SlackInstallController.page(
                status: status,
                lang: locale,
                title: replies.label(title, locale: locale),
                message: replies.label(message, locale: locale, values: values),
                restart: restart ? replies.label(.restart, locale: locale) : nil
            )
        }
    }

    /// A small HTML page. `no-referrer` because the callback's URL holds the code; `no-store`
    /// so no cache keeps it; the CSP allows nothing but the inline text.
    static func page(status: HTTPResponse.Status, lang: String, title: String, message: String, restart: String?) -> Response {
        let link = restart.map { "\n<p><a href=\"\(installPath)\">\(htmlEscaped($0))</a></p>" } ?? ""
        let html = """
            <!doctype html>
            <html lang="\(htmlEscaped(lang))"><head><meta charset="utf-8"><title>\(htmlEscaped(title))</title></head>
            <body><h1>\(htmlEscaped(title))</h1>
            <p>\(htmlEscaped(message))</p>\(link)
            </body></html>

            """
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .contentSecurityPolicy: "default-src 'none'",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html))
        )
    }
}

/// Nonces whose callback already ran, until their state would have expired anyway. Only this
/// process's: across replicas a replay still needs the cookie, which the callback clears, and
/// Slack takes each code once.
private final class UsedNonces: Sendable {
    private static let capacity = 10_000
    private let entries = Mutex<[String: Date]>([:])

    /// False when the nonce was used already.
    func use(_ nonce: String, until expiry: Date, now: Date) -> Bool {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries = entries.filter { $0.value > now } }
            if let previous = entries[nonce], previous > now { return false }
            entries[nonce] = expiry
            return true
        }
    }
}
