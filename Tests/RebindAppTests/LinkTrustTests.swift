import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RebindCore
import RebindSimulator
import RebindSlack
import Testing

/// The holes issue 11 names in linking, tried as an attacker would: a stranger's link sent to
/// a trader, a replayed `POST /v1/links`, a chat two users' events name.
@Suite("Links a trader can trust")
struct LinkTrustTests {
    static let victim = "u_victim"
    static let stranger = "u_stranger"

    @Test("A stranger's link opened in a trader's chat does nothing without Confirm; Cancel leaves it the trader's")
    func strangersLinkNeedsConfirm() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            // The trader's chat is linked to the trader.
            let own = try await world.linkToken(user: Self.victim, name: "v***@example.com", via: client)
            try await world.confirmLink(own, replies: 1, via: client)

            // The stranger makes a link for their own account and gets the trader to open it.
            let bait = try await world.linkToken(user: Self.stranger, name: "s***@example.com", via: client)
            let question = try #require(try await world.userSends("/start \(bait)", replies: 1, via: client).only)
            #expect(question.text.contains("Link this chat to s***@example.com on uTrading?"))
            #expect(question.text.contains("This chat now gets guidance for v***@example.com"))

            // Unanswered, the chat is still the trader's: the stranger's guidance does not reach it,
            // and a key typed here would be for the trader's own account.
            try await world.sendEvent(ChatWorld.event(user: Self.stranger, chatID: nil, account: "acc_s"), id: "msg_s1", via: client)
            try await world.sendEvent(ChatWorld.event(user: Self.victim, chatID: nil, account: "acc_v"), id: "msg_v1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 4)
            let texts = world.botMessages().map(\.text)
            #expect(texts.contains { $0.contains("acc_v") || $0.contains("Grid rb_7") })
            #expect(!texts.contains { $0.contains("acc_s") })
            let which = try #require(try await world.userSends("/update", replies: 1, via: client).only)
            #expect(which.text.contains("Binance") || which.text.contains("API Key"))
            #expect(!which.text.contains("acc_s"))

            // Cancel: nothing changed, and the bait is not spent (its owner may still use it).
            let cancel = try #require(question.callbackData.first { $0 == ButtonAction.cancelLink.encoded })
            let answer = try #require(try await world.userTaps(cancel, on: question.messageID, replies: 1, via: client).only)
            #expect(answer.text.contains("nothing changed"))
            #expect(try await world.sqlite.owner(of: world.chat) == .linked(userID: Self.victim, displayName: "v***@example.com"))
        }
        try await world.shutdown()
    }

    @Test("On Slack, a stranger's /rebind link asks first: nothing moves until Confirm, and Confirm says whose account the DM now is")
    func slackRelinking() async throws {
        try await SlackWorld.with { world, client in
            // The platform names the trader's Slack user in their events.
            try await world.sendEvent(SlackWorld.event(user: Self.victim, account: "acc_v"), id: "msg_v1", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            let bait = try await world.linkToken(user: Self.stranger, name: "s***@example.com", id: "link_bait", via: client)
            let question = try #require(try await world.userTypes("link \(bait)", replies: 1, via: client).messages.only)
            #expect(SlackWorld.shown(question).contains("This chat now gets guidance for another uTrading account"))
            // Unanswered: the stranger's guidance does not come here.
            try await world.sendEvent(
                SlackWorld.event(user: Self.stranger, slackUser: nil, account: "acc_s", robot: "rb_s"),
                id: "msg_s1",
                via: client
            )
            try await world.settle(via: client)
            #expect(!world.botMessages().map(SlackWorld.shown).contains { $0.contains("Grid rb_s") })

            let press = try #require(
                world.slack.userPresses(actionID: SlackMessenger.confirmActionID, inMessage: question.ts, channel: question.channel)
            )
            let moved = try await world.expectingReplies(2) {
                let response = try await world.postInteraction(press, via: client)
                #expect(response.status == .ok)
            }.map(SlackWorld.shown)
            #expect(moved.contains { $0.contains("Linked: this chat now gets guidance for *s***@example.com* on uTrading") })
            #expect(moved.contains { $0.contains("Grid rb_s") })
        }
    }

    @Test("With Confirm the chat moves, the trader is told whose account it now is, and the trader's other chats are told it left")
    func confirmedMoveIsSaid() async throws {
        let world = try await ChatWorld.start()
        let otherChat: Int64 = 987_654
        try await world.application().test(.live) { client in
            let own = try await world.linkToken(user: Self.victim, name: "v***@example.com", via: client)
            try await world.confirmLink(own, replies: 1, via: client)
            let second = try await world.linkToken(user: Self.victim, name: "v***@example.com", via: client)
            try await world.confirmLink(second, chatID: otherChat, replies: 1, via: client)

            let bait = try await world.linkToken(user: Self.stranger, name: "s***@example.com", via: client)
            let moved = try await world.confirmLink(bait, replies: 2, via: client)
            #expect(moved.contains { $0.text.contains("Linked: this chat now gets guidance for s***@example.com on uTrading") })
            let left = try #require(world.botMessages(chatID: otherChat).last)
            #expect(left.text.contains("Telegram chat with me was just linked to another uTrading account"))
            #expect(try await world.sqlite.chats(ofUser: Self.victim) == [ChatAddress(channel: .telegram, id: String(otherChat))])
        }
        try await world.shutdown()
    }

    @Test("POST /v1/links needs a display_name and refuses a replayed webhook-id with 409 duplicate")
    func linkRequests() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            let missing = try await world.requestLink(user: "u_1", name: nil, id: "link_a", via: client)
            #expect(missing.status == .badRequest)
            #expect((missing.json["error"] as? [String: Any])?["field"] as? String == "display_name")
            for bad in ["", "   ", String(repeating: "x", count: 65), "line\nbreak"] {
                let response = try await world.requestLink(user: "u_1", name: bad, id: "link_b\(bad.count)", via: client)
                #expect(response.status == .badRequest, "\(bad.debugDescription)")
            }
            #expect(try await world.requestLink(user: "u_1", name: String(repeating: "名", count: 64), id: "link_c", via: client).status == .created)

            let first = try await world.requestLink(user: "u_1", name: "j***@example.com", id: "link_replayed", via: client)
            #expect(first.status == .created)
            let replay = try await world.requestLink(user: "u_1", name: "j***@example.com", id: "link_replayed", via: client)
            #expect(replay.status == .conflict)
            let error = try #require(replay.json["error"] as? [String: Any])
            #expect(error["code"] as? String == "duplicate")
            #expect((error["message"] as? String)?.contains("new webhook-id") == true)
        }
        try await world.shutdown()
    }

    @Test("A chat two users' events name gets neither's guidance nor key flow until one links it, and is told how")
    func ambiguousChat() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            // u_a's events name the chat: it is u_a's, and u_a's guidance arrives.
            try await world.sendEvent(ChatWorld.event(user: "u_a", account: "acc_a", robot: "rb_a"), id: "msg_a", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            #expect(world.botMessages().contains { $0.text.contains("Grid rb_a") })
            // u_b's events name it too: now it is neither's.
            try await world.sendEvent(ChatWorld.event(user: "u_b", account: "acc_b", robot: "rb_b"), id: "msg_b", via: client)
            try await world.sendEvent(ChatWorld.event(user: "u_a", account: "acc_a2", robot: "rb_a2"), id: "msg_a2", via: client)
            let told = try #require(try await world.userSends("/update", replies: 1, via: client).only)
            #expect(told.text.contains("set for more than one uTrading account"))
            #expect(try await !world.hasConversation())
            #expect(!world.botMessages().contains { $0.text.contains("Grid rb_b") || $0.text.contains("Grid rb_a2") })

            // u_b links it: u_b's waiting guidance arrives, never u_a's.
            let token = try await world.linkToken(user: "u_b", name: "b***@example.com", via: client)
            let linked = try await world.confirmLink(token, replies: 2, via: client)
            #expect(linked.contains { $0.text.contains("Grid rb_b") })
            try await world.settle(via: client)
            #expect(!world.botMessages().contains { $0.text.contains("Grid rb_a2") })
        }
        try await world.shutdown()
    }

    @Test("/unlink asks first; Unlink detaches the chat and ends its key flow; the platform's naming no longer reaches it")
    func unlink() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            // The platform names the chat in its events: the chat is the user's.
            try await world.sendEvent(ChatWorld.event(), id: "msg_u1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            try await world.settle(via: client)
            #expect(try await world.hasConversation())

            let question = try #require(try await world.userSends("/unlink", replies: 1, via: client).only)
            #expect(question.text.contains("Unlink this chat from uTrading?"))
            let unlink = try #require(question.callbackData.first { $0 == ButtonAction.confirmUnlink.encoded })
            let done = try #require(try await world.userTaps(unlink, on: question.messageID, replies: 1, via: client).only)
            #expect(done.text.contains("Unlinked"))
            #expect(try await !world.hasConversation())

            // A later event naming the chat does not reach it; the chat is told to link itself.
            try await world.sendEvent(ChatWorld.event(account: "acc_43", robot: "rb_9"), id: "msg_u2", via: client)
            let notLinked = try #require(try await world.userSends("/keys", replies: 1, via: client).only)
            #expect(notLinked.text.contains("not linked"))
            #expect(!world.botMessages().contains { $0.text.contains("rb_9") })
        }
        try await world.shutdown()
    }
}
