extension GuidanceRenderer {
    /// Why the templates could not be loaded or a message not rendered. Paths are relative to
    /// the templates directory, as an operator would look for them.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// A file the renderer needs is not there.
        case missingFile(path: String, directory: String)
        case unreadableFile(path: String, reason: String)
        case invalidCatalogue(path: String, reason: String)
        /// Mustache could not parse the template.
        case invalidTemplate(path: String, line: Int, column: Int, reason: String)
        /// A tag that would bypass the channel's escaping or change how it works.
        case unsafeTag(path: String, tag: String, reason: String)
        case missingPartial(path: String, partial: String)
        case unknownExchange(String, known: [String])
        /// Even with every robot folded into "…and K more" the text is over the limit: the
        /// template itself is too long.
        case messageTooLong(template: String, length: Int, limit: Int)

        public var description: String {
            switch self {
            case .missingFile(let path, let directory):
                "Missing template file \(path) in \(directory)"
            case .unreadableFile(let path, let reason):
                "Cannot read template file \(path): \(reason)"
            case .invalidCatalogue(let path, let reason):
                "Invalid exchange catalogue \(path): \(reason)"
            case .invalidTemplate(let path, let line, let column, let reason):
                "Invalid template \(path) at line \(line), column \(column): \(reason)"
            case .unsafeTag(let path, let tag, let reason):
                "Template \(path) uses \(tag), which is not allowed: \(reason)"
            case .missingPartial(let path, let partial):
                "Template \(path) includes the partial \(partial), but \(partial).mustache is not in its directory"
            case .unknownExchange(let exchange, let known):
                "The exchange catalogue has no exchange \"\(exchange)\"; known: \(known.joined(separator: ", "))"
            case .messageTooLong(let template, let length, let limit):
                "Template \(template) renders \(length) characters even with the robot list folded; the limit is \(limit)"
            }
        }
    }
}
