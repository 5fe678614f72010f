import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindRendering
import ServiceLifecycle

/// Every port the application uses, built once: `.live(…)` in production, fakes in tests.
public struct AppDependencies: Sendable {
    public var store: any EventStore
    public var renderer: GuidanceRenderer
    public var metrics: RebindMetrics
    /// The chat side; nil when no chat channel is configured.
    public var chat: ChatDependencies?
    public var catalogue: ExchangeCatalogue { renderer.catalogue }

    /// The wall clock; tests inject a fixed or stepping one.
    public var now: @Sendable () -> Date
    /// Services the dependencies need running (the PostgreSQL pool): run before the app's
    /// own and stopped after them.
    public var services: [any Service] = []
    /// Between retention passes (DESIGN §7); tests shorten it.
    public var retentionInterval: Duration = .seconds(600)

    public init(
        store: any EventStore,
        renderer: GuidanceRenderer,
        metrics: RebindMetrics = RebindMetrics(),
        chat: ChatDependencies? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.chat = chat
        self.store = store
        self.renderer = renderer
        self.metrics = metrics
        self.now = now
    }
}
