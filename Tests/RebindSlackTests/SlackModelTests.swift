import Foundation
import RebindSlack
import Testing

@Suite("Slack payloads and Block Kit in Slack's wire format")
struct SlackModelTests {
    @Test("url_verification gives the challenge")
    func urlVerification() throws {
        let body = Data(
            #"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#.utf8
        )
        #expect(try SlackEventEnvelope.decode(body) == .urlVerification(challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))
    }

    @Test("an event_callback with a DM message reads its event id, team, user and text")
    func messageEvent() throws {
        let body = Data(
            #"""
            {"token":"x","team_id":"T0REBIND01","api_app_id":"A0REBIND01","type":"event_callback","event_id":"Ev0PV52K21","event_time":1700000000,
             "event":{"type":"message","channel":"D0000000001","user":"U0TRADER01","text":"vmPUZE6mv9SD5VNH","ts":"1700000000.000200",
                      "event_ts":"1700000000.000200","channel_type":"im","team":"T0REBIND01"},
             "authorizations":[{"team_id":"T0REBIND01","user_id":"U0REBINDBOT","is_bot":true}]}
            """#.utf8
        )
        guard case .eventCallback(let callback) = try SlackEventEnvelope.decode(body) else {
            Issue.record("expected event_callback")
            return
        }
        #expect(callback.eventID == "Ev0PV52K21")
        #expect(callback.teamID == "T0REBIND01")
        #expect(callback.event.user == "U0TRADER01")
        #expect(callback.event.text == "vmPUZE6mv9SD5VNH")
        #expect(callback.event.isDirectMessageFromUser)
    }

    @Test("the bot's own messages and edits are not taken for the user's")
    func botMessages() {
        #expect(!SlackEvent(type: "message", channelType: "im", user: "U0REBINDBOT", botID: "B0REBIND01").isDirectMessageFromUser)
        #expect(!SlackEvent(type: "message", subtype: "message_changed", channelType: "im", user: "U1").isDirectMessageFromUser)
        #expect(!SlackEvent(type: "message", channelType: "channel", user: "U1").isDirectMessageFromUser)
    }

    @Test("an unknown envelope type is kept as other; broken JSON names what is missing without quoting values")
    func otherEnvelope() throws {
        #expect(
            try SlackEventEnvelope.decode(Data(#"{"type":"app_rate_limited","minute_rate_limited":1518467820}"#.utf8))
                == .other(type: "app_rate_limited")
        )
        #expect(throws: SlackPayloadError.invalidJSON(reason: "event_id is missing at the top level")) {
            try SlackEventEnvelope.decode(Data(#"{"type":"event_callback","team_id":"T1","event":{"type":"message","text":"secret-ish"}}"#.utf8))
        }
    }

    @Test("a block_actions payload in its form reads the trigger, user, team, message ts and the action")
    func blockActions() throws {
        let json = #"""
            {"type":"block_actions","user":{"id":"U0TRADER01","username":"trader","team_id":"T0REBIND01"},"api_app_id":"A0REBIND01",
             "container":{"type":"message","message_ts":"1700000000.000100","channel_id":"D0000000001","is_ephemeral":false},
             "trigger_id":"13345224609.738474920.8088930838d88f008e0","team":{"id":"T0REBIND01","domain":"rebind"},
             "channel":{"id":"D0000000001","name":"directmessage"},"message":{"type":"message","ts":"1700000000.000100","text":"Paused"},
             "response_url":"https://hooks.slack.com/actions/T0REBIND01/1/abc",
             "actions":[{"action_id":"rebind.update","block_id":"Xa1","text":{"type":"plain_text","text":"Update API key","emoji":true},
                         "value":"u:0123456789abcdef","style":"primary","type":"button","action_ts":"1700000001.000300"}]}
            """#
        let body = Data(("payload=" + json.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!).utf8)
        guard case .blockActions(let actions) = try SlackInteraction.decode(formBody: body) else {
            Issue.record("expected block_actions")
            return
        }
        #expect(actions.triggerID == "13345224609.738474920.8088930838d88f008e0")
        #expect(actions.user.id == "U0TRADER01")
        #expect(actions.teamID == "T0REBIND01")
        #expect(actions.container?.messageTS == "1700000000.000100")
        #expect(actions.channel?.id == "D0000000001")
        #expect(actions.message?.ts == "1700000000.000100")
        #expect(actions.actions == [.init(actionID: "rebind.update", blockID: "Xa1", value: "u:0123456789abcdef", actionTS: "1700000001.000300")])
    }

    @Test("a view_submission reads view id, callback_id, private_metadata and state values; an empty input has no value")
    func viewSubmission() throws {
        let json = Data(
            #"""
            {"type":"view_submission","team":{"id":"T0REBIND01","domain":"rebind"},"user":{"id":"U0TRADER01","team_id":"T0REBIND01"},
             "view":{"id":"VNHU13V36","type":"modal","team_id":"T0REBIND01","callback_id":"rebind.key","private_metadata":"a:0123",
                     "hash":"156663117.cd33ad1f","blocks":[{"type":"input","block_id":"api_key","label":{"type":"plain_text","text":"API Key"},
                     "element":{"type":"plain_text_input","action_id":"value"}}],
                     "state":{"values":{"api_key":{"value":{"type":"plain_text_input","value":"vmPUZE6m"}},
                                        "passphrase":{"value":{"type":"plain_text_input","value":null}}}}}}
            """#.utf8
        )
        guard case .viewSubmission(let submission) = try SlackInteraction.decode(json: json) else {
            Issue.record("expected view_submission")
            return
        }
        #expect(submission.view.id == "VNHU13V36")
        #expect(submission.view.callbackID == "rebind.key")
        #expect(submission.view.privateMetadata == "a:0123")
        #expect(submission.view.value(block: "api_key", action: "value") == "vmPUZE6m")
        #expect(submission.view.value(block: "passphrase", action: "value") == nil)
        #expect(submission.teamID == "T0REBIND01")
    }

    @Test("an interactivity form without payload is refused, naming the field")
    func missingPayload() {
        #expect(throws: SlackPayloadError.missingField("payload")) { try SlackInteraction.decode(formBody: Data("x=1".utf8)) }
    }

    @Test("a slash command form reads every field; + is a space; a missing field is named")
    func slashCommand() throws {
        let body = Data(
            ("token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0REBIND01&team_domain=rebind&channel_id=D0000000001&channel_name=directmessage"
                + "&user_id=U0TRADER01&user_name=trader&command=%2Frebind&text=link+abc_DEF-123&api_app_id=A0REBIND01"
                + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0").utf8
        )
        let command = try SlackSlashCommand(formBody: body)
        #expect(command.command == "/rebind")
        #expect(command.text == "link abc_DEF-123")
        #expect(command.userID == "U0TRADER01")
        #expect(command.teamID == "T0REBIND01")
        #expect(command.channelID == "D0000000001")
        #expect(command.triggerID == "13345224609.738474920.8088930838d88f008e0")
        #expect(command.responseURL == "https://hooks.slack.com/commands/1234/5678")
        #expect(try SlackSlashCommand(formBody: command.form.encoded) == command)
        #expect(throws: SlackPayloadError.missingField("trigger_id")) {
            try SlackSlashCommand(formBody: Data("command=%2Frebind&user_id=U1&team_id=T1&channel_id=D1&response_url=x".utf8))
        }
    }

    @Test("blocks encode in Block Kit's shape and decode back")
    func blockShapes() throws {
        let view = SlackView(
            title: .plain("Update API key"),
            blocks: [
                .section(text: .mrkdwn("*Binance* key for _Main_")),
                .divider(),
                .input(
                    blockID: "api_secret",
                    label: .plain("API SecretKey"),
                    element: SlackPlainTextInput(actionID: "value", maxLength: 128),
                    optional: false
                ),
                .actions(elements: [SlackButton(text: .plain("Help"), actionID: "rebind.link", url: "https://help.example")]),
            ],
            submit: .plain("Check key"),
            close: .plain("Cancel"),
            callbackID: "rebind.key",
            privateMetadata: "a:0123"
        )
        let data = try JSONEncoder().encode(view)
        let object = try #require(jsonObject(data))
        #expect(object["type"] as? String == "modal")
        #expect(object["callback_id"] as? String == "rebind.key")
        #expect(object["private_metadata"] as? String == "a:0123")
        #expect((object["submit"] as? NSDictionary)?["type"] as? String == "plain_text")
        let blocks = try #require(object["blocks"] as? [NSDictionary])
        #expect(blocks.map { $0["type"] as? String } == ["section", "divider", "input", "actions"])
        #expect(blocks[0] == ["type": "section", "text": ["type": "mrkdwn", "text": "*Binance* key for _Main_"]])
        #expect(
            blocks[2] == [
                "type": "input", "block_id": "api_secret", "label": ["type": "plain_text", "text": "API SecretKey", "emoji": true],
                "element": ["type": "plain_text_input", "action_id": "value", "max_length": 128],
            ]
        )
        #expect(
            (blocks[3]["elements"] as? [NSDictionary])?.first == [
                "type": "button", "action_id": "rebind.link", "url": "https://help.example",
                "text": ["type": "plain_text", "text": "Help", "emoji": true],
            ]
        )
        #expect(try JSONDecoder().decode(SlackView.self, from: data) == view)
        #expect(view.problem == nil)
    }

    @Test("a view_submission answer with field errors has Slack's shape")
    func fieldErrors() throws {
        let data = try JSONEncoder().encode(
            SlackViewResponse.errors(["api_secret": "That doesn't look like a Binance secret: 64 letters and digits."])
        )
        #expect(
            jsonObject(data) == [
                "response_action": "errors", "errors": ["api_secret": "That doesn't look like a Binance secret: 64 letters and digits."],
            ]
        )
    }

    @Test("duplicate action ids, too many buttons and overlong text are problems")
    func blockProblems() {
        let button = SlackButton(text: .plain("A"), actionID: "same")
        #expect(SlackBlock.actions(elements: [button, button]).problem != nil)
        #expect(SlackBlock.actions(elements: Array(repeating: button, count: 26)).problem != nil)
        #expect(SlackBlock.section(text: .mrkdwn(String(repeating: "x", count: 3_001))).problem != nil)
        #expect(SlackBlock.section(text: .mrkdwn(String(repeating: "x", count: 3_000))).problem == nil)
    }
}
