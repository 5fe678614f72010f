import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindRendering

/// Every port the application uses, built once: `.live(…)` in production, fakes in tests.
public struct AppDependencies: Sendable {
    public var store: any EventStore
    public var renderer: GuidanceRenderer
    public var metrics: RebindMetrics
    public var catalogue: ExchangeCatalogue { renderer.catalogue }

    /// The wall clock; tests inject a fixed or stepping one.
    public var now: @Sendable () -> Date

    public init(store: any EventStore, renderer: GuidanceRenderer, metrics: RebindMetrics = RebindMetrics(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.renderer = renderer
        self.metrics = metrics
        self.now = now
    }
}
