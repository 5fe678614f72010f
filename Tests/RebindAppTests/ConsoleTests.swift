import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// The operator's console (DESIGN §11) over a short real scenario: a guidance message, a
/// refusal, a dead letter replayed by the form, and who may see and post.
@Suite("The operator's console")
struct ConsoleTests {
    static let token = "adm_3c9e1f0b6d2a4e8c9b7f5a1d0e6c2b4a"

    /// The hidden CSRF field of a page's form.
    static func csrf(in html: String) -> String? {
        guard let match = html.firstMatch(of: /name="csrf" value="([^"]+)"/) else { return nil }
        return String(match.1)
    }

    static func post(
        _ path: String,
        form: String,
        headers: HTTPFields = [:],
        via client: some TestClientProtocol
    ) async throws -> TestResponse {
        var all = headers
        all[.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(uri: path, method: .post, headers: all, body: ByteBuffer(string: form))
    }

    @Test("Overview, incidents and one incident in full: events, every delivery attempt and its error, the chat — never a secret")
    func pages() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            // The first try is refused for now (5xx), the retry delivers.
            world.telegram.inject(.serverError(status: 502), times: 1, method: "sendMessage")
            try await world.sendEvent(ChatWorld.event(), id: "msg_console_1", via: client)
            #expect(await NoticeReplayTests.eventually { world.botMessages().count == 1 })
            #expect(await NoticeReplayTests.eventually { try await world.sqlite.pendingNotices().isEmpty })
            let incident = try #require(try await world.sqlite.consoleIncidents(.init(), after: nil, limit: 5).first)

            try await world.env.adminApplication().test(.router) { admin in
                let overview = try await admin.execute(uri: "/console", method: .get)
                #expect(overview.status == .ok)
                #expect(overview.headers[.contentType] == "text/html; charset=utf-8")
                #expect(overview.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                let overviewHTML = String(buffer: overview.body)
                #expect(overviewHTML.contains("Open incidents"))
                #expect(overviewHTML.contains(#"<span class="badge active">active</span>"#), "telegram is active")
                #expect(!overviewHTML.contains("<script"))

                let list = String(buffer: try await admin.execute(uri: "/console/incidents?state=open", method: .get).body)
                #expect(list.contains(incident.id))
                #expect(list.contains("u_1001") && list.contains("acc_42"))
                let resolved = String(buffer: try await admin.execute(uri: "/console/incidents?state=resolved", method: .get).body)
                #expect(!resolved.contains(incident.id))
                let byUser = String(buffer: try await admin.execute(uri: "/console/incidents?user=u_nobody", method: .get).body)
                #expect(byUser.contains("No incident matches."))

                let page = try await admin.execute(uri: "/console/incidents/\(incident.id)", method: .get)
                #expect(page.status == .ok)
                let html = String(buffer: page.body)
                #expect(html.contains("msg_console_1"), "the event that opened it")
                #expect(html.contains("telegram:\(ChatWorld.chatID)"))
                // Both attempts, the failed one with its error, then the delivery.
                #expect(html.contains(#"<span class="badge transient">transient</span>"#), "\(html)")
                #expect(html.contains("502"))
                #expect(html.contains(#"<span class="badge delivered">delivered</span>"#))
                #expect(try await admin.execute(uri: "/console/incidents/inc_missing", method: .get).status == .notFound)
                let css = try await admin.execute(uri: "/console/console.css", method: .get)
                #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            }
        }
        try await world.shutdown()
    }

    @Test("A dead letter is replayed through the console's form, with its CSRF token, and delivered once")
    func replayButton() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            world.telegram.inject(.refuse(errorCode: 400, description: "Bad Request: can't parse entities"), times: 1, method: "sendMessage")
            try await world.sendEvent(ChatWorld.event(), id: "msg_dead_1", via: client)
            #expect(await NoticeReplayTests.eventually { try await world.sqlite.deadNotices(limit: 10, beforeID: nil).count == 1 })
            let dead = try #require(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).first)

            try await world.env.adminApplication().test(.router) { admin in
                let page = String(buffer: try await admin.execute(uri: "/console/dead-letters", method: .get).body)
                #expect(page.contains("can&#39;t parse entities") || page.contains("can't parse entities"), "\(page)")
                let csrf = try #require(Self.csrf(in: page))
                // Without the token, with a wrong one, or from another site: refused.
                #expect(try await Self.post("/console/dead-letters/replay", form: "id=\(dead.id)", via: admin).status == .forbidden)
                #expect(try await Self.post("/console/dead-letters/replay", form: "csrf=x&id=\(dead.id)", via: admin).status == .forbidden)
                #expect(
                    try await Self.post(
                        "/console/dead-letters/replay",
                        form: "csrf=\(csrf)&id=\(dead.id)",
                        headers: [.origin: "https://evil.example"],
                        via: admin
                    ).status == .forbidden
                )
                #expect(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).count == 1)
                let replayed = try await Self.post("/console/dead-letters/replay", form: "csrf=\(csrf)&id=\(dead.id)&scope=selected", via: admin)
                #expect(replayed.status == .seeOther)
                #expect(replayed.headers[.location] == "/console/dead-letters?replayed=1")
                let after = String(buffer: try await admin.execute(uri: "/console/dead-letters?replayed=1", method: .get).body)
                #expect(after.contains("1 notice requeued."))
                #expect(after.contains("No dead letters."))
            }
            #expect(await NoticeReplayTests.eventually { world.botMessages().count == 1 })
            try await world.settle(via: client)
            #expect(world.botMessages().filter { $0.text.contains("Binance") }.count == 1)
        }
        try await world.shutdown()
    }

    @Test("With REBIND_ADMIN_TOKEN: signed out goes to the login form; the token sets an HttpOnly, SameSite=Strict session that expires")
    func login() async throws {
        let env = try TestEnvironment(environment: ["REBIND_ADMIN_TOKEN": Self.token])
        try await env.adminApplication().test(.router) { admin in
            let signedOut = try await admin.execute(uri: "/console/incidents", method: .get)
            #expect(signedOut.status == .seeOther)
            #expect(signedOut.headers[.location] == "/console/login")
            // Not an HTML page: the JSON routes keep their 401.
            #expect(try await admin.execute(uri: "/metrics", method: .get).status == .unauthorized)
            let form = try await admin.execute(uri: "/console/login", method: .get)
            #expect(form.status == .ok)
            let csrf = try #require(Self.csrf(in: String(buffer: form.body)))

            let wrong = try await Self.post("/console/login", form: "csrf=\(csrf)&token=adm_wrong", via: admin)
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body).contains("That is not the admin token."))
            #expect(wrong.headers[.setCookie] == nil)
            #expect(try await Self.post("/console/login", form: "token=\(Self.token)", via: admin).status == .forbidden, "no CSRF token")

            // Behind a reverse proxy the browser's Origin is the proxy's name, which it forwards.
            let proxied: HTTPFields = [.origin: "https://ops.example", HTTPField.Name("X-Forwarded-Host")!: "ops.example"]
            #expect(try await Self.post("/console/login", form: "csrf=\(csrf)&token=\(Self.token)", headers: proxied, via: admin).status == .seeOther)
            let elsewhere: HTTPFields = [.origin: "https://evil.example", HTTPField.Name("X-Forwarded-Host")!: "ops.example"]
            #expect(
                try await Self.post("/console/login", form: "csrf=\(csrf)&token=\(Self.token)", headers: elsewhere, via: admin).status == .forbidden
            )

            let signedIn = try await Self.post("/console/login", form: "csrf=\(csrf)&token=\(Self.token)", via: admin)
            #expect(signedIn.status == .seeOther)
            let setCookie = try #require(signedIn.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/console"))
            #expect(!setCookie.contains(Self.token), "the cookie is not the token")
            let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))

            let page = try await admin.execute(uri: "/console", method: .get, headers: [.cookie: cookie])
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("Sign out"))
            // The cookie opens the console only, not the JSON routes.
            #expect(try await admin.execute(uri: "/metrics", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
            // A tampered cookie, or one after its 12 hours, is no session.
            let tampered = cookie.dropLast(2) + "xx"
            #expect(try await admin.execute(uri: "/console", method: .get, headers: [.cookie: String(tampered)]).status == .seeOther)
            // The bearer token works too, as for every admin route.
            #expect(try await admin.execute(uri: "/console", method: .get, headers: [.authorization: "Bearer \(Self.token)"]).status == .ok)

            // Signing out needs the session's CSRF token and clears the cookie.
            let sessionCSRF = try #require(Self.csrf(in: html))
            #expect(try await Self.post("/console/logout", form: "csrf=\(csrf)", headers: [.cookie: cookie], via: admin).status == .forbidden)
            let out = try await Self.post("/console/logout", form: "csrf=\(sessionCSRF)", headers: [.cookie: cookie], via: admin)
            #expect(out.status == .seeOther)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)

            env.clock.advance(by: 12 * 3600 + 1)
            #expect(try await admin.execute(uri: "/console", method: .get, headers: [.cookie: cookie]).status == .seeOther)
        }
    }

    @Test("Without a token, the console answers only requests addressed to a loopback host")
    func loopbackOnly() async throws {
        let env = try TestEnvironment()
        try await env.adminApplication().test(.live) { client in
            let port = try #require(client.port)
            let evil = try await AdminListenerTests.get("/console", host: "rebind.attacker.example:\(port)", port: port)
            #expect(evil.hasPrefix("HTTP/1.1 421"))
            let local = try await AdminListenerTests.get("/console", host: "127.0.0.1:\(port)", port: port)
            #expect(local.hasPrefix("HTTP/1.1 200"))
            #expect(local.contains("Overview"))
        }
    }
}
