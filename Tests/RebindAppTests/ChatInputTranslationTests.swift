import Foundation
import RebindCore
import RebindTelegram
import Testing

@testable import RebindApp

/// The channel adapters' half of the one road: every payload kind becomes the `ChatInput`
/// the router expects, and what Rebind does not handle becomes nothing.
@Suite("Chat inputs from Telegram and Slack")
struct ChatInputTranslationTests {
    let chat = ChatAddress(channel: .telegram, id: "42")

    func message(_ text: String?, chatType: String = "private", language: String? = "zh-hans") -> TelegramUpdate {
        TelegramUpdate(
            updateID: 1,
            message: TelegramMessage(
                messageID: 7,
                from: TelegramUser(id: 42, firstName: "T", languageCode: language),
                chat: TelegramChat(id: 42, type: chatType),
                date: 0,
                text: text
            )
        )
    }

    func tap(_ data: String?, chatType: String = "private") -> TelegramUpdate {
        TelegramUpdate(
            updateID: 2,
            callbackQuery: TelegramCallbackQuery(
                id: "cb_1",
                from: TelegramUser(id: 42, firstName: "T", languageCode: "en"),
                message: TelegramMessage(messageID: 3, chat: TelegramChat(id: 42, type: chatType), date: 0),
                data: data
            )
        )
    }

    @Test("Telegram: text, commands and taps, with the sender's language and whether the chat is private")
    func telegram() {
        #expect(
            TelegramInputs.input(from: message("hello"))
                == ChatInput(chat: chat, event: .message(text: "hello", messageID: "7"), languageCode: "zh-hans", isPrivate: true)
        )
        #expect(
            TelegramInputs.input(from: message("/update@RebindBot acc_42"))
                == ChatInput(
                    chat: chat,
                    event: .command(.update(account: "acc_42"), text: "/update@RebindBot acc_42", messageID: "7"),
                    languageCode: "zh-hans"
                )
        )
        #expect(TelegramInputs.input(from: message("/language zh"))?.event == .command(.language(tag: "zh"), text: "/language zh", messageID: "7"))
        #expect(
            TelegramInputs.input(from: tap("u:3f9a0c1d2e3f4a5b"))
                == ChatInput(chat: chat, event: .tap(.updateKey(account: "3f9a0c1d2e3f4a5b"), interactionID: "cb_1"), languageCode: "en")
        )
        #expect(TelegramInputs.input(from: tap("l:abc"))?.event == .tap(.remindLater(incident: "abc"), interactionID: "cb_1"))
        // A tap on data Rebind did not write is still acknowledged, and does nothing else.
        #expect(TelegramInputs.input(from: tap("other"))?.event == .tap(nil, interactionID: "cb_1"))
        #expect(TelegramInputs.input(from: tap(nil))?.event == .tap(nil, interactionID: "cb_1"))
        // A tap in a group says so: keys are never taken there.
        #expect(TelegramInputs.input(from: tap("u:abc", chatType: "supergroup"))?.isPrivate == false)
        #expect(TelegramInputs.chat(of: tap("u:abc")) == chat)
    }

    @Test("Telegram: group messages and other updates are not inputs; a private message without text is one, to delete")
    func telegramIgnored() {
        #expect(TelegramInputs.input(from: message("/update", chatType: "group")) == nil)
        #expect(TelegramInputs.input(from: message(nil))?.event == .message(text: nil, messageID: "7"))
        #expect(TelegramInputs.input(from: TelegramUpdate(updateID: 3)) == nil)
    }

    @Test("Slack: DMs, commands, taps, the key form and a form that did not open")
    func slack() {
        let chat = ChatAddress.slack(teamID: "T1", userID: "U1")
        #expect(
            SlackInputs.input(from: .message(teamID: "T1", userID: "U1", text: "hi"))
                == ChatInput(chat: chat, event: .message(text: "hi", messageID: nil))
        )
        #expect(SlackInputs.input(from: .command(teamID: "T1", userID: "U1", text: "keys")).event == .command(.keys, text: "keys", messageID: nil))
        #expect(
            SlackInputs.input(from: .command(teamID: "T1", userID: "U1", text: "link tok_1")).event
                == .command(.start(token: "tok_1"), text: "link tok_1", messageID: nil)
        )
        #expect(
            SlackInputs.input(from: .command(teamID: "T1", userID: "U1", text: "nonsense")).event == .command(.help, text: "nonsense", messageID: nil)
        )
        #expect(
            SlackInputs.input(from: .tap(teamID: "T1", userID: "U1", data: "l:abc")).event == .tap(.remindLater(incident: "abc"), interactionID: nil)
        )
        #expect(SlackInputs.input(from: .answer(teamID: "T1", userID: "U1", text: "old")).event == .keyFormNotOpened(reference: nil))
        #expect(
            SlackInputs.input(
                from: .keySubmission(teamID: "T1", userID: "U1", accountID: "acc_1", apiKey: "k", apiSecret: "s", passphrase: "p")
            ).event == .keyForm(accountID: "acc_1", apiKey: "k", apiSecret: Secret("s"), passphrase: Secret("p"))
        )
    }

    @Test("Rebind's own inputs survive storage and become the events the router handles")
    func rebindInputs() throws {
        let inputs: [(RebindInput, ChatInput.Event)] = [
            (.bindingAnswered(accountID: "acc_1", outcome: .applied), .bindingAnswered(accountID: "acc_1", outcome: .applied)),
            (.bindingAnswered(accountID: "acc_1", outcome: .delayed), .bindingAnswered(accountID: "acc_1", outcome: .delayed)),
            (.idle, .idle), (.resume, .resume), (.keyFormNotOpened(reference: "r"), .keyFormNotOpened(reference: "r")),
        ]
        for (input, event) in inputs {
            let stored = try JSONDecoder().decode(RebindInput.self, from: try JSONEncoder().encode(input))
            #expect(stored == input)
            #expect(stored.event == event)
        }
        #expect(!ChatInput(chat: chat, event: .idle).isFromUser)
        #expect(ChatInput(chat: chat, event: .message(text: nil, messageID: nil)).isFromUser)
    }
}
