import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// The console in a real browser: headless Chromium (Debian's, through its chromedriver),
/// driven by `scripts/console-browser.py`, signs in with the admin token, walks every page
/// over a short scenario (one guidance delivered after a 502, one refused for good) and
/// replays the dead letter with its button. Screenshots go to `.build/console-screens/`.
///
/// Runs when `REBIND_BROWSER_PYTHON` names a Python with Selenium (`scripts/test.sh` sets it,
/// and `REBIND_BROWSER_TESTS=required`, under which a missing browser fails the run).
@Suite("The console in a browser", .serialized)
struct ConsoleBrowserTests {
    struct Seen: Decodable {
        struct Overview: Decodable {
            var cards: [String: String]
            var url: String
        }
        struct IncidentPage: Decodable {
            var title: String
            var attemptOutcomes: [String]
            var text: String

            enum CodingKeys: String, CodingKey {
                case title, text
                case attemptOutcomes = "attempt_outcomes"
            }
        }

        var loginRedirect: Bool?
        var loginRefused: String?
        var overview: Overview
        var incidents: [String]
        var incident: IncidentPage?
        var bindings: [String]
        var deadLetters: [String]
        var afterReplay: String?
        var consoleErrors: [String]
        var cspViolations: [String]
        var scripts: Int

        enum CodingKeys: String, CodingKey {
            case overview, incidents, incident, bindings, scripts
            case loginRedirect = "login_redirect"
            case loginRefused = "login_refused"
            case deadLetters = "dead_letters"
            case afterReplay = "after_replay"
            case consoleErrors = "console_errors"
            case cspViolations = "csp_violations"
        }
    }

    @Test("Sign in, every page over a short scenario, and a replay through the button")
    func walk() async throws {
        guard let python = KeyFormBrowserTests.python else {
            if KeyFormBrowserTests.required {
                Issue.record("REBIND_BROWSER_TESTS=required but REBIND_BROWSER_PYTHON is not set (run scripts/test.sh)")
            }
            return
        }
        let world = try await ChatWorld.start(ChatWorld.Options(environment: ["REBIND_ADMIN_TOKEN": ConsoleTests.token]))
        try await world.application().test(.live) { client in
            // acc_42: delivered on the second try; acc_77: refused for good, dead-lettered.
            world.telegram.inject(.serverError(status: 502), times: 1, method: "sendMessage")
            try await world.sendEvent(ChatWorld.event(), id: "msg_browser_1", via: client)
            #expect(await NoticeReplayTests.eventually { world.botMessages().count == 1 })
            world.telegram.inject(.refuse(errorCode: 400, description: "Bad Request: can't parse entities"), times: 1, method: "sendMessage")
            try await world.sendEvent(ChatWorld.event(account: "acc_77", robot: "rb_9"), id: "msg_browser_2", via: client)
            #expect(await NoticeReplayTests.eventually { try await world.sqlite.deadNotices(limit: 10, beforeID: nil).count == 1 })
            // A key bound 56 days ago: Binance's 60 days leave it 4.
            #expect(
                try await world.sendEvent(
                    ExpiryWarningTests.created(account: "acc_55", label: "Spot", daysAgo: 56),
                    id: "msg_browser_3",
                    via: client
                ) == .accepted
            )

            try await world.env.adminApplication().test(.live) { admin in
                let port = try #require(admin.port)
                let screens = KeyFormBrowserTests.root.appendingPathComponent(".build/console-screens")
                let finished = try await ChildProcess.run(
                    python,
                    arguments: [
                        KeyFormBrowserTests.root.appendingPathComponent("scripts/console-browser.py").path,
                        "--base", "http://127.0.0.1:\(port)", "--screens", screens.path, "--token-stdin", "--timeout", "40",
                    ],
                    environment: ProcessInfo.processInfo.environment,
                    directory: KeyFormBrowserTests.root.path,
                    input: Data((ConsoleTests.token + "\n").utf8)
                )
                let errors = String(decoding: finished.errors, as: UTF8.self)
                try #require(finished.status == 0, "the browser harness failed (\(finished.status)): \(errors)")
                let seen = try JSONDecoder().decode(Seen.self, from: finished.output)
                #expect(seen.loginRedirect == true)
                #expect(seen.loginRefused == "That is not the admin token.")
                #expect(seen.overview.url == "/console")
                #expect(seen.overview.cards["Open incidents"] == "2")
                #expect(seen.overview.cards["Dead letters"] == "1")
                #expect(seen.overview.cards["Events today"] == "3")
                #expect(seen.incidents.count == 2)
                let incident = try #require(seen.incident)
                #expect(incident.title.hasPrefix("Incident"))
                #expect(!incident.attemptOutcomes.isEmpty)
                #expect(incident.text.contains("telegram:\(ChatWorld.chatID)"))
                #expect(!incident.text.contains(world.telegram.token.value))
                #expect(seen.bindings == ["acc_55"])
                #expect(seen.overview.cards["Keys expired or expiring within 7 days"] == "1")
                #expect(seen.deadLetters.count == 1)
                #expect(seen.afterReplay == "1 notice requeued.")
                #expect(seen.scripts == 0, "usable without JavaScript: there is none")
                #expect(seen.cspViolations.isEmpty)
                #expect(seen.consoleErrors.filter { !$0.contains("401") }.isEmpty, "\(seen.consoleErrors)")
            }
            // The replayed notice goes out, once.
            #expect(await NoticeReplayTests.eventually { world.botMessages().contains { $0.text.contains("Grid rb_9") } })
            try await world.settle(via: client)
            #expect(world.botMessages().filter { $0.text.contains("Grid rb_9") }.count == 1)
        }
        try await world.shutdown()
    }
}
