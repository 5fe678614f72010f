import Foundation
import RebindCore
import Testing

@Suite("Key policy")
struct KeyPolicyTests {
    let policy = KeyPolicy()
    let now = Date(timeIntervalSince1970: 1_795_000_000)
    let day: TimeInterval = 86_400

    func permissions(
        exchange: String = "Binance",
        read: Bool = true,
        spot: Bool = true,
        futures: Bool = false,
        withdraw: Bool = false,
        ipRestricted: Bool = true,
        expires: Date? = nil,
        idleDays: Int? = nil
    ) -> KeyPermissions {
        KeyPermissions(
            exchangeName: exchange,
            canRead: read,
            canTradeSpot: spot,
            canTradeFutures: futures,
            canWithdraw: withdraw,
            ipRestricted: ipRestricted,
            tradingExpiresAt: expires,
            idleDeletionDaysWithoutIP: idleDays
        )
    }

    @Test("A key that reads and trades, cannot withdraw and is bound to IPs is usable with nothing to say")
    func usable() {
        let verdict = policy.verdict(for: permissions(), context: KeyCheckContext(), now: now)
        #expect(verdict == KeyVerdict(cause: nil, canTrade: true, canWithdraw: false, ipRestricted: true, findings: []))
        #expect(verdict.usable)
    }

    @Test("A key that cannot trade is permission_missing")
    func cannotTrade() {
        let verdict = policy.verdict(for: permissions(spot: false), context: KeyCheckContext(), now: now)
        #expect(verdict.cause == .permissionMissing)
        #expect(!verdict.canTrade)
        #expect(verdict.warnings == ["This key cannot trade: turn on trading for the key on Binance, or create a new key with it."])
    }

    @Test("A key that can withdraw is refused even though it trades")
    func canWithdraw() {
        let verdict = policy.verdict(for: permissions(withdraw: true), context: KeyCheckContext(), now: now)
        #expect(!verdict.usable)
        #expect(verdict.cause == .permissionMissing)
        #expect(verdict.canTrade)
        #expect(verdict.canWithdraw)
        #expect(verdict.warnings.first?.hasPrefix("This key can withdraw funds.") == true)
    }

    @Test("A futures robot needs futures trading; a spot robot does not")
    func futures() {
        let spotOnly = permissions(spot: true, futures: false)
        #expect(policy.verdict(for: spotOnly, context: KeyCheckContext(needsFutures: true), now: now).cause == .permissionMissing)
        #expect(policy.verdict(for: spotOnly, context: KeyCheckContext(needsFutures: false), now: now).usable)
        let futuresOnly = permissions(spot: false, futures: true)
        #expect(policy.verdict(for: futuresOnly, context: KeyCheckContext(needsFutures: true), now: now).usable)
        #expect(policy.verdict(for: futuresOnly, context: KeyCheckContext(needsFutures: false), now: now).cause == .permissionMissing)
    }

    @Test("Spot trading that lapsed is key_expired, even while the flag still reads on")
    func lapsed() {
        let ended = now.addingTimeInterval(-day)
        let verdict = policy.verdict(for: permissions(spot: true, ipRestricted: false, expires: ended), context: KeyCheckContext(), now: now)
        #expect(verdict.cause == .keyExpired)
        #expect(!verdict.canTrade)
        #expect(verdict.tradingExpiresAt == ended)
        #expect(verdict.warnings.first == "Binance ended this key's spot trading permission on 2026-11-17: create a new key with trading enabled.")
    }

    @Test("A lapse of spot trading does not stop a futures robot")
    func lapsedSpotFuturesRobot() {
        let verdict = policy.verdict(
            for: permissions(spot: false, futures: true, expires: now.addingTimeInterval(-day)),
            context: KeyCheckContext(needsFutures: true),
            now: now
        )
        #expect(verdict.usable)
    }

    @Test("A lapse still ahead is accepted with the day it happens")
    func lapseAhead() {
        let verdict = policy.verdict(
            for: permissions(ipRestricted: false, expires: now.addingTimeInterval(30 * day + 3600)),
            context: KeyCheckContext(),
            now: now
        )
        #expect(verdict.usable)
        #expect(
            verdict.warnings == ["Binance will end this key's spot trading permission on 2026-12-18, in 30 days; a new key will be needed by then."]
        )
    }

    @Test("An OKX trading key with no IP bound is accepted with the 14-day warning; with an IP, without it")
    func okxIdleDeletion() {
        let unbound = policy.verdict(for: permissions(exchange: "OKX", ipRestricted: false, idleDays: 14), context: KeyCheckContext(), now: now)
        #expect(unbound.usable)
        #expect(
            unbound.warnings == [
                "OKX deletes a key that can trade and has no IP address bound after 14 days without use: bind the platform's IP addresses to the key to keep it."
            ]
        )
        let bound = policy.verdict(for: permissions(exchange: "OKX", ipRestricted: true, idleDays: 14), context: KeyCheckContext(), now: now)
        #expect(bound.warnings.isEmpty)
    }

    @Test("Every problem is named; the first decides the cause")
    func severalProblems() {
        let verdict = policy.verdict(for: permissions(read: false, spot: false, withdraw: true), context: KeyCheckContext(), now: now)
        #expect(verdict.cause == .permissionMissing)
        #expect(verdict.warnings.count == 3)
        #expect(verdict.warnings[0].contains("cannot trade"))
        #expect(verdict.warnings[1].contains("withdraw"))
        #expect(verdict.warnings[2].contains("cannot read"))
    }

    @Test("A refusal carries its cause, guidance and the exchange's code", arguments: Cause.allCases)
    func refusal(_ cause: Cause) {
        let verdict = policy.refusal(cause, exchangeName: "OKX", code: "50000", message: "Some message.")
        #expect(verdict.cause == cause)
        #expect(!verdict.usable)
        #expect(!verdict.canTrade && !verdict.canWithdraw && !verdict.ipRestricted)
        #expect(verdict.warnings.count == 1)
        #expect(verdict.warnings[0].contains("(OKX 50000"))
    }

    @Test("Binance -2015: when the restrictions call fails too, the key is gone or the IP not allowed")
    func binanceInvalidKeyWithoutRestrictions() {
        let verdict = policy.resolveBinanceInvalidKey(restrictions: nil, context: KeyCheckContext(), now: now)
        #expect(verdict.cause == .keyDeleted)
        #expect(verdict.warnings.first?.contains("deleted") == true)
        #expect(verdict.warnings.first?.contains("IP") == true)
    }

    @Test("Binance -2015: when the restrictions answer, their flags say which permission is off")
    func binanceInvalidKeyWithRestrictions() {
        let context = KeyCheckContext()
        #expect(policy.resolveBinanceInvalidKey(restrictions: permissions(spot: false), context: context, now: now).cause == .permissionMissing)
        #expect(
            policy.resolveBinanceInvalidKey(restrictions: permissions(expires: now.addingTimeInterval(-day)), context: context, now: now).cause
                == .keyExpired
        )
        #expect(
            policy.resolveBinanceInvalidKey(restrictions: permissions(futures: false), context: KeyCheckContext(needsFutures: true), now: now)
                .cause == .permissionMissing
        )
        let unexplained = policy.resolveBinanceInvalidKey(restrictions: permissions(), context: context, now: now)
        #expect(unexplained.cause == .unknown)
        #expect(unexplained.warnings.first?.contains("-2015") == true)
    }
}
