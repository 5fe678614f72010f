import Foundation
import RebindTelegram

extension FakeTelegramBot {
    /// A Bot API answer before it becomes an HTTP reply; an error when it is a refusal that
    /// ends a call early.
    struct Answer: Error {
        var status: Int
        var body: Data
        var errorDescription: String?
        var retryAfter: Int?
        var contentType = "application/json"

        /// `{"ok":true,"result":…}`, keys in Telegram's order.
        static func ok<Result: Codable & Sendable>(_ result: Result, description: String? = nil) -> Answer {
            var body = #"{"ok":true,"result":"# + json(result)
            if let description { body += #","description":"# + json(description) }
            return Answer(status: 200, body: Data((body + "}").utf8))
        }

        /// `{"ok":false,"error_code":N,"description":…,"parameters":{"retry_after":S}}`.
        static func error(_ code: Int, _ description: String, retryAfter: Int? = nil) -> Answer {
            var body = #"{"ok":false,"error_code":\#(code),"description":"# + json(description)
            if let retryAfter { body += #","parameters":{"retry_after":\#(retryAfter)}"# }
            return Answer(status: code, body: Data((body + "}").utf8), errorDescription: description, retryAfter: retryAfter)
        }

        private static func json<Value: Encodable>(_ value: Value) -> String {
            String(decoding: (try? FakeTelegramBot.encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
        }

        static func tooManyRequests(retryAfter: Int) -> Answer {
            .error(429, "Too Many Requests: retry after \(retryAfter)", retryAfter: retryAfter)
        }

        var reply: FakeReply { .respond(status: status, headers: [("Content-Type", contentType)], body: body) }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    typealias Parameters = [String: FakeTelegramServer.JSONValue]

    // MARK: The handler

    func reply(to request: RecordedRequest) async -> FakeReply {
        let path = request.pathWithoutQuery
        guard path.hasPrefix("/bot"), let slash = path.lastIndex(of: "/"), slash > path.index(path.startIndex, offsetBy: 3) else {
            return Answer.error(404, "Not Found").reply
        }
        let token = String(path[path.index(path.startIndex, offsetBy: 4)..<slash])
        let method = String(path[path.index(after: slash)...])
        guard !method.isEmpty else { return Answer.error(404, "Not Found").reply }

        let parsed = Self.parameters(of: request)
        let parameters = (try? parsed.get()) ?? [:]
        let number = change { state in
            state.calls.append(
                FakeTelegramServer.Call(
                    number: state.calls.count + 1,
                    method: method,
                    chatID: parameters["chat_id"]?.integer,
                    parameters: parameters,
                    body: request.body,
                    receivedAt: now(),
                    outcome: .pending
                )
            )
            return state.calls.count
        }

        let answer: Answer?
        var dropAfterwards = false
        if token != self.token {
            answer = .error(401, "Unauthorized")
        } else if case .failure(let refusal) = parsed {
            answer = refusal
        } else {
            switch takeFault(method: method, chatID: parameters["chat_id"]?.integer) {
            case .tooManyRequests(let seconds): answer = .tooManyRequests(retryAfter: seconds)
            case .refuse(let code, let description): answer = .error(code, description)
            case .serverError(let status): return finish(number, with: Self.serverError(status))
            case .malformedAnswer:
                return finish(number, with: Answer(status: 200, body: Data(#"{"ok":true,"result":{"message_id":"#.utf8)))
            case .hang:
                change { $0.settle(number, .hung) }
                return .hang
            case .drop:
                change { $0.settle(number, .dropped) }
                return .drop
            case .dropAfterApplying:
                dropAfterwards = true
                answer = await perform(method, parameters)
            case nil:
                answer = await perform(method, parameters)
            }
        }
        guard let answer, !dropAfterwards else {
            change { $0.settle(number, .dropped) }
            return .drop
        }
        return finish(number, with: answer)
    }

    private func finish(_ number: Int, with answer: Answer) -> FakeReply {
        change { state in
            state.calls[number - 1].errorDescription = answer.errorDescription
            state.calls[number - 1].retryAfter = answer.retryAfter
            state.settle(number, .answered(status: answer.status))
        }
        return answer.reply
    }

    /// Removes and returns the first fault that applies to this call, counting it down.
    private func takeFault(method: String, chatID: Int64?) -> FakeTelegramServer.Fault? {
        change { state in
            guard let index = state.faults.firstIndex(where: { $0.applies(to: method, chatID: chatID) }) else { return nil }
            let fault = state.faults[index].fault
            if let remaining = state.faults[index].remaining {
                if remaining <= 1 { state.faults.remove(at: index) } else { state.faults[index].remaining = remaining - 1 }
            }
            return fault
        }
    }

    /// What Telegram's front proxy answers when the Bot API is down: 500 in the API's JSON,
    /// other 5xx as an HTML page.
    static func serverError(_ status: Int) -> Answer {
        if status == 500 { return .error(500, "Internal Server Error") }
        let title =
            switch status {
            case 502: "502 Bad Gateway"
            case 503: "503 Service Temporarily Unavailable"
            case 504: "504 Gateway Time-out"
            default: "\(status) Error"
            }
        let page = [
            "<html>", "<head><title>\(title)</title></head>", "<body>", "<center><h1>\(title)</h1></center>",
            "<hr><center>nginx</center>", "</body>", "</html>", "",
        ].joined(separator: "\r\n")
        return Answer(status: status, body: Data(page.utf8), errorDescription: title, contentType: "text/html")
    }

    /// The call's parameters from its query, JSON body or form body; a 400 when unreadable.
    static func parameters(of request: RecordedRequest) -> Result<Parameters, Answer> {
        var parameters: Parameters = [:]
        for item in request.queryItems { parameters[item.name] = .string(item.value ?? "") }
        guard !request.body.isEmpty else { return .success(parameters) }
        let type = request.header("Content-Type")?.lowercased() ?? ""
        if type.hasPrefix("application/x-www-form-urlencoded") {
            var components = URLComponents()
            components.percentEncodedQuery = request.bodyText.replacingOccurrences(of: "+", with: "%20")
            for item in components.queryItems ?? [] { parameters[item.name] = .string(item.value ?? "") }
            return .success(parameters)
        }
        guard type.hasPrefix("application/json") else {
            return .failure(.error(400, "Bad Request: unsupported Content-Type \"\(type)\""))
        }
        guard case .object(let object)? = try? JSONDecoder().decode(FakeTelegramServer.JSONValue.self, from: request.body) else {
            return .failure(.error(400, "Bad Request: can't parse JSON object"))
        }
        parameters.merge(object) { $1 }
        return .success(parameters)
    }

    // MARK: Methods

    private func perform(_ method: String, _ parameters: Parameters) async -> Answer? {
        switch method.lowercased() {
        case "getupdates": return await getUpdates(parameters)
        case "sendmessage": return change { sendMessage(parameters, &$0) }
        case "editmessagetext": return change { editMessageText(parameters, &$0) }
        case "deletemessage": return change { deleteMessage(parameters, &$0) }
        case "answercallbackquery": return change { answerCallbackQuery(parameters, &$0) }
        case "setwebhook": return change { setWebhook(parameters, &$0) }
        case "deletewebhook": return change { deleteWebhook(parameters, &$0) }
        case "getwebhookinfo": return read { webhookInfo($0) }
        case "getme": return .ok(user)
        case "setmycommands": return change { setMyCommands(parameters, &$0) }
        default: return .error(404, "Not Found")
        }
    }

    private func sendMessage(_ parameters: Parameters, _ state: inout State) -> Answer {
        guard let chatID = parameters["chat_id"]?.integer else { return .error(400, "Bad Request: chat_id is empty") }
        guard chatID != 0 else { return .error(400, "Bad Request: chat not found") }
        let paid = parameters["allow_paid_broadcast"]?.bool == true
        if let retryAfter = admit(chatID: chatID, paid: paid, &state) { return .tooManyRequests(retryAfter: retryAfter) }
        if paid { state.paidMessages += 1 }
        let version: FakeTelegramServer.ChatMessage.Version
        switch Self.version(parameters) {
        case .success(let value): version = value
        case .failure(let refusal): return refusal
        }
        var chat = state.chats[chatID] ?? Chat()
        chat.lastMessageID += 1
        let message = FakeTelegramServer.ChatMessage(
            messageID: chat.lastMessageID,
            chatID: chatID,
            fromBot: true,
            current: version,
            history: [],
            linkPreviewDisabled: Self.linkPreviewDisabled(parameters),
            date: Self.unixTime(),
            editDate: nil
        )
        chat.messages.append(message)
        state.chats[chatID] = chat
        return .ok(telegramMessage(message))
    }

    private func editMessageText(_ parameters: Parameters, _ state: inout State) -> Answer {
        guard let chatID = parameters["chat_id"]?.integer, let messageID = parameters["message_id"]?.integer,
            var chat = state.chats[chatID], let index = chat.messages.firstIndex(where: { $0.messageID == messageID })
        else {
            return .error(400, "Bad Request: message to edit not found")
        }
        guard chat.messages[index].fromBot else { return .error(400, "Bad Request: message can't be edited") }
        if let retryAfter = admit(chatID: chatID, &state) { return .tooManyRequests(retryAfter: retryAfter) }
        // `admit` updated the chat's bucket.
        chat.bucket = state.chats[chatID]?.bucket
        let version: FakeTelegramServer.ChatMessage.Version
        switch Self.version(parameters) {
        case .success(let value): version = value
        case .failure(let refusal): return refusal
        }
        var message = chat.messages[index]
        if message.current.text == version.text, message.current.sentText == version.sentText,
            message.current.replyMarkup == version.replyMarkup
        {
            return .error(400, Self.notModified)
        }
        message.history.append(message.current)
        message.current = version
        message.linkPreviewDisabled = Self.linkPreviewDisabled(parameters)
        message.editDate = Self.unixTime()
        chat.messages[index] = message
        state.chats[chatID] = chat
        return .ok(telegramMessage(message))
    }

    static let notModified = """
        Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a \
        current content and reply markup of the message
        """

    private func deleteMessage(_ parameters: Parameters, _ state: inout State) -> Answer {
        guard let chatID = parameters["chat_id"]?.integer, let messageID = parameters["message_id"]?.integer,
            var chat = state.chats[chatID], let index = chat.messages.firstIndex(where: { $0.messageID == messageID })
        else {
            return .error(400, "Bad Request: message to delete not found")
        }
        chat.deleted.append(chat.messages.remove(at: index))
        state.chats[chatID] = chat
        return .ok(true)
    }

    private func answerCallbackQuery(_ parameters: Parameters, _ state: inout State) -> Answer {
        guard let id = parameters["callback_query_id"]?.string, state.openCallbackQueries.remove(id) != nil else {
            return .error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        }
        state.callbackAnswers.append(
            FakeTelegramServer.CallbackAnswer(
                callbackQueryID: id,
                text: parameters["text"]?.string,
                showAlert: parameters["show_alert"]?.bool ?? false
            )
        )
        return .ok(true)
    }

    private func setWebhook(_ parameters: Parameters, _ state: inout State) -> Answer {
        let url = parameters["url"]?.string ?? ""
        if url.isEmpty {
            return removeWebhook(parameters, &state)
        }
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            return .error(400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
        }
        // Telegram takes only HTTPS; plain HTTP to loopback is allowed here for local tests.
        guard components.scheme == "https" || (components.scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host)) else {
            return .error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        }
        let secret = parameters["secret_token"]?.string
        if let secret, !TelegramSetWebhook.isValidSecretToken(secret) {
            return .error(400, "Bad Request: secret token contains unallowed characters")
        }
        let allowed = parameters["allowed_updates"]?.decode([String].self)
        let webhook = FakeTelegramServer.Webhook(url: url, secretToken: secret, allowedUpdates: allowed ?? state.webhook?.allowedUpdates)
        if parameters["drop_pending_updates"]?.bool == true { state.queue.removeAll() }
        let alreadySet = state.webhook == webhook
        state.webhook = webhook
        return .ok(true, description: alreadySet ? "Webhook is already set" : "Webhook was set")
    }

    /// As Telegram checks them: 1–100 commands, each 1–32 of a–z, 0–9 and _, with a
    /// description of 1–256 characters; a language code of two lowercase letters, or none.
    private func setMyCommands(_ parameters: Parameters, _ state: inout State) -> Answer {
        guard case .array(let list)? = parameters["commands"] else { return .error(400, "Bad Request: parameter \"commands\" is required") }
        guard (1...100).contains(list.count) else { return .error(400, "Bad Request: too much commands specified") }
        var commands: [(command: String, description: String)] = []
        for item in list {
            guard case .object(let object) = item, let command = object["command"]?.string, let description = object["description"]?.string
            else { return .error(400, "Bad Request: can't parse BotCommand") }
            guard (1...32).contains(command.count), command.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
                return .error(400, "Bad Request: BOT_COMMAND_INVALID")
            }
            guard (1...256).contains(description.count) else { return .error(400, "Bad Request: command description is empty or too long") }
            commands.append((command, description))
        }
        let language = parameters["language_code"]?.string ?? ""
        guard language.isEmpty || (language.count == 2 && language.allSatisfy { $0.isASCII && $0.isLowercase }) else {
            return .error(400, "Bad Request: invalid language code specified")
        }
        state.commands[language] = commands
        return .ok(true)
    }

    private func deleteWebhook(_ parameters: Parameters, _ state: inout State) -> Answer {
        removeWebhook(parameters, &state)
    }

    private func removeWebhook(_ parameters: Parameters, _ state: inout State) -> Answer {
        if parameters["drop_pending_updates"]?.bool == true { state.queue.removeAll() }
        guard state.webhook != nil else { return .ok(true, description: "Webhook is already deleted") }
        state.webhook = nil
        return .ok(true, description: "Webhook was deleted")
    }

    private func webhookInfo(_ state: State) -> Answer {
        var info: [String: FakeTelegramServer.JSONValue] = [
            "url": .string(state.webhook?.url ?? ""),
            "has_custom_certificate": .bool(false),
            "pending_update_count": .integer(Int64(state.queue.count)),
        ]
        if let allowed = state.webhook?.allowedUpdates { info["allowed_updates"] = .array(allowed.map { .string($0) }) }
        return .ok(FakeTelegramServer.JSONValue.object(info))
    }

    /// Long polling: answers at once when updates wait, else when one arrives or `timeout`
    /// seconds pass on the fake's clock. A newer `getUpdates` terminates a waiting one with
    /// 409, as on Telegram.
    private func getUpdates(_ parameters: Parameters) async -> Answer? {
        let offset = parameters["offset"]?.integer
        let limit = min(max(Int(parameters["limit"]?.integer ?? 100), 1), 100)
        let timeout = max(parameters["timeout"]?.integer ?? 0, 0)

        enum Start: Sendable {
            case answer(Answer)
            case wait(poll: Int, deadline: TimeInterval)
        }
        let start = change { state -> Start in
            if state.webhook != nil {
                return .answer(
                    .error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
                )
            }
            Self.confirm(below: offset, &state)
            state.polls += 1
            state.activePoll = state.polls
            if !state.queue.isEmpty || timeout == 0 {
                state.activePoll = nil
                return .answer(.ok(Array(state.queue.prefix(limit))))
            }
            // Taken with the poll, so a test that sees it waiting moves the clock past its deadline.
            return .wait(poll: state.polls, deadline: now() + TimeInterval(timeout))
        }
        guard case .wait(let poll, let deadline) = start else {
            if case .answer(let answer) = start { return answer }
            return nil
        }

        // The real clock sleeps until the deadline; a test's clock wakes the poll as it moves.
        _ = await wait(until: clock == nil ? .now + .seconds(timeout) : nil) { state in
            !state.queue.isEmpty || state.activePoll != poll || state.webhook != nil || now() >= deadline
        }
        if Task.isCancelled {
            change { state in if state.activePoll == poll { state.activePoll = nil } }
            return nil
        }
        return change { state -> Answer in
            guard state.activePoll == poll else {
                return .error(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
            }
            state.activePoll = nil
            if state.webhook != nil { return .error(409, "Conflict: terminated by setWebhook request") }
            return .ok(Array(state.queue.prefix(limit)))
        }
    }

    /// `offset` confirms every update below it; a negative one keeps only that many of the latest.
    private static func confirm(below offset: Int64?, _ state: inout State) {
        guard let offset else { return }
        if offset > 0 {
            state.queue.removeAll { $0.updateID < offset }
        } else if offset < 0 {
            let keep = Int(clamping: -offset)
            if state.queue.count > keep { state.queue.removeFirst(state.queue.count - keep) }
        }
    }

    // MARK: Flood limits

    /// Takes one message from the chat's and the bot's buckets; returns `retry_after` when
    /// either is empty (and takes nothing). A paid broadcast (`allow_paid_broadcast`) ignores
    /// the free broadcast limit for its own, higher one; the chat's limit still applies.
    private func admit(chatID: Int64, paid: Bool = false, _ state: inout State) -> Int? {
        let limits = state.limits
        let now = self.now()
        let globalRate = paid ? limits.paidGlobalPerSecond : limits.globalPerSecond
        let globalCapacity = paid ? max(Int(limits.paidGlobalPerSecond.rounded(.up)), 1) : limits.globalBurst
        var chatBucket = state.chats[chatID]?.bucket ?? TokenBucket(tokens: Double(limits.perChatBurst), updatedAt: now)
        var globalBucket =
            (paid ? state.paidGlobalBucket : state.globalBucket) ?? TokenBucket(tokens: Double(globalCapacity), updatedAt: now)
        chatBucket.refill(now: now, rate: limits.perChatPerSecond, capacity: limits.perChatBurst)
        globalBucket.refill(now: now, rate: globalRate, capacity: globalCapacity)
        let wait = max(chatBucket.wait(rate: limits.perChatPerSecond), globalBucket.wait(rate: globalRate))
        if wait == 0 {
            chatBucket.tokens -= 1
            globalBucket.tokens -= 1
        }
        state.chats[chatID, default: Chat()].bucket = chatBucket
        if paid { state.paidGlobalBucket = globalBucket } else { state.globalBucket = globalBucket }
        return wait > 0 ? max(1, Int(wait.rounded(.up))) : nil
    }

    // MARK: Content

    /// The message content a `sendMessage` or `editMessageText` asks for, or Telegram's refusal.
    static func version(_ parameters: Parameters) -> Result<FakeTelegramServer.ChatMessage.Version, Answer> {
        let sentText = parameters["text"]?.string ?? ""
        let parseMode = parameters["parse_mode"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        let text: String
        switch parseMode?.lowercased() {
        case nil, "markdown", "markdownv2":
            // Markdown is passed through unparsed; Rebind only sends HTML and plain text.
            text = sentText
        case "html":
            do {
                text = try TelegramHTMLText.plainText(of: sentText)
            } catch {
                return .failure(.error(400, "Bad Request: can't parse entities: \(error.description)"))
            }
        default:
            return .failure(.error(400, "Bad Request: unsupported parse_mode"))
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .failure(.error(400, "Bad Request: message text is empty")) }
        if text.utf16.count > 4096 { return .failure(.error(400, "Bad Request: message is too long")) }

        var markup: TelegramInlineKeyboardMarkup?
        if let value = parameters["reply_markup"] {
            guard let decoded = value.decode(TelegramInlineKeyboardMarkup.self) else {
                return .failure(.error(400, "Bad Request: can't parse reply keyboard markup JSON object"))
            }
            for button in decoded.inlineKeyboard.joined() {
                if let webApp = button.webApp {
                    // Telegram: Mini App buttons only in private chats, over https. Loopback http
                    // is taken here, since the tests serve the form without TLS.
                    guard button.callbackData == nil, button.url == nil else {
                        return .failure(.error(400, "Bad Request: can't parse inline keyboard button: more than one action"))
                    }
                    guard (parameters["chat_id"]?.integer ?? 0) > 0 else { return .failure(.error(400, "Bad Request: BUTTON_TYPE_INVALID")) }
                    guard webApp.url.hasPrefix("https://") || webApp.url.hasPrefix("http://127.0.0.1") || webApp.url.hasPrefix("http://localhost")
                    else { return .failure(.error(400, "Bad Request: BUTTON_URL_INVALID")) }
                    continue
                }
                switch (button.callbackData, button.url) {
                case (let data?, nil):
                    if data.utf8.isEmpty || data.utf8.count > 64 { return .failure(.error(400, "Bad Request: BUTTON_DATA_INVALID")) }
                case (nil, let url?):
                    if !(url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("tg://")) {
                        return .failure(.error(400, "Bad Request: BUTTON_URL_INVALID"))
                    }
                default:
                    return .failure(
                        .error(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                    )
                }
            }
            markup = decoded.inlineKeyboard.isEmpty ? nil : decoded
        }
        return .success(.init(text: text, sentText: sentText, parseMode: parseMode, replyMarkup: markup))
    }

    static func linkPreviewDisabled(_ parameters: Parameters) -> Bool {
        parameters["link_preview_options"]?.decode(TelegramLinkPreviewOptions.self)?.isDisabled
            ?? parameters["disable_web_page_preview"]?.bool ?? false
    }

    // MARK: The user's side

    func person(in chatID: Int64) -> TelegramUser {
        TelegramUser(id: chatID, firstName: "User \(chatID)", languageCode: "en")
    }

    static func chat(_ chatID: Int64) -> TelegramChat {
        TelegramChat(id: chatID, type: chatID > 0 ? "private" : "supergroup")
    }

    func telegramMessage(_ message: FakeTelegramServer.ChatMessage) -> TelegramMessage {
        TelegramMessage(
            messageID: message.messageID,
            from: message.fromBot ? user : person(in: message.chatID),
            chat: Self.chat(message.chatID),
            date: message.date,
            editDate: message.editDate,
            text: message.text,
            replyMarkup: message.replyMarkup
        )
    }

    /// The user writes `text` in the chat: the message appears there, and its update is
    /// queued for `getUpdates` unless a webhook is set (then the caller delivers it).
    func userSends(chatID: Int64, text: String) -> TelegramUpdate {
        userSends(chatID: chatID, text: text, asCaption: false)
    }

    /// The user sends a photo or file, with `caption` (or none): a message without `text`.
    /// The fake keeps the caption as the chat message's text, so it can be read and deleted.
    func userSendsFile(chatID: Int64, caption: String?) -> TelegramUpdate {
        userSends(chatID: chatID, text: caption ?? "", asCaption: true)
    }

    private func userSends(chatID: Int64, text: String, asCaption: Bool) -> TelegramUpdate {
        change { state in
            var chat = state.chats[chatID] ?? Chat()
            chat.lastMessageID += 1
            let version = FakeTelegramServer.ChatMessage.Version(text: text, sentText: text, parseMode: nil, replyMarkup: nil)
            let message = FakeTelegramServer.ChatMessage(
                messageID: chat.lastMessageID,
                chatID: chatID,
                fromBot: false,
                current: version,
                history: [],
                linkPreviewDisabled: false,
                date: Self.unixTime(),
                editDate: nil
            )
            chat.messages.append(message)
            state.chats[chatID] = chat
            var sent = telegramMessage(message)
            if asCaption {
                sent.text = nil
                sent.caption = text.isEmpty ? nil : text
            }
            return queue(TelegramUpdate(updateID: 0, message: sent), &state)
        }
    }

    /// The user taps the inline button with `data` under a message: a callback query to answer.
    func userTaps(chatID: Int64, messageID: Int64, data: String) -> TelegramUpdate {
        change { state in
            state.callbackQueries += 1
            let id = "\(user.id)\(String(format: "%08d", state.callbackQueries))"
            state.openCallbackQueries.insert(id)
            let message =
                state.chats[chatID]?.messages.first { $0.messageID == messageID }.map(telegramMessage)
                ?? TelegramMessage(messageID: messageID, chat: Self.chat(chatID), date: 0)
            let query = TelegramCallbackQuery(
                id: id,
                from: person(in: chatID),
                message: message,
                chatInstance: "-\(chatID)",
                data: data
            )
            return queue(TelegramUpdate(updateID: 0, callbackQuery: query), &state)
        }
    }

    private func queue(_ update: TelegramUpdate, _ state: inout State) -> TelegramUpdate {
        var update = update
        update.updateID = state.nextUpdateID
        state.nextUpdateID += 1
        if state.webhook == nil { state.queue.append(update) }
        return update
    }
}
