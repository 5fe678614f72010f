import ArgumentParser
import Foundation
import RebindApp
import RebindCore
import RebindRendering

struct Preview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the cause and the guidance message an event would produce, for each channel."
    )

    @Argument(help: "A JSON file holding one event (see examples/).")
    var file: String

    @Option(help: "The language to preview in (a BCP 47 tag such as zh-Hans or zh-CN); default: the event's user.locale.")
    var locale: String?

    func run() async throws {
        let configuration = try loadConfiguration()
        let renderer = try GuidanceRenderer.load(configuration: configuration)
        let body: Data
        do {
            body = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ValidationError("Cannot read \(file): \(error.localizedDescription)")
        }
        let event: RobotEvent
        do {
            event = try EventDecoder(knownExchanges: renderer.catalogue.exchangeIDs).decode(body)
        } catch {
            throw ValidationError("\(file): \(error.description)")
        }
        if let locale, !LocaleMatcher.isLanguageTag(locale) {
            throw ValidationError("--locale \(locale) is not a language tag (such as en, zh-Hans or zh-CN)")
        }
        let preview = try GuidancePreview(event: event, renderer: renderer, locale: locale, defaultLocale: configuration.defaultLocale)
        print(preview.text)
    }
}
