import Foundation
import GRDB
import RebindCore

extension SQLiteStore {
    public func setChosenLanguage(_ locale: String?, chat: ChatAddress, now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO chat_languages (address, chosen, chosen_at) VALUES (?, ?, ?)
                    ON CONFLICT (address) DO UPDATE SET chosen = excluded.chosen, chosen_at = excluded.chosen_at
                    """,
                arguments: [chat.description, locale, now.timeIntervalSince1970]
            )
        }
    }

    public func recordReportedLanguage(_ tag: String, chat: ChatAddress, now: Date) async throws {
        try await pool.write { db in
            // Written only when it changed: every message reports it.
            try db.execute(
                sql: """
                    INSERT INTO chat_languages (address, reported, reported_at) VALUES (?, ?, ?)
                    ON CONFLICT (address) DO UPDATE SET reported = excluded.reported, reported_at = excluded.reported_at
                    WHERE chat_languages.reported IS NOT excluded.reported
                    """,
                arguments: [chat.description, tag, now.timeIntervalSince1970]
            )
        }
    }

    public func languagePreferences(userID: String?, chat: ChatAddress?) async throws -> LanguagePreferences {
        try await pool.read { db in
            var event: String?
            var chats: [ChatAddress] = chat.map { [$0] } ?? []
            if let userID {
                event = try String.fetchOne(db, sql: "SELECT locale FROM users WHERE id = ?", arguments: [userID])
                chats += try Self.chats(ofUser: userID, in: db).filter { $0 != chat }
            }
            guard !chats.isEmpty else { return LanguagePreferences(event: event) }
            let marks = Array(repeating: "?", count: chats.count).joined(separator: ", ")
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM chat_languages WHERE address IN (\(marks))",
                arguments: StatementArguments(chats.map(\.description))
            )
            return LanguagePreferences(
                event: event,
                chats: rows.compactMap { row in
                    ChatAddress(storageKey: row["address"]).map { address in
                        ChatLanguage(
                            chat: address,
                            chosen: row["chosen"],
                            chosenAt: (row["chosen_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                            reported: row["reported"],
                            reportedAt: (row["reported_at"] as Double?).map(Date.init(timeIntervalSince1970:))
                        )
                    }
                }
            )
        }
    }
}
