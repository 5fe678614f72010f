import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindTelegram
import ServiceLifecycle
import Synchronization

/// The one lane processor (DESIGN §9): handles every stored input of every chat — Telegram
/// updates, Slack requests, and Rebind's own inputs (a binding update's answer, an idle
/// conversation, a restart) — as a `ChatInput`, through the `ChatRouter`. The webhooks, the
/// poller and the binding dispatcher only store inputs.
///
/// Each chat has a lane: its inputs are handled one at a time, in the order they arrived,
/// while other chats' lanes run alongside. So a slow exchange check or a reply held by a 429
/// in one chat delays nobody else. An input is marked processed only once handled; after a
/// crash, the unprocessed ones are read again and handled in order. Across replicas, a lane is
/// leased to one of them at a time.
struct LaneProcessor: Service {
    let store: any UpdateInbox & ConversationStore
    let envelope: SecretEnvelope
    let router: ChatRouter
    let inbox: LaneInbox
    let wakeup: Wakeup
    let idleWait: Duration
    /// How often idle conversations are looked for.
    let expiryInterval: Duration
    let logger: Logger
    let now: @Sendable () -> Date
    /// This process among the replicas: it leases chats' lanes under this name.
    let replica = UUID().uuidString
    /// How long a chat's lane stays leased to this replica without being renewed.
    var laneLease: TimeInterval = 60
    /// Updates held in memory at most (being handled or waiting in a lane).
    var maxHeld = 1000
    /// The waits before each retry of an input whose handling failed. The lane waits with it:
    /// the chat's later inputs are not handled before it.
    var retryDelays: [Duration] = [.milliseconds(500), .seconds(2), .seconds(5)]

    func run() async throws {
        await resumeInterruptedConversations()
        let lanes = Lanes()
        await withDiscardingTaskGroup { group in
            var lastExpiry = ContinuousClock.now
            // Reads go on from the last update seen, so updates waiting behind a busy lane are
            // not read again and again, and cannot crowd out newer ones. An idle pass starts
            // over from the beginning, to pick up anything committed out of order.
            var seen: Int64 = 0
            var previouslyHeld: Set<String> = []
            var lastRenewal: ContinuousClock.Instant?
            while !Task.isCancelledOrShuttingDown {
                var admitted = 0
                do {
                    let room = maxHeld - lanes.held
                    let read = lanes.beginRead()
                    // Only the chats this replica holds (or just got): another replica may be
                    // working through the others. Held lanes are renewed here too.
                    let leaseUntil = now().addingTimeInterval(laneLease)
                    // The lanes being worked through in memory keep their lease, whether or not
                    // they rank among the lanes claimed below (which renews those that do).
                    // Every quarter lease is enough, and keeps the writer free for events.
                    if lastRenewal.map({ ContinuousClock.now - $0 >= .seconds(laneLease / 4) }) ?? true {
                        try await store.renewLanes(lanes.active, owner: replica, leaseUntil: leaseUntil)
                        lastRenewal = ContinuousClock.now
                    }
                    let held = try await store.claimUpdateLanes(owner: replica, now: now(), leaseUntil: leaseUntil, limit: 500)
                    // A lane just taken over (from a replica that died) may hold updates older
                    // than the read position: read from the start.
                    let heldSet = Set(held)
                    if !heldSet.isSubset(of: previouslyHeld) { seen = 0 }
                    previouslyHeld = heldSet
                    let updates = room > 0 ? try await store.pendingUpdates(inLanes: held, after: seen, limit: min(room, 200)) : []
                    defer { lanes.endRead(read) }
                    for update in updates {
                        seen = max(seen, update.id)
                        let decoded = decode(update)
                        guard let lane = lanes.admit(update, decoded) else { continue }
                        admitted += 1
                        if lane.startsWorker {
                            group.addTask { await work(lane: lane.key, lanes: lanes) }
                        }
                    }
                } catch {
                    // A store that is briefly unavailable must not stop the service (and the app with it).
                    logger.error("Chat updates not read", metadata: ["error": "\(error)"])
                }
                if ContinuousClock.now - lastExpiry >= expiryInterval {
                    lastExpiry = ContinuousClock.now
                    group.addTask { await expire() }
                }
                if admitted == 0 {
                    seen = 0
                    await wakeup.wait(timeout: idleWait)
                }
            }
        }
        // Shutting down: the chats this replica held go to the others now, not when their
        // leases run out. (What was not handled stays unprocessed and is taken up again.)
        do {
            try await store.releaseLanes(owner: replica)
        } catch {
            logger.notice("Chat lanes not released; they free up when their leases end", metadata: ["error": "\(error)"])
        }
    }

    /// A stored input opened and translated, or why it can't be. (Its lane is stored with it.)
    struct Decoded: Sendable {
        /// Nil for an update Rebind does not handle (a group message, an unknown kind).
        var input: Result<ChatInput?, any Error>
    }

    func decode(_ update: InboundUpdate) -> Decoded {
        Decoded(
            input: Result {
                let payload = try SealedUpdate.open(update.payload, channel: update.channel, externalID: update.externalID, envelope: envelope)
                if update.externalID.hasPrefix(RebindInput.externalIDPrefix) {
                    guard let chat = ChatAddress(storageKey: update.lane) else { return nil }
                    return ChatInput(chat: chat, event: try JSONDecoder().decode(RebindInput.self, from: payload).event)
                }
                switch update.channel {
                case .telegram: return TelegramInputs.input(from: try JSONDecoder().decode(TelegramUpdate.self, from: payload))
                case .slack: return SlackInputs.input(from: try JSONDecoder().decode(SlackInbound.self, from: payload))
                }
            }
        )
    }

    func work(lane: String, lanes: Lanes) async {
        while let (update, decoded) = lanes.next(lane: lane) {
            await process(update, decoded)
            lanes.done(update.id)
        }
    }

    /// Handles one stored input and marks it processed. A failure (a store or platform briefly
    /// down) is retried after each of `retryDelays`, in the lane, so nothing the user sent is
    /// silently dropped; after the last the input is dropped and the user told so. (A pasted
    /// secret was deleted before anything could fail: see `ChatRouter.deletingSecretsFirst`.)
    func process(_ update: InboundUpdate, _ decoded: Decoded) async {
        let input: ChatInput?
        do {
            input = try decoded.input.get()
        } catch {
            // An input that cannot be opened or read is logged and skipped: it must not block
            // the ones behind it.
            logger.error("Chat update not readable; skipped", metadata: ["update.id": "\(update.id)", "error": "\(error)"])
            await complete(update)
            return
        }
        guard let input else {
            await complete(update)
            return
        }
        var delays = retryDelays[...]
        while true {
            do {
                try await router.handle(input)
                break
            } catch is CancellationError {
                // A shutdown cut a key check short; the conversation, saved as it was, resumes at
                // the next start. The input stays unprocessed only if it never started.
                logger.notice("Chat update interrupted by shutdown", metadata: ["update.id": "\(update.id)"])
                break
            } catch {
                guard let delay = delays.popFirst(), !Task.isCancelledOrShuttingDown else {
                    logger.error("Chat update not processed; giving up", metadata: ["update.id": "\(update.id)", "error": "\(error)"])
                    if input.isFromUser {
                        do {
                            try await router.sender.say(.inputFailed, to: input.chat)
                        } catch {
                            logger.error("User not told of a dropped input", metadata: ["chat": "\(input.chat)", "error": "\(error)"])
                        }
                    }
                    break
                }
                logger.warning("Chat update failed; retrying", metadata: ["update.id": "\(update.id)", "error": "\(error)"])
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    // Shutting down: left unprocessed, taken up again at the next start.
                    return
                }
            }
        }
        await complete(update)
    }

    func complete(_ update: InboundUpdate) async {
        do {
            try await store.completeUpdate(id: update.id)
        } catch {
            logger.error("Chat update not marked processed", metadata: ["update.id": "\(update.id)", "error": "\(error)"])
        }
    }

    /// Conversations idle past the limit get an idle input in their lane, at most one a
    /// minute each: the lane's owner ends them (or runs a check a dead replica left again).
    func expire() async {
        do {
            try await store.pruneLanes(now: now())
            let minute = Int(now().timeIntervalSince1970 / 60)
            for chat in try await store.conversationChats(idleSince: now().addingTimeInterval(-KeyConversation.idleLimit)) {
                try await inbox.post(.idle, to: chat, key: "idle:\(chat):\(minute)")
            }
        } catch {
            logger.error("Idle conversations not looked for", metadata: ["error": "\(error)"])
        }
    }

    /// At start, every conversation gets a resume input: one whose check a shutdown cut short
    /// runs it again. (Those waiting on the user ignore it.)
    func resumeInterruptedConversations() async {
        do {
            let started = Int(now().timeIntervalSince1970)
            for chat in try await store.conversationChats(idleSince: .distantFuture) {
                try await inbox.post(.resume, to: chat, key: "resume:\(chat):\(replica):\(started)")
            }
        } catch {
            logger.error("Interrupted conversations not resumed", metadata: ["error": "\(error)"])
        }
    }

    /// The chats' lanes: which updates are held in memory, and in what order each chat's go.
    final class Lanes: Sendable {
        private struct State {
            var held: Set<Int64> = []
            var lanes: [String: [(InboundUpdate, Decoded)]] = [:]
            /// Reads of pending updates begun so far.
            var reads: UInt64 = 0
            /// Updates handled and marked processed, with the last read begun before that: a
            /// read that old may still return them as pending, so they are not taken again.
            var finished: [Int64: UInt64] = [:]
        }

        private let state = Mutex(State())

        var held: Int { state.withLock { $0.held.count } }

        /// Lanes with updates in memory.
        var active: [String] { state.withLock { Array($0.lanes.keys) } }

        /// Takes an update into its lane, unless it is held already (read again before it was
        /// marked processed). `startsWorker` says the lane was idle and needs a worker.
        func admit(_ update: InboundUpdate, _ decoded: Decoded) -> (key: String, startsWorker: Bool)? {
            let lane = update.lane
            return state.withLock { state in
                guard state.finished[update.id] == nil, state.held.insert(update.id).inserted else { return nil }
                let idle = state.lanes[lane] == nil
                state.lanes[lane, default: []].append((update, decoded))
                return (lane, idle)
            }
        }

        /// The lane's next update; nil (and the lane closed) when it has none.
        func next(lane: String) -> (InboundUpdate, Decoded)? {
            state.withLock { state in
                guard var queue = state.lanes[lane], !queue.isEmpty else {
                    state.lanes[lane] = nil
                    return nil
                }
                let first = queue.removeFirst()
                state.lanes[lane] = queue
                return first
            }
        }

        /// The update is handled and marked processed.
        func done(_ id: Int64) {
            state.withLock { state in
                state.held.remove(id)
                state.finished[id] = state.reads
            }
        }

        /// A read of pending updates begins; returns its number.
        func beginRead() -> UInt64 {
            state.withLock { state in
                state.reads += 1
                return state.reads
            }
        }

        /// Read `read` was taken in. Reads begun after an update was marked processed cannot
        /// see it as pending, so it need not be remembered past them.
        func endRead(_ read: UInt64) {
            state.withLock { state in
                state.finished = state.finished.filter { $0.value >= read }
            }
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool {
        Task.isCancelled || Task.isShuttingDownGracefully
    }
}
