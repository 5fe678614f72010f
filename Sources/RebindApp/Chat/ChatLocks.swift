import RebindCore

/// One conversation at a time per chat: what the user sends, the platform's answer to a
/// binding update and the idle timer all read and rewrite the same sealed conversation, so
/// each takes the chat's lock first. Chats do not wait for each other.
actor ChatLocks {
    /// A chat is locked while it has an entry; the entry holds those waiting, in order.
    private var waiting: [ChatAddress: [CheckedContinuation<Void, Never>]] = [:]

    func acquire(_ chat: ChatAddress) async {
        guard waiting[chat] != nil else {
            waiting[chat] = []
            return
        }
        await withCheckedContinuation { waiting[chat, default: []].append($0) }
    }

    func release(_ chat: ChatAddress) {
        guard var queue = waiting[chat], !queue.isEmpty else {
            waiting[chat] = nil
            return
        }
        let next = queue.removeFirst()
        waiting[chat] = queue
        // The lock passes straight to the next in line: the entry stays.
        next.resume()
    }

    /// Chats locked now (for tests: nothing may stay locked).
    var lockedCount: Int { waiting.count }
}

extension ChatLocks {
    /// Runs `body` holding the chat's lock.
    nonisolated func withLock<T: Sendable>(_ chat: ChatAddress, _ body: () async throws -> T) async throws -> T {
        await acquire(chat)
        do {
            let result = try await body()
            await release(chat)
            return result
        } catch {
            await release(chat)
            throw error
        }
    }
}
