import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RebindCore
import RebindCrypto

/// `POST /v1/links`: the platform asks for a link that ties a user to a chat. Signed like
/// events. The token is random, single use and valid for 24 hours; only its hash is stored.
struct LinksController: Sendable {
    static let validity: TimeInterval = 24 * 3600

    let verifier: StandardWebhooks
    let store: any ChatStore
    let botUsername: @Sendable () async -> String?
    let now: @Sendable () -> Date

    struct Body: Decodable {
        var userID: String?
        var displayName: String?
        enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case displayName = "display_name"
        }
    }

    struct Created: Encodable {
        var telegramURL: String?
        var slackCommand: String
        var expiresAt: String

        enum CodingKeys: String, CodingKey {
            case telegramURL = "telegram_url"
            case slackCommand = "slack_command"
            case expiresAt = "expires_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(telegramURL, forKey: .telegramURL)
            try container.encode(slackCommand, forKey: .slackCommand)
            try container.encode(expiresAt, forKey: .expiresAt)
        }
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/v1/links") { request, context in
            do throws(APIError) {
                return Response.json(status: .created, try await create(request))
            } catch {
                context.logger.info("Link refused", metadata: ["error.code": "\(error.code)"])
                return error.response()
            }
        }
    }

    func create(_ request: Request) async throws(APIError) -> Created {
        let (body, fields) = try await IncomingBody.signed(request, limit: EventsController.maxBodyBytes, verifier: verifier, now: now())
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: body)
        } catch {
            throw APIError(status: .badRequest, code: "invalid_json", message: "The body is not a JSON object with user_id and display_name")
        }
        guard let userID = decoded.userID, !userID.trimmingCharacters(in: .whitespaces).isEmpty, userID.utf8.count <= 256 else {
            throw APIError(status: .badRequest, code: "invalid_field", message: "user_id must be 1 to 256 bytes", field: "user_id")
        }
        guard let displayName = decoded.displayName.flatMap(Self.displayName) else {
            throw APIError(
                status: .badRequest,
                code: "invalid_field",
                message: "display_name must be 1 to 64 characters without line breaks or control characters",
                field: "display_name"
            )
        }
        // Signed, so the id is present.
        let webhookID = fields.webhookID ?? ""
        let token = Self.newToken()
        let expiresAt = now().addingTimeInterval(Self.validity)
        let created: Bool
        do {
            created = try await store.createLink(
                NewLink(tokenHash: AccountCommands.hash(token), userID: userID, displayName: displayName, webhookID: webhookID, expiresAt: expiresAt),
                now: now()
            )
        } catch {
            throw APIError(status: .serviceUnavailable, code: "store_unavailable", message: "The link could not be stored; retry later")
        }
        guard created else {
            // The first request's token exists only as a hash: it cannot be answered again.
            throw APIError(
                status: .conflict,
                code: "duplicate",
                message: "This webhook-id made a link already; its token cannot be sent again. Retry with a new webhook-id."
            )
        }
        let username = await botUsername()
        return Created(
            telegramURL: username.map { "https://t.me/\($0)?start=\(token)" },
            slackCommand: "/rebind link \(token)",
            expiresAt: Timestamp.format(expiresAt)
        )
    }

    /// The display name as stored: trimmed, 1 to 64 characters, no control characters (it is
    /// shown in a chat when the link is confirmed). Nil when it is not one.
    static func displayName(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(trimmed.count),
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format })
        else { return nil }
        return trimmed
    }

    /// 32 random bytes as URL-safe base64: 43 characters of `A-Za-z0-9_-`, as Telegram's
    /// `start` payload allows.
    static func newToken() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }
}
