import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RebindCore
import RebindRendering

/// The Mini App key form (DESIGN §3): `GET /v1/keyform` (the page), its script and stylesheet,
/// `POST /v1/keyform/account` (the account the page is for, once the launch data is checked)
/// and `POST /v1/keyform` (the key). Every answer carries strict security headers; none is
/// cached; nothing a user typed is logged or echoed back.
struct KeyFormController: Sendable {
    let intake: KeyFormIntake
    let pages: WebPages

    /// Bodies over this are refused unread (413).
    static let maxBodyBytes = 64 * 1024

    /// Only Rebind's own script, stylesheet and endpoints; framed only by Telegram's web clients.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
        "form-action 'self'", "base-uri 'none'", "frame-ancestors https://web.telegram.org https://*.telegram.org",
    ].joined(separator: "; ")

    static func headers(contentType: String, cache: String = "no-store") -> HTTPFields {
        [
            .contentType: contentType,
            .cacheControl: cache,
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            .referrerPolicy: "no-referrer",
        ]
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/v1/keyform") { request, _ in
            page(for: request)
        }
        router.get("/v1/keyform/app.js") { _, _ in
            // Revalidated each time: a new release's script is never mixed with an old page.
            Response(
                status: .ok,
                headers: Self.headers(contentType: "text/javascript; charset=utf-8", cache: "no-cache"),
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: pages.keyFormScript))
            )
        }
        router.get("/v1/keyform/app.css") { _, _ in
            Response(
                status: .ok,
                headers: Self.headers(contentType: "text/css; charset=utf-8", cache: "no-cache"),
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: pages.keyFormStylesheet))
            )
        }
        router.post("/v1/keyform/account") { request, context in
            await answer(request, context: context) { body in
                let launch = try await intake.launch(initData: body.initData, accountID: body.accountID)
                return Self.json(.ok, AccountAnswer(launch, intake: intake))
            }
        }
        router.post("/v1/keyform") { request, context in
            await answer(request, context: context) { body in
                let launch = try await intake.launch(initData: body.initData, accountID: body.accountID)
                let accepted = try await intake.submit(launch, apiKey: body.apiKey, apiSecret: body.apiSecret, passphrase: body.passphrase)
                context.logger.info(
                    "Key form accepted a key",
                    metadata: ["account.id": "\(launch.target.accountID)", "result": "\(accepted.result)"]
                )
                return Self.json(.ok, SubmitAnswer(result: accepted.result.rawValue, keyHint: accepted.keyHint, message: accepted.message))
            }
        }
    }

    // MARK: The page

    /// The page in the asked (`?locale=`, which the script sets once it knows the user's
    /// language) or the browser's language.
    func page(for request: Request) -> Response {
        let asked = request.uri.queryParameters.get("locale") ?? Self.firstLanguage(request.headers[.acceptLanguage])
        let locale = intake.sender.matcher.match(asked)
        let label = { (label: ChatLabel) in intake.sender.replies.label(label, channel: .telegram, locale: locale) }
        let html = pages.keyFormPage([
            "lang": locale,
            "title": label(.formTitle),
            "loading": label(.keyFormLoading),
            "api_key_label": label(.formAPIKey),
            "api_secret_label": label(.formSecret),
            "passphrase_label": label(.formPassphrase),
            "passphrase_hint": label(.formPassphraseHint),
            "submit": label(.formSubmit),
            "close": label(.keyFormClose),
            "no_launch": label(.keyFormNoLaunch),
            "network_error": label(.keyFormNetworkError),
        ])
        return Response(
            status: .ok,
            headers: Self.headers(contentType: "text/html; charset=utf-8"),
            body: ResponseBody(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// The first tag of an `Accept-Language` header (`zh-CN,zh;q=0.9,en;q=0.8` → `zh-CN`).
    static func firstLanguage(_ header: String?) -> String? {
        header?.split(separator: ",").first?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    // MARK: The JSON endpoints

    /// What the page posts; every field a string (the key's fields only with the key).
    struct Body: Decodable {
        var initData: String?
        var accountID: String?
        var apiKey: String?
        var apiSecret: String?
        var passphrase: String?

        enum CodingKeys: String, CodingKey {
            case initData = "init_data"
            case accountID = "account_id"
            case apiKey = "api_key"
            case apiSecret = "api_secret"
            case passphrase
        }
    }

    struct AccountAnswer: Encodable {
        var accountID: String
        var exchange: String
        var exchangeName: String
        var label: String?
        var needsPassphrase: Bool
        var locale: String
        var intro: String
        var rules: [String: Rule]

        /// How the page hints at a field's format as the user types; the server's checks
        /// (the chat's) decide.
        struct Rule: Encodable {
            var pattern: String?
            var min: Int
            var max: Int
            var hint: String

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(pattern, forKey: .pattern)
                try container.encode(min, forKey: .min)
                try container.encode(max, forKey: .max)
                try container.encode(hint, forKey: .hint)
            }

            enum CodingKeys: String, CodingKey { case pattern, min, max, hint }
        }

        init(_ launch: KeyFormIntake.Launch, intake: KeyFormIntake) {
            let target = launch.target
            let format = CredentialFormat(exchange: target.exchange)
            let replies = intake.sender.replies
            accountID = target.accountID
            exchange = target.exchange
            exchangeName = replies.exchangeName(target.exchange, locale: launch.locale)
            label = target.label
            needsPassphrase = format.needsPassphrase
            locale = launch.locale
            intro =
                (try? intake.message(.formIntro(exchange: target.exchange, label: target.label), locale: launch.locale, exchange: target.exchange))
                ?? ""
            var rules: [String: Rule] = [:]
            for hint in format.hints {
                let text = (try? intake.message(.formFieldRule(hint.field, hint.rule), locale: launch.locale)) ?? ""
                rules[hint.name] = Rule(pattern: hint.pattern, min: hint.lengths.lowerBound, max: hint.lengths.upperBound, hint: text)
            }
            self.rules = rules
        }

        enum CodingKeys: String, CodingKey {
            case accountID = "account_id"
            case exchange
            case exchangeName = "exchange_name"
            case label
            case needsPassphrase = "needs_passphrase"
            case locale, intro, rules
        }

        /// Every field always present (`label` null when the account has none).
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(accountID, forKey: .accountID)
            try container.encode(exchange, forKey: .exchange)
            try container.encode(exchangeName, forKey: .exchangeName)
            try container.encode(label, forKey: .label)
            try container.encode(needsPassphrase, forKey: .needsPassphrase)
            try container.encode(locale, forKey: .locale)
            try container.encode(intro, forKey: .intro)
            try container.encode(rules, forKey: .rules)
        }
    }

    struct SubmitAnswer: Encodable {
        var result: String
        var keyHint: String
        var message: String

        enum CodingKeys: String, CodingKey {
            case result
            case keyHint = "key_hint"
            case message
        }
    }

    /// Size, media type and JSON first; then the work, whose refusals become error answers.
    func answer(
        _ request: Request,
        context: some RequestContext,
        _ work: (Body) async throws -> Response
    ) async -> Response {
        do {
            let data = try await IncomingBody.collect(request, limit: Self.maxBodyBytes)
            try IncomingBody.requireJSON(request)
            let body: Body
            do {
                body = try JSONDecoder().decode(Body.self, from: data)
            } catch {
                throw APIError(status: .badRequest, code: "invalid_json", message: "The body is not a JSON object of strings")
            }
            return try await work(body)
        } catch let error as APIError {
            context.logger.info("Key form request refused", metadata: ["error.code": "\(error.code)"])
            return Self.secured(error.response())
        } catch let refusal as KeyFormIntake.Refusal {
            context.logger.info("Key form request refused", metadata: ["error.code": "\(refusal.code)", "status": "\(refusal.status)"])
            return Self.json(.init(code: refusal.status), ErrorAnswer(refusal))
        } catch {
            context.logger.error("Key form request failed", metadata: ["error": "\(type(of: error))"])
            return Self.secured(
                APIError(
                    status: .serviceUnavailable,
                    code: "unavailable",
                    message: intake.sender.replies.label(.keyFormNetworkError, channel: .telegram, locale: intake.sender.matcher.defaultLocale)
                ).response()
            )
        }
    }

    /// `{"error": {"code", "message", "field", "cause"}}`: `cause` only for a refused key.
    struct ErrorAnswer: Encodable {
        var error: Detail

        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
            var cause: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(code, forKey: .code)
                try container.encode(message, forKey: .message)
                try container.encode(field, forKey: .field)
                try container.encodeIfPresent(cause, forKey: .cause)
            }

            enum CodingKeys: String, CodingKey { case code, message, field, cause }
        }

        init(_ refusal: KeyFormIntake.Refusal) {
            error = Detail(code: refusal.code, message: refusal.message, field: refusal.field, cause: refusal.cause)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        secured(Response.json(status: status, value))
    }

    static func secured(_ response: Response) -> Response {
        var response = response
        for field in headers(contentType: "application/json; charset=utf-8") where field.name != .contentType {
            response.headers[field.name] = field.value
        }
        return response
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
