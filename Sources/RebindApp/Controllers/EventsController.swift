import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RebindCore
import RebindCrypto

/// `POST /v1/events`: signed robot events from the trading platform. Answers 202 only once
/// the event and everything it causes are committed.
struct EventsController: Sendable {
    static let maxBodyBytes = 64 * 1024

    let verifier: StandardWebhooks
    let decoder: EventDecoder
    let classifier = ReasonClassifier()
    let dependencies: AppDependencies

    init(secrets: [WebhookSecret], dependencies: AppDependencies) {
        verifier = StandardWebhooks(secrets: secrets)
        decoder = EventDecoder(knownExchanges: dependencies.catalogue.exchangeIDs)
        self.dependencies = dependencies
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/v1/events") { request, context in
            await receive(request, logger: context.logger)
        }
    }

    struct Accepted: Encodable {
        var eventID: String
        var duplicate: Bool
        var cause: Cause?

        enum CodingKeys: String, CodingKey {
            case eventID = "event_id"
            case duplicate, cause
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(eventID, forKey: .eventID)
            try container.encode(duplicate, forKey: .duplicate)
            try container.encode(cause, forKey: .cause)
        }

        /// The answer, written directly: it is on every event's path, and JSONEncoder is
        /// a large part of a small request's cost.
        func response() -> Response {
            var json = #"{"cause":"#
            json += cause.map { "\"\($0.rawValue)\"" } ?? "null"
            json += #","duplicate":"# + (duplicate ? "true" : "false")
            json += #","event_id":"# + JSONText.quoted(eventID) + "}"
            return Response(
                status: .accepted,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: json))
            )
        }
    }

    func receive(_ request: Request, logger: Logger) async -> Response {
        do {
            let accepted = try await accept(request, logger: logger)
            return accepted.response()
        } catch {
            dependencies.metrics.eventRejected(reason: error.code)
            logger.info(
                "Event refused",
                metadata: ["http.status": "\(error.status.code)", "error.code": "\(error.code)", "error.field": "\(error.field ?? "")"]
            )
            return error.response()
        }
    }

    func accept(_ request: Request, logger: Logger) async throws(APIError) -> Accepted {
        let (body, fields) = try await IncomingBody.signed(request, limit: Self.maxBodyBytes, verifier: verifier, now: dependencies.now())
        guard let webhookID = fields.webhookID, webhookID.utf8.count <= 256 else {
            throw APIError(status: .badRequest, code: "invalid_field", message: "webhook-id must be at most 256 bytes", field: "webhook-id")
        }

        let event: RobotEvent
        do throws(EventDecoder.Error) {
            event = try decoder.decode(body)
        } catch {
            switch error {
            case .invalidJSON: throw APIError(status: .badRequest, code: "invalid_json", message: error.description)
            case .invalidField(let field, _):
                throw APIError(status: .badRequest, code: "invalid_field", message: error.description, field: field)
            }
        }

        let cause = event.reason.map { classifier.classify($0, exchange: event.account.exchange) }
        let incoming = IncomingEvent(id: webhookID, event: event, cause: cause, body: body, receivedAt: dependencies.now())
        let outcome: IngestOutcome
        do {
            outcome = try await dependencies.store.ingest(incoming)
        } catch {
            logger.error("Event store unavailable", metadata: ["event.id": "\(webhookID)", "error": "\(error)"])
            throw APIError(status: .serviceUnavailable, code: "store_unavailable", message: "The event could not be stored; retry later")
        }
        dependencies.metrics.eventAccepted(type: event.type, cause: outcome.cause, duplicate: outcome.isDuplicate)
        if !outcome.isDuplicate {
            // A resolution or a notice due now goes without waiting for the outbox's next look.
            dependencies.chat?.noticesWakeup.poke()
        }
        logger.debug(
            "Event stored",
            metadata: [
                "event.id": "\(webhookID)", "event.type": "\(event.type.rawValue)", "account.id": "\(event.account.id)",
                "incident.cause": "\(outcome.cause?.rawValue ?? "none")", "event.duplicate": "\(outcome.isDuplicate)",
            ]
        )
        return Accepted(eventID: webhookID, duplicate: outcome.isDuplicate, cause: outcome.cause)
    }
}

extension HTTPField.Name {
    static let webhookID = Self("webhook-id")!
    static let webhookTimestamp = Self("webhook-timestamp")!
    static let webhookSignature = Self("webhook-signature")!
}
