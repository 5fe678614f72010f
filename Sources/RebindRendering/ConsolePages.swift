import Foundation
import Mustache

/// The operator's console (DESIGN §11): server-rendered pages from the templates' `console/`
/// folder — one Mustache template per page, sharing `_header` and `_footer` partials — and
/// its one stylesheet. Every word on them is in the templates; Swift hands them data.
public struct ConsolePages: Sendable {
    public static let folder = "console"
    /// The pages, by template name.
    public enum Page: String, CaseIterable, Sendable {
        case overview, incidents, incident
        case deadLetters = "dead_letters"
        case bindings, login
    }

    static let partials = ["_header", "_footer"]

    let library: MustacheLibrary
    /// `/console/console.css`, as it is in the templates.
    public let stylesheet: Data

    init(source: TemplateFiles) throws(GuidanceRenderer.Error) {
        var library = MustacheLibrary()
        for name in Page.allCases.map(\.rawValue) + Self.partials {
            let path = "\(Self.folder)/\(name).mustache"
            let text = try source.text(at: path)
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch let error as MustacheTemplate.ParserError {
                throw .invalidTemplate(path: path, line: error.context.lineNumber, column: error.context.columnNumber, reason: "\(error.error)")
            } catch {
                throw .invalidTemplate(path: path, line: 0, column: 0, reason: "\(error)")
            }
        }
        self.library = library
        stylesheet = Data(try source.text(at: "\(Self.folder)/console.css").utf8)
    }

    /// The page's HTML for this data (values HTML-escaped by the templates' `{{name}}` tags).
    public func render(_ page: Page, _ data: [String: Any]) -> String {
        library.render(data, withTemplate: page.rawValue) ?? ""
    }
}
