/// Why an inbound Slack request's body (Events API JSON, interactivity or slash-command form)
/// could not be read. Never quotes the body, which may hold what a user typed.
public enum SlackPayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not `application/x-www-form-urlencoded` text.
    case malformedForm
    /// A field Slack always sends is absent or empty.
    case missingField(String)
    /// The JSON (the body, or the form's `payload`) is not what Slack sends.
    case invalidJSON(reason: String)

    public var description: String {
        switch self {
        case .malformedForm: "the body is not a URL-encoded form"
        case .missingField(let name): "the field \(name) is missing"
        case .invalidJSON(let reason): "the JSON is not a Slack payload: \(reason)"
        }
    }

    /// A decoding error in words, naming the path to the field but no value.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "unreadable" }
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "the top level" : path
        }
        return switch error {
        case .keyNotFound(let key, let context):
            "\(key.stringValue) is missing at \(path(context))"
        case .valueNotFound(_, let context): "\(path(context)) is null"
        case .typeMismatch(_, let context): "\(path(context)) has the wrong type"
        case .dataCorrupted(let context): "\(path(context)): \(context.debugDescription)"
        @unknown default: "unreadable"
        }
    }
}
