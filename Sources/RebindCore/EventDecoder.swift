import Foundation

/// Turns the raw body of `POST /v1/events` into a validated `RobotEvent`, or says precisely
/// which field is wrong.
public struct EventDecoder: Sendable {
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case invalidJSON(String)
        case invalidField(field: String, message: String)

        public var field: String? {
            if case .invalidField(let field, _) = self { return field }
            return nil
        }

        public var description: String {
            switch self {
            case .invalidJSON(let detail): "The body is not valid JSON: \(detail)"
            case .invalidField(let field, let message): "\(field): \(message)"
            }
        }
    }

    /// Exchanges the catalogue knows; an event naming any other is refused.
    public var knownExchanges: Set<String>
    public static let maxIdentifierLength = 256
    /// Exchanges' account ids are short numbers (Binance `354937868`, OKX `44705892343619584`).
    public static let maxExchangeUIDLength = 64

    public init(knownExchanges: Set<String>) {
        self.knownExchanges = knownExchanges
    }

    public func decode(_ body: Data) throws(Error) -> RobotEvent {
        let event = try Self.read(body)
        try validate(event)
        return event
    }

    /// The event the body holds, before validation: read byte by byte when it is plainly
    /// valid, otherwise decoded by `JSONDecoder`, whose error says what is wrong.
    static func read(_ body: Data) throws(Error) -> RobotEvent {
        if let event = EventReader.read(body) { return event }
        return try jsonDecode(body)
    }

    static func jsonDecode(_ body: Data) throws(Error) -> RobotEvent {
        do {
            return try Self.jsonDecoder.decode(RobotEvent.self, from: body)
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw .invalidJSON(String(describing: error))
        }
    }

    func validate(_ event: RobotEvent) throws(Error) {
        try Self.requireIdentifier(event.user.id, field: "user.id")
        try Self.requireIdentifier(event.account.id, field: "account.id")
        if let slack = event.user.slack {
            try Self.requireIdentifier(slack.teamId, field: "user.slack.team_id")
            try Self.requireIdentifier(slack.userId, field: "user.slack.user_id")
        }
        if let locale = event.user.locale, locale.isEmpty || locale.count > 35 {
            throw .invalidField(field: "user.locale", message: "must be a language tag such as \"en\"")
        }
        if let uid = event.account.exchangeUID {
            if uid.isBlank {
                throw .invalidField(field: "account.exchange_uid", message: "must not be empty")
            }
            // Counted as JSON Schema's maxLength counts: Unicode code points.
            if uid.unicodeScalars.count > Self.maxExchangeUIDLength {
                throw .invalidField(field: "account.exchange_uid", message: "must be at most \(Self.maxExchangeUIDLength) characters")
            }
        }
        let exchange = event.account.exchange
        guard knownExchanges.contains(exchange) else {
            let known = knownExchanges.sorted().joined(separator: ", ")
            throw .invalidField(field: "account.exchange", message: "unknown exchange \"\(exchange.prefix(40))\"; known: \(known)")
        }
        if event.type.reportsHalt {
            guard let robot = event.robot else {
                throw .invalidField(field: "robot", message: "is required for \(event.type.rawValue)")
            }
            try Self.requireIdentifier(robot.id, field: "robot.id")
            guard !robot.name.isBlank else {
                throw .invalidField(field: "robot.name", message: "must not be empty")
            }
            try Self.validateStake(of: robot)
            guard let reason = event.reason else {
                throw .invalidField(field: "reason", message: "is required for \(event.type.rawValue)")
            }
            guard !reason.text.isBlank else {
                throw .invalidField(field: "reason.text", message: "must not be empty")
            }
        } else if event.type == .robotResumed {
            guard let robot = event.robot else {
                throw .invalidField(field: "robot", message: "is required for robot.resumed")
            }
            try Self.requireIdentifier(robot.id, field: "robot.id")
        }
    }

    /// `robot.open_positions` (a whole number, 0 or more) and `robot.exposure` (a decimal
    /// string and a currency code).
    static func validateStake(of robot: RobotEvent.Robot) throws(Error) {
        if let positions = robot.openPositions, positions < 0 {
            throw .invalidField(field: "robot.open_positions", message: "must be a whole number, 0 or more")
        }
        if let exposure = robot.exposure {
            guard RobotEvent.Robot.Exposure.isDecimal(exposure.amount) else {
                throw .invalidField(
                    field: "robot.exposure.amount",
                    message: "must be a non-negative decimal string such as \"1234.56\" (no sign, exponent or grouping)"
                )
            }
            guard (1...12).contains(exposure.currency.count), exposure.currency.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) else {
                throw .invalidField(
                    field: "robot.exposure.currency",
                    message: "must be a currency code such as \"USDT\" (1 to 12 capital letters or digits)"
                )
            }
        }
    }

    static func requireIdentifier(_ value: String, field: String) throws(Error) {
        if value.isBlank {
            throw .invalidField(field: field, message: "must not be empty")
        }
        if value.utf8.count > maxIdentifierLength {
            throw .invalidField(field: field, message: "must be at most \(maxIdentifierLength) bytes")
        }
    }

    static let jsonDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "must be an RFC 3339 time such as 2026-11-26T09:30:00Z"
                )
            }
            return date
        }
        return decoder
    }()

    static func describe(_ error: DecodingError) -> Error {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            return keys.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
                .joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalidField(field: path(context.codingPath, key), message: "is required")
        case .valueNotFound(let type, let context):
            return .invalidField(field: path(context.codingPath), message: "must not be null (expected \(typeName(type)))")
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty {
                return .invalidJSON("the body must be a JSON object")
            }
            return .invalidField(field: path(context.codingPath), message: "must be \(typeName(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .invalidJSON(context.underlyingError.map { String(describing: $0) } ?? context.debugDescription)
            }
            let field = path(context.codingPath)
            if field == "type" {
                let known = EventType.allCases.map(\.rawValue).joined(separator: ", ")
                return .invalidField(field: field, message: "unknown event type; known: \(known)")
            }
            return .invalidField(field: field, message: context.debugDescription)
        @unknown default:
            return .invalidJSON(String(describing: error))
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int64.Type, is Int.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is Date.Type: "an RFC 3339 time string"
        default: "an object"
        }
    }
}

extension String {
    /// Empty or only whitespace. Cheaper than trimming, which goes through NSString.
    var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
