/// The body of an answer to `view_submission`. Empty (HTTP 200 with no body) closes the modal;
/// `errors` keeps it open and shows a message under each named input block.
public struct SlackViewResponse: Codable, Sendable, Equatable {
    public var responseAction: String
    /// Block id → message, for `errors`.
    public var errors: [String: String]?
    /// The new view, for `update` and `push`.
    public var view: SlackView?

    public static func errors(_ errors: [String: String]) -> SlackViewResponse {
        SlackViewResponse(responseAction: "errors", errors: errors, view: nil)
    }

    public static func update(_ view: SlackView) -> SlackViewResponse {
        SlackViewResponse(responseAction: "update", errors: nil, view: view)
    }

    public static let clear = SlackViewResponse(responseAction: "clear", errors: nil, view: nil)

    enum CodingKeys: String, CodingKey {
        case responseAction = "response_action"
        case errors, view
    }
}
