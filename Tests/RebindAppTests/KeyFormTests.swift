import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RebindApp
import RebindCore
import RebindCrypto
import RebindSimulator
import Testing

/// The Mini App key form (DESIGN §3) over real HTTP with the fakes: the launch data Telegram
/// signs, who may use it, every answer of `POST /v1/keyform`, what reaches the platform and
/// what the chat is told.
@Suite("The Mini App key form")
struct KeyFormTests {
    static let publicURL = "https://rebind.example.com"

    static func world(_ change: (inout ChatWorld.Options) -> Void = { _ in }) async throws -> ChatWorld {
        var options = ChatWorld.Options()
        options.publicURL = publicURL
        change(&options)
        return try await ChatWorld.start(options)
    }

    /// Launch data as Telegram makes it for `userID`, signed with the bot's token (`hash`
    /// replaced when `hash` is given), percent-encoded as Telegram sends it.
    static func launchData(
        userID: Int64 = ChatWorld.chatID,
        authDate: Date,
        languageCode: String = "en",
        token: Secret = FakeTelegramServer.defaultToken,
        hash: String? = nil
    ) -> String {
        var fields = [
            "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
            "user": #"{"id":\#(userID),"first_name":"Ann","language_code":"\#(languageCode)","allows_write_to_pm":true}"#,
            "auth_date": String(Int64(authDate.timeIntervalSince1970)),
        ]
        fields["hash"] = hash ?? TelegramInitData.signature(of: fields, botToken: token)
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
    }

    static func post(
        _ object: [String: Any],
        to path: String = "/v1/keyform",
        contentType: String = "application/json",
        via client: some TestClientProtocol
    ) async throws -> TestResponse {
        try await client.execute(
            uri: path,
            method: .post,
            headers: [.contentType: contentType],
            body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))
        )
    }

    /// A Binance key submission for acc_42 from the chat's user, launched just now.
    static func binanceKey(_ world: ChatWorld, secret: String = FakeBinanceServer.secret.value) -> [String: Any] {
        [
            "init_data": launchData(authDate: world.env.clock.now), "account_id": "acc_42",
            "api_key": FakeBinanceServer.apiKey, "api_secret": secret,
        ]
    }

    static func errorCode(_ response: TestResponse) -> String? {
        (response.json["error"] as? [String: Any])?["code"] as? String
    }

    static func errorMessage(_ response: TestResponse) -> String? {
        (response.json["error"] as? [String: Any])?["message"] as? String
    }

    // MARK: The page

    @Test("The page, its script and stylesheet are Rebind's own, with strict headers, in the asked language")
    func page() async throws {
        let world = try await Self.world()
        try await world.application().test(.live) { client in
            let page = try await client.execute(uri: "/v1/keyform?account=acc_42", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
            for directive in [
                "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "form-action 'self'",
                "frame-ancestors https://web.telegram.org",
            ] {
                #expect(policy.contains(directive))
            }
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            let html = String(buffer: page.body)
            #expect(html.contains(#"<html lang="en""#))
            // Relative, so a path prefix on REBIND_PUBLIC_URL (a proxy's /rebind/) is kept.
            #expect(html.contains(#"src="keyform/app.js""#) && html.contains(#"href="keyform/app.css""#))
            // No external resource: every src and href is Rebind's own path.
            #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("//telegram.org"))
            #expect(html.contains("API Key") && html.contains("Secret Key"))

            let chinese = try await client.execute(uri: "/v1/keyform?account=acc_42&locale=zh-Hans", method: .get)
            #expect(String(buffer: chinese.body).contains(#"<html lang="zh-Hans""#))
            let browser = try await client.execute(
                uri: "/v1/keyform?account=acc_42",
                method: .get,
                headers: [.acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8"]
            )
            #expect(String(buffer: browser.body).contains(#"<html lang="zh-Hans""#))

            let script = try await client.execute(uri: "/v1/keyform/app.js", method: .get)
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(String(buffer: script.body).contains("tgWebAppData"))
            let style = try await client.execute(uri: "/v1/keyform/app.css", method: .get)
            #expect(style.status == .ok && style.headers[.contentType] == "text/css; charset=utf-8")
        }
        try await world.shutdown()
    }

    @Test("Without REBIND_PUBLIC_URL there is no key form: no routes, no button")
    func off() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            #expect(try await client.execute(uri: "/v1/keyform?account=acc_42", method: .get).status == .notFound)
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            let guidance = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            #expect(!guidance.isEmpty)
            #expect(world.botMessages().allSatisfy { $0.webAppURLs.isEmpty })
            let ask = try #require(try await world.userSends("/update", replies: 1, via: client).only)
            #expect(ask.webAppURLs.isEmpty)
        }
        try await world.shutdown()
    }

    // MARK: The buttons

    @Test("Guidance and /update carry Enter key securely in a private chat, never in a group")
    func buttons() async throws {
        let world = try await Self.world()
        let group: Int64 = -100_200_300
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            try await world.sendEvent(ChatWorld.event(user: "u_group", chatID: group, account: "acc_9"), id: "msg_2", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 2)
            let guidance = try #require(world.botMessages().first)
            let url = "\(Self.publicURL)/v1/keyform?account=acc_42"
            // Beside Update API key, in the same row.
            let row = try #require(guidance.replyMarkup?.inlineKeyboard.first)
            #expect(row.map(\.text) == ["🔑 Update API key", "🔐 Enter key securely"])
            #expect(row.last?.webApp?.url == url)
            #expect(world.botMessages(chatID: group).count == 1)
            #expect(world.botMessages(chatID: group).allSatisfy { $0.webAppURLs.isEmpty })

            let ask = try #require(try await world.userSends("/update", replies: 1, via: client).only)
            #expect(ask.webAppURLs == [url])
        }
        try await world.shutdown()
    }

    // MARK: Submitting

    @Test("A good key: checked, sent to the platform, applied; the chat is told and an open key update there closed")
    func applied() async throws {
        let recorder = LogRecorder()
        let world = try await Self.world { $0.logger = recorder.logger() }
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            // The user began in the chat, then turned to the form.
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            #expect(try await world.hasConversation())

            let account = try await Self.post(
                ["init_data": Self.launchData(authDate: world.env.clock.now), "account_id": "acc_42"],
                to: "/v1/keyform/account",
                via: client
            )
            #expect(account.status == .ok)
            #expect(account.json["exchange"] as? String == "binance")
            #expect(account.json["exchange_name"] as? String == "Binance")
            // Known from a binding event; an incident alone does not name the account's label.
            #expect(account.json["label"] is NSNull)
            #expect(account.json["needs_passphrase"] as? Bool == false)
            #expect(account.json["locale"] as? String == "en")
            #expect((account.json["intro"] as? String)?.contains("Replace the Binance API key.") == true)
            let rules = try #require(account.json["rules"] as? [String: [String: Any]])
            #expect(rules["api_secret"]?["pattern"] as? String == "^[A-Za-z0-9]{64}$")
            #expect(rules["api_secret"]?["hint"] as? String == "A Binance secret key is 64 letters and digits.")

            let sent = world.botMessages().count
            let answer = try await Self.post(Self.binanceKey(world), via: client)
            #expect(answer.status == .ok)
            #expect(answer.json["result"] as? String == "applied")
            #expect(answer.json["key_hint"] as? String == String(FakeBinanceServer.apiKey.suffix(4)))
            #expect((answer.json["message"] as? String)?.contains("uTrading has the new key") == true)
            #expect(answer.headers[.cacheControl] == "no-store")

            let applied = try #require(world.platform?.appliedUpdates().only)
            #expect(applied.accountID == "acc_42")
            #expect(applied.credentials.apiKey == FakeBinanceServer.apiKey)
            #expect(applied.credentials.apiSecret == FakeBinanceServer.secret.value)
            #expect(applied.robotIDs == ["rb_7"])

            // The chat: the form's key noted, the open flow closed, then the platform's answer.
            let told = await world.telegram.waitForCalls(method: "sendMessage", count: sent + 2)
            #expect(told.count >= sent + 2)
            let texts = world.botMessages().dropFirst(sent).map(\.text)
            #expect(texts.first?.contains("The key ending in …Eh8A was entered in the secure form and works for trading.") == true)
            #expect(texts.first?.contains("The key update started in this chat is closed") == true)
            #expect(texts.last?.contains("has the new key") == true)
            #expect(try await !world.hasConversation())
            // A paste now is not taken as the old flow's secret.
            let after = try await world.userSends(FakeBinanceServer.secret.value, replies: 1, via: client).map(\.text)
            #expect(after.first?.contains("/update") == true)
            #expect(world.platform?.appliedUpdates().count == 1)
        }
        try await world.shutdown()
        for secret in [FakeBinanceServer.secret.value, FakeBinanceServer.apiKey] {
            #expect(recorder.lines(containing: secret).isEmpty, "a log line holds …\(secret.suffix(4))")
        }
        for file in try FileManager.default.contentsOfDirectory(at: world.env.directory, includingPropertiesForKeys: nil) {
            let bytes = try Data(contentsOf: file)
            for secret in [FakeBinanceServer.secret.value, FakeBinanceServer.apiKey] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file.lastPathComponent) holds …\(secret.suffix(4))")
            }
        }
    }

    @Test("A platform that does not take the first attempt: queued, and the chat says when it has the key")
    func queued() async throws {
        let world = try await Self.world { $0.platform = .failFirst(1, status: 503) }
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let answer = try await Self.post(Self.binanceKey(world), via: client)
            #expect(answer.status == .ok)
            #expect(answer.json["result"] as? String == "queued")
            #expect((answer.json["message"] as? String)?.contains("on its way to the platform") == true)
            #expect(await SecretLeakTests.waitUntil { world.botMessages().contains { $0.text.contains("has the new key") } })
            #expect(world.platform?.appliedUpdates().count == 1)
        }
        try await world.shutdown()
    }

    @Test("A second key while the first is still on its way: 409, and only the first reaches the platform")
    func inProgress() async throws {
        let world = try await Self.world {
            $0.platform = .hang
            $0.keyFormAnswerWait = .milliseconds(300)
        }
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let first = try await Self.post(Self.binanceKey(world), via: client)
            #expect(first.json["result"] as? String == "queued")
            let second = try await Self.post(Self.binanceKey(world), via: client)
            #expect(second.status == .conflict)
            #expect(Self.errorCode(second) == "update_in_progress")
            #expect(world.binance.checks() == 1, "refused before the exchange is asked again")
        }
        try await world.shutdown()
    }

    @Test("A key the platform refuses: 422 platform_refused, finish on the web")
    func platformRefused() async throws {
        let world = try await Self.world { $0.platform = .refuse() }
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let answer = try await Self.post(Self.binanceKey(world), via: client)
            #expect(answer.status == .unprocessableContent)
            #expect(Self.errorCode(answer) == "platform_refused")
            #expect(Self.errorMessage(answer)?.contains("did not accept the key from here") == true)
        }
        try await world.shutdown()
    }

    @Test("Standalone: the key is stored here and the chat says to enter it on the platform too")
    func stored() async throws {
        let world = try await Self.world { $0.platform = nil }
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let answer = try await Self.post(Self.binanceKey(world), via: client)
            #expect(answer.status == .ok)
            #expect(answer.json["result"] as? String == "stored")
            #expect(try await world.storedCredentials() == ["acc_42"])
            #expect(await SecretLeakTests.waitUntil { world.botMessages().contains { $0.text.contains("stored encrypted") } })
        }
        try await world.shutdown()
    }

    // MARK: Refusals

    @Test("Launch data that is stale, from the future, tampered, signed by another bot or missing: 401, nothing checked")
    func launchRefused() async throws {
        let world = try await Self.world()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let now = world.env.clock.now
            let tampered = Self.launchData(authDate: now).replacingOccurrences(of: "%22id%22%3A\(ChatWorld.chatID)", with: "%22id%22%3A555")
            let cases: [(String, String?)] = [
                ("stale", Self.launchData(authDate: now.addingTimeInterval(-601))),
                ("future", Self.launchData(authDate: now.addingTimeInterval(120))),
                ("tampered", tampered),
                ("another bot", Self.launchData(authDate: now, token: Secret("7000000001:AAFakeBotTokenForRebindTests-0123456789"))),
                ("no hash", Self.launchData(authDate: now).split(separator: "&").filter { !$0.hasPrefix("hash=") }.joined(separator: "&")),
                ("missing", nil),
            ]
            for (name, data) in cases {
                var body = Self.binanceKey(world)
                body["init_data"] = data
                let answer = try await Self.post(body, via: client)
                #expect(answer.status == .unauthorized, "\(name)")
                #expect(Self.errorCode(answer) == "init_data_invalid", "\(name)")
                #expect(Self.errorMessage(answer) == "This form has expired. Close it and open it again from the chat.", "\(name)")
            }
            // Within the age bound, an earlier launch is fine.
            var recent = Self.binanceKey(world)
            recent["init_data"] = Self.launchData(authDate: now.addingTimeInterval(-590))
            #expect(try await Self.post(recent, to: "/v1/keyform/account", via: client).status == .ok)
            #expect(world.binance.checks() == 0)
            #expect(world.platform?.deliveries().isEmpty == true)
        }
        try await world.shutdown()
    }

    @Test("Another user's account, or a Telegram user linked to nobody: 403")
    func notYours() async throws {
        let world = try await Self.world()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            // Another trader, whose chat is 555.
            try await world.sendEvent(ChatWorld.event(user: "u_2002", chatID: 555, account: "acc_77"), id: "msg_2", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 2)
            let now = world.env.clock.now
            for (user, account) in [(Int64(555), "acc_42"), (ChatWorld.chatID, "acc_77"), (Int64(777_000), "acc_42"), (ChatWorld.chatID, "acc_nope")]
            {
                var body = Self.binanceKey(world)
                body["init_data"] = Self.launchData(userID: user, authDate: now)
                body["account_id"] = account
                let answer = try await Self.post(body, via: client)
                #expect(answer.status == .forbidden, "user \(user), \(account)")
                #expect(Self.errorCode(answer) == "not_your_account")
                #expect(Self.errorMessage(answer) == "That account is not one you may update from here.")
                #expect(try await Self.post(body, to: "/v1/keyform/account", via: client).status == .forbidden)
            }
            #expect(world.binance.checks() == 0)
            #expect(world.platform?.deliveries().isEmpty == true)
        }
        try await world.shutdown()
    }

    @Test("Bad bodies: a field that fails the chat's format check names it (400); over 64 KiB 413; not JSON 415 or 400")
    func badBodies() async throws {
        let world = try await Self.world()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let short = try await Self.post(Self.binanceKey(world, secret: "abc"), via: client)
            #expect(short.status == .badRequest)
            #expect(Self.errorCode(short) == "invalid_field")
            #expect((short.json["error"] as? [String: Any])?["field"] as? String == "api_secret")
            #expect(Self.errorMessage(short) == "A Binance secret key is 64 letters and digits; this has 3 characters.")
            // A stray space and a line break from the paste are no problem.
            var both = Self.binanceKey(world)
            both["api_key"] = "\(FakeBinanceServer.apiKey) \(FakeBinanceServer.secret.value)"
            let twice = try await Self.post(both, via: client)
            #expect((twice.json["error"] as? [String: Any])?["field"] as? String == "api_key")

            var big = Self.binanceKey(world)
            big["api_secret"] = String(repeating: "A", count: 70_000)
            #expect(try await Self.post(big, via: client).status == .contentTooLarge)
            #expect(try await Self.post(Self.binanceKey(world), contentType: "text/plain", via: client).status == .unsupportedMediaType)
            let broken = try await client.execute(
                uri: "/v1/keyform",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"init_data": 5"#)
            )
            #expect(broken.status == .badRequest)
            #expect(world.binance.checks() == 0)
        }
        try await world.shutdown()
    }

    @Test("A refused key: 422 with its cause, counted like the chat's; after five, 429; the platform gets nothing")
    func refused() async throws {
        let world = try await Self.world { $0.binance = .deletedKey }
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            for _ in 1...5 {
                let answer = try await Self.post(Self.binanceKey(world), via: client)
                #expect(answer.status == .unprocessableContent)
                #expect(Self.errorCode(answer) == "key_refused")
                #expect((answer.json["error"] as? [String: Any])?["cause"] as? String == "key_deleted")
                #expect(Self.errorMessage(answer)?.contains("The exchange does not know this key") == true)
            }
            #expect(try await world.sqlite.failedChecks(accountID: "acc_42", since: .distantPast).count == 5)
            let limited = try await Self.post(Self.binanceKey(world), via: client)
            #expect(limited.status == .tooManyRequests)
            #expect(Self.errorCode(limited) == "too_many_attempts")
            #expect(world.binance.checks() == 5)
            #expect(world.platform?.deliveries().isEmpty == true)
        }
        try await world.shutdown()
    }

    @Test("A key of another exchange account: 422 account_mismatch")
    func mismatch() async throws {
        let world = try await Self.world()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(exchangeUID: "111222333"), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let answer = try await Self.post(Self.binanceKey(world), via: client)
            #expect(answer.status == .unprocessableContent)
            #expect((answer.json["error"] as? [String: Any])?["cause"] as? String == "account_mismatch")
            #expect(Self.errorMessage(answer)?.contains("different Binance account") == true)
            #expect(world.platform?.deliveries().isEmpty == true)
        }
        try await world.shutdown()
    }

    @Test("An exchange that cannot be reached: 503 check_unavailable, nothing counted")
    func unavailable() async throws {
        let world = try await Self.world { $0.binance = .unavailable }
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let answer = try await Self.post(Self.binanceKey(world), via: client)
            #expect(answer.status == .serviceUnavailable)
            #expect(Self.errorCode(answer) == "check_unavailable")
            #expect(try await world.sqlite.failedChecks(accountID: "acc_42", since: .distantPast).isEmpty)
            #expect(world.platform?.deliveries().isEmpty == true)
        }
        try await world.shutdown()
    }

    @Test("The form speaks the chat's language: Chinese words for a Chinese trader")
    func chinese() async throws {
        let world = try await Self.world()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(exchange: "okx", locale: "zh-CN"), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            var body = Self.binanceKey(world)
            body["init_data"] = Self.launchData(authDate: world.env.clock.now, languageCode: "zh-hans")
            let account = try await Self.post(body, to: "/v1/keyform/account", via: client)
            #expect(account.json["locale"] as? String == "zh-Hans")
            #expect(account.json["needs_passphrase"] as? Bool == true)
            #expect(account.json["exchange_name"] as? String == "欧易（OKX）")
            let rules = try #require(account.json["rules"] as? [String: [String: Any]])
            #expect((rules["passphrase"]?["hint"] as? String)?.hasPrefix("欧易（OKX）的 Passphrase 为 8–32 位") == true)
            body["api_key"] = FakeOKXServer.apiKey
            body["api_secret"] = FakeOKXServer.secret.value
            body["passphrase"] = "short"
            let answer = try await Self.post(body, via: client)
            #expect(answer.status == .badRequest)
            #expect((answer.json["error"] as? [String: Any])?["field"] as? String == "passphrase")
            #expect(Self.errorMessage(answer)?.contains("8–32") == true)
        }
        try await world.shutdown()
    }
}
