import Foundation
import RebindApp
import RebindCore
import RebindRendering
import Testing

/// The ready events in examples/ are what a new operator tries first: each must decode and
/// preview with the cause the examples README promises.
@Suite("Examples")
struct ExamplesTests {
    static let examples: [(file: String, cause: Cause?)] = [
        ("scenario1-key-deleted-binance.json", .keyDeleted),
        ("scenario1-key-deleted-okx.json", .keyDeleted),
        ("scenario2-permission-paused-binance.json", .permissionMissing),
        ("scenario2-expired-stopped-okx.json", .keyExpired),
        ("okx-passphrase-wrong.json", .passphraseWrong),
        ("binance-ip-not-allowed.json", .ipNotAllowed),
        ("not-key-related-risk-control.json", .notKeyRelated),
        ("robot-resumed.json", nil),
        ("api-binding-created.json", nil),
    ]

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
    }

    @Test("Every example is listed here")
    func allListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".json") }
        #expect(Set(files) == Set(Self.examples.map(\.file)))
    }

    @Test("Each example previews with its promised cause and a message per channel")
    func preview() throws {
        let renderer = try GuidanceRenderer(templatesDirectory: TestEnvironment.templatesDirectory)
        for (file, cause) in Self.examples {
            let body = try Data(contentsOf: Self.directory.appendingPathComponent(file))
            let event = try EventDecoder(knownExchanges: renderer.catalogue.exchangeIDs).decode(body)
            let preview = try GuidancePreview(event: event, renderer: renderer)
            #expect(preview.cause == cause, "\(file)")
            #expect(preview.messages.count == (cause == nil ? 0 : Channel.allCases.count), "\(file)")
            if let robot = event.robot, cause != nil {
                #expect(preview.messages.allSatisfy { $0.text.contains(robot.name) }, "\(file)")
            }
            #expect(preview.text.hasPrefix("cause: \(cause?.rawValue ?? "none")"))
        }
    }
}
