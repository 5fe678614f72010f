import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines from standard input. At a terminal it prompts on standard error and does not echo
/// what is typed for a secret; from a pipe or file it just reads.
struct SecretInput {
    let isTerminal = isatty(STDIN_FILENO) == 1

    func line(prompt: String, hidden: Bool) -> String? {
        guard isTerminal else { return readLine(strippingNewline: true) }
        StandardStreams.error(prompt, terminator: "")
        guard hidden else { return readLine(strippingNewline: true) }
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return readLine(strippingNewline: true) }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            StandardStreams.error("")
        }
        return readLine(strippingNewline: true)
    }
}
