import Foundation

/// Reads `.env` files: `KEY=value` lines, `#` comments, optional `export `, and values in
/// single or double quotes.
public enum DotEnv {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var path: String
        public var line: Int

        public var description: String { "\(path):\(line): expected KEY=value" }
    }

    public static func parse(_ text: String, path: String = ".env") throws(Error) -> [String: String] {
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else { throw Error(path: path, line: index + 1) }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw Error(path: path, line: index + 1)
            }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
                if first == "\"" { value = value.replacingOccurrences(of: "\\n", with: "\n") }
            } else if let comment = value.range(of: " #") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            values[key] = value
        }
        return values
    }

    /// The process environment over the `.env` file's values: a variable set in the
    /// environment wins.
    public static func merged(environment: [String: String], file path: String = ".env") throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: path) else { return environment }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try parse(text, path: path).merging(environment) { _, fromEnvironment in fromEnvironment }
    }
}
