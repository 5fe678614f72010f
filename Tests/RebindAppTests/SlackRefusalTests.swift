import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindCrypto
import RebindSimulator
import RebindSlack
import Testing

/// What Slack's endpoints refuse or answer without doing anything: Slack's URL check, bad,
/// stale and missing signatures, oversized bodies, Slack's retries, keys pasted into the DM,
/// users who are not linked, and forms submitted for someone else's account.
@Suite("Slack refusals")
struct SlackRefusalTests {
    static let endpoints = ["/v1/slack/events", "/v1/slack/interactivity", "/v1/slack/commands"]

    /// A body each endpoint would take if it were signed.
    static func body(for path: String, _ world: SlackWorld) throws -> (Data, String) {
        switch path {
        case "/v1/slack/events":
            return (try JSONEncoder().encode(world.slack.userWrites("hello", user: SlackWorld.userID)), "application/json")
        case "/v1/slack/interactivity":
            let press = SlackBlockActions(
                triggerID: world.slack.issueTrigger(user: SlackWorld.userID),
                user: SlackUserRef(id: SlackWorld.userID, teamID: SlackWorld.teamID),
                team: SlackTeamRef(id: SlackWorld.teamID),
                actions: [.init(actionID: "rebind.update", value: "u:0123456789abcdef")]
            )
            return (try FakeSlackServer.interactivityBody(press), SlackWorld.formType)
        default:
            return (world.slack.userTypesCommand("help", user: SlackWorld.userID).form.encoded, SlackWorld.formType)
        }
    }

    @Test("url_verification is answered with its challenge, and only when signed")
    func urlVerification() async throws {
        try await SlackWorld.with { world, client in
            let challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
            let body = Data(#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"\#(challenge)","type":"url_verification"}"#.utf8)
            let answer = try await world.postEvent(body, via: client)
            #expect(answer.status == .ok)
            #expect(answer.json["challenge"] as? String == challenge)

            let unsigned = try await world.post("/v1/slack/events", body: body, headers: [.contentType: "application/json"], via: client)
            #expect(unsigned.status == .unauthorized)
            #expect(!String(buffer: unsigned.body).contains(challenge))
        }
    }

    @Test("Missing, malformed, wrong, altered, stale and future signatures get 401 on every endpoint, and nothing happens")
    func badSignatures() async throws {
        try await SlackWorld.with { world, client in
            try await world.sendEvent(SlackWorld.event(), id: "msg_sig", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            let callsBefore = world.slack.calls().count
            let now = world.env.clock.now
            for path in Self.endpoints {
                let (body, type) = try Self.body(for: path, world)
                let signed = world.slackHeaders(body: body, contentType: type)
                var attempts: [(String, HTTPFields, Data)] = []
                attempts.append(("no headers", [.contentType: type], body))
                var noSignature = signed
                noSignature[HTTPField.Name(SlackSignature.signatureHeader)!] = nil
                attempts.append(("no signature", noSignature, body))
                var noTimestamp = signed
                noTimestamp[HTTPField.Name(SlackSignature.timestampHeader)!] = nil
                attempts.append(("no timestamp", noTimestamp, body))
                var malformed = signed
                malformed[HTTPField.Name(SlackSignature.signatureHeader)!] = "v0=nothex"
                attempts.append(("malformed", malformed, body))
                var wrongSecret = signed
                wrongSecret[HTTPField.Name(SlackSignature.signatureHeader)!] = SlackSignature.sign(
                    timestamp: Int64(now.timeIntervalSince1970),
                    body: body,
                    signingSecret: Secret("another-apps-signing-secret")
                )
                attempts.append(("wrong secret", wrongSecret, body))
                attempts.append(("altered body", signed, body + Data("&x=1".utf8)))
                // Half a minute past the 5-minute window either way: the application's clock runs,
                // and a loaded machine must not carry a "future" request back into the window.
                let current = world.env.clock.now
                attempts.append(("stale", world.slackHeaders(body: body, at: current.addingTimeInterval(-330), contentType: type), body))
                attempts.append(("future", world.slackHeaders(body: body, at: current.addingTimeInterval(330), contentType: type), body))
                for (name, headers, sent) in attempts {
                    let response = try await world.post(path, body: sent, headers: headers, via: client)
                    #expect(response.status == .unauthorized, "\(path): \(name)")
                    #expect(response.errorCode == "bad_signature", "\(path): \(name)")
                }
                // The same request, signed, is taken: the refusals were about the signature.
                let taken = try await world.post(path, body: body, headers: world.slackHeaders(body: body, contentType: type), via: client)
                #expect(taken.status == .ok, "\(path): signed")
            }
            try await world.settle(via: client)
            // One answer for each signed request and for the settle's help: the refused
            // requests did nothing.
            // (The user's language is asked of Slack once, whatever the requests were.)
            let methods = world.slack.calls().dropFirst(callsBefore).map(\.method).filter { $0 != "users.info" }
            #expect(methods == Array(repeating: "chat.postMessage", count: Self.endpoints.count + 1), "\(world.botMessages().map(SlackWorld.shown))")
        }
    }

    @Test("A body over 64 KiB gets 413 on every endpoint, signed or not")
    func oversized() async throws {
        try await SlackWorld.with { world, client in
            let big = Data("payload=".utf8) + Data(repeating: UInt8(ascii: "a"), count: 64 * 1024 + 1)
            for path in Self.endpoints {
                let signed = try await world.post(
                    path,
                    body: big,
                    headers: world.slackHeaders(body: big, contentType: SlackWorld.formType),
                    via: client
                )
                #expect(signed.status == .contentTooLarge, "\(path)")
                let unsigned = try await world.post(path, body: big, headers: [.contentType: SlackWorld.formType], via: client)
                #expect(unsigned.status == .contentTooLarge, "\(path)")
            }
            #expect(world.slack.calls().isEmpty)
        }
    }

    @Test("An event Slack sends again (X-Slack-Retry-Num) is handled once, before or after the first is done")
    func retriedEvent() async throws {
        try await SlackWorld.with { world, client in
            let callback = world.slack.userWrites("hello?", user: SlackWorld.userID)
            let replies = try await world.expectingReplies(1) {
                let first = try await world.postEvent(callback, via: client)
                let retry = try await world.postEvent(callback, retryNum: 1, via: client)
                #expect(first.status == .ok && retry.status == .ok)
            }
            #expect(replies.map(SlackWorld.shown).only?.contains("private form") == true)
            #expect(try await world.postEvent(callback, retryNum: 2, via: client).status == .ok)
            try await world.settle(via: client)
            // The answer and the help: nothing for the retries.
            #expect(world.botMessages().count == 2)
        }
    }

    @Test("A key pasted into the DM gets the warning to delete and revoke it, and nothing else happens")
    func keyInDirectMessage() async throws {
        try await SlackWorld.with { world, client in
            try await world.sendEvent(SlackWorld.event(), id: "msg_k1", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            let pastes = [
                FakeBinanceServer.secret.value, "here it is: \(FakeBinanceServer.apiKey)",
                // As Slack writes what the user formatted as code, or wrapped in punctuation.
                "`\(FakeOKXServer.secret.value)`", "```\(FakeBinanceServer.secret.value)```", "secret:\(FakeOKXServer.secret.value)",
                "key \"\(FakeOKXServer.apiKey)\", passphrase \(FakeOKXServer.passphrase.value).",
            ]
            for pasted in pastes {
                let warning = try #require(try await world.userWrites(pasted, replies: 1, via: client).only)
                let text = SlackWorld.shown(warning)
                #expect(text.contains("delete that message now"))
                #expect(text.contains("revoke the key"))
                #expect(text.contains("/rebind update"))
                #expect(!text.contains(pasted))
            }
            // A question about the help page is not a key: it is pointed to the form, not warned.
            let question =
                "I followed https://help.utrading.io/en/exchange/create-api/api-faq/what-should-i-do-if-the-api-is-deleted-in-binance "
                + "on 2026-11-26 and robot rb_7 still says: Pause: Invalid API key operation permission"
            let pointed = try #require(try await world.userWrites(question, replies: 1, via: client).only)
            #expect(SlackWorld.shown(pointed).contains("private form"))
            #expect(!SlackWorld.shown(pointed).contains("revoke"))
            try await world.settle(via: client)
            #expect(world.botMessages().count == pastes.count + 3)
            #expect(world.slack.calls(method: "views.open").isEmpty)
            #expect(world.slack.calls(method: "chat.update").isEmpty)
            #expect(world.binance.requests().isEmpty)
            #expect(world.platform?.requests().isEmpty == true)
            #expect(try await world.sqlite.conversation(chat: SlackWorld.chat()) == nil)
            #expect(try await world.sqlite.sealedCredentials().isEmpty)
        }
    }

    @Test("/rebind help and /rebind status answer in the DM as Telegram's /help and /status do")
    func helpAndStatus() async throws {
        try await SlackWorld.with { world, client in
            let help = try await world.userTypes("help", replies: 1, via: client)
            #expect(help.ephemeral?.contains("direct messages") == true)
            let helpText = try #require(help.messages.only.map(SlackWorld.shown))
            #expect(helpText.contains("uTrading"))
            for command in ["/rebind update", "/rebind keys", "/rebind language", "/rebind help"] {
                #expect(helpText.contains(command), "\(command)")
            }
            // An empty `/rebind` is the help too.
            let bare = try #require(try await world.userTypes("", replies: 1, via: client).messages.only)
            #expect(bare.text == help.messages.first?.text)

            let stranger = try #require(try await world.userTypes("status", user: "U0STRANGER", replies: 1, via: client).messages.only)
            #expect(SlackWorld.shown(stranger).contains("not linked"))

            let day: TimeInterval = 86400
            let start = TestEnvironment.start
            try await world.sendEvent(
                SlackWorld.event(type: "api_binding.created", boundAt: Timestamp.format(start - 20 * day)),
                id: "msg_b1",
                via: client
            )
            try await world.sendEvent(
                SlackWorld.event(
                    type: "api_binding.created",
                    account: "acc_77",
                    exchange: "okx",
                    label: "Alt",
                    keyHint: "Q9z",
                    boundAt: Timestamp.format(start - 10 * day)
                ),
                id: "msg_b2",
                via: client
            )
            let status = try #require(try await world.userTypes("status", replies: 1, via: client).messages.only)
            let lines = SlackWorld.shown(status).split(separator: "\n").map(String.init)
            #expect(lines.contains("• Main (Binance), key …h8A: 40 days left (until 2027-01-05 UTC, 60 days from binding)"), "\(lines)")
            #expect(lines.contains("• Alt (OKX), key …Q9z: 20 days left (until 2026-12-16 UTC, 30 days from binding)"), "\(lines)")
        }
    }

    @Test("/rebind link <token> asks; Confirm links the Slack user once; the waiting guidance arrives in the DM")
    func link() async throws {
        try await SlackWorld.with { world, client in
            // The platform knows no chat of this user: the guidance waits.
            try await world.sendEvent(SlackWorld.event(user: "u_2002", slackUser: nil, account: "acc_5"), id: "msg_l1", via: client)
            let token = try await world.linkToken(user: "u_2002", id: "link_1", via: client)
            #expect(world.slack.calls(method: "chat.postMessage").isEmpty)

            let question = try #require(try await world.userTypes("link \(token)", replies: 1, via: client).messages.only)
            #expect(SlackWorld.shown(question).contains("Link this chat to *j***@example.com* on uTrading?"))
            let press = try #require(
                world.slack.userPresses(actionID: SlackMessenger.confirmActionID, inMessage: question.ts, channel: question.channel)
            )
            let linked = try await world.expectingReplies(2) {
                let response = try await world.postInteraction(press, via: client)
                #expect(response.status == .ok)
            }.map(SlackWorld.shown)
            #expect(linked.contains { $0.contains("Linked: this chat now gets guidance for *j***@example.com*") })
            #expect(linked.contains { $0.contains("Grid rb_7") })
            // The link works once.
            let reused = try #require(try await world.userTypes("link \(token)", user: "U0STRANGER", replies: 1, via: client).messages.only)
            #expect(SlackWorld.shown(reused).contains("unknown, used or expired"))
            let unknown = try #require(try await world.userTypes("link not-a-token", user: "U0STRANGER", replies: 1, via: client).messages.only)
            #expect(SlackWorld.shown(unknown).contains("unknown, used or expired"))

            // The linked user may update the user's account.
            let command = world.slack.userTypesCommand("update", user: SlackWorld.userID)
            #expect(try await world.postCommand(command, via: client).status == .ok)
            #expect(world.slack.views().only?.privateMetadata?.contains("acc_5") == true)
        }
    }

    @Test("A Slack user who is not linked is told so when pressing Update API key or typing /rebind update; no form opens")
    func notLinked() async throws {
        try await SlackWorld.with { world, client in
            try await world.sendEvent(SlackWorld.event(), id: "msg_n1", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            let guidance = try #require(world.botMessages().first)
            // The same button, pressed by someone else (a forwarded message, a forged payload).
            var press = try #require(world.slack.userPresses(actionID: "rebind.update", inMessage: guidance.ts, channel: guidance.channel))
            press.user = SlackUserRef(id: "U0STRANGER", teamID: SlackWorld.teamID)
            press.triggerID = world.slack.issueTrigger(user: "U0STRANGER")
            let told = try await world.expectingReplies(1, user: "U0STRANGER") {
                let response = try await world.postInteraction(press, via: client)
                #expect(response.status == .ok)
            }
            #expect(told.only.map(SlackWorld.shown)?.contains("not linked") == true)

            let typed = try await world.postCommand(world.slack.userTypesCommand("update", user: "U0STRANGER"), via: client)
            #expect(typed.status == .ok)
            #expect(typed.json["response_type"] as? String == "ephemeral")
            #expect((typed.json["text"] as? String)?.contains("not linked") == true)
            #expect(world.slack.calls(method: "views.open").isEmpty)
        }
    }

    @Test("A form submitted for an account that is not the user's is refused: no exchange check, nothing to the platform")
    func someoneElsesAccount() async throws {
        try await SlackWorld.with { world, client in
            try await world.sendEvent(SlackWorld.event(), id: "msg_o1", via: client)
            try await world.sendEvent(SlackWorld.event(user: "u_3003", slackUser: "U0OTHER01", account: "acc_99"), id: "msg_o2", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 && world.botMessages(user: "U0OTHER01").count == 1 })
            #expect(try await world.postCommand(world.slack.userTypesCommand("update", user: SlackWorld.userID), via: client).status == .ok)
            let view = try #require(world.slack.views().only)

            // The form's metadata rewritten to name the other user's account.
            var submission = try #require(
                world.slack.userSubmits(
                    viewID: view.id,
                    values: ["api_key": ["value": FakeBinanceServer.apiKey], "api_secret": ["value": FakeBinanceServer.secret.value]]
                )
            )
            submission.view.privateMetadata = #"{"account":"acc_99","exchange":"binance"}"#
            let refused = try await world.expectingReplies(1) {
                let response = try await world.postInteraction(submission, via: client)
                #expect(response.status == .ok)
                #expect(response.json["response_action"] as? String == "clear")
            }
            #expect(refused.only.map(SlackWorld.shown)?.contains("not one you may update from here") == true)
            try await world.settle(via: client)
            #expect(world.binance.requests().isEmpty)
            #expect(world.platform?.requests().isEmpty == true)
            #expect(try await world.sqlite.sealedCredentials().isEmpty)
            #expect(world.botMessages(user: "U0OTHER01").count == 1)
        }
    }
}
