import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// The key form in a real browser: headless Chromium (Debian's, through its chromedriver)
/// opens the page as Telegram would, with the launch data in the URL fragment, at a phone's
/// 360 px, and `scripts/keyform-browser.py` fills it, submits and reports what the user sees.
/// Screenshots of each state go to `.build/keyform-screens/`.
///
/// Runs when `REBIND_BROWSER_PYTHON` names a Python with Selenium (`scripts/test.sh` sets it,
/// and `REBIND_BROWSER_TESTS=required`, under which a missing browser fails the run).
@Suite("The key form in a browser", .serialized)
struct KeyFormBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = ProcessInfo.processInfo.environment["REBIND_BROWSER_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static let required = ProcessInfo.processInfo.environment["REBIND_BROWSER_TESTS"] == "required"

    /// What the driver saw.
    struct Seen: Decodable {
        var state: String?
        var lang: String?
        var account: String?
        var status: String?
        var errors: [String: String?]
        var passphraseShown: Bool?
        var closeShown: Bool?
        var viewport: [String: Int]
        var consoleErrors: [String]
        var cspViolations: [String]
        var timeout: Bool?

        enum CodingKeys: String, CodingKey {
            case state, lang, account, status, errors, viewport, timeout
            case passphraseShown = "passphrase_shown"
            case closeShown = "close_shown"
            case consoleErrors = "console_errors"
            case cspViolations = "csp_violations"
        }
    }

    /// Opens the form for acc_42 launched at `authDate`, types `keys` and submits.
    static func open(
        _ name: String,
        world: ChatWorld,
        port: Int,
        authDate: Date,
        languageCode: String = "en",
        theme: String = ##"{"bg_color":"#ffffff","text_color":"#000000","button_color":"#2481cc","button_text_color":"#ffffff"}"##,
        keys: [String: String]
    ) async throws -> Seen? {
        guard let python else {
            if required { Issue.record("REBIND_BROWSER_TESTS=required but REBIND_BROWSER_PYTHON is not set (run scripts/test.sh)") }
            return nil
        }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let launch = KeyFormTests.launchData(authDate: authDate, languageCode: languageCode)
        let fragment = [
            "tgWebAppData=" + launch.addingPercentEncoding(withAllowedCharacters: allowed)!,
            "tgWebAppVersion=7.0", "tgWebAppPlatform=android",
            "tgWebAppThemeParams=" + theme.addingPercentEncoding(withAllowedCharacters: allowed)!,
        ].joined(separator: "&")
        let url = "http://127.0.0.1:\(port)/v1/keyform?account=acc_42#\(fragment)"
        let screens = root.appendingPathComponent(".build/keyform-screens")
        try FileManager.default.createDirectory(at: screens, withIntermediateDirectories: true)
        let finished = try await ChildProcess.run(
            python,
            arguments: [
                root.appendingPathComponent("scripts/keyform-browser.py").path, "--url", url, "--stdin-json",
                "--screenshot", screens.appendingPathComponent("\(name).png").path,
                "--screenshot-filled", screens.appendingPathComponent("\(name)-filled.png").path, "--timeout", "40",
            ],
            environment: ProcessInfo.processInfo.environment,
            directory: root.path,
            input: try JSONSerialization.data(withJSONObject: keys)
        )
        let errors = String(decoding: finished.errors, as: UTF8.self)
        try #require(finished.status == 0 || finished.status == 3, "the browser harness failed (\(finished.status)): \(errors)")
        return try JSONDecoder().decode(Seen.self, from: finished.output)
    }

    static let binanceKeys = ["api_key": FakeBinanceServer.apiKey, "api_secret": FakeBinanceServer.secret.value]

    @Test("Opened as Telegram opens it, filled and sent: the key reaches the platform and the page says so")
    func applied() async throws {
        let world = try await KeyFormTests.world()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let port = try #require(client.port)
            guard let seen = try await Self.open("applied", world: world, port: port, authDate: world.env.clock.now, keys: Self.binanceKeys)
            else { return }
            #expect(seen.state == "done")
            #expect(seen.lang == "en")
            #expect(seen.account?.contains("Replace the Binance API key") == true)
            #expect(seen.passphraseShown == false)
            #expect(seen.status?.contains("has the new key") == true)
            #expect(seen.closeShown == true)
            #expect(seen.viewport["width"] == 360)
            #expect(seen.cspViolations.isEmpty)
            #expect(seen.consoleErrors.isEmpty)
            #expect(world.platform?.appliedUpdates().count == 1)
        }
        try await world.shutdown()
    }

    @Test("An expired launch: the page says to reopen it from the chat, and nothing is checked")
    func expired() async throws {
        let world = try await KeyFormTests.world()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let port = try #require(client.port)
            let stale = world.env.clock.now.addingTimeInterval(-3600)
            guard let seen = try await Self.open("expired", world: world, port: port, authDate: stale, keys: Self.binanceKeys) else { return }
            #expect(seen.state == "failed")
            #expect(seen.status == "This form has expired. Close it and open it again from the chat.")
            #expect(seen.closeShown == true)
            #expect(seen.cspViolations.isEmpty)
            #expect(world.binance.checks() == 0)
            #expect(world.platform?.deliveries().isEmpty == true)
        }
        try await world.shutdown()
    }

    @Test("A refused key, in Chinese on a dark theme: the refusal in plain words, the form still there to try again")
    func refused() async throws {
        let world = try await KeyFormTests.world { $0.okx = .deletedKey }
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(exchange: "okx", locale: "zh-CN"), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let port = try #require(client.port)
            guard
                let seen = try await Self.open(
                    "refused-zh",
                    world: world,
                    port: port,
                    authDate: world.env.clock.now,
                    languageCode: "zh-hans",
                    theme:
                        ##"{"bg_color":"#17212b","text_color":"#f5f5f5","hint_color":"#708499","button_color":"#5288c1","button_text_color":"#ffffff","secondary_bg_color":"#232e3c"}"##,
                    keys: [
                        "api_key": FakeOKXServer.apiKey, "api_secret": FakeOKXServer.secret.value, "passphrase": FakeOKXServer.passphrase.value,
                    ]
                )
            else { return }
            #expect(seen.state == "refused")
            #expect(seen.lang == "zh-Hans")
            #expect(seen.passphraseShown == true)
            #expect(seen.status?.contains("交易所") == true)
            #expect(seen.cspViolations.isEmpty)
            #expect(world.platform?.deliveries().isEmpty == true)
            #expect(try await world.sqlite.failedChecks(accountID: "acc_42", since: .distantPast).count == 1)
        }
        try await world.shutdown()
    }
}
