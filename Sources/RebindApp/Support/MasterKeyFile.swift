import Foundation
import RebindCore

#if canImport(Glibc)
import Glibc
#endif

/// The key-encryption key kept beside the SQLite database when `REBIND_MASTER_KEY` is not
/// set: created once with mode 0600, read on every later start.
public enum MasterKeyFile {
    public enum Error: Swift.Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case malformed(path: String)
        case tooOpen(path: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "Cannot read or create the master key file \(path): \(reason)"
            case .malformed(let path): "The master key file \(path) does not hold a base64 32-byte key"
            case .tooOpen(let path): "The master key file \(path) is readable by others; chmod 600 it"
            }
        }
    }

    /// Returns the key and whether it was created just now.
    public static func loadOrCreate(path: String) throws(Error) -> (key: Secret, created: Bool) {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let text: String
            let permissions: Int
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
                permissions = (try manager.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0o600
            } catch {
                throw .unreadable(path: path, reason: String(describing: error))
            }
            guard permissions & 0o077 == 0 else { throw .tooOpen(path: path) }
            let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = Data(base64Encoded: key), bytes.count == 32 else { throw .malformed(path: path) }
            return (Secret(key), false)
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let key = Data(bytes).base64EncodedString()
        // Written whole to a file of its own, mode 0600 from the start (never the umask's mode,
        // even for a moment), then linked into place only if no file is there: link(2) is
        // atomic and never replaces, so a replica starting at the same moment sees either no
        // file or a complete one, and a replica or person that created it meanwhile wins.
        let scratch = path + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let descriptor = open(scratch, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { unlink(scratch) }
        let line = Array((key + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = written == line.count && fsync(descriptor) == 0
        let writeError = errno
        close(descriptor)
        guard synced else {
            throw .unreadable(path: path, reason: "the key could not be written: \(String(cString: strerror(writeError)))")
        }
        guard link(scratch, path) == 0 else {
            let code = errno
            if code == EEXIST { return try loadOrCreate(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(code)))
        }
        return (Secret(key), true)
    }
}
