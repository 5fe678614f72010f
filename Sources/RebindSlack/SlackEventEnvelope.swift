import Foundation

/// A body posted to the Events API endpoint: Slack's URL check, or an event.
public enum SlackEventEnvelope: Decodable, Sendable, Equatable {
    /// Answer with the challenge, as it came.
    case urlVerification(challenge: String)
    case eventCallback(SlackEventCallback)
    /// Another envelope (`app_rate_limited`, …): acknowledge it and do nothing.
    case other(type: String)

    enum CodingKeys: String, CodingKey {
        case type, challenge
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "url_verification":
            self = .urlVerification(challenge: try container.decode(String.self, forKey: .challenge))
        case "event_callback":
            self = .eventCallback(try SlackEventCallback(from: decoder))
        case let other:
            self = .other(type: other)
        }
    }

    /// Reads an Events API body (after its signature was verified).
    public static func decode(_ body: Data) throws(SlackPayloadError) -> SlackEventEnvelope {
        do {
            return try JSONDecoder().decode(SlackEventEnvelope.self, from: body)
        } catch {
            throw .invalidJSON(reason: SlackPayloadError.reason(error))
        }
    }
}

/// An `event_callback`: one event in one workspace. Slack retries it (with
/// `X-Slack-Retry-Num`) until answered within 3 seconds, so `eventID` is the deduplication key.
public struct SlackEventCallback: Codable, Sendable, Equatable {
    public var type = "event_callback"
    public var teamID: String
    public var apiAppID: String?
    /// `Ev…`, the same on every retry.
    public var eventID: String
    /// Unix seconds.
    public var eventTime: Int64?
    public var event: SlackEvent

    public init(teamID: String, apiAppID: String? = nil, eventID: String, eventTime: Int64? = nil, event: SlackEvent) {
        self.teamID = teamID
        self.apiAppID = apiAppID
        self.eventID = eventID
        self.eventTime = eventTime
        self.event = event
    }

    enum CodingKeys: String, CodingKey {
        case type
        case teamID = "team_id"
        case apiAppID = "api_app_id"
        case eventID = "event_id"
        case eventTime = "event_time"
        case event
    }
}
