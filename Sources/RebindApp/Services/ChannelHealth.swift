import Foundation
import Logging
import RebindCore
import ServiceLifecycle
import Synchronization

/// Which chat channels are paused because the platform refuses the bot's credentials (a
/// revoked or wrong token, DESIGN §11). A paused channel sends nothing: its notices stay
/// pending instead of being dead-lettered one by one, and `ChannelProbe` asks the platform,
/// backing off, until the token works again. Shown in `/readyz`, the metrics and the logs.
final class ChannelHealth: Sendable {
    struct Pause: Sendable, Equatable {
        var since: Date
        var reason: String
        var nextProbe: Date
        var probes: Int
    }

    private let pauses = Mutex<[Channel: Pause]>([:])
    private let settings = Mutex<(metrics: RebindMetrics?, firstProbeWait: TimeInterval)>((nil, 5))
    static let longestProbeWait: TimeInterval = 300

    /// The first wait before a probe; doubled after each failed one, up to `longestProbeWait`.
    var firstProbeWait: TimeInterval { settings.withLock { $0.firstProbeWait } }

    /// Where the pauses are counted, and how soon a paused channel is first probed.
    func configure(metrics: RebindMetrics, firstProbeWait: TimeInterval) {
        settings.withLock { $0 = (metrics, firstProbeWait) }
        for channel in Channel.allCases { metrics.channelPaused(channel, isPaused(channel)) }
    }

    private var metrics: RebindMetrics? { settings.withLock { $0.metrics } }

    func isPaused(_ channel: Channel) -> Bool {
        pauses.withLock { $0[channel] != nil }
    }

    /// When a paused channel is next probed; nil when it is not paused.
    func nextProbe(_ channel: Channel) -> Date? {
        pauses.withLock { $0[channel]?.nextProbe }
    }

    /// Pauses the channel (once; a refusal while paused changes nothing). True when it was not paused.
    @discardableResult
    func pause(_ channel: Channel, reason: String, now: Date) -> Bool {
        let paused = pauses.withLock { pauses -> Bool in
            guard pauses[channel] == nil else { return false }
            pauses[channel] = Pause(since: now, reason: reason, nextProbe: now.addingTimeInterval(firstProbeWait), probes: 0)
            return true
        }
        if paused { metrics?.channelPaused(channel, true) }
        return paused
    }

    /// A failed probe: the next one waits twice as long.
    func probeFailed(_ channel: Channel, now: Date) {
        pauses.withLock { pauses in
            guard var pause = pauses[channel] else { return }
            pause.probes += 1
            let wait = min(self.firstProbeWait * pow(2, Double(pause.probes)), Self.longestProbeWait)
            pause.nextProbe = now.addingTimeInterval(wait)
            pauses[channel] = pause
        }
    }

    /// The token works again. True when it was paused.
    @discardableResult
    func resume(_ channel: Channel) -> Bool {
        let resumed = pauses.withLock { $0.removeValue(forKey: channel) != nil }
        if resumed { metrics?.channelPaused(channel, false) }
        return resumed
    }

    /// Each channel's state, for `/readyz`: `active` or `paused`.
    func states(of channels: [Channel]) -> [String: String] {
        pauses.withLock { pauses in
            Dictionary(uniqueKeysWithValues: channels.map { ($0.rawValue, pauses[$0] == nil ? "active" : "paused") })
        }
    }

    func pause(of channel: Channel) -> Pause? {
        pauses.withLock { $0[channel] }
    }
}

/// Probes paused channels (Telegram `getMe`) when due, and resumes them when the platform
/// takes the token again: their pending notices then go out.
struct ChannelProbe: Service {
    let health: ChannelHealth
    let messengers: [Channel: any ChatMessenger]
    /// Woken when a channel resumes, so its waiting notices go at once.
    let noticesWakeup: Wakeup
    let idleWait: Duration
    let now: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await probeDue()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: idleWait) }
        }
    }

    func probeDue() async {
        for (channel, messenger) in messengers {
            guard let next = health.nextProbe(channel), next <= now() else { continue }
            do throws(DeliveryError) {
                try await messenger.probe()
                if health.resume(channel) {
                    logger.notice("Chat channel resumed: the platform takes the bot's token again", metadata: ["channel": "\(channel.rawValue)"])
                    noticesWakeup.poke()
                }
            } catch {
                health.probeFailed(channel, now: now())
                logger.warning(
                    "Chat channel still paused",
                    metadata: [
                        "channel": "\(channel.rawValue)", "error": "\(error)",
                        "next_probe": "\(health.nextProbe(channel).map(Timestamp.format) ?? "-")",
                    ]
                )
            }
        }
    }
}
