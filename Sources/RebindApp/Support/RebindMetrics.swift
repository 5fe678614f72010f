import Metrics
import Prometheus
import RebindCore

/// The service's Prometheus metrics. It owns its registry, so each application (and each
/// test) counts on its own; nothing is bootstrapped globally.
public struct RebindMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5),
        ]
        self.factory = factory
    }

    public func eventAccepted(type: EventType, cause: Cause?, duplicate: Bool) {
        Counter(
            label: "rebind_events_total",
            dimensions: [("type", type.rawValue), ("cause", cause?.rawValue ?? "none"), ("duplicate", String(duplicate))],
            factory: factory
        ).increment()
    }

    public func eventRejected(reason: String) {
        Counter(label: "rebind_events_rejected_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    public func requestCompleted(route: String, method: String, status: Int, duration: Duration) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        Timer(
            label: "rebind_http_request_duration_seconds",
            dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).recordNanoseconds(nanoseconds)
    }

    public func noticeDeadLettered(channel: Channel) {
        Counter(label: "rebind_notices_dead_lettered_total", dimensions: [("channel", channel.rawValue)], factory: factory).increment()
    }

    /// The Prometheus text exposition.
    public func exposition() -> String {
        registry.emitToString()
    }
}
