import Foundation

/// Messages for people go to standard error, so standard output carries only results.
enum StandardStreams {
    static func error(_ message: String, terminator: String = "\n") {
        FileHandle.standardError.write(Data((message + terminator).utf8))
    }
}
