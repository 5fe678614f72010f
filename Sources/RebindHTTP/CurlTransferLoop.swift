import CCurl
import Foundation
import RebindCore
import Synchronization

/// The dedicated thread that drives every transfer of one `CurlTransport` through a curl
/// multi handle: it waits on the sockets, runs curl's callbacks and resumes the waiting
/// tasks. Blocking curl work happens here, never on an event loop or the cooperative pool.
///
/// Other threads only touch `inbox` (under its lock) and call `multi.wakeUp()`, which curl
/// allows from any thread; everything else belongs to the loop's thread.
final class CurlTransferLoop: @unchecked Sendable {
    private let multi: CurlMulti
    private let inbox = Mutex(Inbox())
    /// Transfers inside the multi handle, by easy handle. Loop thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    private struct Inbox {
        var submitted: [CurlTransfer] = []
        var stopping = false
    }

    /// How long one wait may last when nothing else wakes the loop; a safety net only.
    private static let idleWaitMilliseconds: Int32 = 1000

    init(maximumCachedConnections: Int) throws(CurlMulti.Error) {
        multi = try CurlMulti(maximumCachedConnections: maximumCachedConnections)
    }

    /// Starts the thread. It keeps the loop alive until `stop()`.
    func start(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Queues a transfer; false if the loop is stopping.
    func submit(_ transfer: CurlTransfer) -> Bool {
        let accepted = inbox.withLock { inbox in
            guard !inbox.stopping else { return false }
            inbox.submitted.append(transfer)
            return true
        }
        if accepted { wakeUp() }
        return accepted
    }

    /// Makes the loop look at its inbox and cancellation requests now.
    func wakeUp() {
        // If waking fails the loop still looks again within `idleWaitMilliseconds`.
        do { try multi.wakeUp() } catch {}
    }

    /// Ends the thread; transfers still running fail.
    func stop() {
        inbox.withLock { $0.stopping = true }
        wakeUp()
    }

    private func run() {
        while true {
            let (submitted, stopping) = inbox.withLock { inbox in
                defer { inbox.submitted = [] }
                return (inbox.submitted, inbox.stopping)
            }
            if stopping {
                failAll(submitted + active.values, detail: "the HTTP transport has shut down")
                return
            }
            for transfer in submitted { add(transfer) }
            abortCancelledTransfers()
            do {
                try multi.perform()
                collectFinishedTransfers()
                try multi.poll(timeoutMilliseconds: Self.idleWaitMilliseconds)
            } catch {
                // The multi handle itself failed; nothing in it can be trusted to finish.
                failAll(Array(active.values), detail: error.description)
                // Don't spin if the failure persists.
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    private func add(_ transfer: CurlTransfer) {
        if transfer.isCancellationRequested {
            transfer.complete(.failure(CancellationError()))
            return
        }
        do {
            try multi.add(transfer.easy)
            active[transfer.easy.handle] = transfer
        } catch {
            transfer.complete(.failure(TransportError(kind: .other, endpoint: transfer.url.endpoint, detail: error.description)))
        }
    }

    private func abortCancelledTransfers() {
        for (handle, transfer) in active where transfer.isCancellationRequested {
            active[handle] = nil
            detach(transfer)
            transfer.complete(.failure(CancellationError()))
        }
    }

    private func collectFinishedTransfers() {
        while let (handle, result) = multi.nextFinished() {
            guard let transfer = active.removeValue(forKey: handle) else { continue }
            detach(transfer)
            transfer.finish(result)
        }
    }

    private func failAll(_ transfers: [CurlTransfer], detail: String) {
        for transfer in transfers {
            if active.removeValue(forKey: transfer.easy.handle) != nil { detach(transfer) }
            transfer.complete(.failure(TransportError(kind: .other, endpoint: transfer.url.endpoint, detail: detail)))
        }
    }

    /// Takes a transfer's handle out of the multi handle, so it can be cleaned up.
    private func detach(_ transfer: CurlTransfer) {
        // Removing fails only for a handle that isn't in this multi handle, which then
        // needs no removing.
        do { try multi.remove(transfer.easy) } catch {}
    }
}
