import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindTelegram
import ServiceLifecycle
import Synchronization

/// Processes stored chat updates: the webhook and the poller only store them.
///
/// Each chat has a lane: its updates are handled one at a time, in the order they arrived,
/// while other chats' lanes run alongside. So a slow exchange check or a reply held by a 429
/// in one chat delays nobody else. An update is marked processed only once handled; after a
/// crash, the unprocessed ones are read again and handled in order.
struct UpdateProcessor: Service {
    let store: any ChatStore
    let envelope: SecretEnvelope
    let bot: ChatBot
    let wakeup: Wakeup
    let idleWait: Duration
    /// How often idle conversations are looked for.
    let expiryInterval: Duration
    let logger: Logger
    /// Updates held in memory at most (being handled or waiting in a lane).
    var maxHeld = 1000

    func run() async throws {
        do {
            try await bot.resumeInterruptedConversations()
        } catch {
            logger.error("Interrupted conversations not resumed", metadata: ["error": "\(error)"])
        }
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
                    let leaseUntil = bot.now().addingTimeInterval(bot.laneLease)
                    // The lanes being worked through in memory keep their lease, whether or not
                    // they rank among the lanes claimed below (which renews those that do).
                    // Every quarter lease is enough, and keeps the writer free for events.
                    if lastRenewal.map({ ContinuousClock.now - $0 >= .seconds(bot.laneLease / 4) }) ?? true {
                        try await store.renewLanes(lanes.active, owner: bot.replica, leaseUntil: leaseUntil)
                        lastRenewal = ContinuousClock.now
                    }
                    let held = try await store.claimUpdateLanes(owner: bot.replica, now: bot.now(), leaseUntil: leaseUntil, limit: 500)
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
            try await store.releaseLanes(owner: bot.replica)
        } catch {
            logger.notice("Chat lanes not released; they free up when their leases end", metadata: ["error": "\(error)"])
        }
    }

    /// What a stored update was, per channel.
    enum Input: Sendable {
        case telegram(TelegramUpdate)
        case slack(SlackInbound)
    }

    /// An update opened and decoded, or why it can't be. (Its lane is stored with it.)
    struct Decoded: Sendable {
        var update: Result<Input, Error>
    }

    func decode(_ update: InboundUpdate) -> Decoded {
        do {
            let payload = try SealedUpdate.open(update.payload, channel: update.channel, externalID: update.externalID, envelope: envelope)
            switch update.channel {
            case .telegram:
                return Decoded(update: .success(.telegram(try JSONDecoder().decode(TelegramUpdate.self, from: payload))))
            case .slack:
                return Decoded(update: .success(.slack(try JSONDecoder().decode(SlackInbound.self, from: payload))))
            }
        } catch {
            return Decoded(update: .failure(error))
        }
    }

    func work(lane: String, lanes: Lanes) async {
        while let (update, decoded) = lanes.next(lane: lane) {
            await process(update, decoded)
            lanes.done(update.id)
        }
    }

    func process(_ update: InboundUpdate, _ decoded: Decoded) async {
        do {
            switch try decoded.update.get() {
            case .telegram(let update): try await bot.handle(update)
            case .slack(let inbound): try await bot.handle(inbound)
            }
        } catch is CancellationError {
            // A shutdown cut a key check short; the conversation, saved as it was, resumes at
            // the next start.
            logger.notice("Chat update interrupted by shutdown", metadata: ["update.id": "\(update.id)"])
        } catch {
            // A bad update is logged and skipped: it must not block the ones behind it.
            logger.error("Chat update not processed", metadata: ["update.id": "\(update.id)", "error": "\(error)"])
        }
        do {
            try await store.completeUpdate(id: update.id)
        } catch {
            logger.error("Chat update not marked processed", metadata: ["update.id": "\(update.id)", "error": "\(error)"])
        }
    }

    func expire() async {
        do {
            try await store.pruneLanes(now: bot.now())
            try await bot.expireIdleConversations()
        } catch {
            logger.error("Idle conversations not expired", metadata: ["error": "\(error)"])
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
