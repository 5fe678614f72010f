import Hummingbird

/// Records each request's latency by route, method and status.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RebindMetrics
    let clock = ContinuousClock()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = clock.now
        let route = Self.route(for: request.uri.path)
        do {
            let response = try await next(request, context)
            metrics.requestCompleted(route: route, method: request.method.rawValue, status: Int(response.status.code), duration: clock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.requestCompleted(route: route, method: request.method.rawValue, status: Int(status), duration: clock.now - start)
            throw error
        }
    }

    /// Known paths by name; anything else as one label, so scanners cannot blow up the series.
    static func route(for path: String) -> String {
        let known = [
            "/v1/events", "/v1/links", "/v1/telegram/webhook", "/v1/slack/events", "/v1/slack/interactivity",
            "/v1/slack/commands", "/v1/slack/install", "/v1/slack/oauth/callback", "/v1/keyform", "/v1/keyform/account",
            "/v1/keyform/app.js", "/v1/keyform/app.css", "/v1/admin/notices/replay", "/healthz", "/readyz", "/metrics",
        ]
        return known.contains(path) ? path : "other"
    }
}
