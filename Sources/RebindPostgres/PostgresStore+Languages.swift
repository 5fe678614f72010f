import Foundation
import Logging
import PostgresNIO
import RebindCore

extension PostgresStore {
    public func setChosenLanguage(_ locale: String?, chat: ChatAddress, now: Date) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO chat_languages (address, chosen, chosen_at) VALUES (\(chat.description), \(locale), \(now.timeIntervalSince1970))
                ON CONFLICT (address) DO UPDATE SET chosen = excluded.chosen, chosen_at = excluded.chosen_at
                """,
                logger: self.logger
            )
        }
    }

    public func recordReportedLanguage(_ tag: String, chat: ChatAddress, now: Date) async throws {
        try await withConnection { connection in
            // Written only when it changed: every message reports it.
            try await connection.run(
                """
                INSERT INTO chat_languages (address, reported, reported_at) VALUES (\(chat.description), \(tag), \(now.timeIntervalSince1970))
                ON CONFLICT (address) DO UPDATE SET reported = excluded.reported, reported_at = excluded.reported_at
                WHERE chat_languages.reported IS DISTINCT FROM excluded.reported
                """,
                logger: self.logger
            )
        }
    }

    public func languagePreferences(userID: String?, chat: ChatAddress?) async throws -> LanguagePreferences {
        try await withConnection { connection in
            var event: String?
            var chats: [ChatAddress] = chat.map { [$0] } ?? []
            if let userID {
                event =
                    try await connection.first(
                        "SELECT locale FROM users WHERE id = \(userID)",
                        logger: self.logger,
                        table: "users"
                    ) { try $0("locale", as: String?.self) } ?? nil
                chats += try await Self.chats(ofUser: userID, on: connection, logger: self.logger).filter { $0 != chat }
            }
            guard !chats.isEmpty else { return LanguagePreferences(event: event) }
            let rows = try await connection.all(
                "SELECT * FROM chat_languages WHERE address = ANY(\(chats.map(\.description)))",
                logger: self.logger,
                table: "chat_languages"
            ) { row -> ChatLanguage? in
                guard let address = ChatAddress(storageKey: try row("address", as: String.self)) else { return nil }
                return ChatLanguage(
                    chat: address,
                    chosen: try row("chosen", as: String?.self),
                    chosenAt: try row.optionalDate("chosen_at"),
                    reported: try row("reported", as: String?.self),
                    reportedAt: try row.optionalDate("reported_at")
                )
            }
            return LanguagePreferences(event: event, chats: rows.compactMap { $0 })
        }
    }
}
