/// Which version of an incident's message to render.
public enum MessageKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// The first message: what happened and what to do.
    case guidance
    /// The same guidance, sent again while the incident stays open.
    case reminder
    /// The first message edited once the incident is resolved.
    case resolved
}
