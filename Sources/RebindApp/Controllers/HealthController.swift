import Hummingbird
import Logging
import RebindCore

/// Liveness, readiness and metrics for operators. `/healthz` is on both listeners (load
/// balancers probe the public one); `/readyz` and `/metrics` only on the admin listener.
struct HealthController: Sendable {
    let dependencies: AppDependencies

    /// `/healthz`: the process is up. It says nothing else, so it needs no authentication.
    static func addLivenessRoute(to router: Router<some RequestContext>) {
        router.get("/healthz") { _, _ in
            Response.json(status: .ok, ["status": "ok"])
        }
    }

    /// `/readyz`'s body: `{"status": "ready", "channels": {"telegram": "active" | "paused", …},
    /// "paused_workspaces": {"slack": ["T0001", …]}}` (a Slack channel is `paused` while any of
    /// its workspaces is; the list says which).
    struct Readiness: Encodable {
        var status: String
        var channels: [String: String]
        var pausedWorkspaces: [String: [String]]

        enum CodingKeys: String, CodingKey {
            case status, channels
            case pausedWorkspaces = "paused_workspaces"
        }
    }

    func readiness() -> Readiness {
        guard let chat = dependencies.chat else { return Readiness(status: "ready", channels: [:], pausedWorkspaces: [:]) }
        var workspaces: [String: [String]] = [:]
        for (scope, _) in chat.channelHealth.all() {
            if let workspace = scope.workspace { workspaces[scope.channel.rawValue, default: []].append(workspace) }
        }
        return Readiness(status: "ready", channels: chat.channelHealth.states(of: Array(chat.messengers.keys)), pausedWorkspaces: workspaces)
    }

    /// The admin listener's routes: liveness, readiness and metrics.
    func addRoutes(to router: Router<some RequestContext>) {
        Self.addLivenessRoute(to: router)
        router.get("/readyz") { _, context in
            do {
                try await dependencies.store.checkReady()
                // A paused channel does not make the replica unready: every replica would be,
                // and the events must still be taken in. It is said here instead.
                return Response.json(status: .ok, readiness())
            } catch {
                context.logger.warning("Store not ready", metadata: ["error": "\(error)"])
                return APIError(status: .serviceUnavailable, code: "store_unavailable", message: "The store cannot be reached").response()
            }
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: dependencies.metrics.exposition()))
            )
        }
    }
}
