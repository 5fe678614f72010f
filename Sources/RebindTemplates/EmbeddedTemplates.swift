import Foundation

/// The top-level `templates/` folder as it was when the executable was built (the catalogue,
/// every locale's templates and the web pages), compiled in by the EmbedTemplates plugin so an
/// installed binary needs no folder beside it.
public enum EmbeddedTemplates {
    /// Path relative to the templates folder ("en/telegram/key_deleted.mustache") → contents.
    public static let files: [String: Data] = {
        var files: [String: Data] = [:]
        for (path, base64) in encoded {
            // The generator wrote these with `base64EncodedString()`; they always decode.
            files[path] = Data(base64Encoded: base64) ?? Data()
        }
        return files
    }()

    /// The example events of the repository's `examples/` (file name → JSON), for `rebind demo`.
    public static let examples: [String: Data] = {
        var files: [String: Data] = [:]
        for (path, base64) in encodedExamples where path.hasSuffix(".json") {
            files[path] = Data(base64Encoded: base64) ?? Data()
        }
        return files
    }()
}
