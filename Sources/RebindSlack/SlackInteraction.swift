import Foundation

/// A body posted to the interactivity endpoint: `payload=<json>`, form-encoded.
public enum SlackInteraction: Decodable, Sendable, Equatable {
    case blockActions(SlackBlockActions)
    case viewSubmission(SlackViewSubmission)
    /// The user cancelled a modal opened with `notify_on_close`.
    case viewClosed(SlackViewInfo)
    /// Another kind (`shortcut`, `message_action`, …): acknowledge it and do nothing.
    case other(type: String)

    enum CodingKeys: String, CodingKey {
        case type, view
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "block_actions": self = .blockActions(try SlackBlockActions(from: decoder))
        case "view_submission": self = .viewSubmission(try SlackViewSubmission(from: decoder))
        case "view_closed": self = .viewClosed(try container.decode(SlackViewInfo.self, forKey: .view))
        case let other: self = .other(type: other)
        }
    }

    /// Reads the `payload` field of an interactivity form (after its signature was verified).
    public static func decode(formBody: Data) throws(SlackPayloadError) -> SlackInteraction {
        let payload = try SlackForm(body: formBody).required("payload")
        return try decode(json: Data(payload.utf8))
    }

    /// Reads the payload's JSON itself.
    public static func decode(json: Data) throws(SlackPayloadError) -> SlackInteraction {
        do {
            return try JSONDecoder().decode(SlackInteraction.self, from: json)
        } catch {
            throw .invalidJSON(reason: SlackPayloadError.reason(error))
        }
    }
}
