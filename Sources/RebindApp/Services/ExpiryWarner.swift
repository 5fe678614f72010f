import Crypto
import Foundation
import Logging
import RebindCore
import RebindPlatform
import ServiceLifecycle
import Synchronization

/// Sends expiry warnings when they fall due (DESIGN §10): one message per user per moment,
/// listing each account due with an **Update API key** button, to every chat of the user; and,
/// with a platform configured, one signed `api_binding.expiring` per account and warning
/// through the platform outbox.
///
/// Warnings are durable rows planned when a binding changes, claimed under a lease like
/// notices, so each is sent once whichever replica claims it. A warning is skipped rather than
/// sent when its key has expired (the platform's pause event takes over), when a key incident
/// of the account is open (its guidance says it all), or when a later moment of the same
/// account goes out with it. A user with no chat yet keeps theirs until they link one or the
/// key expires; the platform hears of it at once all the same.
struct ExpiryWarner: Service {
    let store: any ExpiryWarningOutbox & PlatformEventOutbox & LinkStore
    let sender: ReplySender
    let retry: RetryPolicy
    let metrics: RebindMetrics
    /// Whether warnings are posted to the platform (`REBIND_PLATFORM_URL` is set).
    let postsToPlatform: Bool
    /// Moments of one user this close together go in one message (`REBIND_GROUP_WAIT_SECONDS`).
    let mergeWithin: TimeInterval
    let wakeup: Wakeup
    let idleWait: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    /// How long claimed warnings stay taken: longer than sending to a user's chats takes.
    var lease: TimeInterval = 120
    /// Users warned at once, at most.
    var batch = 16
    /// How long a warning waits for its user to link a chat before it is looked at again.
    var noChatRecheck: TimeInterval = 3600
    /// How often the bindings-by-expiry gauge is refreshed.
    var gaugeInterval: TimeInterval = 60

    func run() async throws {
        do {
            let planned = try await store.planUntrackedExpiries(now: now())
            if planned > 0 { logger.info("Expiry computed for bindings stored before it was tracked", metadata: ["binding.count": "\(planned)"]) }
        } catch {
            logger.error("Expiry of older bindings not computed; /keys computes it when asked", metadata: ["error": "\(error)"])
        }
        let gauge = GaugeClock()
        await OutboxLoop<[DueExpiryWarning]>(
            name: "expiry warnings",
            claim: {
                let claimed = try await store.claimExpiryWarnings(
                    now: now(),
                    mergeWithin: mergeWithin,
                    limit: batch,
                    leaseUntil: now().addingTimeInterval(lease)
                )
                return (claimed, claimed.count == batch)
            },
            dispatch: { groups, group in
                for warnings in groups {
                    group.addTask { await warn(warnings) }
                }
            },
            beforePass: {
                guard gauge.due(now: now(), every: gaugeInterval) else { return }
                do {
                    metrics.bindingsByExpiry(try await store.bindingExpiryCounts(now: now()))
                } catch {
                    logger.notice("Bindings by expiry not counted", metadata: ["error": "\(error)"])
                }
            },
            idleWait: { idleWait },
            wakeup: wakeup,
            logger: logger
        ).run()
    }

    /// One user's due warnings: told in one message per chat, or skipped, or handed back.
    func warn(_ warnings: [DueExpiryWarning]) async {
        guard let userID = warnings.first?.userID else { return }
        let now = now()
        let (due, skipped) = Self.sort(warnings, now: now)
        if !skipped.isEmpty {
            await end(skipped.map(\.id), as: .skipped, error: nil, posting: [])
        }
        guard !due.isEmpty else { return }
        let posts = postsToPlatform ? due.map { Self.platformEvent(for: $0, now: now) } : []
        let chats: [ChatAddress]
        do {
            chats = try await store.chats(ofUser: userID).filter { sender.messengers[$0.channel] != nil }
        } catch {
            await failed(due, error: .transient(reason: "the user's chats were not read: \(error)"))
            return
        }
        guard !chats.isEmpty else {
            // Kept for when the user links a chat; the platform hears of it now.
            logger.info("Expiry warning waits for the user to link a chat", metadata: ["user.id": "\(userID)"])
            await handBack(due, at: now.addingTimeInterval(noChatRecheck), error: "the user has no chat linked", posting: posts)
            return
        }
        let reply = ChatReply.expiryWarning(due.map { Self.line(for: $0, now: now) })
        var told = false
        var retryable: DeliveryError?
        var lastError: DeliveryError?
        var paused = false
        for chat in chats {
            guard let error = await send(reply, to: chat) else {
                told = true
                continue
            }
            lastError = error
            switch error {
            case .rateLimited, .transient: retryable = error
            case .blocked:
                logger.notice("Expiry warning not delivered: the chat is blocked", metadata: ["chat": "\(chat)"])
                try? await store.markBlocked(chat, now: now)
            case .permanent:
                logger.warning("Expiry warning refused by the chat platform", metadata: ["chat": "\(chat)", "error": "\(error)"])
            case .channelRefused(let reason):
                sender.health?.pause(chat, reason: reason, now: now)
                paused = true
            }
        }
        if told {
            logger.info("Expiry warning sent", metadata: ["user.id": "\(userID)", "account.count": "\(due.count)"])
            await end(due.map(\.id), as: .sent, error: nil, posting: posts)
        } else if paused {
            // Kept for when the channel's token works again; no attempt counted against it.
            await handBack(due, at: now.addingTimeInterval(Self.pausedRecheck), error: "the chat channel is paused", posting: posts)
        } else if let retryable {
            await failed(due, error: retryable, posting: posts)
        } else {
            await end(due.map(\.id), as: .deadLettered, error: lastError.map { "\($0)" } ?? "no chat took it", posting: posts)
        }
    }

    /// The warnings worth sending now, one per account (its latest moment), and the rest.
    static func sort(_ warnings: [DueExpiryWarning], now: Date) -> (due: [DueExpiryWarning], skipped: [DueExpiryWarning]) {
        var latest: [String: DueExpiryWarning] = [:]
        var skipped: [DueExpiryWarning] = []
        for warning in warnings {
            guard ExpirySchedule.stillDue(expiresAt: warning.expiresAt, now: now, keyIncidentOpen: warning.keyIncidentOpen) else {
                skipped.append(warning)
                continue
            }
            if let other = latest[warning.id.accountID] {
                // The fewer days left, the later the moment: that one is said.
                skipped.append(other.id.days < warning.id.days ? warning : other)
                if warning.id.days < other.id.days { latest[warning.id.accountID] = warning }
            } else {
                latest[warning.id.accountID] = warning
            }
        }
        return (latest.values.sorted { $0.id.accountID < $1.id.accountID }, skipped)
    }

    static func line(for warning: DueExpiryWarning, now: Date) -> ChatReply.ExpiringAccount {
        ChatReply.ExpiringAccount(
            reference: AccountDirectory.reference(for: warning.id.accountID),
            exchange: warning.exchange,
            label: warning.label,
            keyHint: warning.keyHint,
            expiresAt: warning.expiresAt,
            daysLeft: KeyExpiry.daysLeft(until: warning.expiresAt, now: now),
            source: warning.source,
            accountID: warning.id.accountID
        )
    }

    /// The warning's `api_binding.expiring`, its id the same for every copy of this warning.
    static func platformEvent(for warning: DueExpiryWarning, now: Date) -> QueuedPlatformEvent {
        let name = "\(warning.id.accountID)|\(warning.id.days)|\(Int64(warning.expiresAt.timeIntervalSince1970))"
        let digest = SHA256.hash(data: Data(name.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        let body = ExpiringEventBody(
            occurredAt: now,
            userID: warning.userID,
            accountID: warning.id.accountID,
            exchange: warning.exchange,
            expiresAt: warning.expiresAt,
            daysLeft: KeyExpiry.daysLeft(until: warning.expiresAt, now: now),
            source: warning.source
        )
        return QueuedPlatformEvent(id: "expiring_\(digest)", body: body.encoded())
    }

    /// Sends to one chat in its language, keeping the channel's pace; the error when it failed.
    /// How soon a warning held by a paused channel is looked at again.
    static let pausedRecheck: TimeInterval = 60

    func send(_ reply: ChatReply, to chat: ChatAddress) async -> DeliveryError? {
        guard let messenger = sender.messengers[chat.channel] else { return .permanent(reason: "the \(chat.channel.rawValue) channel is off") }
        if sender.health?.isPaused(chat) == true { return .channelRefused(reason: "the channel is paused") }
        let message: OutgoingMessage
        do {
            message = try await sender.render(reply, for: chat)
        } catch {
            logger.error("Expiry warning not rendered", metadata: ["chat": "\(chat)", "error": "\(error)"])
            return .permanent(reason: "not rendered: \(error)")
        }
        do {
            while true {
                switch sender.pacer.reserve(chat, now: .now) {
                case .sendAt(let instant):
                    try await Task.sleep(until: instant, clock: .continuous)
                case .chatBusyUntil(let instant):
                    guard instant - .now <= ReplySender.longestReplyWait else {
                        return .rateLimited(retryAfter: Double((instant - .now).components.seconds))
                    }
                    try await Task.sleep(until: instant, clock: .continuous)
                    continue
                }
                break
            }
        } catch {
            return .transient(reason: "shutting down")
        }
        do {
            _ = try await messenger.send(message, to: chat)
            sender.pacer.sent(chat, at: .now)
            return nil
        } catch {
            if case .rateLimited(let seconds) = error { sender.pacer.hold(chat, until: .now + .seconds(max(seconds, 1))) }
            return error
        }
    }

    func failed(_ due: [DueExpiryWarning], error: DeliveryError, posting posts: [QueuedPlatformEvent] = []) async {
        let first = due.compactMap(\.firstAttemptAt).min()
        let attempts = due.map(\.attempts).max() ?? 0
        var retryAfter: TimeInterval?
        if case .rateLimited(let seconds) = error { retryAfter = seconds }
        switch retry.afterFailure(previousAttempts: attempts, firstAttemptAt: first, retryAfter: retryAfter, now: now(), jitter: .random(in: 0...1)) {
        case .deadLetter(let attempts):
            logger.error("Expiry warning dead-lettered", metadata: ["user.id": "\(due[0].userID)", "attempts": "\(attempts)", "error": "\(error)"])
            await end(due.map(\.id), as: .deadLettered, error: "\(error)", posting: posts)
        case .retry(let next, let attempts, let first):
            logger.notice("Expiry warning not delivered; will retry", metadata: ["user.id": "\(due[0].userID)", "error": "\(error)"])
            do {
                try await store.retryExpiryWarnings(due.map(\.id), at: next, attempts: attempts, firstAttemptAt: first, error: "\(error)")
            } catch {
                logger.error("Expiry warning retry not recorded", metadata: ["error": "\(error)"])
            }
        }
    }

    func handBack(_ due: [DueExpiryWarning], at date: Date, error: String, posting posts: [QueuedPlatformEvent]) async {
        do {
            if !posts.isEmpty { try await store.queuePlatformEvents(posts, now: now()) }
            let attempts = due.map(\.attempts).max() ?? 0
            try await store.retryExpiryWarnings(due.map(\.id), at: date, attempts: attempts, firstAttemptAt: now(), error: error)
        } catch {
            logger.error("Expiry warning not handed back", metadata: ["error": "\(error)"])
        }
    }

    func end(_ ids: [DueExpiryWarning.ID], as end: ExpiryWarningEnd, error: String?, posting posts: [QueuedPlatformEvent]) async {
        do {
            try await store.endExpiryWarnings(ids, as: end, error: error, platformEvents: posts, now: now())
            metrics.expiryWarningsEnded(end, count: ids.count)
        } catch {
            logger.error("Expiry warning end not recorded", metadata: ["error": "\(error)"])
        }
    }
}

/// When the gauge was last refreshed.
private final class GaugeClock: Sendable {
    private let last = Mutex<Date?>(nil)

    func due(now: Date, every interval: TimeInterval) -> Bool {
        last.withLock { last in
            guard last.map({ now.timeIntervalSince($0) >= interval }) ?? true else { return false }
            last = now
            return true
        }
    }
}
