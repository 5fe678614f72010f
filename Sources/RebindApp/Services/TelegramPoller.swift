import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindTelegram
import ServiceLifecycle

/// Long polling (`REBIND_TELEGRAM_MODE=polling`) for installs without a public address:
/// stores each update as the webhook would, then confirms it with the next offset.
struct TelegramPoller: Service {
    let client: TelegramClient
    let store: any ChatStore
    let envelope: SecretEnvelope
    let wakeup: Wakeup
    let now: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        var offset: Int64?
        var backoff: Duration = .seconds(1)
        while !Task.isCancelledOrShuttingDown {
            do {
                let updates = try await client.getUpdates(TelegramGetUpdates(offset: offset, timeout: 50))
                for update in updates {
                    let externalID = String(update.updateID)
                    let payload = try SealedUpdate.seal(JSONEncoder().encode(update), channel: .telegram, externalID: externalID, envelope: envelope)
                    _ = try await store.recordUpdate(
                        channel: .telegram,
                        externalID: externalID,
                        lane: TelegramInputs.chat(of: update)?.description,
                        payload: payload,
                        now: now()
                    )
                    offset = update.updateID + 1
                }
                if !updates.isEmpty { wakeup.poke() }
                backoff = .seconds(1)
            } catch {
                logger.warning("Telegram polling failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(60))
            }
        }
    }
}
