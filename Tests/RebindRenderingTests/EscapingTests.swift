import Foundation
import RebindCore
import RebindRendering
import Testing

@Suite("Escaping of robot names and reported reasons")
struct EscapingTests {
    static let hostile = "<b>&\"x\"</b>"
    let renderer: GuidanceRenderer

    init() throws {
        renderer = try Fixtures.renderer()
    }

    func hostileIncident(_ cause: Cause) -> IncidentFixture {
        Fixtures.incident(
            cause: cause,
            robots: [
                .init(id: "rb_1", name: Self.hostile, state: .paused),
                .init(id: "rb_2", name: "Tom's <!channel> grid", state: .stopped),
            ],
            reason: .init(text: "Pause: <i>odd</i> & \"quoted\"", code: "<1>", message: "a > b & c < d")
        )
    }

    @Test("Telegram gets hostile names and reasons HTML-escaped, never raw", arguments: Cause.allCases)
    func telegram(_ cause: Cause) throws {
        for kind in MessageKind.allCases {
            let text = try renderer.render(hostileIncident(cause), channel: .telegram, kind: kind).text
            #expect(text.contains("&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt; — paused"))
            #expect(text.contains("Tom&#39;s &lt;!channel&gt; grid"))
            #expect(text.contains("Pause: &lt;i&gt;odd&lt;/i&gt; &amp; &quot;quoted&quot;"))
            #expect(!text.contains(Self.hostile))
            #expect(!text.contains("<i>odd"))
            #expect(MarkupCheck.telegramHTML(text) == [])
        }
    }

    @Test("Slack gets &, < and > escaped and quotes left readable", arguments: Cause.allCases)
    func slack(_ cause: Cause) throws {
        for kind in MessageKind.allCases {
            let text = try renderer.render(hostileIncident(cause), channel: .slack, kind: kind).text
            #expect(text.contains("&lt;b&gt;&amp;\"x\"&lt;/b&gt; — paused"))
            #expect(text.contains("Tom's &lt;!channel&gt; grid"))
            #expect(text.contains("Pause: &lt;i&gt;odd&lt;/i&gt; &amp; \"quoted\""))
            #expect(!text.contains(Self.hostile))
            #expect(!text.contains("<!channel>"))
            #expect(!text.contains("&quot;"))
            #expect(!text.contains("&#39;"))
            #expect(MarkupCheck.slackMrkdwn(text) == [])
        }
    }

    @Test("The exchange's code and message are escaped like the rest")
    func reportedDetails() throws {
        let telegram = try renderer.render(hostileIncident(.unknown), channel: .telegram).text
        #expect(telegram.contains("<code>&lt;1&gt;</code> a &gt; b &amp; c &lt; d"))
        let slack = try renderer.render(hostileIncident(.unknown), channel: .slack).text
        #expect(slack.contains("`&lt;1&gt;` a &gt; b &amp; c &lt; d"))
    }

    @Test("A platform name and help URL with markup characters are escaped for each channel")
    func catalogueValues() throws {
        let custom = renderer.with(helpURL: "https://help.example.com/a?b=1&c=|2", platformName: "A&B <Bots>")
        let telegram = try custom.render(Fixtures.incident(cause: .keyDeleted), channel: .telegram).text
        #expect(telegram.contains("<a href=\"https://help.example.com/a?b=1&amp;c=|2\">A&amp;B &lt;Bots&gt; help"))
        #expect(MarkupCheck.telegramHTML(telegram) == [])
        let slack = try custom.render(Fixtures.incident(cause: .keyDeleted), channel: .slack).text
        #expect(slack.contains("<https://help.example.com/a?b=1&amp;c=%7C2|A&amp;B &lt;Bots&gt; help"))
        #expect(MarkupCheck.slackMrkdwn(slack) == [])
    }

    @Test("A newline in a robot name cannot break the message's layout")
    func controlCharacters() throws {
        let incident = Fixtures.incident(
            cause: .keyDeleted,
            robots: [.init(id: "rb_1", name: "Grid\n• fake line\r\n", state: .paused)]
        )
        let text = try renderer.render(incident, channel: .telegram).text
        #expect(text.contains("• Grid • fake line — paused"))
    }

    @Test("Mrkdwn escaping touches only &, < and >")
    func mrkdwnEscape() {
        #expect(Mrkdwn.escape("<b>&\"x\"</b> 'y' *z* _w_") == "&lt;b&gt;&amp;\"x\"&lt;/b&gt; 'y' *z* _w_")
        #expect(Mrkdwn.escapeURL("https://a.example/?x=1&y=<2>|3 4") == "https://a.example/?x=1&amp;y=%3C2%3E%7C3%204")
    }
}
