/// Telegram's reading of `parse_mode: HTML`, close enough to refuse what Telegram refuses: an
/// unescaped `<`, an unsupported or unclosed tag, a mismatched end tag. Gives the text as the
/// user sees it, with the markup gone and the entities (`&lt;`, `&#123;`, …) decoded.
struct TelegramHTMLText {
    /// The tags Telegram supports.
    static let supportedTags: Set<String> = [
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "tg-emoji",
        "code", "pre", "blockquote",
    ]

    /// `Bad Request: can't parse entities: …` without that prefix, as Telegram words it.
    struct Error: Swift.Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static func plainText(of html: String) throws(Error) -> String {
        let bytes = Array(html.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var open: [String] = []
        var index = 0

        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "&") {
                if let (decoded, length) = entity(in: bytes, at: index) {
                    output.append(contentsOf: decoded)
                    index += length
                } else {
                    output.append(byte)
                    index += 1
                }
                continue
            }
            guard byte == UInt8(ascii: "<") else {
                output.append(byte)
                index += 1
                continue
            }
            let start = index
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "/") {
                // An end tag.
                index += 1
                guard let expected = open.last else { throw Error(description: "Unexpected end tag at byte offset \(start)") }
                let nameStart = index
                while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: ">") { index += 1 }
                let name = String(decoding: bytes[nameStart..<index], as: UTF8.self).lowercased()
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else {
                    throw Error(description: "Unclosed end tag at byte offset \(start)")
                }
                index += 1
                if !name.isEmpty, name != expected {
                    throw Error(
                        description: "Unmatched end tag at byte offset \(start), expected \"</\(expected)>\", found \"</\(name)>\""
                    )
                }
                open.removeLast()
                continue
            }
            // A start tag: its name, then attributes up to '>'.
            let nameStart = index
            while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: ">") { index += 1 }
            guard index < bytes.count else { throw Error(description: "Unclosed start tag at byte offset \(start)") }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self).lowercased()
            guard supportedTags.contains(name) else {
                throw Error(description: "Unsupported start tag \"\(name)\" at byte offset \(start)")
            }
            while index < bytes.count, bytes[index] != UInt8(ascii: ">") {
                if bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
                    let quote = bytes[index]
                    index += 1
                    while index < bytes.count, bytes[index] != quote { index += 1 }
                    guard index < bytes.count else { throw Error(description: "Unclosed start tag at byte offset \(start)") }
                }
                index += 1
            }
            guard index < bytes.count else { throw Error(description: "Unclosed start tag at byte offset \(start)") }
            index += 1
            open.append(name)
        }
        if let unclosed = open.last {
            throw Error(description: "Can't find end tag corresponding to start tag \"\(unclosed)\"")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The entity at `index` (which holds `&`) and its length, or nil when it is not one
    /// Telegram decodes, in which case the `&` is plain text.
    private static func entity(in bytes: [UInt8], at index: Int) -> ([UInt8], Int)? {
        guard let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { return nil }
        let body = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
        let length = semicolon - index + 1
        switch body {
        case "lt": return (Array("<".utf8), length)
        case "gt": return (Array(">".utf8), length)
        case "amp": return (Array("&".utf8), length)
        case "quot": return (Array("\"".utf8), length)
        default: break
        }
        guard body.hasPrefix("#") else { return nil }
        let digits = body.dropFirst()
        let value: UInt32? =
            if digits.hasPrefix("x") || digits.hasPrefix("X") { UInt32(digits.dropFirst(), radix: 16) } else { UInt32(digits) }
        guard let value, let scalar = Unicode.Scalar(value) else { return nil }
        return (Array(String(Character(scalar)).utf8), length)
    }
}
