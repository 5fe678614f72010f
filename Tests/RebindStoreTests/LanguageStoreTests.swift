import Foundation
import RebindCore
import Testing

@Suite("Store, languages")
struct LanguageStoreTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)
    let telegram = ChatAddress(channel: .telegram, id: "555")
    let slack = ChatAddress.slack(teamID: "T1", userID: "U1")
    let matcher = LocaleMatcher(available: ["en", "zh-Hans"], defaultLocale: "en")

    func paused(_ id: String, user: String, locale: String?) -> IncomingEvent {
        let event = RobotEvent(
            type: .robotPaused,
            occurredAt: now,
            user: .init(id: user, locale: locale),
            account: .init(id: "acc_\(user)", exchange: "binance"),
            robot: .init(id: "rb_1", name: "Grid"),
            reason: .init(text: "API expired or no permission")
        )
        return IncomingEvent(id: id, event: event, cause: .keyExpired, body: Data("{}".utf8), receivedAt: now)
    }

    func link(_ chat: ChatAddress, to user: String, _ store: any TestableStore) async throws {
        let link = NewLink(
            tokenHash: "h-\(chat)",
            userID: user,
            displayName: user,
            webhookID: "msg-\(chat)",
            expiresAt: now.addingTimeInterval(86400)
        )
        _ = try await store.createLink(link, now: now)
        _ = try await store.redeemLink(tokenHash: "h-\(chat)", chat: chat, now: now)
    }

    @Test("What a chat's app reports is kept per chat, and a /language choice beats it", arguments: StoreKind.available)
    func reportedAndChosen(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            #expect(try await store.languagePreferences(userID: nil, chat: telegram) == LanguagePreferences())
            try await store.recordReportedLanguage("zh-hans", chat: telegram, now: now)
            #expect(try await store.languagePreferences(userID: nil, chat: telegram) == LanguagePreferences(telegram: "zh-hans"))
            #expect(try await store.languagePreferences(userID: nil, chat: telegram).locale(matcher) == "zh-Hans")
            // The same report again changes nothing; a new one replaces it.
            try await store.recordReportedLanguage("zh-hans", chat: telegram, now: now.addingTimeInterval(5))
            try await store.recordReportedLanguage("en", chat: telegram, now: now.addingTimeInterval(10))
            #expect(try await store.languagePreferences(userID: nil, chat: telegram).telegram == "en")

            try await store.setChosenLanguage("zh-Hans", chat: telegram, now: now.addingTimeInterval(20))
            let preferences = try await store.languagePreferences(userID: nil, chat: telegram)
            #expect(preferences == LanguagePreferences(chosen: "zh-Hans", telegram: "en"))
            #expect(preferences.locale(matcher) == "zh-Hans")
            try await store.setChosenLanguage(nil, chat: telegram, now: now.addingTimeInterval(30))
            #expect(try await store.languagePreferences(userID: nil, chat: telegram).chosen == nil)
        }
    }

    @Test("A user's language comes from all of their chats and their events' locale", arguments: StoreKind.available)
    func ofUser(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(paused("e1", user: "u_1", locale: "zh-CN"))
            try await link(telegram, to: "u_1", store)
            try await link(slack, to: "u_1", store)
            try await store.recordReportedLanguage("en", chat: telegram, now: now)
            try await store.recordReportedLanguage("en-US", chat: slack, now: now)
            #expect(
                try await store.languagePreferences(userID: "u_1", chat: nil)
                    == LanguagePreferences(event: "zh-CN", telegram: "en", slack: "en-US")
            )
            // The event's locale comes before what the apps report.
            #expect(try await store.languagePreferences(userID: "u_1", chat: nil).locale(matcher) == "zh-Hans")
            // A choice made in one chat is the user's, in every chat.
            try await store.setChosenLanguage("en", chat: slack, now: now.addingTimeInterval(60))
            #expect(try await store.languagePreferences(userID: "u_1", chat: telegram).locale(matcher) == "en")
            // Another user's chats say nothing of this one's.
            #expect(try await store.languagePreferences(userID: "u_2", chat: nil) == LanguagePreferences())
        }
    }
}
