import Foundation
import RebindCore
import Synchronization
import Testing

/// Bindings' expiry and its warnings as both stores keep them (DESIGN §10): computed in the
/// transaction that changes a binding, planned as durable rows, claimed once per moment.
@Suite("Store, key expiry and warnings")
struct ExpiryStoreTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)
    let day: TimeInterval = 86_400

    func binding(
        _ type: EventType = .apiBindingCreated,
        id: String = UUID().uuidString,
        user: String = "u_1",
        account: String = "acc_1",
        exchange: String = "binance",
        boundDaysAgo: Double,
        hint: String = "h8A",
        ipRestricted: Bool? = nil,
        expiresAt: Date? = nil,
        at: Date? = nil
    ) -> IncomingEvent {
        let event = RobotEvent(
            type: type,
            occurredAt: at ?? now,
            user: .init(id: user),
            account: .init(
                id: account,
                exchange: exchange,
                label: "Main",
                apiKeyHint: hint,
                boundAt: now.addingTimeInterval(-boundDaysAgo * day),
                ipRestricted: ipRestricted,
                expiresAt: expiresAt
            )
        )
        return IncomingEvent(id: id, event: event, cause: nil, body: Data("{}".utf8), receivedAt: at ?? now)
    }

    func claim(_ store: any TestableStore, at date: Date) async throws -> [[DueExpiryWarning]] {
        try await store.claimExpiryWarnings(now: date, mergeWithin: 10, limit: 10, leaseUntil: date.addingTimeInterval(120))
    }

    /// Claims and marks sent everything due at `date`: the moments told then, as (account, days).
    func tell(_ store: any TestableStore, at date: Date) async throws -> [[String]] {
        let groups = try await claim(store, at: date)
        for group in groups {
            try await store.endExpiryWarnings(group.map(\.id), as: .sent, error: nil, platformEvents: [], now: date)
        }
        return groups.map { $0.map { "\($0.id.accountID):\($0.id.days)" } }
    }

    @Test("A Binance binding 55 days old: 5 days left, the 7-day warning at once, 3 and 1 at their moments", arguments: StoreKind.available)
    func schedule(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(binding(boundDaysAgo: 55))
            let expires = now.addingTimeInterval(5 * day)
            let stored = try #require(try await store.binding(accountID: "acc_1"))
            #expect(stored.expiry == KeyExpiry(expiresAt: expires, source: .catalogue))

            let first = try await claim(store, at: now)
            #expect(first.count == 1)
            let warning = try #require(first.first?.first)
            #expect(warning.id == .init(accountID: "acc_1", days: 7))
            #expect(warning.expiresAt == expires && warning.source == .catalogue && warning.exchange == "binance")
            #expect(warning.label == "Main" && warning.keyHint == "h8A" && !warning.keyIncidentOpen)
            // Leased: not claimed again meanwhile.
            #expect(try await claim(store, at: now.addingTimeInterval(60)).isEmpty)
            try await store.endExpiryWarnings([warning.id], as: .sent, error: nil, platformEvents: [], now: now)

            #expect(try await tell(store, at: expires.addingTimeInterval(-3 * day - 1)).isEmpty)
            #expect(try await tell(store, at: expires.addingTimeInterval(-3 * day)) == [["acc_1:3"]])
            #expect(try await tell(store, at: expires.addingTimeInterval(-1 * day)) == [["acc_1:1"]])
            #expect(try await tell(store, at: expires.addingTimeInterval(day)).isEmpty)
        }
    }

    @Test("An IP-restricted key, by the platform's word or the check's, gets no warning", arguments: StoreKind.available)
    func restricted(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(binding(boundDaysAgo: 55, ipRestricted: true))
            #expect(try await store.binding(accountID: "acc_1")?.expiry == KeyExpiry(expiresAt: nil, source: .ipRestricted))
            #expect(try await claim(store, at: now.addingTimeInterval(10 * day)).isEmpty)

            // A key applied through Rebind that the check found restricted: none either.
            _ = try await store.ingest(binding(account: "acc_2", boundDaysAgo: 55))
            let verdict = KeyVerdict(cause: nil, canTrade: true, ipRestricted: true)
            try await store.saveCredentials(
                accountID: "acc_2",
                userID: "u_1",
                exchange: "binance",
                keyHint: "Zz9",
                sealed: SealedData(keyID: "k1", data: Data([1, 2, 3])),
                verdict: verdict,
                now: now
            )
            #expect(try await store.binding(accountID: "acc_2")?.expiry == KeyExpiry(expiresAt: nil, source: .ipRestricted))
            #expect(try await claim(store, at: now.addingTimeInterval(90 * day)).isEmpty)
        }
    }

    @Test("Two accounts of one user due together are claimed as one group; another user's apart", arguments: StoreKind.available)
    func grouping(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(binding(account: "acc_1", boundDaysAgo: 55))
            _ = try await store.ingest(binding(account: "acc_2", exchange: "okx", boundDaysAgo: 25))
            _ = try await store.ingest(binding(user: "u_2", account: "acc_3", boundDaysAgo: 54))
            let told = try await tell(store, at: now.addingTimeInterval(5))
            #expect(Set(told) == [["acc_1:7", "acc_2:7"], ["acc_3:7"]])
        }
    }

    @Test("A new key restarts the warnings; a repeated update does not repeat one; a deleted binding has none", arguments: StoreKind.available)
    func restart(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(binding(boundDaysAgo: 55))
            #expect(try await tell(store, at: now) == [["acc_1:7"]])
            // The platform repeats what it knows of the same key: told already, not again.
            _ = try await store.ingest(binding(.apiBindingUpdated, boundDaysAgo: 55, at: now.addingTimeInterval(60)))
            #expect(try await tell(store, at: now.addingTimeInterval(120)).isEmpty)

            // A key applied through Rebind: 60 days from now, with the exchange's own date.
            let tradingEnds = now.addingTimeInterval(40 * day)
            try await store.saveCredentials(
                accountID: "acc_1",
                userID: "u_1",
                exchange: "binance",
                keyHint: "Eh8B",
                sealed: SealedData(keyID: "k1", data: Data([1])),
                verdict: KeyVerdict(cause: nil, canTrade: true, tradingExpiresAt: tradingEnds),
                now: now
            )
            #expect(try await store.binding(accountID: "acc_1")?.expiry == KeyExpiry(expiresAt: tradingEnds, source: .exchange))
            #expect(try await tell(store, at: now.addingTimeInterval(32 * day)).isEmpty)
            #expect(try await tell(store, at: tradingEnds.addingTimeInterval(-7 * day)) == [["acc_1:7"]])

            // The platform then reports that key (same tail): the exchange's date stands.
            _ = try await store.ingest(binding(.apiBindingUpdated, boundDaysAgo: 0, hint: "h8B", at: now.addingTimeInterval(34 * day)))
            #expect(try await store.binding(accountID: "acc_1")?.expiry?.source == .exchange)

            _ = try await store.ingest(binding(.apiBindingDeleted, boundDaysAgo: 0, at: now.addingTimeInterval(35 * day)))
            #expect(try await store.binding(accountID: "acc_1") == nil)
            #expect(try await tell(store, at: tradingEnds.addingTimeInterval(-1 * day)).isEmpty)
        }
    }

    @Test("A warning claimed while a key incident of its account is open says so", arguments: StoreKind.available)
    func incidentOpen(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(binding(boundDaysAgo: 55))
            let paused = RobotEvent(
                type: .robotPaused,
                occurredAt: now,
                user: .init(id: "u_1"),
                account: .init(id: "acc_1", exchange: "binance"),
                robot: .init(id: "rb_1", name: "Grid"),
                reason: .init(text: "API expired or no permission")
            )
            _ = try await store.ingest(IncomingEvent(id: "p1", event: paused, cause: .keyExpired, body: Data("{}".utf8), receivedAt: now))
            let warning = try #require(try await claim(store, at: now).first?.first)
            #expect(warning.keyIncidentOpen)
        }
    }

    @Test("Replicas claiming at once take each warning once", arguments: StoreKind.available)
    func replicas(_ kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            for index in 0..<30 {
                _ = try await fixture.store.ingest(binding(user: "u_\(index)", account: "acc_\(index)", boundDaysAgo: 55))
            }
            let stores: [any TestableStore] = [fixture.store, try await fixture.another(), try await fixture.another()]
            let claimed = Claimed()
            let now = now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in stores {
                    group.addTask {
                        while true {
                            let groups = try await store.claimExpiryWarnings(
                                now: now,
                                mergeWithin: 10,
                                limit: 4,
                                leaseUntil: now.addingTimeInterval(120)
                            )
                            if groups.isEmpty { return }
                            claimed.ids.withLock { $0 += groups.flatMap { $0.map(\.id.accountID) } }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let all = claimed.ids.withLock { $0 }
            #expect(all.count == 30)
            #expect(Set(all).count == 30)
        }
    }

    @Test("Platform events queue once per id, are claimed under a lease, retried and ended", arguments: StoreKind.available)
    func platformEvents(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let event = QueuedPlatformEvent(id: "expiring_1", body: Data(#"{"type":"api_binding.expiring"}"#.utf8))
            try await store.queuePlatformEvents([event], now: now)
            try await store.endExpiryWarnings([], as: .sent, error: nil, platformEvents: [event], now: now)
            let claimed = try await store.claimPlatformEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(120))
            #expect(claimed == [event])
            #expect(try await store.claimPlatformEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(120)).isEmpty)
            try await store.retryPlatformEvent(id: "expiring_1", at: now.addingTimeInterval(5), attempts: 1, firstAttemptAt: now, error: "503")
            let again = try await store.claimPlatformEvents(now: now.addingTimeInterval(5), limit: 10, leaseUntil: now.addingTimeInterval(200))
            #expect(again == [QueuedPlatformEvent(id: "expiring_1", body: event.body, attempts: 1, firstAttemptAt: now)])
            try await store.endPlatformEvent(id: "expiring_1", as: .delivered, error: nil, now: now)
            #expect(try await store.claimPlatformEvents(now: now.addingTimeInterval(999), limit: 10, leaseUntil: now.addingTimeInterval(999)).isEmpty)
        }
    }

    @Test("Bindings are counted by days left and source", arguments: StoreKind.available)
    func counts(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(binding(account: "acc_1", boundDaysAgo: 55))
            _ = try await store.ingest(binding(account: "acc_2", boundDaysAgo: 59.5))
            _ = try await store.ingest(binding(account: "acc_3", boundDaysAgo: 1, ipRestricted: true))
            _ = try await store.ingest(binding(account: "acc_4", exchange: "okx", boundDaysAgo: 0, expiresAt: now.addingTimeInterval(100 * day)))
            _ = try await store.ingest(binding(account: "acc_5", boundDaysAgo: 61))
            #expect(
                try await store.bindingExpiryCounts(now: now) == [
                    ExpiryBucket(daysLeft: .upTo7, source: .catalogue): 1,
                    ExpiryBucket(daysLeft: .upTo1, source: .catalogue): 1,
                    ExpiryBucket(daysLeft: .never, source: .ipRestricted): 1,
                    ExpiryBucket(daysLeft: .moreThan30, source: .platform): 1,
                    ExpiryBucket(daysLeft: .expired, source: .catalogue): 1,
                ]
            )
        }
    }
}

/// What replicas claimed, shared by their tasks.
private final class Claimed: Sendable {
    let ids = Mutex<[String]>([])
}
