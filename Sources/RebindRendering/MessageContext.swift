import Foundation
import RebindCore

/// The values a template sees, built from an incident and the catalogue. Every string is
/// cleaned to one line and cut to a sane length *before* any escaping, so a cut can never land
/// inside an entity or a tag. For Slack the strings are escaped here (Mrkdwn); for Telegram,
/// Mustache's HTML escaping of `{{name}}` does it.
///
/// The variable names are the templates' contract; `templates/README.md` lists them.
struct MessageContext {
    var incident: Incident
    /// The first of the incident's robots in halt order; its totals count them all.
    var robots: [Incident.AffectedRobot]
    var catalogue: ExchangeCatalogue
    var exchange: ExchangeCatalogue.Exchange
    var channel: Channel
    var kind: MessageKind

    /// How the robot list is shortened to fit the channel's limit.
    struct RobotListing: Equatable {
        /// How many robots are listed by name; the rest are counted as "…and K more".
        var shown: Int
        /// Names longer than this are cut and end in "…"; nil leaves them whole.
        var nameLimit: Int?
    }

    static let shortNameLimit = 64
    static let reasonTextLimit = 200
    static let reasonMessageLimit = 300
    static let reasonCodeLimit = 32

    func values(_ listing: RobotListing) -> [String: Any] {
        let slack = channel == .slack
        let text = { (value: String) -> String in slack ? Mrkdwn.escape(value) : value }
        let url = { (value: String) -> String in slack ? Mrkdwn.escapeURL(value) : value }

        var values: [String: Any] = [
            "platform": text(catalogue.platformName),
            "help_url": url(catalogue.helpURL),
            "binding_path": text(catalogue.bindingPath.joined(separator: " → ")),
            "binding_steps": catalogue.bindingPath.map(text),
            "exchange": text(incident.exchange),
            "exchange_name": text(exchange.name),
            "app_name": text(exchange.appName),
            "regenerate_at": text(exchange.regenerateAt),
            "validity_days": exchange.tradingValidityDays,
            "needs_passphrase": exchange.needsPassphrase,
            "cause": incident.cause.rawValue,
            "key_related": incident.cause.isKeyRelated,
            "guidance": kind == .guidance,
            "reminder": kind == .reminder,
            "resolved": kind == .resolved,
            "resolved_by_binding": incident.resolution == .bindingUpdated,
            "resolved_by_resume": incident.resolution != .bindingUpdated,
        ]
        if let note = exchange.note.map(Self.oneLine), !note.isEmpty {
            values["note"] = text(note)
        }
        if !catalogue.platformIPs.isEmpty {
            // A key restricted to the platform's addresses does not lapse (DESIGN §10).
            values["platform_ips"] = text(catalogue.platformIPs.joined(separator: ", "))
        }

        let reason = incident.reason
        values["reason_text"] = text(Self.cut(Self.oneLine(reason.text), to: Self.reasonTextLimit))
        let code = reason.code.map { Self.cut(Self.oneLine($0), to: Self.reasonCodeLimit) } ?? ""
        let message = reason.message.map { Self.cut(Self.oneLine($0), to: Self.reasonMessageLimit) } ?? ""
        if !code.isEmpty { values["reason_code"] = text(code) }
        if !message.isEmpty { values["reason_message"] = text(message) }
        values["exchange_error"] = !code.isEmpty || !message.isEmpty

        let detail = incident.cause == .notKeyRelated ? HaltDetail(reason) : nil
        for candidate in HaltDetail.allCases {
            values["halt_\(candidate.rawValue)"] = candidate == detail
        }

        let shown = max(0, min(listing.shown, robots.count))
        values["robots"] = robots.prefix(shown).map { robot -> [String: Any] in
            var name = Self.oneLine(robot.name)
            if let limit = listing.nameLimit { name = Self.cut(name, to: limit) }
            return [
                "name": text(name),
                "state": robot.state.rawValue,
                "paused": robot.state == .paused,
                "stopped": robot.state == .stopped,
                "resumed": robot.state == .resumed,
            ]
        }
        let count = incident.totals.robots
        values["robot_count"] = count
        values["single_robot"] = count == 1
        if shown < count { values["more_robots"] = count - shown }
        // What the halted robots leave unmanaged (DESIGN §10); said only while it lasts.
        let unmanaged = incident.unmanaged
        if incident.isOpen, !unmanaged.isEmpty {
            values["unmanaged"] = true
            if unmanaged.openPositions > 0 {
                values["open_positions"] = unmanaged.openPositions
                values["single_position"] = unmanaged.openPositions == 1
            }
            let exposures = unmanaged.exposure.filter { $0.amount > 0 }
            values["has_exposure"] = !exposures.isEmpty
            values["exposures"] = exposures.enumerated().map { index, exposure -> [String: Any] in
                [
                    "amount": text(NSDecimalNumber(decimal: exposure.amount).description(withLocale: Locale(identifier: "en_US_POSIX"))),
                    "currency": text(exposure.currency),
                    "last": index == exposures.count - 1,
                ]
            }
        }
        return values
    }

    /// Control characters (a newline in a robot name) would break the message's layout.
    static func oneLine(_ value: String) -> String {
        var line = ""
        line.unicodeScalars.reserveCapacity(value.unicodeScalars.count)
        for scalar in value.unicodeScalars {
            line.unicodeScalars.append(scalar.properties.generalCategory == .control ? " " : scalar)
        }
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// Cuts between whole characters, so neither a surrogate pair nor an emoji is split.
    static func cut(_ value: String, to limit: Int) -> String {
        guard value.count > limit else { return value }
        return value.prefix(limit).trimmingCharacters(in: .whitespaces) + "…"
    }
}
