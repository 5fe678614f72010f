import Foundation

extension FakeTelegramServer {
    /// A JSON value as the fake received it: method parameters, read as loosely as Telegram
    /// reads them (numbers may come as strings, objects as JSON text in a form field).
    public enum JSONValue: Codable, Sendable, Equatable {
        case null
        case bool(Bool)
        case integer(Int64)
        case number(Double)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int64.self) {
                self = .integer(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([JSONValue].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: JSONValue].self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .integer(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .array(let value): try container.encode(value)
            case .object(let value): try container.encode(value)
            }
        }

        /// A string, or a number as text.
        public var string: String? {
            switch self {
            case .string(let value): value
            case .integer(let value): String(value)
            default: nil
            }
        }

        /// An integer, also from an integral number or a numeric string.
        public var integer: Int64? {
            switch self {
            case .integer(let value): value
            case .number(let value) where value.rounded() == value && abs(value) < 9e15: Int64(value)
            case .string(let value): Int64(value)
            default: nil
            }
        }

        public var bool: Bool? {
            switch self {
            case .bool(let value): value
            case .integer(let value): value != 0
            case .string("true"), .string("1"): true
            case .string("false"), .string("0"): false
            default: nil
            }
        }

        /// The value decoded as `T`; a string is read as JSON text first, as Telegram reads
        /// `reply_markup` in a form field.
        public func decode<T: Decodable>(_ type: T.Type) -> T? {
            let data: Data?
            if case .string(let text) = self {
                data = Data(text.utf8)
            } else {
                data = try? JSONEncoder().encode(self)
            }
            guard let data else { return nil }
            return try? JSONDecoder().decode(T.self, from: data)
        }

        public subscript(key: String) -> JSONValue? {
            if case .object(let object) = self { object[key] } else { nil }
        }

        public subscript(index: Int) -> JSONValue? {
            if case .array(let array) = self, array.indices.contains(index) { array[index] } else { nil }
        }
    }
}
