/// The chat platforms Rebind talks to users on.
public enum Channel: String, Codable, Sendable, CaseIterable, Hashable {
    case telegram
    case slack
}
