import Foundation
import RebindCore
import RebindRendering
import Testing

@Suite("Loading the catalogue and templates")
struct TemplateLoadingTests {
    @Test("The shipped catalogue carries the help page's defaults")
    func shippedCatalogue() throws {
        let catalogue = try Fixtures.renderer().catalogue
        #expect(catalogue.platformName == "uTrading")
        #expect(catalogue.helpURL == Fixtures.helpURL)
        #expect(catalogue.bindingPath == ["Home", "API Binding", "Edit"])
        #expect(catalogue.exchanges["binance"]?.tradingValidityDays == 60)
        #expect(catalogue.exchanges["binance"]?.needsPassphrase == false)
        #expect(catalogue.exchanges["okx"]?.tradingValidityDays == 30)
        #expect(catalogue.exchanges["okx"]?.needsPassphrase == true)
        #expect(catalogue.exchanges["okx"]?.note?.contains("14 days") == true)
    }

    @Test("Validity days edited in the catalogue show up in the message")
    func editedCatalogue() throws {
        try withTemplatesCopy { copy in
            let data = try Data(contentsOf: copy.url("catalogue.json"))
            var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            var exchanges = try #require(json["exchanges"] as? [String: Any])
            var binance = try #require(exchanges["binance"] as? [String: Any])
            binance["trading_validity_days"] = 45
            binance["regenerate_at"] = "binance.com → Account → API Management"
            exchanges["binance"] = binance
            json["exchanges"] = exchanges
            try JSONSerialization.data(withJSONObject: json).write(to: copy.url("catalogue.json"))

            let renderer = try GuidanceRenderer(templatesDirectory: copy.directory)
            for channel in Channel.allCases {
                let text = try renderer.render(Fixtures.incident(cause: .keyExpired), channel: channel).text
                #expect(text.contains("valid for trading for 45 days"))
                #expect(!text.contains("60 days"))
                #expect(text.contains("binance.com → Account → API Management"))
            }
        }
    }

    @Test("A missing template file is named in the error")
    func missingTemplate() throws {
        try withTemplatesCopy { copy in
            try copy.remove("en/slack/secret_wrong.mustache")
            let error = #expect(throws: GuidanceRenderer.Error.self) {
                try GuidanceRenderer(templatesDirectory: copy.directory)
            }
            #expect(error == .missingFile(path: "en/slack/secret_wrong.mustache", directory: copy.directory.path))
            #expect(error?.description.contains("en/slack/secret_wrong.mustache") == true)
        }
    }

    @Test("A missing resolved template is named in the error")
    func missingResolved() throws {
        try withTemplatesCopy { copy in
            try copy.remove("en/telegram/resolved.mustache")
            let error = #expect(throws: GuidanceRenderer.Error.self) {
                try GuidanceRenderer(templatesDirectory: copy.directory)
            }
            #expect(error?.description.contains("en/telegram/resolved.mustache") == true)
        }
    }

    @Test("A missing catalogue is named in the error")
    func missingCatalogue() throws {
        try withTemplatesCopy { copy in
            try copy.remove("catalogue.json")
            let error = #expect(throws: GuidanceRenderer.Error.self) {
                try GuidanceRenderer(templatesDirectory: copy.directory)
            }
            #expect(error == .missingFile(path: "catalogue.json", directory: copy.directory.path))
        }
    }

    @Test("An invalid catalogue is refused with the reason")
    func invalidCatalogue() throws {
        try withTemplatesCopy { copy in
            let edited = try copy.read("catalogue.json").replacingOccurrences(
                of: "\"trading_validity_days\": 60",
                with: "\"trading_validity_days\": 0"
            )
            try copy.write(edited, to: "catalogue.json")
            let error = #expect(throws: GuidanceRenderer.Error.self) {
                try GuidanceRenderer(templatesDirectory: copy.directory)
            }
            #expect(error?.description.contains("binance.trading_validity_days must be positive") == true)
        }
    }

    @Test("A template that does not parse is named with its line")
    func unparsableTemplate() throws {
        for channel in Channel.allCases {
            try withTemplatesCopy { copy in
                try copy.write("first line\n{{#robots}}unclosed\n", to: "en/\(channel.rawValue)/unknown.mustache")
                let error = #expect(throws: GuidanceRenderer.Error.self) {
                    try GuidanceRenderer(templatesDirectory: copy.directory)
                }
                guard case .invalidTemplate(let path, let line, _, _) = error else {
                    Issue.record("expected invalidTemplate, got \(String(describing: error))")
                    return
                }
                #expect(path == "en/\(channel.rawValue)/unknown.mustache")
                #expect(line >= 2)
            }
        }
    }

    @Test("A Telegram template that bypasses HTML escaping is refused", arguments: ["{{{reason_text}}}", "{{& reason_text}}"])
    func unescapedTelegram(_ tag: String) throws {
        try withTemplatesCopy { copy in
            try copy.write("Reported: \(tag)\n", to: "en/telegram/unknown.mustache")
            let error = #expect(throws: GuidanceRenderer.Error.self) {
                try GuidanceRenderer(templatesDirectory: copy.directory)
            }
            guard case .unsafeTag(let path, _, _) = error else {
                Issue.record("expected unsafeTag, got \(String(describing: error))")
                return
            }
            #expect(path == "en/telegram/unknown.mustache")
        }
    }

    @Test("A Slack template may use triple mustaches, and they are escaped all the same")
    func tripleMustacheSlack() throws {
        try withTemplatesCopy { copy in
            try copy.write("Reported: {{{reason_text}}} / {{reason_text}}\n", to: "en/slack/unknown.mustache")
            let renderer = try GuidanceRenderer(templatesDirectory: copy.directory)
            let incident = Fixtures.incident(cause: .unknown, reason: .init(text: "<a & \"b\">"))
            let text = try renderer.render(incident, channel: .slack).text
            #expect(text == "Reported: &lt;a &amp; \"b\"&gt; / &lt;a &amp; \"b\"&gt;")
        }
    }

    @Test("A template that includes a partial that does not exist is refused")
    func missingPartial() throws {
        try withTemplatesCopy { copy in
            let edited = try copy.read("en/slack/key_deleted.mustache").replacingOccurrences(of: "{{> _robots}}", with: "{{> _robotz}}")
            try copy.write(edited, to: "en/slack/key_deleted.mustache")
            let error = #expect(throws: GuidanceRenderer.Error.self) {
                try GuidanceRenderer(templatesDirectory: copy.directory)
            }
            #expect(error == .missingPartial(path: "en/slack/key_deleted.mustache", partial: "_robotz"))
        }
    }

    @Test("A per-exchange template takes precedence and may replace the shared one")
    func perExchangeTemplates() throws {
        try withTemplatesCopy { copy in
            try copy.remove("en/telegram/passphrase_wrong.mustache")
            try copy.write("OKX passphrase for {{#robots}}{{name}}{{/robots}}\n", to: "en/telegram/passphrase_wrong.okx.mustache")
            // Without a Binance file the cause has no template for Binance.
            let error = #expect(throws: GuidanceRenderer.Error.self) {
                try GuidanceRenderer(templatesDirectory: copy.directory)
            }
            #expect(error?.description.contains("en/telegram/passphrase_wrong.mustache") == true)

            try copy.write("Binance: {{cause}}\n", to: "en/telegram/passphrase_wrong.binance.mustache")
            let renderer = try GuidanceRenderer(templatesDirectory: copy.directory)
            let okx = try renderer.render(Fixtures.incident(cause: .passphraseWrong, exchange: "okx"), channel: .telegram)
            #expect(okx.text == "OKX passphrase for BTC/USDT GridETH Spot DCA")
            let binance = try renderer.render(Fixtures.incident(cause: .passphraseWrong), channel: .telegram)
            #expect(binance.text == "Binance: passphrase_wrong")
        }
    }

    @Test("Another locale is used where it has templates; English covers the rest")
    func otherLocale() throws {
        try withTemplatesCopy { copy in
            try FileManager.default.createDirectory(at: copy.url("pt"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: copy.url("en/telegram"), to: copy.url("pt/telegram"))
            try copy.write("PT {{exchange_name}}\n", to: "pt/telegram/key_deleted.mustache")
            let renderer = try GuidanceRenderer(templatesDirectory: copy.directory)

            let telegram = try renderer.render(Fixtures.incident(cause: .keyDeleted), channel: .telegram, locale: "pt-BR")
            #expect(telegram.locale == "pt")
            #expect(telegram.text == "PT Binance")
            let slack = try renderer.render(Fixtures.incident(cause: .keyDeleted), channel: .slack, locale: "pt-BR")
            #expect(slack.locale == "en")
        }
    }

    @Test("An incomplete locale channel directory is refused by file name")
    func incompleteLocale() throws {
        try withTemplatesCopy { copy in
            try copy.write("PT\n", to: "pt/slack/key_deleted.mustache")
            let error = #expect(throws: GuidanceRenderer.Error.self) {
                try GuidanceRenderer(templatesDirectory: copy.directory)
            }
            #expect(error?.description.contains("pt/slack/key_expired.mustache") == true)
        }
    }
}
