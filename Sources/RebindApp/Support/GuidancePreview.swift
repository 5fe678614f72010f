import Foundation
import RebindCore
import RebindRendering

/// What `rebind preview` prints: the cause an event is classified as and the guidance message
/// each channel would get for it, rendered from the real templates.
public struct GuidancePreview: Sendable {
    public var cause: Cause?
    public var messages: [(channel: Channel, text: String)]

    public init(event: RobotEvent, renderer: GuidanceRenderer, now: Date = Date()) throws {
        guard let reason = event.reason, event.type.reportsHalt else {
            cause = nil
            messages = []
            return
        }
        let cause = ReasonClassifier().classify(reason, exchange: event.account.exchange)
        self.cause = cause
        let changes = IncidentBook().apply(event, eventID: "preview", cause: cause, open: [], now: now)
        guard let incident = changes.incidents.first else {
            messages = []
            return
        }
        messages = try Channel.allCases.map { channel in
            (channel, try renderer.render(incident, channel: channel, locale: event.user.locale ?? "en").text)
        }
    }

    public var text: String {
        guard let cause else {
            return "cause: none (this event type carries no reason, so it sends no guidance)"
        }
        var lines = ["cause: \(cause.rawValue)"]
        for (channel, text) in messages {
            lines.append("")
            lines.append("── \(channel.rawValue) " + String(repeating: "─", count: 40))
            lines.append(text)
        }
        return lines.joined(separator: "\n")
    }
}
