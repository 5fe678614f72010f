import Foundation
import RebindCore
import Synchronization
import Testing

@Suite("Store, chat side")
struct ChatStoreTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)
    let chat = ChatAddress(channel: .telegram, id: "555")
    let policy = IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 2)

    func paused(_ id: String, user: String = "u_1", chatID: Int64? = nil) -> IncomingEvent {
        let event = RobotEvent(
            type: .robotPaused,
            occurredAt: now,
            user: .init(id: user, telegramChatId: chatID),
            account: .init(id: "acc_\(user)", exchange: "binance"),
            robot: .init(id: "rb_1", name: "Grid"),
            reason: .init(text: "API expired or no permission")
        )
        return IncomingEvent(id: id, event: event, cause: .keyExpired, body: Data("{}".utf8), receivedAt: now)
    }

    func newLink(_ hash: String, user: String = "u_1", name: String = "j***@example.com", webhookID: String? = nil) -> NewLink {
        NewLink(tokenHash: hash, userID: user, displayName: name, webhookID: webhookID ?? "msg_\(hash)", expiresAt: now.addingTimeInterval(86400))
    }

    @Test("A link token is only looked at until Confirm spends it, once, before it expires", arguments: StoreKind.available)
    func links(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            let created = try await store.createLink(newLink("h1"), now: now)
            #expect(created)
            #expect(try await store.pendingLink(tokenHash: "h1", now: now) == PendingLink(userID: "u_1", displayName: "j***@example.com"))
            // Asking does not link.
            #expect(try await store.owner(of: chat) == .nobody)
            #expect(try await store.pendingLink(tokenHash: "h1", now: now.addingTimeInterval(86401)) == nil)
            #expect(try await store.redeemLink(tokenHash: "h1", chat: chat, now: now.addingTimeInterval(86401)) == nil)
            #expect(
                try await store.redeemLink(tokenHash: "h1", chat: chat, now: now)
                    == RedeemedLink(userID: "u_1", displayName: "j***@example.com", previousUserID: nil)
            )
            #expect(try await store.redeemLink(tokenHash: "h1", chat: chat, now: now) == nil)
            #expect(try await store.pendingLink(tokenHash: "h1", now: now) == nil)
            #expect(try await store.redeemLink(tokenHash: "unknown", chat: chat, now: now) == nil)
            #expect(try await store.owner(of: chat) == .linked(userID: "u_1", displayName: "j***@example.com"))
            #expect(try await store.userID(linkedTo: chat) == "u_1")
            #expect(try await store.chats(ofUser: "u_1") == [chat])
        }
    }

    @Test("A repeated webhook-id makes no second link", arguments: StoreKind.available)
    func linkReplay(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            let created = try await store.createLink(newLink("h1", webhookID: "msg_1"), now: now)
            #expect(created)
            #expect(try await !store.createLink(newLink("h2", webhookID: "msg_1"), now: now))
            #expect(try await store.pendingLink(tokenHash: "h2", now: now) == nil)
            #expect(try await store.pendingLink(tokenHash: "h1", now: now) != nil)
        }
    }

    @Test("Confirming another user's link moves the chat: the earlier user loses it and its conversation", arguments: StoreKind.available)
    func relink(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            _ = try await store.createLink(newLink("victim", user: "u_victim", name: "v***@example.com"), now: now)
            _ = try await store.createLink(newLink("stranger", user: "u_stranger", name: "s***@example.com"), now: now)
            _ = try await store.redeemLink(tokenHash: "victim", chat: chat, now: now)
            try await store.saveConversation(SealedData(keyID: "k1", data: Data([1])), chat: chat, activeAt: now)
            let moved = try await store.redeemLink(tokenHash: "stranger", chat: chat, now: now)
            #expect(moved == RedeemedLink(userID: "u_stranger", displayName: "s***@example.com", previousUserID: "u_victim"))
            #expect(try await store.owner(of: chat) == .linked(userID: "u_stranger", displayName: "s***@example.com"))
            #expect(try await store.chats(ofUser: "u_victim").isEmpty)
            #expect(try await store.conversation(chat: chat) == nil)
        }
    }

    @Test("A chat id from the platform's event identifies the user too", arguments: StoreKind.available)
    func chatFromEvent(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            _ = try await store.ingest(paused("e1", chatID: 555))
            #expect(try await store.owner(of: chat) == .named(userID: "u_1"))
            #expect(try await store.chats(ofUser: "u_1") == [chat])
            try await store.markBlocked(chat, now: now)
            #expect(try await store.chats(ofUser: "u_1").isEmpty)
            // Blocking is no link: the chat is still the named user's, not linked to them.
            #expect(try await store.owner(of: chat) == .named(userID: "u_1"))
        }
    }

    @Test(
        "One owner per chat: a link beats the platform's naming, two users naming one chat get neither, unlink detaches",
        arguments: StoreKind.available
    )
    func oneOwner(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            // Two users' events name chat 555: it is ambiguous and goes to neither.
            _ = try await store.ingest(paused("e1", user: "u_1", chatID: 555))
            _ = try await store.ingest(paused("e2", user: "u_2", chatID: 555))
            #expect(try await store.owner(of: chat) == .ambiguous)
            #expect(try await store.userID(linkedTo: chat) == nil)
            #expect(try await store.chats(ofUser: "u_1").isEmpty)
            #expect(try await store.chats(ofUser: "u_2").isEmpty)
            // u_2 links it: it is u_2's alone, whatever u_1's events say.
            _ = try await store.createLink(newLink("h2", user: "u_2", name: "second"), now: now)
            let linked = try await store.redeemLink(tokenHash: "h2", chat: chat, now: now)
            #expect(linked?.previousUserID == nil)
            #expect(try await store.owner(of: chat) == .linked(userID: "u_2", displayName: "second"))
            #expect(try await store.chats(ofUser: "u_2") == [chat])
            #expect(try await store.chats(ofUser: "u_1").isEmpty)
            // Another chat linked by u_1 while u_1's events name 555: only the linked one.
            let other = ChatAddress(channel: .telegram, id: "777")
            _ = try await store.createLink(newLink("h1", user: "u_1", name: "first"), now: now)
            _ = try await store.redeemLink(tokenHash: "h1", chat: other, now: now)
            #expect(try await store.chats(ofUser: "u_1") == [other])
            // Unlinked, the chat is nobody's, and u_2's naming does not bring it back.
            #expect(try await store.unlink(chat, now: now) == "u_2")
            #expect(try await store.owner(of: chat) == .nobody)
            #expect(try await store.chats(ofUser: "u_2").isEmpty)
            #expect(try await store.unlink(chat, now: now) == nil)
            // Linking it again works as before.
            _ = try await store.createLink(newLink("h3", user: "u_2", name: "second"), now: now)
            _ = try await store.redeemLink(tokenHash: "h3", chat: chat, now: now)
            #expect(try await store.chats(ofUser: "u_2") == [chat])
        }
    }

    @Test("A Slack user named by one user's events is theirs; named by two, neither's", arguments: StoreKind.available)
    func slackOwner(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            let slack = ChatAddress.slack(teamID: "T0001", userID: "U0001")
            func named(_ id: String, user: String) -> IncomingEvent {
                var incoming = paused(id, user: user)
                incoming.event.user.slack = .init(teamId: "T0001", userId: "U0001")
                return incoming
            }
            _ = try await store.ingest(named("e1", user: "u_1"))
            #expect(try await store.owner(of: slack) == .named(userID: "u_1"))
            #expect(try await store.chats(ofUser: "u_1") == [slack])
            _ = try await store.ingest(named("e2", user: "u_2"))
            #expect(try await store.owner(of: slack) == .ambiguous)
            #expect(try await store.chats(ofUser: "u_1").isEmpty)
        }
    }

    @Test("Urgent incidents' first messages go first; one waiting past the urgent wait goes before them", arguments: StoreKind.available)
    func urgentFirst(_ kind: StoreKind) async throws {
        let policy = IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 2, urgentMaxWait: 600)
        try await withStore(kind, policy: policy) { store in
            func event(_ id: String, user: String, at offset: TimeInterval, positions: Int?) -> IncomingEvent {
                var incoming = paused(id, user: user)
                incoming.event.robot?.openPositions = positions
                incoming.receivedAt = now.addingTimeInterval(offset)
                return incoming
            }
            _ = try await store.ingest(event("calm_old", user: "u_a", at: 0, positions: nil))
            _ = try await store.ingest(event("calm_new", user: "u_b", at: 100, positions: 0))
            _ = try await store.ingest(event("urgent", user: "u_c", at: 200, positions: 3))
            let early = try await store.claimNotices(now: now.addingTimeInterval(300), limit: 10, leaseUntil: now.addingTimeInterval(300))
            #expect(early.map(\.notice.incidentID) == ["urgent", "calm_old", "calm_new"])
            for notice in early { try await store.deferNotice(id: notice.id, at: now.addingTimeInterval(300)) }
            // calm_old has waited past the urgent wait: it goes before the urgent one.
            let late = try await store.claimNotices(now: now.addingTimeInterval(650), limit: 10, leaseUntil: now.addingTimeInterval(650))
            #expect(late.map(\.notice.incidentID) == ["calm_old", "urgent", "calm_new"])
        }
    }

    @Test("A parked notice waits for the user to link a chat, then is due at once", arguments: StoreKind.available)
    func parkedUntilLinked(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            _ = try await store.ingest(paused("e1"))
            let due = try await store.dueNotices(now: now.addingTimeInterval(10), limit: 10)
            #expect(due.map(\.notice) == [.announce(incidentID: "e1", at: now.addingTimeInterval(10))])
            try await store.parkNotice(id: due[0].id)
            #expect(try await store.dueNotices(now: now.addingTimeInterval(100), limit: 10).isEmpty)
            _ = try await store.createLink(newLink("h"), now: now)
            _ = try await store.redeemLink(tokenHash: "h", chat: chat, now: now.addingTimeInterval(200))
            #expect(try await store.dueNotices(now: now.addingTimeInterval(200), limit: 10).map(\.id) == [due[0].id])
        }
    }

    @Test("Updates are stored once per external id and processed in order", arguments: StoreKind.available)
    func updates(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            #expect(try await store.recordUpdate(channel: .telegram, externalID: "1", payload: Data("a".utf8), now: now))
            #expect(try await store.recordUpdate(channel: .telegram, externalID: "2", payload: Data("b".utf8), now: now))
            #expect(try await !store.recordUpdate(channel: .telegram, externalID: "1", payload: Data("a".utf8), now: now))
            let pending = try await store.pendingUpdates(limit: 10)
            #expect(pending.map(\.payload) == [Data("a".utf8), Data("b".utf8)])
            try await store.completeUpdate(id: pending[0].id)
            #expect(try await store.pendingUpdates(limit: 10).map(\.payload) == [Data("b".utf8)])
        }
    }

    @Test("Retries, dead letters and reminders follow the notice's state", arguments: StoreKind.available)
    func noticeLifecycle(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            _ = try await store.ingest(paused("e1", chatID: 555))
            let due = try #require(try await store.dueNotices(now: now.addingTimeInterval(10), limit: 10).first)
            try await store.retryNotice(id: due.id, at: now.addingTimeInterval(60), attempts: 1, firstAttemptAt: now, error: "HTTP 502")
            #expect(try await store.dueNotices(now: now.addingTimeInterval(30), limit: 10).isEmpty)
            let retried = try #require(try await store.dueNotices(now: now.addingTimeInterval(60), limit: 10).first)
            #expect(retried.attempts == 1)
            try await store.completeNotice(id: retried.id)
            try await store.saveIncidentMessageID("42", incidentID: "e1", chat: chat)
            #expect(try await store.incidentMessageID(incidentID: "e1", chat: chat) == "42")

            let policy = IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 2)
            #expect(try await store.scheduleReminders(policy: policy, now: now.addingTimeInterval(100)) == 0)
            #expect(try await store.scheduleReminders(policy: policy, now: now.addingTimeInterval(3610)) == 1)
            #expect(try await store.scheduleReminders(policy: policy, now: now.addingTimeInterval(3620)) == 0)
            #expect(try await store.scheduleReminders(policy: policy, now: now.addingTimeInterval(7210)) == 1)
            #expect(try await store.scheduleReminders(policy: policy, now: now.addingTimeInterval(99999)) == 0)
            let reminders = try await store.dueNotices(now: now.addingTimeInterval(99999), limit: 10)
            #expect(reminders.count == 2 && reminders.allSatisfy(\.isReminder))
            try await store.deadLetterNotice(id: reminders[0].id, error: "blocked", channel: .telegram, now: now)
            #expect(try await store.dueNotices(now: now.addingTimeInterval(99999), limit: 10).count == 1)
        }
    }

    @Test("Dead letters are listed latest first and requeued by channel, time or id, each once", arguments: StoreKind.available)
    func deadLetters(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            for (index, id) in ["e1", "e2", "e3"].enumerated() {
                _ = try await store.ingest(paused(id, user: "u_\(index)", chatID: 555 + Int64(index)))
            }
            let due = try await store.dueNotices(now: now.addingTimeInterval(10), limit: 10).sorted { $0.id < $1.id }
            #expect(due.count == 3)
            try await store.deadLetterNotice(id: due[0].id, error: "HTTP 400: can't parse entities", channel: .telegram, now: now)
            try await store.deadLetterNotice(id: due[1].id, error: "channel_not_found", channel: .slack, now: now.addingTimeInterval(3600))
            try await store.deadLetterNotice(id: due[2].id, error: "no chat could be written to", channel: nil, now: now.addingTimeInterval(7200))

            let dead = try await store.deadNotices(limit: 10, beforeID: nil)
            #expect(dead.map(\.id) == due.map(\.id).sorted(by: >))
            #expect(dead.last?.channel == .telegram && dead.last?.error == "HTTP 400: can't parse entities")
            #expect(dead.last?.deadAt == now && dead.first?.channel == nil)
            // Pages: the next one starts below the last id shown.
            #expect(try await store.deadNotices(limit: 2, beforeID: nil).count == 2)
            #expect(try await store.deadNotices(limit: 2, beforeID: dead[1].id).map(\.id) == [dead[2].id])

            #expect(try await store.requeueDeadNotices(DeadNoticeSelection(channel: .slack), now: now) == 1)
            #expect(try await store.requeueDeadNotices(DeadNoticeSelection(channel: .slack), now: now) == 0)
            #expect(try await store.requeueDeadNotices(DeadNoticeSelection(since: now.addingTimeInterval(7000)), now: now) == 1)
            #expect(try await store.requeueDeadNotices(DeadNoticeSelection(ids: []), now: now) == 0)
            #expect(try await store.requeueDeadNotices(DeadNoticeSelection(ids: [due[0].id, 999_999]), now: now) == 1)
            #expect(try await store.requeueDeadNotices(DeadNoticeSelection(), now: now) == 0)
            #expect(try await store.deadNotices(limit: 10, beforeID: nil).isEmpty)
            // Due again at once, from the first attempt.
            let again = try await store.dueNotices(now: now.addingTimeInterval(1), limit: 10)
            #expect(Set(again.map(\.id)) == Set(due.map(\.id)))
            #expect(again.allSatisfy { $0.attempts == 0 && $0.firstAttemptAt == nil })
        }
    }

    @Test("Conversations and credentials are kept only as the sealed bytes given", arguments: StoreKind.available)
    func sealed(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            let sealed = SealedData(keyID: "k1", data: Data([1, 2, 3]))
            try await store.saveConversation(sealed, chat: chat, activeAt: now)
            #expect(try await store.conversation(chat: chat) == sealed)
            #expect(try await store.conversationChats(idleSince: now) == [chat])
            #expect(try await store.conversationChats(idleSince: now.addingTimeInterval(-1)).isEmpty)
            try await store.deleteConversation(chat: chat)
            #expect(try await store.conversation(chat: chat) == nil)

            try await store.saveCredentials(
                accountID: "acc_1",
                userID: "u_1",
                exchange: "okx",
                keyHint: "9fQx",
                sealed: sealed,
                verdict: KeyVerdict(cause: nil, canTrade: true, tradingExpiresAt: now.addingTimeInterval(86400)),
                now: now
            )
            let binding = try #require(try await store.bindings(ofUser: "u_1").first)
            #expect(binding.apiKeyHint == "9fQx")
            #expect(binding.tradingExpiresAt == now.addingTimeInterval(86400))
            #expect(try await store.sealedCredentials().map(\.sealed) == [sealed])
        }
    }

    @Test("An account's exchange id is remembered from the platform's events and from an accepted key", arguments: StoreKind.available)
    func exchangeUID(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            func paused(_ id: String, user: String, uid: String?) -> IncomingEvent {
                var incoming = self.paused(id, user: user)
                incoming.event.account.exchangeUID = uid
                return incoming
            }
            #expect(try await store.exchangeUID(accountID: "acc_1") == nil)
            _ = try await store.ingest(paused("e1", user: "1", uid: nil))
            #expect(try await store.exchangeUID(accountID: "acc_1") == nil)
            // A robot event says it (the account has no binding row); a later one that does not keeps it.
            _ = try await store.ingest(paused("e2", user: "1", uid: "354937868"))
            #expect(try await store.exchangeUID(accountID: "acc_1") == "354937868")
            _ = try await store.ingest(paused("e3", user: "1", uid: nil))
            #expect(try await store.exchangeUID(accountID: "acc_1") == "354937868")
            // A repeated webhook-id changes nothing.
            _ = try await store.ingest(paused("e2", user: "1", uid: "1"))
            #expect(try await store.exchangeUID(accountID: "acc_1") == "354937868")

            // An accepted key's account is remembered with its credentials; a verdict naming none keeps it.
            let sealed = SealedData(keyID: "k1", data: Data([1, 2, 3]))
            func accept(uid: String?) async throws {
                try await store.saveCredentials(
                    accountID: "acc_2",
                    userID: "u_2",
                    exchange: "okx",
                    keyHint: "9fQx",
                    sealed: sealed,
                    verdict: KeyVerdict(cause: nil, canTrade: true, exchangeUID: uid),
                    now: now
                )
            }
            try await accept(uid: "44705892343619584")
            #expect(try await store.exchangeUID(accountID: "acc_2") == "44705892343619584")
            try await accept(uid: nil)
            #expect(try await store.exchangeUID(accountID: "acc_2") == "44705892343619584")
            // The platform has the last word: its event names the account's exchange account now.
            _ = try await store.ingest(paused("e4", user: "2", uid: "5502947162883072"))
            #expect(try await store.exchangeUID(accountID: "acc_2") == "5502947162883072")
            #expect(try await store.exchangeUID(accountID: "acc_1") == "354937868")
        }
    }

    @Test("Rotating re-seals every credential and conversation with its context, and waits for unprocessed updates", arguments: StoreKind.available)
    func rotation(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            let sealed = SealedData(keyID: "k1", data: Data([1, 2, 3]))
            try await store.saveConversation(sealed, chat: chat, activeAt: now)
            try await store.saveCredentials(
                accountID: "acc_1",
                userID: "u_1",
                exchange: "okx",
                keyHint: "9fQx",
                sealed: sealed,
                verdict: KeyVerdict(cause: nil, canTrade: true),
                now: now
            )
            let contexts = Mutex<[String]>([])
            let count = try await store.rotateSecrets { old, context in
                contexts.withLock { $0.append(context.associatedData) }
                return SealedData(keyID: "k2", data: old.data + [9])
            }
            #expect(count == 2)
            #expect(contexts.withLock { $0.sorted() } == ["binding:acc_1", "conversation:telegram:555"])
            #expect(try await store.conversation(chat: chat) == SealedData(keyID: "k2", data: Data([1, 2, 3, 9])))
            #expect(try await store.sealedCredentials().map(\.sealed) == [SealedData(keyID: "k2", data: Data([1, 2, 3, 9]))])

            _ = try await store.recordUpdate(channel: .telegram, externalID: "1", payload: Data("a".utf8), now: now)
            await #expect(throws: (any Error).self) { try await store.rotateSecrets { old, _ in old } }
            #expect(try await store.conversation(chat: chat)?.keyID == "k2")
        }
    }

    @Test("Failed checks are counted per account within the window", arguments: StoreKind.available)
    func failedChecks(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            for offset in [0.0, 60, 120] { try await store.recordFailedCheck(accountID: "acc_1", now: now.addingTimeInterval(offset)) }
            #expect(try await store.failedChecks(accountID: "acc_1", since: now.addingTimeInterval(30)).count == 2)
            #expect(try await store.failedChecks(accountID: "acc_2", since: now).isEmpty)
        }
    }

    @Test("A key form's binding update is queued with the input that tells its chat, once", arguments: StoreKind.available)
    func bindingUpdateTellingTheChat(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            let update = QueuedBindingUpdate(id: "bind_form", chat: chat, accountID: "acc_1", sealed: SealedData(keyID: "k1", data: Data([7])))
            let input = LaneInput(channel: .telegram, externalID: "rebind:keyform:bind_form", lane: chat.description, payload: Data("sealed".utf8))
            try await store.queueBindingUpdate(update, telling: input, now: now)
            try await store.queueBindingUpdate(update, telling: input, now: now)
            #expect(try await store.hasPendingBindingUpdate(chat: chat))
            #expect(try await store.claimBindingUpdates(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60)) == [update])
            let pending = try await store.pendingUpdates(inLanes: [chat.description], after: 0, limit: 10)
            #expect(pending.map(\.externalID) == ["rebind:keyform:bind_form"])
            #expect(pending.first?.payload == Data("sealed".utf8))
            // No conversation is touched: the chat's own flow, if any, is closed from its lane.
            #expect(try await store.conversation(chat: chat) == nil)
        }
    }

    @Test("A binding update is queued with its conversation, claimed under a lease, retried, and ended", arguments: StoreKind.available)
    func bindingUpdates(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            let sealed = SealedData(keyID: "k1", data: Data([1, 2, 3]))
            let conversation = SealedData(keyID: "k1", data: Data([4, 5]))
            let update = QueuedBindingUpdate(id: "bind_1", chat: chat, accountID: "acc_1", sealed: sealed)
            try await store.queueBindingUpdate(update, conversation: conversation, activeAt: now, now: now)
            // The same id again changes nothing.
            try await store.queueBindingUpdate(update, conversation: conversation, activeAt: now, now: now)
            #expect(try await store.conversation(chat: chat) == conversation)
            #expect(try await store.hasPendingBindingUpdate(chat: chat))

            let claimed = try await store.claimBindingUpdates(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60))
            #expect(claimed == [update])
            // Leased: not claimed again until the lease runs out.
            #expect(try await store.claimBindingUpdates(now: now.addingTimeInterval(59), limit: 10, leaseUntil: now.addingTimeInterval(120)).isEmpty)
            let rescued = try await store.claimBindingUpdates(now: now.addingTimeInterval(61), limit: 10, leaseUntil: now.addingTimeInterval(120))
            #expect(rescued.map(\.id) == ["bind_1"])

            try await store.retryBindingUpdate(id: "bind_1", at: now.addingTimeInterval(200), attempts: 1, firstAttemptAt: now, error: "HTTP 503")
            #expect(try await store.claimBindingUpdates(now: now.addingTimeInterval(199), limit: 10, leaseUntil: now.addingTimeInterval(300)).isEmpty)
            let retried = try await store.claimBindingUpdates(now: now.addingTimeInterval(200), limit: 10, leaseUntil: now.addingTimeInterval(300))
            #expect(retried.first?.attempts == 1)
            #expect(retried.first?.firstAttemptAt == now)

            try await store.endBindingUpdate(id: "bind_1", as: .delivered, error: nil, now: now)
            #expect(try await store.hasPendingBindingUpdate(chat: chat) == false)
            #expect(
                try await store.claimBindingUpdates(now: now.addingTimeInterval(10_000), limit: 10, leaseUntil: now.addingTimeInterval(20_000))
                    .isEmpty
            )
        }
    }

    @Test("A chat's updates are leased to one replica at a time; another takes them over once the lease runs out", arguments: StoreKind.available)
    func updateLanes(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            #expect(try await store.recordUpdate(channel: .telegram, externalID: "1", lane: "telegram:1", payload: Data("a".utf8), now: now))
            #expect(try await store.recordUpdate(channel: .telegram, externalID: "2", lane: "telegram:2", payload: Data("b".utf8), now: now))
            #expect(try await store.recordUpdate(channel: .telegram, externalID: "3", lane: "telegram:1", payload: Data("c".utf8), now: now))
            #expect(try await store.recordUpdate(channel: .telegram, externalID: "4", lane: nil, payload: Data("d".utf8), now: now))
            let lease = now.addingTimeInterval(60)
            let a = try await store.claimUpdateLanes(owner: "A", now: now, leaseUntil: lease, limit: 2)
            #expect(a == ["telegram:1", "telegram:2"])
            // B gets only what A does not hold: the update that names no chat.
            let b = try await store.claimUpdateLanes(owner: "B", now: now, leaseUntil: lease, limit: 10)
            #expect(b.count == 1 && b.first?.hasPrefix("update:") == true)
            #expect(try await store.pendingUpdates(inLanes: a, after: 0, limit: 10).map(\.payload) == ["a", "b", "c"].map { Data($0.utf8) })
            #expect(try await store.pendingUpdates(inLanes: a, after: 0, limit: 10).first?.lane == "telegram:1")
            // A renews its own lanes; B cannot take one, not even a single chat, until A's lease runs out.
            #expect(
                try await store.claimUpdateLanes(owner: "A", now: now.addingTimeInterval(30), leaseUntil: now.addingTimeInterval(90), limit: 2) == a
            )
            #expect(try await !store.claimLane("telegram:1", owner: "B", now: now.addingTimeInterval(89), leaseUntil: now.addingTimeInterval(200)))
            #expect(try await store.claimLane("telegram:1", owner: "B", now: now.addingTimeInterval(91), leaseUntil: now.addingTimeInterval(200)))
            let taken = try await store.claimUpdateLanes(
                owner: "B",
                now: now.addingTimeInterval(91),
                leaseUntil: now.addingTimeInterval(200),
                limit: 10
            )
            #expect(Set(taken) == Set(a + b))
        }
    }
}

@Suite("Store, reminders")
struct SnoozeStoreTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    @Test("An incident has at most one pending \"Remind me later\": a second tap moves it", arguments: StoreKind.available)
    func oneSnooze(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: IncidentPolicy(groupWait: 0, repeatInterval: 86_400, maxReminders: 3)) { store in
            let event = RobotEvent(
                type: .robotPaused,
                occurredAt: now,
                user: .init(id: "u_1"),
                account: .init(id: "acc_1", exchange: "binance"),
                robot: .init(id: "rb_1", name: "Grid"),
                reason: .init(text: "API expired or no permission")
            )
            _ = try await store.ingest(IncomingEvent(id: "e1", event: event, cause: .keyExpired, body: Data("{}".utf8), receivedAt: now))
            let announced = try await store.dueNotices(now: now, limit: 10)
            for due in announced { try await store.completeNotice(id: due.id) }
            try await store.scheduleReminder(incidentID: "e1", at: now.addingTimeInterval(3600), now: now)
            try await store.scheduleReminder(incidentID: "e1", at: now.addingTimeInterval(3660), now: now.addingTimeInterval(60))
            #expect(try await store.dueNotices(now: now.addingTimeInterval(3600), limit: 10).isEmpty)
            let due = try await store.dueNotices(now: now.addingTimeInterval(3660), limit: 10)
            #expect(due.count == 1)
            #expect(due.first?.isReminder == true)
        }
    }
}
