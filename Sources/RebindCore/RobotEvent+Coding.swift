import Foundation

// Explicit snake_case keys, so decoding errors name the field exactly as the sender wrote it.
extension RobotEvent {
    enum CodingKeys: String, CodingKey {
        case type, user, account, robot, reason
        case occurredAt = "occurred_at"
    }
}

extension RobotEvent.User {
    enum CodingKeys: String, CodingKey {
        case id, locale, slack
        case telegramChatId = "telegram_chat_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        locale = try container.decodeIfPresent(String.self, forKey: .locale)
        slack = try container.decodeIfPresent(RobotEvent.SlackIdentity.self, forKey: .slack)
        // A chat id too large for 64 bits, or with a fraction, is a wrong field, not bad JSON.
        do {
            telegramChatId = try container.decodeIfPresent(Int64.self, forKey: .telegramChatId)
        } catch {
            throw DecodingError.typeMismatch(
                Int64.self,
                .init(codingPath: container.codingPath + [CodingKeys.telegramChatId], debugDescription: "not a 64-bit integer")
            )
        }
    }
}

extension RobotEvent.SlackIdentity {
    enum CodingKeys: String, CodingKey {
        case teamId = "team_id"
        case userId = "user_id"
    }
}

extension RobotEvent.Account {
    enum CodingKeys: String, CodingKey {
        case id, exchange, label
        case apiKeyHint = "api_key_hint"
        case boundAt = "bound_at"
        case exchangeUID = "exchange_uid"
        case ipRestricted = "ip_restricted"
        case expiresAt = "expires_at"
    }
}

extension RobotEvent.Robot {
    enum CodingKeys: String, CodingKey {
        case id, name, market, exposure
        case openPositions = "open_positions"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        market = try container.decodeIfPresent(Market.self, forKey: .market)
        exposure = try container.decodeIfPresent(Exposure.self, forKey: .exposure)
        // A fraction is a wrong field, not bad JSON.
        do {
            openPositions = try container.decodeIfPresent(Int.self, forKey: .openPositions)
        } catch {
            throw DecodingError.typeMismatch(
                Int.self,
                .init(codingPath: container.codingPath + [CodingKeys.openPositions], debugDescription: "not a whole number")
            )
        }
    }
}

extension RobotEvent.Reason {
    enum CodingKeys: String, CodingKey {
        case text, code, message
    }

    /// Exchanges' codes are numbers (`-2015`, `50111`); platforms send them as strings or numbers.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        text = try container.decode(String.self, forKey: .text)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        if let number = try? container.decodeIfPresent(Int64.self, forKey: .code) {
            code = String(number)
        } else {
            code = try container.decodeIfPresent(String.self, forKey: .code)
        }
    }
}
