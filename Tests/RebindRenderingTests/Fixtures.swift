import Foundation
import RebindCore
import RebindRendering

/// The repository's real `templates/` directory, so the tests prove the shipped templates work.
enum Fixtures {
    static let templatesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // RebindRenderingTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("templates")

    static let helpURL =
        "https://help.utrading.io/en/exchange/create-api/api-faq/what-should-i-do-if-the-api-is-deleted-in-binance-and-what-should-i-do-if-the-api-expires"

    static let exchanges = ["binance", "okx"]

    static let robots = [
        Incident.AffectedRobot(id: "rb_7", name: "BTC/USDT Grid", state: .paused),
        Incident.AffectedRobot(id: "rb_8", name: "ETH Spot DCA", state: .stopped),
    ]

    /// What the platform would report for each cause, as in `reference/exchange-errors.md`.
    static func reason(for cause: Cause, exchange: String) -> RobotEvent.Reason {
        let okx = exchange == "okx"
        switch cause {
        case .keyDeleted:
            return .init(
                text: "The API key was deleted on the exchange",
                code: okx ? "50119" : "-2008",
                message: okx ? "API key doesn't exist" : "Invalid Api-Key ID."
            )
        case .keyExpired:
            return .init(text: "API expired or no permission")
        case .permissionMissing:
            return .init(text: "Pause: Invalid API key operation permission", code: okx ? "50120" : "-2015")
        case .ipNotAllowed:
            return .init(
                text: "Pause: Invalid API key operation permission",
                code: okx ? "50110" : "-1005",
                message: okx ? "Your IP 203.0.113.9 is not included in your API key's IP whitelist." : "No such IP has been white listed"
            )
        case .passphraseWrong:
            return .init(
                text: "Pause: Invalid API key operation permission",
                code: "50105",
                message: "Request header \"OK-ACCESS-PASSPHRASE\" incorrect."
            )
        case .secretWrong:
            return .init(
                text: "Pause: Invalid API key operation permission",
                code: okx ? "50113" : "-1022",
                message: okx ? "Invalid signature." : "Signature for this request is not valid."
            )
        case .notKeyRelated:
            return .init(text: "Invest Control Limit (Insufficient Total Pending Investment)")
        case .unknown:
            return .init(text: "Pause: Order rejected", code: "-9999")
        }
    }

    /// An incident listing `robots`, as the notice sender gets it from a store: the totals of
    /// them all and the first `GuidanceRenderer.maxListedRobots` of them.
    static func incident(
        cause: Cause,
        exchange: String = "binance",
        robots: [Incident.AffectedRobot] = robots,
        reason: RobotEvent.Reason? = nil,
        resolution: Incident.Resolution? = nil
    ) -> IncidentFixture {
        let opened = Date(timeIntervalSince1970: 1_795_000_000)
        var totals = Incident.Totals()
        for robot in robots { totals.replace(nil, with: robot) }
        let incident = Incident(
            id: "evt_1",
            userID: "u_1001",
            accountID: "acc_42",
            exchange: exchange,
            cause: cause,
            totals: totals,
            reason: reason ?? Self.reason(for: cause, exchange: exchange),
            openedAt: opened,
            announceAt: opened.addingTimeInterval(10),
            resolvedAt: resolution == nil ? nil : opened.addingTimeInterval(600),
            resolution: resolution
        )
        return IncidentFixture(incident: incident, robots: Array(robots.prefix(GuidanceRenderer.maxListedRobots)))
    }

    static func renderer() throws -> GuidanceRenderer {
        try GuidanceRenderer(templatesDirectory: templatesDirectory)
    }
}

/// An incident and the first of its robots: what the renderer is given.
struct IncidentFixture {
    var incident: Incident
    var robots: [Incident.AffectedRobot]
}

extension GuidanceRenderer {
    func render(
        _ fixture: IncidentFixture,
        channel: Channel,
        locale: String = "en",
        kind: MessageKind = .guidance
    ) throws(GuidanceRenderer.Error) -> RenderedMessage {
        try render(fixture.incident, robots: fixture.robots, channel: channel, locale: locale, kind: kind)
    }
}

/// A scratch copy of the real templates directory that a test may edit, removed afterwards.
struct TemplatesCopy {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("rebind-templates-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.templatesDirectory, to: directory)
    }

    func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    func write(_ text: String, to relative: String) throws {
        let file = url(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
    }

    func read(_ relative: String) throws -> String {
        String(decoding: try Data(contentsOf: url(relative)), as: UTF8.self)
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(at: url(relative))
    }

    func delete() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` with a fresh copy of the templates and removes it afterwards.
func withTemplatesCopy(_ body: (TemplatesCopy) throws -> Void) throws {
    let copy = try TemplatesCopy()
    defer { copy.delete() }
    try body(copy)
}
