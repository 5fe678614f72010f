import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RebindCore
import RebindCrypto
import RebindTelegram

/// `POST /v1/telegram/webhook`: Telegram's updates. The secret-token header is compared in
/// constant time; each update is stored once (deduplicated on `update_id`) and answered at
/// once; the update processor does the work.
struct TelegramWebhookController: Sendable {
    let secret: Secret
    let store: any ChatStore
    let envelope: SecretEnvelope
    let wakeup: Wakeup
    let now: @Sendable () -> Date

    struct UpdateID: Decodable {
        var updateID: Int64
        enum CodingKeys: String, CodingKey { case updateID = "update_id" }
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/v1/telegram/webhook") { request, context in
            do throws(APIError) {
                return try await receive(request)
            } catch {
                context.logger.info("Telegram update refused", metadata: ["error.code": "\(error.code)"])
                return error.response()
            }
        }
    }

    func receive(_ request: Request) async throws(APIError) -> Response {
        let body = try await IncomingBody.collect(request, limit: EventsController.maxBodyBytes)
        let presented = request.headers[.telegramSecretToken] ?? ""
        guard ConstantTime.equals(presented, secret.value) else {
            throw APIError(status: .unauthorized, code: "bad_secret_token", message: "X-Telegram-Bot-Api-Secret-Token does not match")
        }
        try IncomingBody.requireJSON(request)
        let updateID: Int64
        do {
            updateID = try JSONDecoder().decode(UpdateID.self, from: body).updateID
        } catch {
            throw APIError(status: .badRequest, code: "invalid_field", message: "update_id must be an integer", field: "update_id")
        }
        // The chat, so its updates are handled in order by one replica at a time. An update of
        // a kind Rebind does not model stays in a lane of its own.
        let lane = (try? JSONDecoder().decode(TelegramUpdate.self, from: body)).flatMap(TelegramInputs.chat(of:))?.description
        do {
            let sealed = try SealedUpdate.seal(body, channel: .telegram, externalID: String(updateID), envelope: envelope)
            _ = try await store.recordUpdate(channel: .telegram, externalID: String(updateID), lane: lane, payload: sealed, now: now())
        } catch {
            // Telegram retries any non-2xx answer, so nothing is lost.
            throw APIError(status: .serviceUnavailable, code: "store_unavailable", message: "The update could not be stored; retry later")
        }
        wakeup.poke()
        return Response.json(status: .ok, ["ok": true])
    }
}

extension HTTPField.Name {
    static let telegramSecretToken = Self("X-Telegram-Bot-Api-Secret-Token")!
}
