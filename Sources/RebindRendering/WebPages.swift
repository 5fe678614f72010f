import Foundation
import Mustache

/// The pages Rebind serves itself, from the templates' `web/` folder: the Mini App
/// key form's HTML (a Mustache template whose words are labels, rendered per language), and its
/// script and stylesheet, served as they are. Read and parsed at start-up with the rest of the
/// templates, so a missing file stops start-up with its name.
public struct WebPages: Sendable {
    /// The folder beside the locales' folders; not a locale.
    public static let folder = "web"

    let keyForm: MustacheLibrary
    /// `/v1/keyform/app.js` and `/v1/keyform/app.css`, as they are in the templates.
    public let keyFormScript: Data
    public let keyFormStylesheet: Data

    static let keyFormName = "keyform"

    init(source: TemplateFiles) throws(GuidanceRenderer.Error) {
        func read(_ name: String) throws(GuidanceRenderer.Error) -> String {
            try source.text(at: "\(Self.folder)/\(name)")
        }
        let html = try read("keyform.html")
        var library = MustacheLibrary()
        do {
            library.register(try MustacheTemplate(string: html), named: Self.keyFormName)
        } catch {
            throw .invalidTemplate(path: "\(Self.folder)/keyform.html", line: 0, column: 0, reason: "\(error)")
        }
        keyForm = library
        keyFormScript = Data(try read("keyform.js").utf8)
        keyFormStylesheet = Data(try read("keyform.css").utf8)
    }

    /// The key form's HTML with these words (HTML-escaped by the template's `{{name}}` tags).
    public func keyFormPage(_ words: [String: String]) -> String {
        keyForm.render(words, withTemplate: Self.keyFormName) ?? ""
    }
}
