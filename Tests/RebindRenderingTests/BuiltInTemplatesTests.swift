import Foundation
import RebindCore
import RebindRendering
import Testing

@Suite("The templates built into the executable")
struct BuiltInTemplatesTests {
    @Test("The built-in templates are exactly the repository's templates/ folder, file for file")
    func builtInIsTheFolder() throws {
        let folder = try TemplateFiles.read(directory: Fixtures.templatesDirectory)
        let builtIn = TemplateFiles.builtIn
        #expect(builtIn.files.keys.sorted() == folder.files.keys.sorted())
        for (path, data) in folder.files {
            #expect(builtIn.files[path] == data, "\(path) differs from the built-in copy")
        }
        #expect(builtIn.files["catalogue.json"] != nil)
        #expect(builtIn.files["web/keyform.html"] != nil)
        // And they load: every cause, every channel, both languages.
        let renderer = try GuidanceRenderer(templates: builtIn)
        #expect(renderer.replies.locales == ["en", "zh-Hans"])
        let text = try renderer.render(Fixtures.incident(cause: .keyExpired), channel: .telegram, locale: "zh-Hans").text
        #expect(!text.isEmpty)
    }

    @Test("A folder laid over the built-in templates replaces them file by file")
    func overlay() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-overlay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let english = try String(decoding: #require(TemplateFiles.builtIn.files["en/telegram/key_expired.mustache"]), as: UTF8.self)
        func write(_ text: String, _ path: String) throws {
            let file = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
        try write("Operator's own words: {{exchange_name}} key expired.\n", "en/telegram/key_expired.mustache")

        let files = TemplateFiles.builtIn.overlaid(with: try TemplateFiles.read(directory: directory))
        let renderer = try GuidanceRenderer(templates: files)
        let telegram = try renderer.render(Fixtures.incident(cause: .keyExpired), channel: .telegram).text
        #expect(telegram.hasPrefix("Operator's own words: Binance key expired."), "\(telegram)")
        #expect(!telegram.contains(english.prefix(20)))
        // Files the folder does not have stay built in.
        let slack = try renderer.render(Fixtures.incident(cause: .keyExpired), channel: .slack).text
        #expect(!slack.contains("Operator's own words"))
        #expect(slack.contains("Binance"))
    }

    @Test("An override folder that does not exist is an error naming it")
    func missingOverride() throws {
        let error = #expect(throws: GuidanceRenderer.Error.self) {
            try TemplateFiles.read(directory: URL(fileURLWithPath: "/nonexistent/rebind-templates"))
        }
        #expect(error?.description.contains("/nonexistent/rebind-templates") == true)
    }

    @Test("Exported templates read back as the built-in ones, and load as an override of themselves")
    func exportRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-export-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = try TemplateFiles.builtIn.export(to: directory)
        #expect(written.count == TemplateFiles.builtIn.files.count)
        let back = try TemplateFiles.read(directory: directory)
        #expect(back.files == TemplateFiles.builtIn.files)
        _ = try GuidanceRenderer(templatesDirectory: directory)
    }
}
