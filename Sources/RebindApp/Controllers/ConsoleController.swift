import Foundation
import HTTPTypes
import Hummingbird
import RebindCore
import RebindCrypto
import RebindRendering
import RebindTemplates

/// The operator's console (DESIGN §11) on the admin listener: server-rendered pages from the
/// templates' `console/` folder, one stylesheet, no script and no external resource, so it
/// works without JavaScript. Reads are keyset-paginated store queries; the one write, replaying
/// dead letters, is a form post with a CSRF token. Access is the admin listener's (bearer token,
/// or the session cookie of the login form; loopback Host without a token). Never a secret on a
/// page: conversations show only their step.
struct ConsoleController: Sendable {
    static let base = "/console"
    static let pageSize = 50
    static let eventLimit = 200
    static let expiringWithin: TimeInterval = 7 * 86_400
    static let maxFormBytes = 64 * 1024

    let store: any ConsoleStore
    let notices: any NoticeOutbox
    let dependencies: AppDependencies
    let session: ConsoleSession
    let adminToken: Secret?

    static func isConsole(_ path: String) -> Bool { path == base || path.hasPrefix(base + "/") }

    var pages: ConsolePages { dependencies.renderer.console }
    var now: Date { dependencies.now() }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get(RouterPath(stringLiteral: Self.base)) { request, _ in try await overview(request) }
        router.get("\(Self.base)/console.css") { _, _ in
            Response(
                status: .ok,
                headers: Self.securityHeaders(contentType: "text/css; charset=utf-8"),
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: pages.stylesheet))
            )
        }
        router.get("\(Self.base)/login") { request, _ in login(request, failed: false) }
        router.post("\(Self.base)/login") { request, _ in try await signIn(request) }
        router.post("\(Self.base)/logout") { request, _ in try await signOut(request) }
        router.get("\(Self.base)/incidents") { request, _ in try await incidents(request) }
        router.get("\(Self.base)/incidents/:id") { request, context in
            // Route parameters arrive as sent: an id with characters its link encoded is decoded here.
            let raw = context.parameters.get("id") ?? ""
            return try await incident(request, id: raw.removingPercentEncoding ?? raw)
        }
        router.get("\(Self.base)/dead-letters") { request, _ in try await deadLetters(request) }
        router.post("\(Self.base)/dead-letters/replay") { request, _ in try await replay(request) }
        router.get("\(Self.base)/bindings") { request, _ in try await bindings(request) }
    }

    // MARK: Pages

    func overview(_ request: Request) async throws -> Response {
        let counts = try await store.consoleOverview(now: now, expiringWithin: Self.expiringWithin)
        var channels: [[String: Any]] = []
        if let chat = dependencies.chat {
            let pauses = chat.channelHealth.all()
            for channel in chat.messengers.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
                let paused = pauses.filter { $0.scope.channel == channel }
                if paused.isEmpty { channels.append(["channel": channel.rawValue, "workspace": "", "state": "active"]) }
                for (scope, pause) in paused {
                    channels.append([
                        "channel": channel.rawValue, "workspace": scope.workspace ?? "", "state": "paused",
                        "since": Self.time(pause.since), "reason": pause.reason, "next_probe": Self.time(pause.nextProbe),
                    ])
                }
            }
        }
        let data: [String: Any] = [
            "overview": [
                "events_today": counts.eventsToday, "incidents_today": counts.incidentsOpenedToday,
                "open_incidents": counts.openIncidents, "pending_notices": counts.pendingNotices,
                "oldest_age": Self.value(counts.oldestPendingDueAt.map { Self.age(now.timeIntervalSince($0)) }),
                "dead_notices": counts.deadNotices, "dead_notices_nonzero": counts.deadNotices > 0,
                "expiring": counts.expiringBindings, "expiring_nonzero": counts.expiringBindings > 0,
            ] as [String: Any],
            "channels": channels, "has_channels": !channels.isEmpty,
        ]
        return page(.overview, nav: "nav_overview", data, request)
    }

    func incidents(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? {
            query[Substring(name)].map(String.init).map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        let state = value("state").flatMap(ConsoleIncidentFilter.State.init(rawValue:))
        let filter = ConsoleIncidentFilter(userID: value("user"), accountID: value("account"), state: state)
        let after = value("after").flatMap(ConsoleIncidentCursor.init(token:))
        let rows = try await store.consoleIncidents(filter, after: after, limit: Self.pageSize + 1)
        let shown = Array(rows.prefix(Self.pageSize))
        var link: [(String, String)] = []
        if let user = filter.userID { link.append(("user", user)) }
        if let account = filter.accountID { link.append(("account", account)) }
        if let state { link.append(("state", state.rawValue)) }
        let next = rows.count > Self.pageSize ? shown.last.map { Self.link("/incidents", link + [("after", $0.cursor.token)]) } : nil
        let data: [String: Any] = [
            "filter": [
                "user": filter.userID ?? "", "account": filter.accountID ?? "", "any": state == nil, "open": state == .open,
                "resolved": state == .resolved,
            ] as [String: Any],
            "incidents": shown.map(Self.incidentRow), "has_incidents": !shown.isEmpty,
            "next_page": Self.value(next), "first_page": after == nil ? false : Self.link("/incidents", link),
        ]
        return page(.incidents, nav: "nav_incidents", data, request)
    }

    func incident(_ request: Request, id: String) async throws -> Response {
        guard let detail = try await store.consoleIncident(id: id, eventLimit: Self.eventLimit) else {
            throw HTTPError(.notFound, message: "No incident \(id)")
        }
        let notices: [[String: Any]] = detail.notices.map { notice in
            [
                "id": notice.id, "kind": notice.kind, "status": notice.status, "created_at": Self.time(notice.createdAt),
                "due_at": Self.time(notice.dueAt), "last_error": Self.value(notice.lastError),
                "attempts": notice.attempts.map { attempt -> [String: Any] in
                    [
                        "at": Self.time(attempt.at), "chat": attempt.chat.description, "outcome": attempt.outcome.rawValue,
                        "error": attempt.error ?? "",
                    ]
                },
                "has_attempts": !notice.attempts.isEmpty,
            ]
        }
        let chats: [[String: Any]] = detail.chats.map { chat in
            [
                "chat": chat.chat.description, "linked": chat.linked, "linked_at": Self.time(chat.linkedAt),
                "blocked_at": chat.blockedAt.map(Self.time) ?? "",
                "conversation": conversation(chat),
            ]
        }
        let events: [[String: Any]] = detail.events.map { event in
            [
                "id": event.webhookID, "type": event.type, "robot": event.robotID ?? "", "cause": event.cause ?? "",
                "occurred_at": Self.time(event.occurredAt), "received_at": Self.time(event.receivedAt),
            ]
        }
        let data: [String: Any] = [
            "incident": Self.incidentRow(detail.incident), "reason": detail.reason, "reminders": detail.remindersSent,
            "notices": notices, "has_notices": !notices.isEmpty, "chats": chats, "has_chats": !chats.isEmpty,
            "events": events, "has_events": !events.isEmpty, "event_limit": Self.eventLimit,
        ]
        return page(.incident, nav: "nav_incidents", data, request)
    }

    /// The step a chat's key conversation is at, opened with the master key; never what it holds.
    func conversation(_ chat: ConsoleChat) -> [String: Any] {
        guard let sealed = chat.conversation else { return ["none": true] }
        guard let envelope = dependencies.chat?.envelope,
            let data = try? envelope.open(sealed, as: .conversation(chat.chat), Data.self),
            let conversation = try? KeyConversation(snapshot: data)
        else { return ["sealed": true] }
        let step: String =
            switch conversation.step {
            case .awaitingKey: "awaiting_key"
            case .awaitingSecret: "awaiting_secret"
            case .awaitingPassphrase: "awaiting_passphrase"
            case .checking: "checking"
            case .applying: "applying"
            case .finished: "finished"
            }
        return ["step": step, "account": conversation.target.accountID, "active_at": Self.time(conversation.lastActivityAt)]
    }

    func deadLetters(_ request: Request) async throws -> Response {
        let before = request.uri.queryParameters["before"].flatMap { Int64(String($0)) }
        let rows = try await notices.deadNotices(limit: Self.pageSize + 1, beforeID: before)
        let shown = Array(rows.prefix(Self.pageSize))
        let dead: [[String: Any]] = shown.map { notice in
            [
                "id": notice.id, "incident": notice.incidentID, "incident_path": Self.pathComponent(notice.incidentID), "kind": notice.kind,
                "dead_at": notice.deadAt.map(Self.time) ?? "", "channel": notice.channel?.rawValue ?? "", "attempts": notice.attempts,
                "error": notice.error ?? "",
            ]
        }
        var data: [String: Any] = [
            "dead": dead, "has_dead": !dead.isEmpty,
            "next_page": rows.count > Self.pageSize ? Self.value(shown.last.map { Self.link("/dead-letters", [("before", String($0.id))]) }) : false,
        ]
        if let replayed = request.uri.queryParameters["replayed"].flatMap({ Int(String($0)) }), replayed >= 0 {
            data["has_replayed"] = true
            data["replayed"] = replayed
            data["replayed_one"] = replayed == 1
        }
        return page(.deadLetters, nav: "nav_dead", data, request)
    }

    func bindings(_ request: Request) async throws -> Response {
        let after = request.uri.queryParameters["after"].flatMap { ConsoleBindingCursor(token: String($0)) }
        let rows = try await store.consoleBindings(after: after, limit: Self.pageSize + 1)
        let shown = Array(rows.prefix(Self.pageSize))
        let now = self.now
        let bindings: [[String: Any]] = shown.map { binding in
            let days = Int((binding.expiresAt.timeIntervalSince(now) / 86_400).rounded(.down))
            return [
                "days_left": days, "expired": days < 0, "soon": days >= 0 && days < 7, "expires_at": Self.time(binding.expiresAt),
                "account": binding.accountID, "account_query": Self.queryValue(binding.accountID), "user": binding.userID,
                "user_query": Self.queryValue(binding.userID), "exchange": binding.exchange, "label": binding.label ?? "",
                "key_hint": Self.value(binding.keyHint), "source": binding.expirySource ?? "",
            ]
        }
        let data: [String: Any] = [
            "bindings": bindings, "has_bindings": !bindings.isEmpty,
            "next_page": rows.count > Self.pageSize ? Self.value(shown.last.map { Self.link("/bindings", [("after", $0.cursor.token)]) }) : false,
        ]
        return page(.bindings, nav: "nav_bindings", data, request)
    }

    // MARK: Signing in, replaying

    func login(_ request: Request, failed: Bool) -> Response {
        guard adminToken != nil else { return Response(status: .seeOther, headers: [.location: Self.base]) }
        let html = pages.render(
            .login,
            ["base": Self.base, "csrf": session.csrf(for: "login"), "failed": failed, "session_hours": Int(ConsoleSession.lifetime / 3600)]
        )
        return Self.html(html, status: failed ? .unauthorized : .ok)
    }

    func signIn(_ request: Request) async throws -> Response {
        guard let adminToken else { return Response(status: .seeOther, headers: [.location: Self.base]) }
        let form = try await Self.form(request)
        try checkOrigin(request)
        guard session.isValidCSRF(form["csrf"], for: "login") else { throw HTTPError(.forbidden, message: "The form is stale: reload the page") }
        guard let presented = form["token"], ConstantTime.equals(presented, adminToken.value) else { return login(request, failed: true) }
        let secure = request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
        return Response(
            status: .seeOther,
            headers: [.location: Self.base, .setCookie: ConsoleSession.setCookie(session.issue(now: now), secure: secure), .cacheControl: "no-store"]
        )
    }

    func signOut(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        try checkPost(request, form: form)
        return Response(status: .seeOther, headers: [.location: Self.base + "/login", .setCookie: ConsoleSession.clearCookie])
    }

    func replay(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        try checkPost(request, form: form)
        let selection: DeadNoticeSelection
        if form["scope"] == "all" {
            selection = DeadNoticeSelection()
        } else {
            let ids = form.all("id").compactMap { Int64($0) }
            guard !ids.isEmpty else { throw HTTPError(.badRequest, message: "Select the notices to replay, or replay all") }
            selection = DeadNoticeSelection(ids: ids)
        }
        let requeued = try await notices.requeueDeadNotices(selection, now: now)
        if requeued > 0 { dependencies.chat?.noticesWakeup.poke() }
        return Response(status: .seeOther, headers: [.location: Self.base + "/dead-letters?replayed=\(requeued)"])
    }

    /// Who the request is, for its CSRF token: the session cookie, a presented bearer token, or
    /// the loopback operator when there is no token.
    func identity(_ request: Request) -> String {
        guard let adminToken else { return "loopback" }
        if let authorization = request.headers[.authorization], let presented = AdminAccessMiddleware<BasicRequestContext>.bearer(authorization),
            ConstantTime.equals(presented, adminToken.value)
        {
            return "bearer"
        }
        return session.validCookie(in: request.headers[.cookie], now: now) ?? "none"
    }

    func checkPost(_ request: Request, form: Form) throws {
        try checkOrigin(request)
        guard session.isValidCSRF(form["csrf"], for: identity(request)) else {
            throw HTTPError(.forbidden, message: "The form is stale or not from this console: reload the page")
        }
    }

    /// A browser names the page a form was posted from; it must be this console's own: the
    /// `Host` it asked, or the one a reverse proxy says it was asked (`X-Forwarded-Host`).
    func checkOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin] else { return }
        var hosts = [request.head.authority ?? ""]
        if let forwarded = request.headers[.init("X-Forwarded-Host")!] {
            hosts += forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard hosts.contains(where: { !$0.isEmpty && (origin == "http://\($0)" || origin == "https://\($0)") }) else {
            throw HTTPError(.forbidden, message: "The form was posted from another site")
        }
    }

    // MARK: Rendering

    func page(_ page: ConsolePages.Page, nav: String, _ data: [String: Any], _ request: Request) -> Response {
        var all = data
        all["page_\(page.rawValue)"] = true
        all[nav] = true
        all["base"] = Self.base
        all["version"] = BuildInfo.version
        all["generated_at"] = Self.time(now)
        all["csrf"] = session.csrf(for: identity(request))
        all["logout"] = adminToken != nil && session.validCookie(in: request.headers[.cookie], now: now) != nil
        return Self.html(pages.render(page, all), status: .ok)
    }

    static func html(_ html: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: securityHeaders(contentType: "text/html; charset=utf-8"),
            body: ResponseBody(byteBuffer: ByteBuffer(string: html))
        )
    }

    static func securityHeaders(contentType: String) -> HTTPFields {
        [
            .contentType: contentType,
            .cacheControl: "no-store",
            .contentSecurityPolicy:
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            .init("X-Content-Type-Options")!: "nosniff",
            // Not no-referrer: with it, browsers post forms with `Origin: null`, which the origin
            // check refuses. same-origin sends nothing to other sites.
            .init("Referrer-Policy")!: "same-origin",
            .init("X-Frame-Options")!: "DENY",
        ]
    }

    /// A value for a template section: the text, or false (which hides the section) for none.
    static func value(_ text: String?) -> Any { text.map { $0 as Any } ?? false }

    static func incidentRow(_ incident: ConsoleIncident) -> [String: Any] {
        [
            "id": incident.id, "id_path": pathComponent(incident.id), "user": incident.userID, "user_query": queryValue(incident.userID),
            "account": incident.accountID, "account_query": queryValue(incident.accountID), "exchange": incident.exchange,
            "cause": incident.cause, "robots": incident.robotCount, "opened_at": time(incident.openedAt), "open": incident.resolvedAt == nil,
            "resolved_at": incident.resolvedAt.map(time) ?? "", "resolution": incident.resolution ?? "",
        ]
    }

    /// `2026-12-06 04:15:00` (UTC, as the footer says).
    static func time(_ date: Date) -> String {
        Timestamp.format(date).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
    }

    /// `45s`, `3m 20s`, `2h 5m`, `3d 4h`.
    static func age(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds))
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return "\(total / 60)m \(total % 60)s"
        case ..<86_400: return "\(total / 3600)h \(total % 3600 / 60)m"
        default: return "\(total / 86_400)d \(total % 86_400 / 3600)h"
        }
    }

    /// RFC 3986's unreserved characters, ASCII only (`alphanumerics` would let other scripts through).
    static let queryAllowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func queryValue(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? "" }
    static func pathComponent(_ text: String) -> String { queryValue(text) }

    static func link(_ path: String, _ parameters: [(String, String)]) -> String {
        let query = parameters.map { "\($0.0)=\(queryValue($0.1))" }.joined(separator: "&")
        return base + path + (query.isEmpty ? "" : "?" + query)
    }

    // MARK: Forms

    /// An `application/x-www-form-urlencoded` body, as browsers post forms.
    struct Form {
        var pairs: [(String, String)]
        subscript(name: String) -> String? { pairs.first { $0.0 == name }?.1 }
        func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

        init(_ body: String) {
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            pairs = body.split(separator: "&").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
            }
        }
    }

    static func form(_ request: Request) async throws -> Form {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw HTTPError(.unsupportedMediaType, message: "The console takes its forms as application/x-www-form-urlencoded")
        }
        let body = try await IncomingBody.collect(request, limit: maxFormBytes)
        return Form(String(decoding: body, as: UTF8.self))
    }
}
