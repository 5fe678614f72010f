import Foundation
import Mustache

/// The page of `rebind demo` (DESIGN §12), from the templates' `demo/` folder: its HTML (a
/// Mustache template), script and stylesheet, and the title of each example's button.
public struct DemoPages: Sendable {
    public static let folder = "demo"

    public struct Scenario: Sendable, Equatable, Decodable {
        public var file: String
        public var title: String
    }

    let library: MustacheLibrary
    public let script: Data
    public let stylesheet: Data
    /// Buttons in this order; examples not listed get their file name.
    public let scenarios: [Scenario]

    init(source: TemplateFiles) throws(GuidanceRenderer.Error) {
        let path = "\(Self.folder)/demo.mustache"
        var library = MustacheLibrary()
        do {
            library.register(try MustacheTemplate(string: try source.text(at: path)), named: "demo")
        } catch let error as GuidanceRenderer.Error {
            throw error
        } catch {
            throw .invalidTemplate(path: path, line: 0, column: 0, reason: "\(error)")
        }
        self.library = library
        script = Data(try source.text(at: "\(Self.folder)/demo.js").utf8)
        stylesheet = Data(try source.text(at: "\(Self.folder)/demo.css").utf8)
        struct Listing: Decodable { var scenarios: [Scenario] }
        let listing = "\(Self.folder)/scenarios.json"
        do {
            scenarios = try JSONDecoder().decode(Listing.self, from: Data(try source.text(at: listing).utf8)).scenarios
        } catch let error as GuidanceRenderer.Error {
            throw error
        } catch {
            throw .unreadableFile(path: listing, reason: "\(error)")
        }
    }

    public func page(_ data: [String: Any]) -> String {
        library.render(data, withTemplate: "demo") ?? ""
    }
}
