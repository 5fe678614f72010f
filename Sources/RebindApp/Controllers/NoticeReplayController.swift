import Foundation
import Hummingbird
import RebindCore

/// `POST /v1/admin/notices/replay` on the admin listener (DESIGN §3): requeues dead-lettered
/// notices, `{"channel"?, "since"?, "ids"?}` → `{"requeued": n}`. The body must be sent as
/// `application/json` (an empty one selects every dead letter): a page elsewhere cannot send
/// that without the browser asking first, so it cannot make an operator's browser replay.
struct NoticeReplayController: Sendable {
    let store: any NoticeOutbox
    /// Woken so the requeued notices go out at once.
    let wakeup: Wakeup?
    let now: @Sendable () -> Date

    struct Body: Decodable {
        var channel: String?
        var since: String?
        var ids: [Int64]?
    }

    struct Requeued: Encodable {
        var requeued: Int
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/v1/admin/notices/replay") { request, context in
            do throws(APIError) {
                let selection = try await selection(request)
                let requeued: Int
                do {
                    requeued = try await store.requeueDeadNotices(selection, now: now())
                } catch {
                    context.logger.error("Dead letters not requeued", metadata: ["error": "\(error)"])
                    throw APIError(status: .serviceUnavailable, code: "store_unavailable", message: "The store is unavailable; retry later")
                }
                context.logger.notice(
                    "Dead-lettered notices requeued",
                    metadata: ["notices.requeued": "\(requeued)", "channel": "\(selection.channel?.rawValue ?? "any")"]
                )
                if requeued > 0 { wakeup?.poke() }
                return Response.json(status: .ok, Requeued(requeued: requeued))
            } catch {
                return error.response()
            }
        }
    }

    func selection(_ request: Request) async throws(APIError) -> DeadNoticeSelection {
        let data = try await IncomingBody.collect(request, limit: EventsController.maxBodyBytes)
        try IncomingBody.requireJSON(request)
        let body: Body
        do {
            body = data.isEmpty ? Body() : try JSONDecoder().decode(Body.self, from: data)
        } catch {
            throw APIError(
                status: .badRequest,
                code: "invalid_json",
                message: #"The body is not a JSON object of "channel", "since" and "ids""#
            )
        }
        do throws(DeadNoticeSelection.Invalid) {
            return try DeadNoticeSelection.parse(channel: body.channel, since: body.since, ids: body.ids)
        } catch {
            throw APIError(status: .badRequest, code: "invalid_field", message: error.message, field: error.field)
        }
    }
}
