import Foundation

/// An `application/x-www-form-urlencoded` body, as Slack sends slash commands and
/// interactivity (`payload=<json>`): `+` is a space, everything else percent-decoded.
public struct SlackForm: Sendable, Equatable {
    /// The fields in order; a repeated name keeps every value.
    public var fields: [(name: String, value: String)]

    public init(fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    public init(body: Data) throws(SlackPayloadError) {
        guard let text = String(data: body, encoding: .utf8) else { throw .malformedForm }
        var fields: [(name: String, value: String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : "") else {
                throw .malformedForm
            }
            fields.append((name, value))
        }
        self.fields = fields
    }

    /// The first value of a field.
    public subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// The first value of a field that must be there and not be empty.
    public func required(_ name: String) throws(SlackPayloadError) -> String {
        guard let value = self[name], !value.isEmpty else { throw .missingField(name) }
        return value
    }

    /// The form as a body: names and values percent-encoded, spaces as `%20`.
    public var encoded: Data {
        Data(fields.map { "\(Self.encode($0.name))=\(Self.encode($0.value))" }.joined(separator: "&").utf8)
    }

    static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// Unreserved characters (RFC 3986) stay; everything else is percent-encoded.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func == (lhs: SlackForm, rhs: SlackForm) -> Bool {
        lhs.fields.map { [$0.name, $0.value] } == rhs.fields.map { [$0.name, $0.value] }
    }
}
