import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import RebindCore
import RebindCrypto
import RebindHTTP
import RebindRendering
import RebindSQLite
import RebindSimulator
import RebindSlack
import Synchronization
import Testing

@testable import RebindApp

/// The OAuth v2 install through real HTTP: the controller alone on a router, Slack played by
/// `FakeSlackServer` over the real libcurl client, installations kept in SQLite.
@Suite("Slack OAuth install")
struct SlackInstallTests {
    static let teamID = "T0INSTALL1"
    static let redirectURL = "https://rebind.example.com/v1/slack/oauth/callback"

    /// Everything one install needs, with the clock and the log lines in the test's hands.
    struct World {
        let fake: FakeSlackServer
        let store: SQLiteStore
        let databasePath: String
        let envelope: SecretEnvelope
        let clock: TestClock
        let logs: LogRecorder
        let installed: Installed
        let controller: SlackInstallController

        final class Installed: Sendable {
            private let teams = Mutex<[String]>([])
            var all: [String] { teams.withLock { $0 } }
            func record(_ teamID: String) { teams.withLock { $0.append(teamID) } }
        }

        static func with(redirectURL: String? = SlackInstallTests.redirectURL, _ body: @Sendable (World) async throws -> Void) async throws {
            try await FakeSlackServer.withServer { fake in
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-slack-install-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                let databasePath = directory.appendingPathComponent("rebind.sqlite").path
                let store = try SQLiteStore(configuration: .init(path: databasePath))
                let key = try SecretEnvelope.Key(base64: Secret(Data(repeating: 7, count: 32).base64EncodedString()), variable: "TEST")
                let envelope = SecretEnvelope(current: key)
                let clock = TestClock(TestEnvironment.start)
                let logs = LogRecorder()
                let installed = Installed()
                let transport = try CurlTransport(configuration: .init(connectTimeout: 2, timeout: 5), logger: logs.logger(label: "test.curl"))
                let replies = try GuidanceRenderer(templatesDirectory: TestEnvironment.templatesDirectory).replies
                let controller = SlackInstallController(
                    settings: RebindConfiguration.SlackOAuthSettings(
                        clientID: fake.clientID,
                        clientSecret: fake.clientSecret,
                        authorizeURL: "https://slack.com/oauth/v2/authorize",
                        redirectURL: redirectURL
                    ),
                    oauth: SlackOAuth(
                        baseURL: fake.baseURL,
                        clientID: fake.clientID,
                        clientSecret: fake.clientSecret,
                        transport: transport,
                        logger: logs.logger(label: "test.slack")
                    ),
                    store: store,
                    envelope: envelope,
                    stateSecret: Secret("state-key-for-tests-0123456789abcdef"),
                    now: { clock.now },
                    replies: replies,
                    matcher: replies.matcher(defaultLocale: "en"),
                    onInstalled: { installed.record($0) }
                )
                try await body(
                    World(
                        fake: fake,
                        store: store,
                        databasePath: databasePath,
                        envelope: envelope,
                        clock: clock,
                        logs: logs,
                        installed: installed,
                        controller: controller
                    )
                )
            }
        }

        func application() -> some ApplicationProtocol {
            let router = Router()
            controller.addRoutes(to: router)
            return Application(router: router, logger: logs.logger(label: "test.app"))
        }

        /// Every stored byte: the database and its write-ahead log.
        func databaseBytes() -> Data {
            ["", "-wal"].reduce(into: Data()) { bytes, suffix in
                bytes.append((try? Data(contentsOf: URL(fileURLWithPath: databasePath + suffix))) ?? Data())
            }
        }

        var oauthCalls: Int { fake.calls(method: SlackOAuth.methodName).count }
    }

    /// What `GET /v1/slack/install` hands the browser.
    struct Started {
        var location: URLComponents
        var state: String
        var cookie: String

        var nonce: String { String(state.split(separator: ".")[1]) }
        var cookieHeader: HTTPFields { [.cookie: "\(SlackInstallController.cookieName)=\(cookie)"] }
    }

    static func start(via client: some TestClientProtocol) async throws -> Started {
        try await client.execute(uri: "/v1/slack/install", method: .get) { response in
            #expect(response.status == .found)
            let location = try #require(response.headers[.location].flatMap(URLComponents.init(string:)))
            let state = try #require(location.queryItems?.first { $0.name == "state" }?.value)
            let setCookie = try #require(response.headers[values: .setCookie].first)
            let pair = try #require(setCookie.split(separator: ";").first)
            #expect(pair.hasPrefix("\(SlackInstallController.cookieName)="))
            return Started(location: location, state: state, cookie: String(pair.dropFirst(SlackInstallController.cookieName.count + 1)))
        }
    }

    static func callbackURI(_ query: [(String, String)]) -> String {
        "/v1/slack/oauth/callback?" + query.map { "\($0)=\(SlackInstallController.percentEncoded($1))" }.joined(separator: "&")
    }

    /// The page and status the browser gets back from Slack's redirect.
    static func callback(
        _ query: [(String, String)],
        headers: HTTPFields = [:],
        via client: some TestClientProtocol
    ) async throws -> (
        HTTPResponse.Status, String
    ) {
        try await client.execute(uri: callbackURI(query), method: .get, headers: headers) { response in
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let cleared = response.headers[values: .setCookie].contains {
                $0.hasPrefix("\(SlackInstallController.cookieName)=;") && $0.contains("Max-Age=0")
            }
            #expect(cleared, "the install cookie is cleared")
            return (response.status, String(buffer: response.body))
        }
    }

    @Test("An approved install stores the workspace's bot token sealed, tells the app, and says where it is installed")
    func install() async throws {
        try await World.with { world in
            try await world.application().test(.router) { client in
                let started = try await Self.start(via: client)
                let code = world.fake.authorize(
                    teamID: Self.teamID,
                    teamName: "Grid <Desk> & \"Co\"",
                    installer: "U0ADMIN001",
                    redirectURI: Self.redirectURL
                )
                let (status, page) = try await Self.callback([("code", code), ("state", started.state)], headers: started.cookieHeader, via: client)
                #expect(status == .ok)
                #expect(page.contains("Rebind is installed in Grid &lt;Desk&gt; &amp; &quot;Co&quot;"))
                #expect(!page.contains(code))
            }
            let installation = try #require(try await world.store.slackInstallation(teamID: Self.teamID))
            #expect(installation.teamName == "Grid <Desk> & \"Co\"")
            #expect(installation.botUserID == world.fake.workspaces().first { $0.teamID == Self.teamID }?.botUserID)
            #expect(installation.installedAt == TestEnvironment.start)
            #expect(world.installed.all == [Self.teamID])

            // The sealed token opens, for this workspace only, to a token the fake honours for it.
            let sealed = installation.sealedToken
            let token = try world.envelope.open(sealed, as: SlackInstallation.context(teamID: Self.teamID), Secret.self)
            #expect(token.value.hasPrefix("xoxb-"))
            #expect(throws: SecretEnvelope.Error.cannotOpen) {
                try world.envelope.open(sealed, as: SlackInstallation.context(teamID: FakeSlackServer.defaultWorkspace.teamID), Secret.self)
            }
            let auth = try await SlackClient(baseURL: world.fake.baseURL, token: token, transport: try CurlTransport()).authTest()
            #expect(auth.teamID == Self.teamID)

            // Neither the stored bytes nor a log line hold the token, the code or the client secret.
            let stored = world.databaseBytes()
            #expect(!stored.isEmpty)
            #expect(stored.range(of: Data(token.value.utf8)) == nil)
            #expect(installation.sealedToken.data.range(of: Data(token.value.utf8)) == nil)
            for secret in [token.value, world.fake.clientSecret.value] {
                #expect(world.logs.lines(containing: secret).isEmpty)
            }
            #expect(world.logs.all.contains { $0.hasPrefix("info") && $0.contains("Slack workspace installed") && $0.contains(Self.teamID) })
        }
    }

    @Test("The install redirects to Slack's authorize page with the client id, the bot scopes, a signed state and the redirect URL, encoded")
    func redirect() async throws {
        try await World.with { world in
            try await world.application().test(.router) { client in
                try await client.execute(uri: "/v1/slack/install", method: .get) { response in
                    #expect(response.status == .found)
                    let location = try #require(response.headers[.location])
                    #expect(location.hasPrefix("https://slack.com/oauth/v2/authorize?client_id="))
                    #expect(location.contains("scope=chat%3Awrite%2Cim%3Awrite%2Cim%3Ahistory%2Ccommands"))
                    #expect(location.contains("redirect_uri=https%3A%2F%2Frebind.example.com%2Fv1%2Fslack%2Foauth%2Fcallback"))
                    let items = try #require(URLComponents(string: location)?.queryItems)
                    let query = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
                    #expect(query["client_id"] == world.fake.clientID)
                    #expect(query["scope"] == "chat:write,im:write,im:history,commands,users:read")
                    #expect(query["redirect_uri"] == Self.redirectURL)
                    let state = try #require(query["state"])
                    let parts = state.split(separator: ".").map(String.init)
                    #expect(parts.count == 3)
                    #expect(parts.first == String(Int64(TestEnvironment.start.timeIntervalSince1970)))
                    #expect(parts.dropFirst().allSatisfy { $0.allSatisfy(SlackInstallController.isBase64URL) })

                    let cookie = try #require(response.headers[values: .setCookie].first)
                    #expect(cookie.hasPrefix("\(SlackInstallController.cookieName)=\(parts[1]);"))
                    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Max-Age=600", "Path=/"] {
                        #expect(cookie.contains(attribute), "\(attribute) in \(cookie)")
                    }
                    #expect(response.headers[.cacheControl] == "no-store")
                }
                // Each install gets its own state.
                let first = try await Self.start(via: client)
                let second = try await Self.start(via: client)
                #expect(first.state != second.state)
            }
            #expect(world.oauthCalls == 0)
        }
    }

    @Test("Without a configured redirect URL, the authorize URL names none and the code is exchanged without one")
    func noRedirectURL() async throws {
        try await World.with(redirectURL: nil) { world in
            try await world.application().test(.router) { client in
                let started = try await Self.start(via: client)
                #expect(started.location.queryItems?.contains { $0.name == "redirect_uri" } == false)
                let code = world.fake.authorize(teamID: Self.teamID, teamName: "Grid Desk", installer: "U0ADMIN001")
                let (status, page) = try await Self.callback([("code", code), ("state", started.state)], headers: started.cookieHeader, via: client)
                #expect(status == .ok)
                #expect(page.contains("Rebind is installed in Grid Desk"))
            }
            #expect(try await world.store.slackInstallation(teamID: Self.teamID) != nil)
        }
    }

    @Test("A forged or altered state is refused with 400 before the code is spent")
    func forgedState() async throws {
        try await World.with { world in
            try await world.application().test(.router) { client in
                let started = try await Self.start(via: client)
                let code = world.fake.authorize(teamID: Self.teamID, teamName: "Grid Desk", installer: "U0ADMIN001", redirectURI: Self.redirectURL)
                let parts = started.state.split(separator: ".").map(String.init)
                let otherKey = SlackInstallController(
                    settings: world.controller.settings,
                    oauth: world.controller.oauth,
                    store: world.store,
                    envelope: world.envelope,
                    stateSecret: Secret("someone-elses-key"),
                    now: { world.clock.now },
                    replies: world.controller.replies,
                    matcher: world.controller.matcher,
                    onInstalled: { _ in }
                )
                let forgeries = [
                    otherKey.signState(issued: Int64(parts[0])!, nonce: started.nonce),
                    "\(Int64(parts[0])! + 60).\(parts[1]).\(parts[2])",
                    "\(parts[0]).\(parts[1]).\(String(parts[2].reversed()))",
                    "\(parts[0]).\(parts[1])",
                    "+\(parts[0]).\(parts[1]).\(parts[2])",
                    "not-a-state",
                ]
                for state in forgeries {
                    let (status, page) = try await Self.callback([("code", code), ("state", state)], headers: started.cookieHeader, via: client)
                    #expect(status == .badRequest, "\(state)")
                    #expect(page.contains("not valid"))
                    #expect(!page.contains(code))
                }
            }
            #expect(world.oauthCalls == 0)
            #expect(try await world.store.slackInstallation(teamID: Self.teamID) == nil)
            #expect(world.installed.all.isEmpty)
        }
    }

    @Test("A state more than 10 minutes old is refused; one just inside the window is taken")
    func expiredState() async throws {
        try await World.with { world in
            try await world.application().test(.router) { client in
                let stale = try await Self.start(via: client)
                world.clock.advance(by: 601)
                let code = world.fake.authorize(teamID: Self.teamID, teamName: "Grid Desk", installer: "U0ADMIN001", redirectURI: Self.redirectURL)
                let (status, page) = try await Self.callback([("code", code), ("state", stale.state)], headers: stale.cookieHeader, via: client)
                #expect(status == .badRequest)
                #expect(page.contains("more than 10 minutes old"))
                #expect(world.oauthCalls == 0)

                let fresh = try await Self.start(via: client)
                world.clock.advance(by: 599)
                let (freshStatus, _) = try await Self.callback([("code", code), ("state", fresh.state)], headers: fresh.cookieHeader, via: client)
                #expect(freshStatus == .ok)
            }
            #expect(world.installed.all == [Self.teamID])
        }
    }

    @Test("A missing state, or one used already, is refused with 400")
    func missingAndReplayedState() async throws {
        try await World.with { world in
            try await world.application().test(.router) { client in
                let started = try await Self.start(via: client)
                let code = world.fake.authorize(teamID: Self.teamID, teamName: "Grid Desk", installer: "U0ADMIN001", redirectURI: Self.redirectURL)
                let (missingStatus, missingPage) = try await Self.callback([("code", code)], headers: started.cookieHeader, via: client)
                #expect(missingStatus == .badRequest)
                #expect(missingPage.contains("no state"))
                #expect(world.oauthCalls == 0)

                let (status, _) = try await Self.callback([("code", code), ("state", started.state)], headers: started.cookieHeader, via: client)
                #expect(status == .ok)
                // The same redirect again, cookie and all (a reload, or someone who copied both).
                let another = world.fake.authorize(teamID: Self.teamID, teamName: "Grid Desk", installer: "U0ADMIN001", redirectURI: Self.redirectURL)
                let (replayStatus, replayPage) = try await Self.callback(
                    [("code", another), ("state", started.state)],
                    headers: started.cookieHeader,
                    via: client
                )
                #expect(replayStatus == .badRequest)
                #expect(replayPage.contains("already been used"))
            }
            #expect(world.oauthCalls == 1)
            #expect(world.installed.all == [Self.teamID])
        }
    }

    @Test("A callback without the install cookie, or with another install's, is refused: it is not the browser that started")
    func wrongCookie() async throws {
        try await World.with { world in
            try await world.application().test(.router) { client in
                let started = try await Self.start(via: client)
                let other = try await Self.start(via: client)
                let code = world.fake.authorize(teamID: Self.teamID, teamName: "Grid Desk", installer: "U0ADMIN001", redirectURI: Self.redirectURL)
                let query = [("code", code), ("state", started.state)]
                let (noCookie, noCookiePage) = try await Self.callback(query, via: client)
                #expect(noCookie == .badRequest)
                #expect(noCookiePage.contains("did not start the install"))
                let (otherCookie, otherPage) = try await Self.callback(query, headers: other.cookieHeader, via: client)
                #expect(otherCookie == .badRequest)
                #expect(otherPage.contains("another browser"))
                // The refusals spent nothing: the right browser still finishes.
                let (status, _) = try await Self.callback(query, headers: started.cookieHeader, via: client)
                #expect(status == .ok)
            }
            #expect(world.oauthCalls == 1)
        }
    }

    @Test("The pages speak the browser's language: Chinese for zh-CN, with the workspace's name, and English otherwise")
    func chinesePages() async throws {
        try await World.with { world in
            try await world.application().test(.router) { client in
                let started = try await Self.start(via: client)
                let code = world.fake.authorize(teamID: Self.teamID, teamName: "Grid <Desk>", installer: "U0ADMIN001", redirectURI: Self.redirectURL)
                var headers = started.cookieHeader
                headers[.acceptLanguage] = "zh-CN,zh;q=0.9,en;q=0.8"
                let (status, page) = try await Self.callback([("code", code), ("state", started.state)], headers: headers, via: client)
                #expect(status == .ok)
                #expect(page.contains("<html lang=\"zh-Hans\">"))
                #expect(page.contains("Rebind 已安装到工作区「Grid &lt;Desk&gt;」。"), "\(page)")
                #expect(!page.contains("installed in"))

                // A link used twice: refused in Chinese, with the way back.
                let (again, refused) = try await Self.callback([("code", code), ("state", started.state)], headers: headers, via: client)
                #expect(again == .badRequest)
                #expect(refused.contains("安装链接无效") && refused.contains("重新开始安装"), "\(refused)")

                headers[.acceptLanguage] = "fr-FR"
                let (_, english) = try await Self.callback([("error", "access_denied"), ("state", started.state)], headers: headers, via: client)
                #expect(english.contains("<html lang=\"en\">") && english.contains("Nothing was installed"))
            }
        }
    }

    @Test("A cancelled install (access_denied) answers 200 saying nothing was installed")
    func accessDenied() async throws {
        try await World.with { world in
            try await world.application().test(.router) { client in
                let started = try await Self.start(via: client)
                let (status, page) = try await Self.callback(
                    [("error", "access_denied"), ("state", started.state)],
                    headers: started.cookieHeader,
                    via: client
                )
                #expect(status == .ok)
                #expect(page.contains("Nothing was installed"))
                #expect(!page.contains("Rebind is installed"))
            }
            #expect(world.oauthCalls == 0)
            #expect(try await world.store.slackInstallation(teamID: Self.teamID) == nil)
            #expect(world.installed.all.isEmpty)
        }
    }

    @Test("A code Slack refuses answers 502 with a page that holds neither the code nor the client secret, and stores nothing")
    func invalidCode() async throws {
        try await World.with { world in
            let code = "4242424242.1700000000.deadbeefcafe0042"
            try await world.application().test(.router) { client in
                let started = try await Self.start(via: client)
                let (status, page) = try await Self.callback([("code", code), ("state", started.state)], headers: started.cookieHeader, via: client)
                #expect(status == .badGateway)
                #expect(page.contains("nothing was installed"))
                #expect(!page.contains(code))
                #expect(!page.contains(world.fake.clientSecret.value))
            }
            #expect(world.fake.calls(method: SlackOAuth.methodName).map(\.error) == ["invalid_code"])
            #expect(try await world.store.slackInstallation(teamID: Self.teamID) == nil)
            #expect(world.installed.all.isEmpty)
            #expect(world.logs.lines(containing: code).isEmpty)
            #expect(world.logs.lines(containing: world.fake.clientSecret.value).isEmpty)
            #expect(!world.logs.lines(containing: "oauth.v2.access failed").isEmpty)
        }
    }
}
