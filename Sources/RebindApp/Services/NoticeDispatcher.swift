import Foundation
import Logging
import RebindCore
import RebindRendering
import ServiceLifecycle
import Synchronization

/// Delivers incident notices from the durable outbox: the first message after the grouping
/// wait, edits as the incident changes, the resolution, and reminders — paced per chat and
/// overall, retried with backoff, dead-lettered when it keeps failing.
///
/// One loop claims due notices (most urgent first) and decides what each needs, in claim
/// order, taking its pacer slot as it goes; a sender task per notice then waits for that slot
/// and talks to the platform. So a slow or hanging chat holds one sender, not the outbox, and
/// the rate is kept by the pacer's schedule rather than by one call finishing before the
/// next. Notices of one incident are handled one at a time, in order: an edit never races
/// the send whose message id it needs.
///
/// Delivery is at least once. A first message's id is recorded as soon as the platform
/// answers, and a notice whose message is recorded is never sent again, so retries after a
/// 429, a 5xx, a refused or dropped connection or a hang, and restarts with a full outbox,
/// send each incident's message once per chat. What can repeat is a message the platform
/// carried out while Rebind never saw the answer: the connection dropped after Telegram
/// applied the call, the answer came after the client's timeout, or the process died (or the
/// store failed) between the answer and recording it. Telegram has no idempotency key that
/// would let a retry find the first copy, so that copy is sent again rather than risk none.
/// (Edits are harmless to repeat: "message is not modified" counts as success.)
struct NoticeDispatcher: Service {
    let events: any EventStore
    let store: any ChatStore
    /// One per chat channel that is on; a user's chats on other channels are left out.
    let messengers: [Channel: any ChatMessenger]
    let renderer: GuidanceRenderer
    /// Matches users' languages to the templates' locales.
    let matcher: LocaleMatcher
    let policy: IncidentPolicy
    let retry: RetryPolicy
    let metrics: RebindMetrics
    let wakeup: Wakeup
    let idleWait: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    let pacer: SharedPacer
    /// Notices being sent at once, at most.
    var maxInFlight = 512
    /// The Mini App key form, offered beside Update API key when the public URL is set.
    var keyForm: KeyFormLink?
    /// Channels paused because the platform refuses the bot's token: nothing is sent there.
    var health: ChannelHealth?
    /// How long a claimed notice stays taken; after a crash it falls due again then.
    var lease: TimeInterval = 60
    /// New notices are claimed only while the global schedule is booked less than this far
    /// ahead, so urgent work arriving later is not queued behind a long line.
    var horizon: Duration = .milliseconds(100)
    /// A chat that is not ready for longer than this (a 429 hold) gives its notice back to
    /// the outbox instead of keeping a sender waiting.
    var longestSenderWait: Duration = .seconds(2)
    /// Why a chat of a paused channel or workspace is skipped without a try.
    static let pausedReason = "the channel is paused"
    /// How often reminders are looked for.
    var reminderScan: Duration = .seconds(1)

    func run() async throws {
        let shared = Shared(maxInFlight: maxInFlight, store: store)
        let housekeeping = Housekeeping()
        await OutboxLoop<DueNotice>(
            name: "notices",
            claim: {
                // Notices freed by their incident's previous one go first: they were claimed earlier.
                let released = shared.takeReleased()
                guard released.isEmpty else { return (released, false) }
                let free = maxInFlight - shared.inFlight
                // Claimed no further ahead than the pacer can send: the rest stays for other replicas.
                guard free > 0, pacer.backlog(now: .now) < horizon else { return ([], false) }
                let limit = max(1, min(free, Int(pacer.globalRate * horizon.seconds) + pacer.burst))
                let claimed = try await store.claimNotices(now: now(), limit: limit, leaseUntil: now().addingTimeInterval(lease))
                return (shared.admit(claimed), claimed.count == limit)
            },
            dispatch: { work, group in
                // One read for the whole batch: the incidents as they are now, the robots a
                // message lists, and where they go.
                let contexts: Result<[String: DeliveryContext], any Error>
                do {
                    contexts = .success(
                        try await store.deliveryContexts(
                            incidentIDs: work.map(\.notice.incidentID),
                            robotLimit: GuidanceRenderer.maxListedRobots
                        )
                    )
                } catch {
                    contexts = .failure(error)
                }
                for due in work {
                    await dispatch(due, context: contexts.map { $0[due.notice.incidentID] }, shared: shared, group: &group)
                }
            },
            beforePass: { await housekeeping.run(self) },
            moreReady: { shared.hasReleased },
            idleWait: {
                let backlog = pacer.backlog(now: .now)
                // A pacer full past the horizon frees up sooner than the idle wait.
                return shared.inFlight < maxInFlight && backlog >= horizon ? min(idleWait, backlog - horizon + .milliseconds(1)) : idleWait
            },
            wakeup: wakeup,
            logger: logger
        ).run()
        // The senders are done; what was claimed but not started is handed back now rather
        // than when its lease runs out.
        for due in shared.drain() {
            await handBack(due, at: now())
        }
    }

    /// Reminders are scheduled every `reminderScan`, and pacers pruned every 5 seconds, between
    /// the outbox's passes.
    final class Housekeeping: Sendable {
        private let last = Mutex<(reminders: ContinuousClock.Instant?, prune: ContinuousClock.Instant)>((nil, .now))

        func run(_ dispatcher: NoticeDispatcher) async {
            let now = ContinuousClock.now
            let (scan, prune) = last.withLock { last -> (Bool, Bool) in
                let scan = last.reminders.map { now - $0 >= dispatcher.reminderScan } ?? true
                let prune = now - last.prune >= .seconds(5)
                if scan { last.reminders = now }
                if prune { last.prune = now }
                return (scan, prune)
            }
            if scan {
                do {
                    _ = try await dispatcher.store.scheduleReminders(policy: dispatcher.policy, now: dispatcher.now())
                } catch {
                    dispatcher.logger.error("Reminders not scheduled", metadata: ["error": "\(error)"])
                }
            }
            if prune { dispatcher.pacer.prune(now: now) }
        }
    }

    // MARK: Deciding

    /// What one notice needs in one chat.
    typealias Step = NoticePlan.Action

    /// The incident as it was read, the robots its message lists, and the steps it needs,
    /// chat by chat.
    struct Plan: Sendable {
        var incident: Incident
        var robots: [Incident.AffectedRobot]
        var steps: [(chat: ChatAddress, step: Step)]
    }

    /// Works out what the notice needs, takes its pacer slots and starts its sender; notices
    /// that need nothing sent are settled here.
    func dispatch(
        _ due: DueNotice,
        context: Result<DeliveryContext?, any Error>,
        shared: Shared,
        group: inout DiscardingTaskGroup
    ) async {
        let plan: Plan
        do {
            guard let prepared = try await prepare(due, context: context) else {
                finish(due, shared: shared, sender: false)
                return
            }
            plan = prepared
        } catch {
            await settleFailure(due, chat: nil, error: error, shared: shared)
            finish(due, shared: shared, sender: false)
            return
        }
        let instant = ContinuousClock.now
        let slots = plan.steps.map { pacer.reserve($0.chat, now: instant) }
        shared.started()
        group.addTask {
            await send(due, plan: plan, slots: slots, shared: shared)
            finish(due, shared: shared, sender: true)
        }
    }

    /// The steps to take per chat (`NoticePlan`), or nil when the notice is settled without
    /// sending. Cheap: the claiming loop runs it for every notice in turn, and rendering is
    /// left to the senders.
    func prepare(_ due: DueNotice, context: Result<DeliveryContext?, any Error>) async throws(DeliveryError) -> Plan? {
        do {
            let found = try context.get()
            let targets = found?.targets.filter { messengers[$0.chat.channel] != nil } ?? []
            switch NoticePlan(due, incident: found?.incident, targets: targets) {
            case .park:
                try await store.parkNotice(id: due.id)
                return nil
            case .complete:
                try await store.completeNotice(id: due.id)
                return nil
            case .steps(let steps):
                guard let found else { return nil }
                return Plan(incident: found.incident, robots: found.robots, steps: steps.map { ($0.chat, $0.action) })
            }
        } catch {
            throw .transient(reason: "store: \(error)")
        }
    }

    // MARK: Sending

    /// Takes each step at its slot, chat by chat. A chat that fails for good (blocked, a
    /// revoked token) is left out and the user's other chats still get the message; one that
    /// fails for now (429, 5xx) has the notice retried after the others went (chats that got
    /// their first message are not sent it again).
    func send(_ due: DueNotice, plan: Plan, slots: [DeliveryPacer.Slot], shared: Shared) async {
        var attempts: [NoticeAttempt] = []
        await send(due, plan: plan, slots: slots, shared: shared, attempts: &attempts)
        // The console's delivery history; losing it loses no message, so a failure is logged only.
        guard !attempts.isEmpty else { return }
        do {
            try await shared.attempts.submit(attempts)
        } catch {
            logger.warning("Delivery attempts not recorded", metadata: ["notice.id": "\(due.id)", "error": "\(error)"])
        }
    }

    func send(_ due: DueNotice, plan: Plan, slots: [DeliveryPacer.Slot], shared: Shared, attempts: inout [NoticeAttempt]) async {
        // Rendered here, on the senders, not in the claiming loop: it is most of the CPU a
        // notice costs, and the loop must keep up with the rate. And at the slot rather than
        // ahead of it, so the work is spread as evenly as the sends (a batch rendered at once
        // would queue a chat's reply behind it).
        var rendered: [RenderKey: OutgoingMessage] = [:]
        var locale: String?
        var retry: (chat: ChatAddress, error: DeliveryError)?
        var delivered = 0
        var completed = false
        var refusal: (chat: ChatAddress, error: DeliveryError)?
        for index in plan.steps.indices {
            let (chat, step) = plan.steps[index]
            var slot = slots[index]
            while true {
                switch slot {
                case .sendAt(let instant):
                    try? await Task.sleep(until: instant, clock: .continuous)
                case .chatBusyUntil(let ready):
                    let wait = ready - .now
                    if wait > longestSenderWait {
                        await handBack(due, at: now().addingTimeInterval(wait.seconds))
                        return
                    }
                    try? await Task.sleep(until: ready, clock: .continuous)
                }
                if Task.isCancelled {
                    // Shutting down: hand it back rather than send late or lose the lease time.
                    await handBack(due, at: now())
                    return
                }
                guard case .chatBusyUntil = slot else { break }
                slot = pacer.reserve(chat, now: .now)
            }

            // The last step completes the notice in its write, unless an earlier chat is to be retried.
            let last = index == plan.steps.count - 1 && retry == nil
            do throws(DeliveryError) {
                if health?.isPaused(chat) == true { throw DeliveryError.channelRefused(reason: Self.pausedReason) }
                let message: OutgoingMessage
                let language = await resolved(&locale, userID: plan.incident.userID)
                let key = RenderKey(channel: chat.channel, kind: step.kind, locale: language, offersKeyForm: KeyFormLink.isOffered(in: chat))
                if let done = rendered[key] {
                    message = done
                } else {
                    message = try render(plan.incident, robots: plan.robots, kind: step.kind, chat: chat, locale: language)
                    rendered[key] = message
                }
                pacer.sent(chat, at: .now)
                do throws(DeliveryError) {
                    try await take(step, message: message, due: due, chat: chat, last: last, shared: shared)
                    attempts.append(NoticeAttempt(noticeID: due.id, chat: chat, at: now(), failure: nil))
                } catch {
                    attempts.append(NoticeAttempt(noticeID: due.id, chat: chat, at: now(), failure: error))
                    throw error
                }
                // And again once the platform answered: the chat's next message is timed from
                // when this one arrived, not from when the call began (for Slack, opening the DM
                // comes first), or it could land a hair under the platform's interval.
                pacer.sent(chat, at: .now)
                if delivered == 0, case .announce = due.notice, !due.isReminder, case .send = step {
                    // The wait that the urgent-first order is for: from due to the first chat told.
                    metrics.noticeWaited(now().timeIntervalSince(plan.incident.announceAt), urgent: plan.incident.isUrgent)
                }
                delivered += 1
                completed = last
            } catch {
                switch error {
                case .blocked, .permanent:
                    await giveUp(chat, due: due, error: error)
                    refusal = (chat, error)
                case .channelRefused(let reason):
                    if health?.pause(chat, reason: reason, now: now()) == true {
                        logger.critical(
                            "Chat channel paused: the platform refuses the bot's token; notices wait for it",
                            metadata: ["chat": "\(chat)", "error": "\(error)"]
                        )
                    }
                    retry = retry ?? (chat, error)
                case .rateLimited, .transient:
                    if case .rateLimited(let seconds) = error { pacer.hold(chat, until: .now + .seconds(max(seconds, 1))) }
                    retry = retry ?? (chat, error)
                }
            }
        }
        if let retry {
            await settleFailure(due, chat: retry.chat, error: retry.error, shared: shared)
        } else if !completed {
            // The last chat failed for good: the notice is done if any chat got it, dead if none did.
            await record(due) {
                if delivered > 0 {
                    try await shared.completions.submit(DeliveredNotice(id: due.id, incidentID: due.notice.incidentID, sent: nil))
                } else {
                    try await store.deadLetterNotice(
                        id: due.id,
                        error: "no chat could be written to" + (refusal.map { " (last, \($0.chat)): \($0.error)" } ?? ""),
                        channel: refusal?.chat.channel,
                        now: now()
                    )
                }
            }
        }
    }

    /// A chat that will not take this message: blocked (no more messages go there) or refused
    /// for good (counted and logged as a dead letter for that chat).
    func giveUp(_ chat: ChatAddress, due: DueNotice, error: DeliveryError) async {
        do {
            if case .blocked = error {
                logger.notice("Chat blocked the bot; no more messages go there", metadata: ["chat": "\(chat)", "notice.id": "\(due.id)"])
                try await store.markBlocked(chat, now: now())
            } else {
                metrics.noticeDeadLettered(channel: chat.channel)
                logger.error(
                    "Notice dead-lettered for a chat",
                    metadata: ["notice.id": "\(due.id)", "incident.id": "\(due.notice.incidentID)", "chat": "\(chat)", "error": "\(error)"]
                )
            }
        } catch {
            logger.error("Chat failure not recorded", metadata: ["chat": "\(chat)", "error": "\(error)"])
        }
    }

    /// Sends or edits. A new message's id is recorded at once, so a retry of this notice does
    /// not send it again; the last step also marks the notice done, in the same write (shared
    /// with other senders' under load: a group commit).
    func take(
        _ step: Step,
        message: OutgoingMessage,
        due: DueNotice,
        chat: ChatAddress,
        last: Bool,
        shared: Shared
    ) async throws(DeliveryError) {
        let incidentID = due.notice.incidentID
        switch step {
        case .send:
            let messageID = try await messenger(chat).send(message, to: chat)
            await record(due) {
                if last {
                    try await shared.completions.submit(DeliveredNotice(id: due.id, incidentID: incidentID, sent: (chat, messageID)))
                } else {
                    try await store.saveIncidentMessageID(messageID, incidentID: incidentID, chat: chat)
                }
            }
        case .edit(let messageID, _):
            try await messenger(chat).edit(messageID: messageID, in: chat, to: message)
            if last {
                await record(due) { try await shared.completions.submit(DeliveredNotice(id: due.id, incidentID: incidentID, sent: nil)) }
            }
        }
    }

    /// Records what went out. If the store fails here the notice stays leased and falls due
    /// again; a first message whose id was not recorded is then sent again (at least once).
    func record(_ due: DueNotice, _ write: () async throws -> Void) async {
        do {
            try await write()
        } catch {
            logger.error("Notice sent but not recorded", metadata: ["notice.id": "\(due.id)", "error": "\(error)"])
        }
    }

    // MARK: Failures

    func settleFailure(_ due: DueNotice, chat: ChatAddress?, error: DeliveryError, shared: Shared) async {
        do {
            try await failed(due, chat: chat, error: error, shared: shared)
        } catch {
            // Left leased: it falls due again when the lease ends.
            logger.error("Notice failure not recorded", metadata: ["notice.id": "\(due.id)", "error": "\(error)"])
        }
    }

    func failed(_ due: DueNotice, chat: ChatAddress?, error: DeliveryError, shared: Shared) async throws {
        switch error {
        case .rateLimited(let seconds):
            let wait = max(seconds, 1)
            if let chat { pacer.hold(chat, until: .now + .seconds(wait)) }
            logger.debug("Chat rate limited", metadata: ["notice.id": "\(due.id)", "retry_after": "\(seconds)"])
            try await store.deferNotice(id: due.id, at: now().addingTimeInterval(wait))
        case .transient:
            switch retry.afterFailure(
                previousAttempts: due.attempts,
                firstAttemptAt: due.firstAttemptAt,
                now: now(),
                jitter: Double.random(in: 0...1)
            ) {
            case .retry(let next, let attempts, let first):
                logger.debug("Notice will be retried", metadata: ["notice.id": "\(due.id)", "attempt": "\(attempts)", "error": "\(error)"])
                try await store.retryNotice(id: due.id, at: next, attempts: attempts, firstAttemptAt: first, error: error.description)
            case .deadLetter:
                try await deadLetter(due, chat: chat, error: error)
            }
        case .blocked:
            if let chat {
                logger.notice("Chat blocked the bot; no more messages go there", metadata: ["chat": "\(chat)", "notice.id": "\(due.id)"])
                try await store.markBlocked(chat, now: now())
            }
            // Due again at once: the user's other chats, if any, still get it.
            try await store.deferNotice(id: due.id, at: now())
        case .permanent:
            try await deadLetter(due, chat: chat, error: error)
        case .channelRefused:
            // Kept, without an attempt counted, for when the channel's token works again.
            let resume = chat.flatMap { health?.nextProbe(ChannelHealth.Scope($0)) } ?? now().addingTimeInterval(5)
            try await store.deferNotice(id: due.id, at: max(resume, now()).addingTimeInterval(1))
        }
    }

    func deadLetter(_ due: DueNotice, chat: ChatAddress?, error: DeliveryError) async throws {
        metrics.noticeDeadLettered(channel: chat?.channel)
        let incident = try? await events.incident(id: due.notice.incidentID)
        logger.error(
            "Notice dead-lettered",
            metadata: [
                "notice.id": "\(due.id)", "incident.id": "\(due.notice.incidentID)",
                "incident.cause": "\(incident?.cause.rawValue ?? "unknown")", "user.id": "\(incident?.userID ?? "unknown")",
                "notice.attempts": "\(due.attempts + 1)", "error": "\(error)",
            ]
        )
        try await store.deadLetterNotice(id: due.id, error: error.description, channel: chat?.channel, now: now())
    }

    func handBack(_ due: DueNotice, at date: Date) async {
        do {
            try await store.deferNotice(id: due.id, at: date)
        } catch {
            logger.error("Notice not handed back", metadata: ["notice.id": "\(due.id)", "error": "\(error)"])
        }
    }

    func finish(_ due: DueNotice, shared: Shared, sender: Bool) {
        if shared.finish(due, sender: sender) { wakeup.poke() }
    }

    // MARK: Rendering

    /// A message is rendered once per channel and kind, for all of a notice's chats there.
    struct RenderKey: Hashable {
        var channel: Channel
        var kind: MessageKind
        var locale: String
        /// A private Telegram chat gets the key form's button; a group does not.
        var offersKeyForm: Bool
    }

    /// The user's language (DESIGN §4), read once per notice; the default when the store
    /// cannot say (a message in the default language beats none).
    func resolved(_ locale: inout String?, userID: String) async -> String {
        if let locale { return locale }
        let found: String
        do {
            found = try await store.languagePreferences(userID: userID, chat: nil).locale(matcher)
        } catch {
            logger.notice("User's language not read; using the default", metadata: ["user.id": "\(userID)", "error": "\(error)"])
            found = matcher.defaultLocale
        }
        locale = found
        return found
    }

    func messenger(_ chat: ChatAddress) throws(DeliveryError) -> any ChatMessenger {
        guard let messenger = messengers[chat.channel] else { throw .permanent(reason: "the \(chat.channel.rawValue) channel is off") }
        return messenger
    }

    func render(
        _ incident: Incident,
        robots: [Incident.AffectedRobot],
        kind: MessageKind,
        chat: ChatAddress,
        locale: String
    ) throws(DeliveryError) -> OutgoingMessage {
        let channel = chat.channel
        let rendered: RenderedMessage
        do {
            rendered = try renderer.render(incident, robots: robots, channel: channel, locale: locale, kind: kind)
        } catch {
            throw .permanent(reason: "template: \(error)")
        }
        let label = { (label: ChatLabel) in renderer.replies.label(label, channel: channel, locale: rendered.locale) }
        var buttons: [[OutgoingMessage.Button]] = []
        if kind != .resolved {
            if incident.cause.isKeyRelated {
                let update = ButtonAction.updateKey(account: AccountDirectory.reference(for: incident.accountID))
                let secure = keyForm?.button(title: label(.enterKeySecurelyButton), accountID: incident.accountID, in: chat)
                buttons.append([.callback(title: label(.updateKeyButton), data: update.encoded)] + [secure].compactMap { $0 })
                // The help page is about deleted and expired keys: no use for a halt of another kind.
                buttons.append([.url(title: label(.helpPageButton), url: renderer.catalogue.localized(to: rendered.locale).helpURL)])
            }
            let later = ButtonAction.remindLater(incident: AccountDirectory.reference(for: incident.id))
            buttons.append([.callback(title: label(.remindLaterButton), data: later.encoded)])
        }
        return OutgoingMessage(text: rendered.text, format: channel == .telegram ? .html : .mrkdwn, buttons: buttons)
    }
}
