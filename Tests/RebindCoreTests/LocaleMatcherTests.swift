import Foundation
import RebindCore
import Testing

@Suite("Languages: matching tags and choosing one")
struct LocaleMatcherTests {
    let matcher = LocaleMatcher(available: ["en", "zh-Hans"], defaultLocale: "en")

    @Test(
        "Simplified Chinese tags go to zh-Hans",
        arguments: ["zh", "zh-CN", "zh-SG", "zh-Hans", "zh-Hans-CN", "zh_CN", "ZH-hans", "zh-hans"]
    )
    func simplified(_ tag: String) {
        #expect(matcher.match(tag) == "zh-Hans")
    }

    @Test(
        "Traditional Chinese goes to zh-Hant when there is one, else the default, never Simplified",
        arguments: ["zh-TW", "zh-HK", "zh-MO", "zh-Hant", "zh-Hant-TW"]
    )
    func traditional(_ tag: String) {
        #expect(matcher.match(tag) == "en")
        #expect(LocaleMatcher(available: ["en", "zh-Hans", "zh-Hant"], defaultLocale: "en").match(tag) == "zh-Hant")
    }

    @Test("Anything else goes to its language if present, else the default")
    func others() {
        #expect(matcher.match("en-GB") == "en")
        #expect(matcher.match("en_US") == "en")
        #expect(matcher.match("fr") == "en")
        #expect(matcher.match("fr-CA") == "en")
        #expect(matcher.match(nil) == "en")
        #expect(matcher.match("") == "en")
        #expect(matcher.match("not a tag!") == "en")
        let withFrench = LocaleMatcher(available: ["en", "fr", "pt-BR"], defaultLocale: "en")
        #expect(withFrench.match("fr-CA") == "fr")
        #expect(withFrench.match("pt-br") == "pt-BR")
        #expect(withFrench.match("pt-PT") == "en")
        // The default is whatever the operator set.
        #expect(LocaleMatcher(available: ["en", "zh-Hans"], defaultLocale: "zh-Hans").match("de") == "zh-Hans")
    }

    @Test("/language accepts the tags Rebind speaks, and only those")
    func supported() {
        #expect(matcher.supported("zh-CN") == "zh-Hans")
        #expect(matcher.supported("en-GB") == "en")
        #expect(matcher.supported("zh-TW") == nil)
        #expect(matcher.supported("fr") == nil)
        #expect(matcher.supported("klingon!") == nil)
        #expect(LocaleMatcher.isLanguageTag("zh-Hans") && !LocaleMatcher.isLanguageTag("x") && !LocaleMatcher.isLanguageTag("en us"))
    }

    @Test("The first known preference wins: /language, the event's locale, Telegram's language_code, Slack's locale, the default")
    func order() {
        #expect(LanguagePreferences(chosen: "en", event: "zh-CN", telegram: "zh-hans", slack: "zh").locale(matcher) == "en")
        #expect(LanguagePreferences(event: "zh-CN", telegram: "en", slack: "en").locale(matcher) == "zh-Hans")
        #expect(LanguagePreferences(telegram: "zh-hans", slack: "en-US").locale(matcher) == "zh-Hans")
        #expect(LanguagePreferences(slack: "zh-CN").locale(matcher) == "zh-Hans")
        #expect(LanguagePreferences().locale(matcher) == "en")
        // A known tag Rebind does not speak is still the user's: it gives the default, not the next one.
        #expect(LanguagePreferences(event: "fr", telegram: "zh-hans").locale(matcher) == "en")
    }

    @Test("A user's chats combine: the latest /language choice anywhere, the latest report per channel")
    func combined() {
        let telegram = ChatAddress(channel: .telegram, id: "1")
        let other = ChatAddress(channel: .telegram, id: "2")
        let slack = ChatAddress.slack(teamID: "T", userID: "U")
        let at = { (seconds: Double) in Date(timeIntervalSince1970: seconds) }
        let preferences = LanguagePreferences(
            event: "en",
            chats: [
                ChatLanguage(chat: telegram, chosen: "en", chosenAt: at(10), reported: "en", reportedAt: at(1)),
                ChatLanguage(chat: other, chosen: "zh-Hans", chosenAt: at(20), reported: "zh-hans", reportedAt: at(5)),
                ChatLanguage(chat: slack, chosen: nil, chosenAt: nil, reported: "en-US", reportedAt: at(30)),
            ]
        )
        #expect(preferences == LanguagePreferences(chosen: "zh-Hans", event: "en", telegram: "zh-hans", slack: "en-US"))
    }
}
