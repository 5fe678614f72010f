import Foundation
import RebindCore
import Testing

/// When a bound key lapses and where that date comes from (DESIGN §10), and when its warnings
/// fall due, on an injected clock.
@Suite("Key expiry: the rules and the warning schedule")
struct KeyExpiryTests {
    let day: TimeInterval = 86_400
    let now = Date(timeIntervalSince1970: 1_795_685_400)
    let policy = ExpiryPolicy()

    func ago(_ days: Double, plus seconds: TimeInterval = 0) -> Date {
        now.addingTimeInterval(-days * day - seconds)
    }

    @Test("The catalogue's days count from bound_at: Binance 60, OKX 30, an unknown exchange none")
    func catalogue() {
        let bound = ago(10)
        #expect(
            policy.expiry(exchange: "binance", facts: .init(boundAt: bound))
                == KeyExpiry(expiresAt: bound.addingTimeInterval(60 * day), source: .catalogue)
        )
        #expect(
            policy.expiry(exchange: "okx", facts: .init(boundAt: bound))
                == KeyExpiry(expiresAt: bound.addingTimeInterval(30 * day), source: .catalogue)
        )
        #expect(policy.expiry(exchange: "kraken", facts: .init(boundAt: bound)) == nil)
        #expect(policy.expiry(exchange: "binance", facts: .init()) == nil)
        let catalogue = ExchangeCatalogue(
            platformName: "P",
            helpURL: "https://example.com",
            bindingPath: [],
            exchanges: ["binance": .init(name: "Binance", tradingValidityDays: 45, regenerateAt: "x", appName: "x", needsPassphrase: false)]
        )
        #expect(
            ExpiryPolicy(catalogue: catalogue).expiry(exchange: "binance", facts: .init(boundAt: bound))?.expiresAt
                == bound.addingTimeInterval(45 * day)
        )
    }

    @Test("First found: the platform's date, then the exchange's, then an IP restriction, then the catalogue")
    func precedence() {
        let platform = now.addingTimeInterval(20 * day)
        let exchange = now.addingTimeInterval(12 * day)
        let bound = ago(1)
        var facts = KeyExpiry.Facts(
            platformExpiresAt: platform,
            platformIPRestricted: true,
            exchangeExpiresAt: exchange,
            checkedIPRestricted: true,
            boundAt: bound
        )
        #expect(policy.expiry(exchange: "binance", facts: facts) == KeyExpiry(expiresAt: platform, source: .platform))
        facts.platformExpiresAt = nil
        #expect(policy.expiry(exchange: "binance", facts: facts) == KeyExpiry(expiresAt: exchange, source: .exchange))
        facts.exchangeExpiresAt = nil
        #expect(policy.expiry(exchange: "binance", facts: facts) == KeyExpiry(expiresAt: nil, source: .ipRestricted))
        facts.platformIPRestricted = false
        #expect(
            policy.expiry(exchange: "binance", facts: facts) == KeyExpiry(expiresAt: nil, source: .ipRestricted),
            "the check's restriction counts too"
        )
        facts.checkedIPRestricted = false
        #expect(policy.expiry(exchange: "binance", facts: facts) == KeyExpiry(expiresAt: bound.addingTimeInterval(60 * day), source: .catalogue))
    }

    @Test("Days left are whole days rounded up; 0 once past")
    func daysLeft() {
        let expires = ago(55, plus: 5).addingTimeInterval(60 * day)
        #expect(KeyExpiry.daysLeft(until: expires, now: now) == 5, "bound 55 days and a few seconds ago")
        #expect(KeyExpiry.daysLeft(until: now.addingTimeInterval(60 * day), now: now) == 60, "bound just now")
        #expect(KeyExpiry.daysLeft(until: now.addingTimeInterval(1), now: now) == 1)
        #expect(KeyExpiry.daysLeft(until: now, now: now) == 0)
        #expect(KeyExpiry.daysLeft(until: ago(2), now: now) == 0)
    }

    @Test("Each moment ahead is due at expires_at − N days")
    func moments() {
        let expires = now.addingTimeInterval(30 * day)
        #expect(
            ExpirySchedule().warnings(expiresAt: expires, now: now) == [
                .init(days: 7, dueAt: expires.addingTimeInterval(-7 * day)),
                .init(days: 3, dueAt: expires.addingTimeInterval(-3 * day)),
                .init(days: 1, dueAt: expires.addingTimeInterval(-1 * day)),
            ]
        )
        #expect(ExpirySchedule(days: [1, 14, 1, 0, -3]).days == [14, 1], "sorted, each once, only positive days")
        #expect(ExpirySchedule(days: []).warnings(expiresAt: expires, now: now).isEmpty)
    }

    @Test("A late start sends only the latest moment already passed, at once")
    func lateStart() {
        // A Binance key bound 55 days ago: the 7-day moment passed two days ago.
        let expires = ago(55).addingTimeInterval(60 * day)
        #expect(
            ExpirySchedule().warnings(expiresAt: expires, now: now) == [
                .init(days: 7, dueAt: now),
                .init(days: 3, dueAt: expires.addingTimeInterval(-3 * day)),
                .init(days: 1, dueAt: expires.addingTimeInterval(-1 * day)),
            ]
        )
        // Two and a half days left: 7 and 3 have passed; only 3 is said.
        let soon = now.addingTimeInterval(2.5 * day)
        #expect(
            ExpirySchedule().warnings(expiresAt: soon, now: now) == [
                .init(days: 3, dueAt: now), .init(days: 1, dueAt: soon.addingTimeInterval(-day)),
            ]
        )
        #expect(ExpirySchedule().warnings(expiresAt: now, now: now).isEmpty, "none once expired")
        #expect(ExpirySchedule().warnings(expiresAt: ago(1), now: now).isEmpty)
    }

    @Test("A plan leaves out what was told for the same expiry, and a new key starts afresh")
    func replan() {
        let lifetime = BindingLifetime(boundAt: ago(55))
        let expires = ago(55).addingTimeInterval(60 * day)
        // The platform repeats its update: the 7-day warning told already is not told again.
        let repeated = policy.plan(exchange: "binance", lifetime: lifetime, ended: [(7, expires)], now: now)
        #expect(repeated.expiry == KeyExpiry(expiresAt: expires, source: .catalogue))
        #expect(repeated.warnings.map(\.days) == [3, 1])
        // A new key: bound now, its warnings all ahead, whatever was told of the old one.
        let fresh = policy.plan(exchange: "binance", lifetime: BindingLifetime(boundAt: now), ended: [(7, expires)], now: now)
        #expect(fresh.warnings.map(\.days) == [7, 3, 1])
        #expect(fresh.warnings.first?.dueAt == now.addingTimeInterval(53 * day))
        // An IP-restricted key has none.
        let restricted = policy.plan(
            exchange: "binance",
            lifetime: BindingLifetime(boundAt: ago(55), platformIPRestricted: true),
            ended: [],
            now: now
        )
        #expect(restricted == ExpiryPlan(expiry: KeyExpiry(expiresAt: nil, source: .ipRestricted), warnings: []))
    }

    @Test("A warning is sent only while the key is valid and no key incident of it is open (a lapse takes over)")
    func stillDue() {
        let expires = now.addingTimeInterval(day)
        #expect(ExpirySchedule.stillDue(expiresAt: expires, now: now, keyIncidentOpen: false))
        #expect(!ExpirySchedule.stillDue(expiresAt: expires, now: now, keyIncidentOpen: true))
        #expect(!ExpirySchedule.stillDue(expiresAt: now, now: now, keyIncidentOpen: false))
    }

    @Test("A key applied through Rebind replaces the platform's word until its next event; an event keeps the check only for the same key")
    func lifetimes() {
        let tradingEnds = now.addingTimeInterval(40 * day)
        let applied = BindingLifetime.applied(
            keyHint: "Eh8A",
            verdict: KeyVerdict(cause: nil, canTrade: true, ipRestricted: false, tradingExpiresAt: tradingEnds),
            at: now
        )
        #expect(applied == BindingLifetime(boundAt: now, checkedExpiresAt: tradingEnds, checkedIPRestricted: false, checkedKeyHint: "Eh8A"))
        #expect(policy.expiry(exchange: "binance", facts: applied.facts) == KeyExpiry(expiresAt: tradingEnds, source: .exchange))

        // The platform reports the key Rebind applied (its hint is the same key's tail).
        let later = now.addingTimeInterval(60)
        let same = applied.afterEvent(.init(id: "acc", exchange: "binance", apiKeyHint: "h8A", boundAt: later), boundAt: later)
        #expect(same.checkedExpiresAt == tradingEnds && same.boundAt == later)
        // An event without a hint says nothing against it.
        #expect(applied.afterEvent(.init(id: "acc", exchange: "binance"), boundAt: later).checkedExpiresAt == tradingEnds)
        // Another key bound on the web: what the check found described the old one.
        let other = applied.afterEvent(
            .init(id: "acc", exchange: "binance", apiKeyHint: "zzZ", ipRestricted: true, expiresAt: tradingEnds),
            boundAt: later
        )
        #expect(other == BindingLifetime(boundAt: later, platformExpiresAt: tradingEnds, platformIPRestricted: true))
    }

    @Test("Bindings fall in days-left buckets for the gauge")
    func buckets() {
        #expect(ExpiryBucket(expiry: nil, now: now) == ExpiryBucket(daysLeft: .unknown, source: nil))
        #expect(ExpiryBucket(expiry: KeyExpiry(expiresAt: nil, source: .ipRestricted), now: now).daysLeft == .never)
        let cases: [(TimeInterval, ExpiryBucket.DaysLeft)] = [
            (-1, .expired), (0.5 * day, .upTo1), (day, .upTo1), (day + 1, .upTo3), (3 * day, .upTo3), (6 * day, .upTo7),
            (8 * day, .upTo30), (31 * day, .moreThan30),
        ]
        for (offset, expected) in cases {
            #expect(ExpiryBucket(expiry: KeyExpiry(expiresAt: now.addingTimeInterval(offset), source: .catalogue), now: now).daysLeft == expected)
        }
    }
}
