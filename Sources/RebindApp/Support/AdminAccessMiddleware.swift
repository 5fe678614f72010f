import Foundation
import Hummingbird
import RebindCore
import RebindCrypto

/// Who may use the admin listener (DESIGN §3). With `REBIND_ADMIN_TOKEN` set, every route but
/// `/healthz` needs `Authorization: Bearer <token>`. Without one the listener is on loopback
/// only, and a request whose `Host` is not a loopback name or address is refused: a web page
/// that rebinds its own name to 127.0.0.1 would otherwise read the operator's routes.
///
/// The console (`/console…`) also takes the session cookie its login form sets; a browser that
/// has none is sent to the login form instead of getting a bare 401.
struct AdminAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: Secret?
    var session: ConsoleSession
    var now: @Sendable () -> Date

    init(token: Secret?, session: ConsoleSession? = nil, now: @escaping @Sendable () -> Date = Date.init) {
        self.token = token
        self.session = session ?? ConsoleSession(adminToken: token)
        self.now = now
    }

    /// Paths a load balancer or kubelet may ask without the token: they say nothing but "up";
    /// and the console's login form and stylesheet, which a signed-out browser needs.
    static var openPaths: Set<String> { ["/healthz", "/console/login", "/console/console.css"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        var decision = Self.decision(token: token, host: request.head.authority, authorization: request.headers[.authorization], path: path)
        if decision == .unauthorized, ConsoleController.isConsole(path) {
            if session.validCookie(in: request.headers[.cookie], now: now()) != nil {
                decision = .allow
            } else if request.method == .get || request.method == .head {
                return Response(status: .seeOther, headers: [.location: ConsoleController.base + "/login"])
            }
        }
        switch decision {
        case .allow:
            return try await next(request, context)
        case .unauthorized:
            var response = APIError(status: .unauthorized, code: "unauthorized", message: "A valid bearer token is required").response()
            response.headers[.wwwAuthenticate] = #"Bearer realm="rebind-admin""#
            return response
        case .misdirected:
            return APIError(
                status: .misdirectedRequest,
                code: "host_not_loopback",
                message: "The admin listener answers only requests addressed to a loopback host"
            ).response()
        }
    }

    enum Decision: Equatable {
        case allow, unauthorized, misdirected
    }

    static func decision(token: Secret?, host: String?, authorization: String?, path: String) -> Decision {
        guard let token else {
            guard let host, LoopbackHost.contains(hostName(of: host)) else { return .misdirected }
            return .allow
        }
        if openPaths.contains(path) { return .allow }
        guard let authorization, let presented = bearer(authorization) else { return .unauthorized }
        return ConstantTime.equals(presented, token.value) ? .allow : .unauthorized
    }

    /// `Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1).
    static func bearer(_ authorization: String) -> String? {
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// The host of a `Host` header without its port: `127.0.0.1:8081` → `127.0.0.1`,
    /// `[::1]:8081` → `::1`, `localhost` → `localhost`.
    static func hostName(of authority: String) -> String {
        if authority.hasPrefix("[") {
            guard let end = authority.firstIndex(of: "]") else { return authority }
            return String(authority[authority.index(after: authority.startIndex)..<end])
        }
        if let colon = authority.lastIndex(of: ":"), authority.firstIndex(of: ":") == colon {
            return String(authority[..<colon])
        }
        return authority
    }
}
