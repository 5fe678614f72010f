import Foundation

/// Reads the body of `POST /v1/events` byte by byte, for the one shape an event has, without
/// `JSONDecoder`'s generic machinery (which was 8 % of the service's CPU per event; bench/README.md,
/// issue 15).
///
/// It only ever says yes to plainly valid JSON of that shape and gives up (nil) at anything
/// else: a syntax error, a missing or repeated field, a value of the wrong kind, a number with a
/// fraction or exponent where a whole number goes, an unknown event type or market, a time that
/// is not RFC 3339, nesting deeper than `maxDepth`. `EventDecoder` then decodes the body with
/// `JSONDecoder`, which decides and names the error: what is refused and how it is described
/// are the same as without this reader. Fields it does not know are skipped, as `JSONDecoder`
/// skips them, after their syntax is checked.
enum EventReader {
    static let maxDepth = 32

    static func read(_ body: Data) -> RobotEvent? {
        body.withUnsafeBytes { raw in
            var reader = Reader(bytes: raw.bindMemory(to: UInt8.self))
            guard let event = reader.event() else { return nil }
            reader.skipBlanks()
            return reader.index == reader.bytes.count ? event : nil
        }
    }

    /// A cursor over the body. Every method returns nil (or false) at anything it does not
    /// accept; the caller gives up then, so where the cursor stopped does not matter.
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        // MARK: The event's shape

        static let eventKeys = ["type", "occurred_at", "user", "account", "robot", "reason"]

        mutating func event() -> RobotEvent? {
            var type: EventType?
            var occurredAt: Date?
            var user: RobotEvent.User?
            var account: RobotEvent.Account?
            var robot: RobotEvent.Robot?
            var reason: RobotEvent.Reason?
            let read = object(depth: 0, keys: Self.eventKeys) { reader, key in
                switch key {
                case "type":
                    type = reader.string().flatMap(EventType.init(rawValue:))
                    return type != nil
                case "occurred_at":
                    occurredAt = reader.date()
                    return occurredAt != nil
                case "user":
                    user = reader.user()
                    return user != nil
                case "account":
                    account = reader.account()
                    return account != nil
                case "robot": return reader.optional(&robot) { $0.robot() }
                case "reason": return reader.optional(&reason) { $0.reason() }
                default: return nil
                }
            }
            guard read, let type, let occurredAt, let user, let account else { return nil }
            return RobotEvent(type: type, occurredAt: occurredAt, user: user, account: account, robot: robot, reason: reason)
        }

        static let userKeys = ["id", "locale", "telegram_chat_id", "slack"]

        mutating func user() -> RobotEvent.User? {
            var id: String?
            var locale: String?
            var telegramChatId: Int64?
            var slack: RobotEvent.SlackIdentity?
            let read = object(depth: 1, keys: Self.userKeys) { reader, key in
                switch key {
                case "id":
                    id = reader.string()
                    return id != nil
                case "locale": return reader.optional(&locale) { $0.string() }
                case "telegram_chat_id": return reader.optional(&telegramChatId) { $0.integer() }
                case "slack": return reader.optional(&slack) { $0.slack() }
                default: return nil
                }
            }
            guard read, let id else { return nil }
            return RobotEvent.User(id: id, locale: locale, telegramChatId: telegramChatId, slack: slack)
        }

        mutating func slack() -> RobotEvent.SlackIdentity? {
            twoStrings(depth: 2, keys: ["team_id", "user_id"]).map { RobotEvent.SlackIdentity(teamId: $0, userId: $1) }
        }

        /// An object of two required strings, in `keys`' order.
        mutating func twoStrings(depth: Int, keys: [String]) -> (String, String)? {
            var values: [String?] = [nil, nil]
            let read = object(depth: depth, keys: keys) { reader, key in
                guard let slot = keys.firstIndex(of: key) else { return nil }
                values[slot] = reader.string()
                return values[slot] != nil
            }
            guard read, let first = values[0], let second = values[1] else { return nil }
            return (first, second)
        }

        static let accountKeys = ["id", "exchange", "label", "api_key_hint", "bound_at", "exchange_uid", "ip_restricted", "expires_at"]

        mutating func account() -> RobotEvent.Account? {
            var id: String?
            var exchange: String?
            var label: String?
            var apiKeyHint: String?
            var boundAt: Date?
            var exchangeUID: String?
            var ipRestricted: Bool?
            var expiresAt: Date?
            let read = object(depth: 1, keys: Self.accountKeys) { reader, key in
                switch key {
                case "id":
                    id = reader.string()
                    return id != nil
                case "exchange":
                    exchange = reader.string()
                    return exchange != nil
                case "label": return reader.optional(&label) { $0.string() }
                case "api_key_hint": return reader.optional(&apiKeyHint) { $0.string() }
                case "bound_at": return reader.optional(&boundAt) { $0.date() }
                case "exchange_uid": return reader.optional(&exchangeUID) { $0.string() }
                case "ip_restricted": return reader.optional(&ipRestricted) { $0.boolean() }
                case "expires_at": return reader.optional(&expiresAt) { $0.date() }
                default: return nil
                }
            }
            guard read, let id, let exchange else { return nil }
            return RobotEvent.Account(
                id: id,
                exchange: exchange,
                label: label,
                apiKeyHint: apiKeyHint,
                boundAt: boundAt,
                exchangeUID: exchangeUID,
                ipRestricted: ipRestricted,
                expiresAt: expiresAt
            )
        }

        static let robotKeys = ["id", "name", "market", "open_positions", "exposure"]

        mutating func robot() -> RobotEvent.Robot? {
            var id: String?
            var name: String?
            var market: RobotEvent.Robot.Market?
            var openPositions: Int64?
            var exposure: RobotEvent.Robot.Exposure?
            let read = object(depth: 1, keys: Self.robotKeys) { reader, key in
                switch key {
                case "id":
                    id = reader.string()
                    return id != nil
                case "name":
                    name = reader.string()
                    return name != nil
                case "market": return reader.optional(&market) { $0.string().flatMap(RobotEvent.Robot.Market.init(rawValue:)) }
                case "open_positions": return reader.optional(&openPositions) { $0.integer() }
                case "exposure": return reader.optional(&exposure) { $0.exposure() }
                default: return nil
                }
            }
            guard read, let id, let name else { return nil }
            return RobotEvent.Robot(id: id, name: name, market: market, openPositions: openPositions.map(Int.init), exposure: exposure)
        }

        mutating func exposure() -> RobotEvent.Robot.Exposure? {
            twoStrings(depth: 2, keys: ["amount", "currency"]).map { RobotEvent.Robot.Exposure(amount: $0, currency: $1) }
        }

        static let reasonKeys = ["text", "code", "message"]

        mutating func reason() -> RobotEvent.Reason? {
            var text: String?
            var code: String?
            var message: String?
            let read = object(depth: 1, keys: Self.reasonKeys) { reader, key in
                switch key {
                case "text":
                    text = reader.string()
                    return text != nil
                case "message": return reader.optional(&message) { $0.string() }
                case "code":
                    // A code is a whole number or a string, as `Reason`'s decoding takes it.
                    reader.skipBlanks()
                    return reader.optional(&code) { reader in
                        reader.peek == UInt8(ascii: "\"") ? reader.string() : reader.integer().map { String($0) }
                    }
                default: return nil
                }
            }
            guard read, let text else { return nil }
            return RobotEvent.Reason(text: text, code: code, message: message)
        }

        /// A field that may be null or absent: null leaves it nil.
        mutating func optional<Value>(_ value: inout Value?, _ read: (inout Reader) -> Value?) -> Bool {
            skipBlanks()
            if peek == UInt8(ascii: "n") { return literal("null") }
            value = read(&self)
            return value != nil
        }

        /// An object's members. `member` reads a known key's value and says whether it was
        /// accepted, or returns nil for a key it does not know, whose value is then skipped.
        /// A known key seen twice gives up (which of the two `JSONDecoder` keeps is its own):
        /// `keys` lists the known keys, at most 64.
        mutating func object(depth: Int, keys: [String], _ member: (inout Reader, String) -> Bool?) -> Bool {
            guard depth < EventReader.maxDepth, take(UInt8(ascii: "{")) else { return false }
            var seen: UInt64 = 0
            if take(UInt8(ascii: "}")) { return true }
            while true {
                guard let key = string(), take(UInt8(ascii: ":")) else { return false }
                switch member(&self, key) {
                case .some(true):
                    guard let bit = keys.firstIndex(of: key), seen & (1 << bit) == 0 else { return false }
                    seen |= 1 << bit
                case .some(false): return false
                case nil: guard skipValue(depth: depth + 1) else { return false }
                }
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "}"))
            }
        }

        // MARK: JSON values

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipBlanks() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
                default: return
                }
            }
        }

        /// The next byte after blanks, consumed when it is `byte`.
        mutating func take(_ byte: UInt8) -> Bool {
            skipBlanks()
            guard peek == byte else { return false }
            index += 1
            return true
        }

        /// `word`, here, byte for byte (inside a string too: blanks are not skipped).
        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func boolean() -> Bool? {
            skipBlanks()
            if peek == UInt8(ascii: "t") { return literal("true") ? true : nil }
            return literal("false") ? false : nil
        }

        mutating func date() -> Date? {
            string().flatMap(Timestamp.parse)
        }

        /// A whole number that fits in 64 bits: `-?(0|[1-9][0-9]*)` and nothing after it
        /// (no fraction, no exponent; `-0` too is left to `JSONDecoder`).
        mutating func integer() -> Int64? {
            skipBlanks()
            let negative = peek == UInt8(ascii: "-")
            if negative { index += 1 }
            let start = index
            var magnitude: UInt64 = 0
            while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let (times, overflowTimes) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !overflowTimes, !overflowSum else { return nil }
                magnitude = sum
                index += 1
            }
            let digits = index - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            if let next = peek, next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") { return nil }
            if negative {
                guard magnitude != 0, magnitude <= UInt64(Int64.max) + 1 else { return nil }
                return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
            }
            return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }

        /// A string: its escapes decoded, every byte valid UTF-8, no control character.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            var ascii = true
            // Without escapes (nearly always), the bytes are the string.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    // ASCII is valid UTF-8 as it stands; `String(validating:)` is generic over the
                    // encoding and looked up its metadata for every string (bench/README.md).
                    return ascii ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { return nil }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
            guard index < bytes.count else { return nil }
            var decoded = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(validating: decoded, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let escaped = peek else { return nil }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escaped)
                    case UInt8(ascii: "b"): decoded.append(0x08)
                    case UInt8(ascii: "f"): decoded.append(0x0C)
                    case UInt8(ascii: "n"): decoded.append(0x0A)
                    case UInt8(ascii: "r"): decoded.append(0x0D)
                    case UInt8(ascii: "t"): decoded.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        decoded.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                case 0..<0x20: return nil
                default: decoded.append(byte)
                }
            }
            return nil
        }

        /// After `\u`: four hex digits, and a second `\uXXXX` when they are a high surrogate.
        /// A lone surrogate gives up.
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let first = hex4() else { return nil }
            switch first {
            case 0xD800...0xDBFF:
                guard literal("\\u"), let second = hex4(), (0xDC00...0xDFFF).contains(second) else { return nil }
                return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            case 0xDC00...0xDFFF: return nil
            default: return Unicode.Scalar(first)
            }
        }

        mutating func hex4() -> UInt32? {
            guard bytes.count - index >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// Checks and passes over any value of a field this reader does not know. Numbers are
        /// whole or with a fraction (an exponent gives up); nesting is bounded.
        mutating func skipValue(depth: Int) -> Bool {
            guard depth < EventReader.maxDepth else { return false }
            skipBlanks()
            switch peek {
            case UInt8(ascii: "\""): return string() != nil
            case UInt8(ascii: "{"): return object(depth: depth, keys: []) { _, _ in nil }
            case UInt8(ascii: "["):
                index += 1
                if take(UInt8(ascii: "]")) { return true }
                repeat {
                    guard skipValue(depth: depth + 1) else { return false }
                } while take(UInt8(ascii: ","))
                return take(UInt8(ascii: "]"))
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return skipNumber()
            }
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`: an exponent gives up.
        mutating func skipNumber() -> Bool {
            func digits(_ reader: inout Reader) -> Int {
                let start = reader.index
                while let byte = reader.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { reader.index += 1 }
                return reader.index - start
            }
            if peek == UInt8(ascii: "-") { index += 1 }
            let start = index
            let whole = digits(&self)
            guard whole > 0, whole == 1 || bytes[start] != UInt8(ascii: "0") else { return false }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { return false }
            }
            return peek != UInt8(ascii: "e") && peek != UInt8(ascii: "E")
        }
    }
}
