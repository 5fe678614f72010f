import Testing

/// The markup checks the other tests rely on must themselves catch broken markup.
@Suite("Markup checks used by the tests")
struct MarkupCheckTests {
    @Test("The Telegram check accepts valid HTML and catches broken entities, stray brackets and bad tags")
    func telegram() {
        #expect(MarkupCheck.telegramHTML("<b>a</b> &lt;x&gt; &amp; &quot; &#39; <a href=\"https://x.example/?a=1&amp;b=2\">l</a>") == [])
        #expect(!MarkupCheck.telegramHTML("a &amp b").isEmpty)
        #expect(!MarkupCheck.telegramHTML("a &am").isEmpty)
        #expect(!MarkupCheck.telegramHTML("a &nbsp; b").isEmpty)
        #expect(!MarkupCheck.telegramHTML("<b>open").isEmpty)
        #expect(!MarkupCheck.telegramHTML("a > b").isEmpty)
        #expect(!MarkupCheck.telegramHTML("a < b").isEmpty)
        #expect(!MarkupCheck.telegramHTML("<script>x</script>").isEmpty)
        #expect(!MarkupCheck.telegramHTML("<b><i>x</b></i>").isEmpty)
    }

    @Test("The Slack check accepts links and its three entities and catches anything else")
    func slack() {
        #expect(MarkupCheck.slackMrkdwn("*a* &lt;x&gt; &amp; \"q\" <https://x.example/?a=1&amp;b=2|label>") == [])
        #expect(!MarkupCheck.slackMrkdwn("a &quot; b").isEmpty)
        #expect(!MarkupCheck.slackMrkdwn("a &am").isEmpty)
        #expect(!MarkupCheck.slackMrkdwn("<!channel>").isEmpty)
        #expect(!MarkupCheck.slackMrkdwn("a > b").isEmpty)
        #expect(!MarkupCheck.slackMrkdwn("a < b").isEmpty)
    }
}
