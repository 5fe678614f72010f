/// JSON text for the small values the stores keep in a column (an incident's reason, its
/// exposure per currency), written directly: `JSONEncoder` cost more than the rest of saving
/// an incident (bench/README.md, issue 15). Read back with `JSONDecoder` as before; objects'
/// keys are written in sorted order, so equal values give equal text.
public enum JSONText {
    /// `{"code":…,"message":…,"text":…}`, absent fields left out, as `Reason`'s decoding reads it.
    public static func reason(_ reason: RobotEvent.Reason) -> String {
        object([("code", reason.code), ("message", reason.message), ("text", reason.text)])
    }

    /// An object of string values, keys sorted; nil values are left out.
    public static func object(_ members: [String: String]) -> String {
        object(members.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    static func object(_ members: [(String, String?)]) -> String {
        var text = "{"
        for (key, value) in members {
            guard let value else { continue }
            if text.utf8.count > 1 { text += "," }
            appendString(key, to: &text)
            text += ":"
            appendString(value, to: &text)
        }
        return text + "}"
    }

    /// `text` as a JSON string literal, for answers written without an encoder.
    public static func quoted(_ text: String) -> String {
        var quoted = ""
        quoted.reserveCapacity(text.utf8.count + 2)
        appendString(text, to: &quoted)
        return quoted
    }

    /// A JSON string: quotes and backslashes escaped, control characters as escapes, the rest
    /// as it is (JSON text is UTF-8).
    static func appendString(_ value: String, to text: inout String) {
        text += "\""
        var plainStart = value.utf8.startIndex
        for index in value.utf8.indices {
            let byte = value.utf8[index]
            let escape: String
            switch byte {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case UInt8(ascii: "\n"): escape = "\\n"
            case UInt8(ascii: "\r"): escape = "\\r"
            case UInt8(ascii: "\t"): escape = "\\t"
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.utf8.count) + hex
            default: continue
            }
            // Escaped bytes are ASCII, so both ends of the plain run are character boundaries.
            text += value[plainStart..<index]
            text += escape
            plainStart = value.utf8.index(after: index)
        }
        text += value[plainStart...]
        text += "\""
    }
}

extension JSONText {
    /// A reason as `reason(_:)` writes it, read without `JSONDecoder`; nil for anything else
    /// (the caller then decodes it with `JSONDecoder`, which says what is wrong).
    public static func readReason(_ text: String) -> RobotEvent.Reason? {
        read(text) { $0.reason() }
    }

    /// An object of string values as `object(_:)` writes it; nil for anything else, a key
    /// twice included.
    public static func readObject(_ text: String) -> [String: String]? {
        read(text) { reader in
            guard reader.take(UInt8(ascii: "{")) else { return nil }
            var members: [String: String] = [:]
            if reader.take(UInt8(ascii: "}")) { return members }
            repeat {
                guard let key = reader.string(), reader.take(UInt8(ascii: ":")), let value = reader.string(),
                    members.updateValue(value, forKey: key) == nil
                else { return nil }
            } while reader.take(UInt8(ascii: ","))
            return reader.take(UInt8(ascii: "}")) ? members : nil
        }
    }

    static func read<Value>(_ text: String, _ value: (inout EventReader.Reader) -> Value?) -> Value? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = EventReader.Reader(bytes: bytes)
            guard let read = value(&reader) else { return nil }
            reader.skipBlanks()
            return reader.index == bytes.count ? read : nil
        }
    }
}
