import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindTelegram
import ServiceLifecycle

/// Processes stored chat updates in order: the webhook and the poller only store them.
struct UpdateProcessor: Service {
    let store: any ChatStore
    let envelope: SecretEnvelope
    let bot: ChatBot
    let wakeup: Wakeup
    let idleWait: Duration
    /// How often idle conversations are looked for.
    let expiryInterval: Duration
    let logger: Logger

    func run() async throws {
        do {
            try await bot.resumeInterruptedConversations()
        } catch {
            logger.error("Interrupted conversations not resumed", metadata: ["error": "\(error)"])
        }
        var lastExpiry = ContinuousClock.now
        while !Task.isCancelledOrShuttingDown {
            let updates: [InboundUpdate]
            do {
                updates = try await store.pendingUpdates(limit: 50)
            } catch {
                // A store that is briefly unavailable must not stop the service (and the app with it).
                logger.error("Chat updates not read", metadata: ["error": "\(error)"])
                await wakeup.wait(timeout: idleWait)
                continue
            }
            for update in updates {
                await process(update)
            }
            if ContinuousClock.now - lastExpiry >= expiryInterval {
                lastExpiry = ContinuousClock.now
                do {
                    try await bot.expireIdleConversations()
                } catch {
                    logger.error("Idle conversations not expired", metadata: ["error": "\(error)"])
                }
            }
            if updates.isEmpty {
                await wakeup.wait(timeout: idleWait)
            }
        }
    }

    func process(_ update: InboundUpdate) async {
        do {
            let payload = try SealedUpdate.open(update.payload, channel: update.channel, externalID: update.externalID, envelope: envelope)
            let decoded = try JSONDecoder().decode(TelegramUpdate.self, from: payload)
            try await bot.handle(decoded)
        } catch is CancellationError {
            // A shutdown cut a key check short; the conversation, saved as it was, resumes at
            // the next start.
            logger.notice("Chat update interrupted by shutdown", metadata: ["update.id": "\(update.id)"])
        } catch {
            // A bad update is logged and skipped: it must not block the ones behind it.
            logger.error("Chat update not processed", metadata: ["update.id": "\(update.id)", "error": "\(error)"])
        }
        do {
            try await store.completeUpdate(id: update.id)
        } catch {
            logger.error("Chat update not marked processed", metadata: ["update.id": "\(update.id)", "error": "\(error)"])
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool {
        Task.isCancelled || Task.isShuttingDownGracefully
    }
}
