import Foundation
import RebindCore
import RebindRendering

/// What `rebind preview` prints: the cause an event is classified as and the guidance message
/// each channel would get for it, rendered from the real templates.
public struct GuidancePreview: Sendable {
    public var cause: Cause?
    /// The locale the messages are in, after matching (DESIGN §4).
    public var locale: String
    public var messages: [(channel: Channel, text: String)]

    /// `locale` (a language tag) wins over the event's `user.locale`; either is matched to the
    /// locales the templates have, `defaultLocale` when neither is given or matches.
    public init(event: RobotEvent, renderer: GuidanceRenderer, locale: String? = nil, defaultLocale: String = "en", now: Date = Date()) throws {
        let matcher = renderer.replies.matcher(defaultLocale: defaultLocale)
        self.locale = matcher.match(locale ?? event.user.locale)
        guard let reason = event.reason, event.type.reportsHalt else {
            cause = nil
            messages = []
            return
        }
        let cause = ReasonClassifier().classify(reason, exchange: event.account.exchange)
        self.cause = cause
        let changes = IncidentBook().apply(event, eventID: "preview", cause: cause, open: [], stored: [], now: now)
        guard let incident = changes.incidents.first else {
            messages = []
            return
        }
        let locale = self.locale
        messages = try Channel.allCases.map { channel in
            (channel, try renderer.render(incident, robots: changes.robots.map(\.robot), channel: channel, locale: locale).text)
        }
    }

    public var text: String {
        guard let cause else {
            return "cause: none (this event type carries no reason, so it sends no guidance)"
        }
        var lines = ["cause: \(cause.rawValue)", "locale: \(locale)"]
        for (channel, text) in messages {
            lines.append("")
            lines.append("── \(channel.rawValue) " + String(repeating: "─", count: 40))
            lines.append(text)
        }
        return lines.joined(separator: "\n")
    }
}
