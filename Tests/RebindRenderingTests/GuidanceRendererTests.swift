import Foundation
import RebindCore
import RebindRendering
import Testing

@Suite("Guidance messages from the shipped templates")
struct GuidanceRendererTests {
    struct Combination: Sendable, CustomTestStringConvertible {
        var cause: Cause
        var exchange: String
        var channel: Channel
        var kind: MessageKind

        var testDescription: String { "\(cause.rawValue) × \(exchange) × \(channel.rawValue) × \(kind.rawValue)" }

        static let all: [Combination] = Cause.allCases.flatMap { cause in
            Fixtures.exchanges.flatMap { exchange in
                Channel.allCases.flatMap { channel in
                    MessageKind.allCases.map { Combination(cause: cause, exchange: exchange, channel: channel, kind: $0) }
                }
            }
        }
    }

    let renderer: GuidanceRenderer

    init() throws {
        renderer = try Fixtures.renderer()
    }

    @Test("Every cause, exchange, channel and kind renders valid markup with the robots and the help link", arguments: Combination.all)
    func everyCombination(_ combination: Combination) throws {
        let incident = Fixtures.incident(
            cause: combination.cause,
            exchange: combination.exchange,
            resolution: combination.kind == .resolved ? .robotsResumed : nil
        )
        let message = try renderer.render(incident, channel: combination.channel, kind: combination.kind)
        let text = message.text

        #expect(message.format == (combination.channel == .telegram ? .html : .mrkdwn))
        #expect(message.locale == "en")
        #expect(message.omittedRobots == 0)
        #expect(MarkupCheck.problems(text, for: message.format.rawValue) == [])
        #expect(text.utf16.count <= GuidanceRenderer.characterLimit(for: combination.channel))
        #expect(!text.contains("\n\n\n"))
        #expect(text == text.trimmingCharacters(in: .whitespacesAndNewlines))

        #expect(text.contains("BTC/USDT Grid — paused"))
        #expect(text.contains("ETH Spot DCA — stopped"))
        // The help page is about deleted and expired keys: a halt of another kind does not point to it.
        #expect(text.contains(Fixtures.helpURL) == combination.cause.isKeyRelated)
        #expect(text.contains(combination.exchange == "okx" ? "OKX" : "Binance"))

        let givesGuidance = combination.kind != .resolved
        let keyGuidance = givesGuidance && combination.cause.isKeyRelated
        #expect(text.contains("Home → API Binding → Edit") == keyGuidance)
        #expect(text.contains("Update API key") == keyGuidance)
        #expect(text.contains("Reminder") == (combination.kind == .reminder))
        #expect(text.contains("✅") == (combination.kind == .resolved))

        if combination.kind == .resolved {
            #expect(text.contains("Resolved"))
            #expect(text.contains("robots resumed"))
        }
        if keyGuidance {
            let validity = combination.exchange == "okx" ? "30 days" : "60 days"
            #expect(text.contains(validity))
            let mentionsPassphrase = text.localizedCaseInsensitiveContains("passphrase")
            if combination.exchange == "okx" {
                #expect(text.contains("Passphrase"))
            } else if combination.cause != .passphraseWrong {
                #expect(!mentionsPassphrase)
            }
            let invitation = combination.channel == .telegram ? "tap <b>Update API key</b> below" : "use the *Update API key* button"
            #expect(text.contains(invitation))
        }
        if combination.cause == .notKeyRelated {
            #expect(!text.contains("API Binding"))
            #expect(!text.contains("API SecretKey"))
            #expect(!text.localizedCaseInsensitiveContains("passphrase"))
        }
    }

    @Test("An expired key's message gives the exchange's validity days from the catalogue", arguments: Channel.allCases)
    func expiredKeyValidity(_ channel: Channel) throws {
        let binance = try renderer.render(Fixtures.incident(cause: .keyExpired, exchange: "binance"), channel: channel).text
        let okx = try renderer.render(Fixtures.incident(cause: .keyExpired, exchange: "okx"), channel: channel).text
        #expect(binance.contains("valid for trading for 60 days"))
        #expect(!binance.contains("valid for trading for 30 days"))
        #expect(okx.contains("valid for trading for 30 days"))
        #expect(okx.contains("API Key and API SecretKey, plus the Passphrase"))
        #expect(binance.contains("Binance app → Profile → Account → API Management"))
        #expect(okx.contains("OKX deletes a key"))
    }

    @Test("The message shows what the platform and the exchange reported")
    func showsReportedReason() throws {
        let incident = Fixtures.incident(
            cause: .permissionMissing,
            reason: .init(
                text: "Pause: Invalid API key operation permission",
                code: "-2015",
                message: "Invalid API-key, IP, or permissions for action."
            )
        )
        let telegram = try renderer.render(incident, channel: .telegram).text
        #expect(telegram.contains("uTrading reported: <i>Pause: Invalid API key operation permission</i>"))
        #expect(telegram.contains("Binance said: <code>-2015</code> Invalid API-key, IP, or permissions for action."))
        let slack = try renderer.render(incident, channel: .slack).text
        #expect(slack.contains("uTrading reported: “Pause: Invalid API key operation permission”"))
        #expect(slack.contains("Binance said: `-2015` Invalid API-key, IP, or permissions for action."))
    }

    @Test(
        "A halt that is not a key problem names its real cause and says the key is fine",
        arguments: [
            (RobotEvent.Reason(text: "Invest Control Limit (Insufficient Long Pending Investment)"), "funds or investment limit"),
            (RobotEvent.Reason(text: "Risk Control"), "risk settings"),
            (
                RobotEvent.Reason(text: "Pause: order failed", code: "-1021", message: "Timestamp for this request is outside of the recvWindow."),
                "clock"
            ),
            (
                RobotEvent.Reason(text: "Pause: order failed", code: "-2017", message: "API Keys are locked on this account."),
                "the account is locked or restricted"
            ),
            (
                RobotEvent.Reason(text: "Pause: order failed", code: "50100", message: "API frozen, please contact customer service."),
                "the account is locked or restricted"
            ),
        ]
    )
    func notKeyRelatedNamesCause(_ reason: RobotEvent.Reason, _ named: String) throws {
        for channel in Channel.allCases {
            let text = try renderer.render(Fixtures.incident(cause: .notKeyRelated, reason: reason), channel: channel).text
            #expect(text.contains("Cause: \(named)"))
            #expect(text.contains("key is fine"))
            #expect(!text.contains("Likely causes"))
            #expect(!text.contains("API Binding"))
            #expect(!text.contains("Update API key"))
        }
    }

    @Test("A halt that is not a key problem and not recognised lists the usual causes")
    func notKeyRelatedUnrecognised() throws {
        let incident = Fixtures.incident(cause: .notKeyRelated, reason: .init(text: "Pause: something else"))
        let text = try renderer.render(incident, channel: .telegram).text
        #expect(text.contains("Likely causes"))
        #expect(text.contains("Funds or investment limit"))
        #expect(!text.contains("Cause:"))
    }

    @Test("A resolved message says whether the robots resumed or the key was updated on the web", arguments: Channel.allCases)
    func resolvedWording(_ channel: Channel) throws {
        let resumed = try renderer.render(
            Fixtures.incident(cause: .keyExpired, resolution: .robotsResumed),
            channel: channel,
            kind: .resolved
        ).text
        #expect(resumed.contains("Resolved"))
        #expect(resumed.contains("robots resumed"))
        let updated = try renderer.render(
            Fixtures.incident(cause: .keyExpired, resolution: .bindingUpdated),
            channel: channel,
            kind: .resolved
        ).text
        #expect(updated.contains("the Binance API key was updated on the web"))
        #expect(!updated.contains("robots resumed"))
    }

    @Test("One robot is spoken of in the singular, several are counted")
    func robotCount() throws {
        let one = try renderer.render(
            Fixtures.incident(cause: .keyDeleted, robots: [Fixtures.robots[0]]),
            channel: .telegram
        ).text
        #expect(one.contains("so your robot using it stopped trading"))
        #expect(one.contains("<b>Robot</b>"))
        let two = try renderer.render(Fixtures.incident(cause: .keyDeleted), channel: .telegram).text
        #expect(two.contains("so 2 robots using it stopped trading"))
        #expect(two.contains("<b>Robots (2)</b>"))
    }

    @Test("The operator's help URL and platform name replace the catalogue's", arguments: Channel.allCases)
    func overrides(_ channel: Channel) throws {
        let custom = renderer.with(helpURL: "https://help.example.com/keys?lang=en", platformName: "Acme Bots")
        #expect(custom.catalogue.helpURL == "https://help.example.com/keys?lang=en")
        let text = try custom.render(Fixtures.incident(cause: .keyDeleted), channel: channel).text
        #expect(text.contains("https://help.example.com/keys?lang=en"))
        #expect(text.contains("On Acme Bots, open"))
        #expect(!text.contains("uTrading"))
        #expect(!text.contains(Fixtures.helpURL))

        let unchanged = renderer.with(helpURL: nil, platformName: "  ")
        #expect(unchanged.catalogue == renderer.catalogue)
    }

    @Test("An unknown locale falls back to English", arguments: ["de", "pt-BR", "EN", "x"])
    func localeFallback(_ locale: String) throws {
        let message = try renderer.render(Fixtures.incident(cause: .keyDeleted), channel: .telegram, locale: locale)
        #expect(message.locale == "en")
        #expect(message.text == (try renderer.render(Fixtures.incident(cause: .keyDeleted), channel: .telegram).text))
    }

    @Test("An exchange the catalogue does not know is refused by name")
    func unknownExchange() throws {
        let error = #expect(throws: GuidanceRenderer.Error.self) {
            try renderer.render(Fixtures.incident(cause: .keyDeleted, exchange: "kraken"), channel: .telegram)
        }
        #expect(error == .unknownExchange("kraken", known: ["binance", "okx"]))
    }

    @Test("With the platform's IP addresses in the catalogue, the new-key steps say how to keep the new key from lapsing")
    func platformIPs() throws {
        var listed = renderer
        listed.catalogue.platformIPs = ["203.0.113.7", "198.51.100.2"]
        let incident = Fixtures.incident(cause: .keyExpired)
        let telegram = try listed.render(incident, channel: .telegram, kind: .guidance).text
        #expect(telegram.contains("restrict it to uTrading's IP addresses when you create it: <code>203.0.113.7, 198.51.100.2</code>"))
        let chinese = try listed.render(incident, channel: .slack, locale: "zh-Hans", kind: .guidance).text
        #expect(chinese.contains("只允许uTrading的以下地址访问") && chinese.contains("`203.0.113.7, 198.51.100.2`"))
        #expect(!(try renderer.render(incident, channel: .telegram, kind: .guidance).text.contains("IP addresses when you create it")))
    }
}
