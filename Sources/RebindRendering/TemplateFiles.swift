import Foundation
import RebindTemplates

/// A templates folder as a set of files: the built-in one compiled into the executable, one
/// read from disk, or the built-in one with an operator's folder laid over it file by file.
/// The renderer reads only through this, so every source behaves the same.
public struct TemplateFiles: Sendable, Equatable {
    /// Path relative to the templates folder, with "/" between components → contents.
    public private(set) var files: [String: Data]
    /// Where the files came from, as error messages name it ("built-in templates", a path).
    public var origin: String

    public init(files: [String: Data], origin: String) {
        self.files = files
        self.origin = origin
    }

    /// The templates and catalogue compiled into this executable from the repository's
    /// `templates/`.
    public static var builtIn: TemplateFiles {
        TemplateFiles(files: EmbeddedTemplates.files, origin: "the built-in templates")
    }

    /// Every file below `directory` (hidden ones left out). A directory that is not there is an
    /// error naming it: an operator who set a folder means it to be read.
    public static func read(directory: URL) throws(GuidanceRenderer.Error) -> TemplateFiles {
        let manager = FileManager()
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .unreadableFile(path: directory.path, reason: "there is no such directory")
        }
        let root = directory.standardizedFileURL.resolvingSymlinksInPath()
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        var files: [String: Data] = [:]
        let walker = manager.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        while let url = walker?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.resolvingSymlinksInPath().path
            guard path.hasPrefix(prefix) else { continue }
            let relative = String(path.dropFirst(prefix.count))
            do {
                files[relative] = try Data(contentsOf: url)
            } catch {
                throw .unreadableFile(path: relative, reason: error.localizedDescription)
            }
        }
        return TemplateFiles(files: files, origin: directory.path)
    }

    /// These files with `overrides`' files in place of the ones of the same path, and its new
    /// files added.
    public func overlaid(with overrides: TemplateFiles) -> TemplateFiles {
        TemplateFiles(
            files: files.merging(overrides.files) { _, override in override },
            origin: "\(overrides.origin) over \(origin)"
        )
    }

    /// Writes every file below `directory`, creating folders as needed. Existing files of the
    /// same path are replaced; nothing else in the directory is touched. Returns the paths written.
    @discardableResult
    public func export(to directory: URL) throws -> [String] {
        let manager = FileManager()
        for path in files.keys.sorted() {
            guard let data = files[path] else { continue }
            let file = directory.appendingPathComponent(path)
            try manager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: file, options: .atomic)
        }
        return files.keys.sorted()
    }

    // MARK: Reading, for the loaders

    func data(at path: String) -> Data? { files[path] }

    /// The names of the folders directly inside `folder` ("" for the top).
    func subfolders(of folder: String) -> [String] {
        let prefix = folder.isEmpty ? "" : folder + "/"
        var names = Set<String>()
        for path in files.keys where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            if let slash = rest.firstIndex(of: "/") { names.insert(String(rest[..<slash])) }
        }
        return names.sorted()
    }

    /// The names of the files directly inside `folder`.
    func fileNames(in folder: String) -> [String] {
        let prefix = folder.isEmpty ? "" : folder + "/"
        return files.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
            .map { String($0.dropFirst(prefix.count)) }
            .sorted()
    }

    func isFolder(_ folder: String) -> Bool {
        let prefix = folder + "/"
        return files.keys.contains { $0.hasPrefix(prefix) }
    }

    /// A file as text: UTF-8, CRLF line ends made LF.
    func text(at path: String) throws(GuidanceRenderer.Error) -> String {
        guard let data = files[path] else { throw .missingFile(path: path, directory: origin) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadableFile(path: path, reason: "it is not UTF-8 text")
        }
        return text.replacingOccurrences(of: "\r\n", with: "\n")
    }
}
