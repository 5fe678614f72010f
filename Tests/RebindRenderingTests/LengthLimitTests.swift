import Foundation
import RebindCore
import RebindRendering
import Testing

@Suite("Messages always fit the channel's length limit")
struct LengthLimitTests {
    let renderer: GuidanceRenderer

    init() throws {
        renderer = try Fixtures.renderer()
    }

    /// Characters that grow when escaped or take two UTF-16 units.
    static let bloat = "&<\"é👍x"

    /// A 5,000-character name followed by 199 robots with long names, so that even cut names
    /// overflow the limit and fewer robots must be listed.
    static let crowd: [Incident.AffectedRobot] = {
        let huge = String(String(repeating: bloat, count: 900).prefix(5_000))
        let first = Incident.AffectedRobot(id: "rb_0", name: huge, state: .paused)
        return [first]
            + (1..<200).map {
                Incident.AffectedRobot(id: "rb_\($0)", name: "Grid bot #\($0) " + String(repeating: bloat, count: 50), state: .stopped)
            }
    }()

    @Test(
        "A 5,000-character name and 200 robots still give a valid message within the limit",
        arguments: Channel.allCases,
        MessageKind.allCases
    )
    func crowdFits(_ channel: Channel, _ kind: MessageKind) throws {
        for cause in Cause.allCases {
            let incident = Fixtures.incident(cause: cause, exchange: "okx", robots: Self.crowd, resolution: kind == .resolved ? .robotsResumed : nil)
            let message = try renderer.render(incident, channel: channel, kind: kind)
            let limit = GuidanceRenderer.characterLimit(for: channel)
            #expect(message.text.utf16.count <= limit, "\(cause) is \(message.text.utf16.count) long")
            #expect(MarkupCheck.problems(message.text, for: message.format.rawValue) == [])
            // At most 20 listed by name (fewer where the long names would not fit), never none.
            #expect(message.omittedRobots >= 180)
            #expect(message.omittedRobots < 200)
            #expect(message.text.contains("…and \(message.omittedRobots) more"))
            #expect(message.text.contains("Grid bot #1 "))
            #expect(message.text.contains(Fixtures.helpURL) == cause.isKeyRelated)
            if cause.isKeyRelated && kind != .resolved {
                #expect(message.text.contains("Home → API Binding → Edit"))
            }
            // The huge name is cut to 64 characters before escaping, then ends in "…".
            let escapedPrefix = channel == .telegram ? "&amp;&lt;&quot;é👍x" : "&amp;&lt;\"é👍x"
            #expect(message.text.contains("• \(escapedPrefix)"))
            #expect(message.text.contains("…  — paused") == false)
            #expect(message.text.contains("… — paused"))
        }
    }

    @Test("Of 200 robots the first 20 are listed and the rest counted", arguments: Channel.allCases)
    func manyShortNames(_ channel: Channel) throws {
        let robots = (0..<200).map { Incident.AffectedRobot(id: "rb_\($0)", name: "Grid bot #\($0)", state: .paused) }
        let message = try renderer.render(Fixtures.incident(cause: .keyDeleted, robots: robots), channel: channel)
        #expect(message.omittedRobots == 180)
        #expect(message.text.contains("• Grid bot #19 — paused"))
        #expect(!message.text.contains("Grid bot #20 "))
        #expect(message.text.contains("• …and 180 more"))
        #expect(message.text.contains("200 robots"))
    }

    @Test(
        "Of 500 robots, given only the first 20 and the totals, the message lists those and counts the rest in every locale",
        arguments: Channel.allCases,
        ["en", "zh-Hans"]
    )
    func fiveHundred(_ channel: Channel, _ locale: String) throws {
        let robots = (0..<500).map { Incident.AffectedRobot(id: "rb_\($0)", name: "Grid bot #\($0) BTC/USDT", state: .paused, openPositions: 1) }
        let fixture = Fixtures.incident(cause: .keyExpired, robots: robots)
        #expect(fixture.robots.count == 20)
        #expect(fixture.incident.totals.robots == 500)
        for kind in MessageKind.allCases {
            let message = try renderer.render(fixture, channel: channel, locale: locale, kind: kind)
            #expect(message.text.utf16.count <= GuidanceRenderer.characterLimit(for: channel))
            #expect(message.omittedRobots == 480)
            #expect(message.text.contains("• Grid bot #19 BTC/USDT"))
            #expect(!message.text.contains("Grid bot #20 "))
            #expect(message.text.contains(locale == "en" ? "• …and 480 more" : "• 另有 480 个未列出"))
            #expect(message.text.contains(locale == "en" ? "500" : "500 个"))
            #expect(MarkupCheck.problems(message.text, for: message.format.rawValue) == [])
        }
    }

    @Test("A single very long name is cut to 64 characters and the message keeps every robot")
    func longNameCut() throws {
        let name = String(repeating: "A", count: 5_000)
        let incident = Fixtures.incident(cause: .keyExpired, robots: [.init(id: "rb_1", name: name, state: .paused)])
        let message = try renderer.render(incident, channel: .telegram)
        #expect(message.omittedRobots == 0)
        #expect(message.text.contains("• \(String(repeating: "A", count: 64))… — paused"))
        #expect(!message.text.contains(String(repeating: "A", count: 65)))
    }

    @Test("A list that fits is left whole, names included")
    func fittingListUntouched() throws {
        let name = String(repeating: "B", count: 150)
        let incident = Fixtures.incident(cause: .keyExpired, robots: [.init(id: "rb_1", name: name, state: .paused)])
        let message = try renderer.render(incident, channel: .telegram)
        #expect(message.text.contains("• \(name) — paused"))
    }

    @Test("A very long reported reason is cut, never an entity")
    func longReason() throws {
        let reason = RobotEvent.Reason(
            text: String(repeating: "&", count: 3_000),
            code: String(repeating: "<", count: 100),
            message: String(repeating: "\"", count: 3_000)
        )
        for channel in Channel.allCases {
            let message = try renderer.render(Fixtures.incident(cause: .unknown, reason: reason), channel: channel)
            #expect(message.text.utf16.count <= GuidanceRenderer.characterLimit(for: channel))
            #expect(MarkupCheck.problems(message.text, for: message.format.rawValue) == [])
            #expect(message.omittedRobots == 0)
        }
    }
}
