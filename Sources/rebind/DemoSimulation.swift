import Foundation
import Hummingbird
import RebindCore
import RebindCrypto
import RebindRendering
import RebindSimulator
import RebindTemplates
import Synchronization

/// The demo page's side of `rebind demo`: it shows the simulated trader's Telegram chat, types
/// and taps as the trader (through the simulated Bot API, which Rebind polls like the real
/// one), posts the example events to Rebind as the platform would (signed, to `/v1/events`),
/// and once the simulated platform has taken a new key, starts that account's robots again
/// (`robot.resumed`, as the platform's robots would report).
final class DemoSimulation: Sendable {
    let telegram: FakeTelegramServer
    let platform: FakePlatformServer
    let eventsURL: String
    let eventsSecret: WebhookSecret
    let transport: any HTTPTransport
    let pages: DemoPages
    let chatID: Int64
    /// Robot names from the scenarios posted, for their `robot.resumed`; updates resumed so far.
    private let state = Mutex<(names: [String: String], resumed: Int)>(([:], 0))

    init(
        telegram: FakeTelegramServer,
        platform: FakePlatformServer,
        eventsURL: String,
        eventsSecret: WebhookSecret,
        transport: any HTTPTransport,
        pages: DemoPages,
        chatID: Int64
    ) {
        self.telegram = telegram
        self.platform = platform
        self.eventsURL = eventsURL
        self.eventsSecret = eventsSecret
        self.transport = transport
        self.pages = pages
        self.chatID = chatID
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/demo") { _, _ in self.page() }
        router.get("/demo/demo.js") { _, _ in Self.file(self.pages.script, type: "text/javascript; charset=utf-8") }
        router.get("/demo/demo.css") { _, _ in Self.file(self.pages.stylesheet, type: "text/css; charset=utf-8") }
        router.get("/demo/chat") { _, _ in try self.chat() }
        router.post("/demo/send") { request, _ in
            let body = try await Self.json(request)
            guard let text = body["text"] as? String, !text.isEmpty, text.count <= 4096 else { throw HTTPError(.badRequest, message: "text") }
            self.telegram.userSends(chatID: self.chatID, text: text)
            return Self.done()
        }
        router.post("/demo/tap") { request, _ in
            let body = try await Self.json(request)
            guard let messageID = (body["message_id"] as? NSNumber)?.int64Value, let data = body["data"] as? String else {
                throw HTTPError(.badRequest, message: "message_id and data")
            }
            self.telegram.userTaps(chatID: self.chatID, messageID: messageID, data: data)
            return Self.done()
        }
        router.post("/demo/scenario") { request, _ in
            let body = try await Self.json(request)
            guard let name = body["name"] as? String, let example = EmbeddedTemplates.examples[name] else {
                throw HTTPError(.notFound, message: "no such example")
            }
            let status = try await self.post(example)
            return Self.file(Data(#"{"status":\#(status)}"#.utf8), type: "application/json")
        }
    }

    // MARK: The page

    /// One button per example: those `scenarios.json` titles first, in its order, then the rest.
    var scenarios: [[String: String]] {
        let examples = EmbeddedTemplates.examples.keys.sorted()
        var listed = pages.scenarios.filter { examples.contains($0.file) }.map { ["name": $0.file, "title": $0.title] }
        for file in examples where !listed.contains(where: { $0["name"] == file }) {
            listed.append(["name": file, "title": String(file.dropLast(5))])
        }
        return listed
    }

    func page() -> Response {
        let html = pages.page([
            "scenarios": scenarios,
            "binance_key": FakeBinanceServer.apiKey, "binance_secret": FakeBinanceServer.secret.value,
            "okx_key": FakeOKXServer.apiKey, "okx_secret": FakeOKXServer.secret.value, "okx_passphrase": FakeOKXServer.passphrase.value,
        ])
        var response = Self.file(Data(html.utf8), type: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        return response
    }

    /// The chat as the trader's Telegram shows it, oldest first: the bot's messages as the Bot
    /// API got them (Telegram HTML, for the page to render its tags), the trader's as typed.
    func chat() throws -> Response {
        let messages: [[String: Any]] = telegram.messages(inChat: chatID).map { message in
            let html = message.fromBot && message.current.parseMode?.uppercased() == "HTML"
            let rows = message.current.replyMarkup?.inlineKeyboard ?? []
            return [
                "id": message.messageID, "from_bot": message.fromBot, "html": html,
                "text": html ? message.current.sentText : message.current.text,
                "edited": message.editDate != nil,
                "buttons": rows.map { row in
                    row.map { button -> [String: String] in
                        var shown = ["text": button.text]
                        if let data = button.callbackData { shown["data"] = data }
                        if let url = button.url ?? button.webApp?.url { shown["url"] = url }
                        return shown
                    }
                },
            ]
        }
        let body = try JSONSerialization.data(withJSONObject: ["messages": messages])
        return Self.file(body, type: "application/json")
    }

    // MARK: The platform's side

    /// Posts an example as the platform would: signed, to the trader's demo chat, happening now.
    func post(_ example: Data) async throws -> Int {
        guard var event = try JSONSerialization.jsonObject(with: example) as? [String: Any] else { return 400 }
        var user = event["user"] as? [String: Any] ?? [:]
        user["telegram_chat_id"] = chatID
        event["user"] = user
        if var account = event["account"] as? [String: Any] {
            // The simulated exchanges have their own account ids: the example's would not match.
            account["exchange_uid"] = nil
            event["account"] = account
        }
        event["occurred_at"] = Timestamp.format(Date())
        if let robot = event["robot"] as? [String: Any], let id = robot["id"] as? String, let name = robot["name"] as? String {
            state.withLock { $0.names[id] = name }
        }
        return try await send(event)
    }

    func send(_ event: [String: Any]) async throws -> Int {
        let body = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])
        let id = "msg_demo_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let headers = try StandardWebhooks(secrets: [eventsSecret]).headers(id: id, timestamp: Int64(Date().timeIntervalSince1970), body: body)
        let answer = try await transport.send(
            RebindCore.HTTPRequest(method: "POST", url: eventsURL, headers: headers + [("Content-Type", "application/json")], body: body)
        )
        return answer.status
    }

    /// Watches the simulated platform: a second after it takes a new key, the account's robots
    /// report `robot.resumed`, which resolves the incident and edits the message to say so.
    func resumeRobots() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(300))
            let applied = platform.appliedUpdates()
            let new = state.withLock { state -> ArraySlice<ReceivedBindingUpdate> in
                defer { state.resumed = applied.count }
                return applied.dropFirst(state.resumed)
            }
            guard !new.isEmpty else { continue }
            try? await Task.sleep(for: .seconds(1))
            for update in new {
                for robot in update.robotIDs {
                    let name = state.withLock { $0.names[robot] } ?? robot
                    _ = try? await send([
                        "type": "robot.resumed", "occurred_at": Timestamp.format(Date()),
                        "user": ["id": update.userID, "telegram_chat_id": chatID],
                        "account": ["id": update.accountID, "exchange": update.exchange],
                        "robot": ["id": robot, "name": name],
                    ])
                }
            }
        }
    }

    // MARK: Helpers

    static func file(_ data: Data, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "no-store", .init("X-Content-Type-Options")!: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func done() -> Response { file(Data(#"{"ok":true}"#.utf8), type: "application/json") }

    /// A JSON object body (the page's fetches); a form post from another site is refused.
    static func json(_ request: Request) async throws -> [String: Any] {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw HTTPError(.unsupportedMediaType, message: "JSON only")
        }
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw HTTPError(.badRequest, message: "a JSON object")
        }
        return object
    }
}
