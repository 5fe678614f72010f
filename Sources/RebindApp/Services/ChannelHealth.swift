import Foundation
import Logging
import RebindCore
import ServiceLifecycle
import Synchronization

/// Which chat channels — or, on Slack, which workspaces — are paused because the platform
/// refuses the bot's credentials (a revoked or wrong token, the app uninstalled: DESIGN §11). A
/// paused scope sends nothing: its notices stay pending instead of being dead-lettered one by
/// one, and `ChannelProbe` asks the platform, backing off, until the token works again. Shown
/// in `/readyz`, the console, the metrics and the logs.
final class ChannelHealth: Sendable {
    /// What one token serves: a whole channel (Telegram's one bot), or one Slack workspace.
    struct Scope: Hashable, Sendable, Comparable, CustomStringConvertible {
        var channel: Channel
        /// The Slack workspace (team id); nil for Telegram.
        var workspace: String?

        init(channel: Channel, workspace: String? = nil) {
            self.channel = channel
            self.workspace = workspace
        }

        /// The scope whose token writing to `chat` uses.
        init(_ chat: ChatAddress) {
            self.init(channel: chat.channel, workspace: chat.slackUser?.teamID)
        }

        var description: String { workspace.map { "\(channel.rawValue) workspace \($0)" } ?? channel.rawValue }

        static func < (lhs: Scope, rhs: Scope) -> Bool {
            (lhs.channel.rawValue, lhs.workspace ?? "") < (rhs.channel.rawValue, rhs.workspace ?? "")
        }
    }

    struct Pause: Sendable, Equatable {
        var since: Date
        var reason: String
        var nextProbe: Date
        var probes: Int
    }

    private let pauses = Mutex<[Scope: Pause]>([:])
    private let settings = Mutex<(metrics: RebindMetrics?, firstProbeWait: TimeInterval)>((nil, 5))
    static let longestProbeWait: TimeInterval = 300

    /// The first wait before a probe; doubled after each failed one, up to `longestProbeWait`.
    var firstProbeWait: TimeInterval { settings.withLock { $0.firstProbeWait } }

    /// Where the pauses are counted, and how soon a paused channel is first probed.
    func configure(metrics: RebindMetrics, firstProbeWait: TimeInterval) {
        settings.withLock { $0 = (metrics, firstProbeWait) }
        for channel in Channel.allCases { count(channel) }
    }

    private var metrics: RebindMetrics? { settings.withLock { $0.metrics } }

    /// `rebind_channel_paused{channel}`: how many of the channel's scopes are paused (0 or 1
    /// for Telegram; paused workspaces for Slack).
    private func count(_ channel: Channel) {
        let metrics = self.metrics
        // Set under the lock, so a pause and a resume racing cannot leave the gauge behind.
        pauses.withLock { pauses in
            metrics?.channelPaused(channel, count: pauses.keys.filter { $0.channel == channel }.count)
        }
    }

    /// Whether writing to `chat` would use a paused token.
    func isPaused(_ chat: ChatAddress) -> Bool {
        pauses.withLock { $0[Scope(chat)] != nil }
    }

    /// Whether any of the channel's scopes is paused.
    func isPaused(_ channel: Channel) -> Bool {
        pauses.withLock { $0.keys.contains { $0.channel == channel } }
    }

    /// The scopes whose probe is due.
    func dueProbes(now: Date) -> [Scope] {
        pauses.withLock { $0.filter { $0.value.nextProbe <= now }.keys.sorted() }
    }

    /// When a paused scope is next probed; nil when it is not paused.
    func nextProbe(_ scope: Scope) -> Date? {
        pauses.withLock { $0[scope]?.nextProbe }
    }

    /// Pauses the scope writing to `chat` uses (once; a refusal while paused changes nothing).
    /// True when it was not paused.
    @discardableResult
    func pause(_ chat: ChatAddress, reason: String, now: Date) -> Bool {
        pause(Scope(chat), reason: reason, now: now)
    }

    @discardableResult
    func pause(_ scope: Scope, reason: String, now: Date) -> Bool {
        let paused = pauses.withLock { pauses -> Bool in
            guard pauses[scope] == nil else { return false }
            pauses[scope] = Pause(since: now, reason: reason, nextProbe: now.addingTimeInterval(firstProbeWait), probes: 0)
            return true
        }
        if paused { count(scope.channel) }
        return paused
    }

    /// A failed probe: the next one waits twice as long.
    func probeFailed(_ scope: Scope, now: Date) {
        pauses.withLock { pauses in
            guard var pause = pauses[scope] else { return }
            pause.probes += 1
            let wait = min(self.firstProbeWait * pow(2, Double(pause.probes)), Self.longestProbeWait)
            pause.nextProbe = now.addingTimeInterval(wait)
            pauses[scope] = pause
        }
    }

    /// The token works again. True when it was paused.
    @discardableResult
    func resume(_ scope: Scope) -> Bool {
        let resumed = pauses.withLock { $0.removeValue(forKey: scope) != nil }
        if resumed { count(scope.channel) }
        return resumed
    }

    /// Each channel's state, for `/readyz`: `active`, or `paused` while any of its scopes is.
    func states(of channels: [Channel]) -> [String: String] {
        pauses.withLock { pauses in
            Dictionary(
                uniqueKeysWithValues: channels.map { channel in
                    (channel.rawValue, pauses.keys.contains { $0.channel == channel } ? "paused" : "active")
                }
            )
        }
    }

    /// Every pause, in a stable order, for `/readyz` and the console.
    func all() -> [(scope: Scope, pause: Pause)] {
        pauses.withLock { $0.map { ($0.key, $0.value) } }.sorted { $0.scope < $1.scope }
    }

    func pause(of scope: Scope) -> Pause? {
        pauses.withLock { $0[scope] }
    }
}

/// Probes paused channels and workspaces (Telegram `getMe`, Slack `auth.test`) when due, and resumes them when the platform
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
        for scope in health.dueProbes(now: now()) {
            guard let messenger = messengers[scope.channel] else { continue }
            do throws(DeliveryError) {
                try await messenger.probe(workspace: scope.workspace)
                if health.resume(scope) {
                    logger.notice(
                        "Chat channel resumed: the platform takes the bot's token again",
                        metadata: ["channel": "\(scope.channel.rawValue)", "workspace": "\(scope.workspace ?? "-")"]
                    )
                    noticesWakeup.poke()
                }
            } catch {
                health.probeFailed(scope, now: now())
                logger.warning(
                    "Chat channel still paused",
                    metadata: [
                        "channel": "\(scope.channel.rawValue)", "workspace": "\(scope.workspace ?? "-")", "error": "\(error)",
                        "next_probe": "\(health.nextProbe(scope).map(Timestamp.format) ?? "-")",
                    ]
                )
            }
        }
    }
}
