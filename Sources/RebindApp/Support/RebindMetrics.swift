import Metrics
import Prometheus
import RebindCore
import RebindTemplates
import Synchronization

/// The service's Prometheus metrics. It owns its registry, so each application (and each
/// test) counts on its own; nothing is bootstrapped globally.
public final class RebindMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    /// Metric handles by label set, so the hot path does not rebuild them per request.
    private let counters = Mutex<[String: Metrics.Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])
    private let gauges = Mutex<[String: Metrics.Gauge]>([:])
    /// Every event counts here: its handles by a key that costs no string to build.
    private let eventCounters = Mutex<[EventKey: Metrics.Counter]>([:])
    private let requestTimers = Mutex<[RequestKey: Metrics.Timer]>([:])
    private let commitEvents: ValueHistogram
    private let commitSeconds: DurationHistogram

    private struct EventKey: Hashable {
        var type: EventType
        var cause: Cause?
        var duplicate: Bool
    }

    private struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5),
        ]
        self.factory = factory
        commitEvents = registry.makeValueHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "rebind",
                subsystem: "store",
                metricName: "commit",
                unitName: "events",
                helpText: "Events stored per transaction (group commit)."
            ),
            buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256]
        )
        commitSeconds = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "rebind",
                subsystem: "store",
                metricName: "commit",
                unitName: "seconds",
                helpText: "How long a transaction storing ingested events took, with the hops to the store and back."
            ),
            buckets: [
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .seconds(1),
            ]
        )
        // `rebind_build_info{version,commit}` 1: which build each replica runs.
        Metrics.Gauge(
            label: "rebind_build_info",
            dimensions: [("version", BuildInfo.version), ("commit", BuildInfo.commit)],
            factory: factory
        ).record(1)
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Counter {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Metrics.Counter(label: label, dimensions: dimensions, factory: factory)
            cache[key] = counter
            return counter
        }
    }

    public func eventAccepted(type: EventType, cause: Cause?, duplicate: Bool) {
        let counter = eventCounters.withLock { cache in
            let key = EventKey(type: type, cause: cause, duplicate: duplicate)
            if let counter = cache[key] { return counter }
            let counter = Metrics.Counter(
                label: "rebind_events_total",
                dimensions: [("type", type.rawValue), ("cause", cause?.rawValue ?? "none"), ("duplicate", duplicate ? "true" : "false")],
                factory: factory
            )
            cache[key] = counter
            return counter
        }
        counter.increment()
    }

    public func eventRejected(reason: String) {
        counter("rebind_events_rejected_total", [("reason", reason)]).increment()
    }

    public func requestCompleted(route: String, method: String, status: Int, duration: Duration) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        let key = RequestKey(route: route, method: method, status: status)
        let timer = requestTimers.withLock { cache in
            if let timer = cache[key] { return timer }
            let timer = Metrics.Timer(
                label: "rebind_http_request_duration_seconds",
                dimensions: [("route", route), ("method", method), ("status", String(status))],
                factory: factory
            )
            cache[key] = timer
            return timer
        }
        timer.recordNanoseconds(nanoseconds)
    }

    /// A notice given up on; `channel` is nil when it failed before a chat was chosen.
    public func noticeDeadLettered(channel: Channel?) {
        counter("rebind_notices_dead_lettered_total", [("channel", channel?.rawValue ?? "none")]).increment()
    }

    /// `rebind_channel_paused{channel}`: 1 while the platform refuses the bot's token.
    /// (For Slack, how many workspaces are paused.)
    public func channelPaused(_ channel: Channel, count: Int) {
        gauge("rebind_channel_paused", [("channel", channel.rawValue)]).record(count)
    }

    /// `rebind_retention_deleted_total{table}`: finished records retention deleted.
    public func retentionDeleted(table: RetentionTable, count: Int) {
        counter("rebind_retention_deleted_total", [("table", table.rawValue)]).increment(by: Int64(count))
    }

    /// A binding update left its outbox: `delivered`, `refused` or `dead` (retried to the limit).
    public func bindingUpdateEnded(_ end: BindingUpdateEnd) {
        counter("rebind_binding_updates_total", [("result", end.rawValue)]).increment()
    }

    /// An `api_binding.expiring` left the platform outbox: `delivered`, `refused` or `dead`.
    public func platformEventEnded(_ end: BindingUpdateEnd) {
        counter("rebind_platform_events_total", [("type", "api_binding.expiring"), ("result", end.rawValue)]).increment()
    }

    /// Expiry warnings ended: `sent`, `skipped` (expired, a key incident open, a later moment
    /// went with it) or `dead`.
    public func expiryWarningsEnded(_ end: ExpiryWarningEnd, count: Int) {
        counter("rebind_expiry_warnings_total", [("result", end.rawValue)]).increment(by: Int64(count))
    }

    /// How many bindings have how long left, by where the date comes from. Every bucket is
    /// set, empty ones to 0, so a bucket that empties does not keep its last count.
    public func bindingsByExpiry(_ counts: [ExpiryBucket: Int]) {
        for daysLeft in ExpiryBucket.DaysLeft.allCases {
            let sources: [KeyExpiry.Source?] = daysLeft == .unknown ? [nil] : KeyExpiry.Source.allCases
            for source in sources {
                let bucket = ExpiryBucket(daysLeft: daysLeft, source: source)
                gauge("rebind_bindings", [("days_left", daysLeft.rawValue), ("source", source?.rawValue ?? "none")])
                    .record(counts[bucket] ?? 0)
            }
        }
    }

    /// How long a notice's first message waited past its due time, urgent or not: what the
    /// urgent-first order buys in a purge.
    public func noticeWaited(_ seconds: Double, urgent: Bool) {
        let key = "notice_wait|\(urgent)"
        let timer = timers.withLock { cache in
            if let timer = cache[key] { return timer }
            let timer = Metrics.Timer(
                label: "rebind_notice_wait_seconds",
                dimensions: [("urgent", urgent ? "true" : "false")],
                factory: factory
            )
            cache[key] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(max(0, seconds) * 1_000_000_000))
    }

    func gauge(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Gauge {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return gauges.withLock { cache in
            if let gauge = cache[key] { return gauge }
            let gauge = Metrics.Gauge(label: label, dimensions: dimensions, factory: factory)
            cache[key] = gauge
            return gauge
        }
    }

    /// `rebind_store_commit_events` and `rebind_store_commit_seconds`: for every transaction
    /// that stored ingested events, how many it carried and how long it took. Under load one
    /// commit serves many events (group commit); few events per commit with many requests in
    /// flight means the store's commits, not the events, are the cost.
    public func storeCommitted(_ report: CommitReport) {
        commitEvents.record(Double(report.jobs))
        commitSeconds.record(report.duration)
    }

    /// The Prometheus text exposition.
    public func exposition() -> String {
        registry.emitToString()
    }
}
