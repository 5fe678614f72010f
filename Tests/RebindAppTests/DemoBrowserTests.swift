import Foundation
import Testing

/// `rebind demo` in a real browser: `scripts/demo-browser.py` starts the real executable on two
/// free ports, opens its page in headless Chromium and clicks through a recovery — a scenario
/// button, the guidance in the simulated chat, Update API key, the demo key and secret typed
/// in, "has the new key", and the message turning to resolved when the robots resume.
/// Screenshots go to `.build/demo-screens/`.
///
/// Runs when `REBIND_BROWSER_PYTHON` names a Python with Selenium (`scripts/test.sh` sets it,
/// and `REBIND_BROWSER_TESTS=required`, under which a missing browser fails the run).
@Suite("rebind demo in a browser", .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: RebindCommand.executable.path)))
struct DemoBrowserTests {
    struct Seen: Decodable {
        var banner: String
        var scenarios: [String]
        var guidance: String
        var asks: [String]
        var applied: String
        var resolved: String
        var userMessages: [String]
        var consoleErrors: [String]
        var cspViolations: [String]

        enum CodingKeys: String, CodingKey {
            case banner, scenarios, guidance, asks, applied, resolved
            case userMessages = "user_messages"
            case consoleErrors = "console_errors"
            case cspViolations = "csp_violations"
        }
    }

    @Test("A scenario button, the guidance, Update API key, the demo key and secret, “has the new key”, then resolved")
    func recovery() async throws {
        guard let python = KeyFormBrowserTests.python else {
            if KeyFormBrowserTests.required {
                Issue.record("REBIND_BROWSER_TESTS=required but REBIND_BROWSER_PYTHON is not set (run scripts/test.sh)")
            }
            return
        }
        let root = KeyFormBrowserTests.root
        let finished = try await ChildProcess.run(
            python,
            arguments: [
                root.appendingPathComponent("scripts/demo-browser.py").path, "--rebind", RebindCommand.executable.path,
                "--screens", root.appendingPathComponent(".build/demo-screens").path, "--timeout", "40",
            ],
            environment: ProcessInfo.processInfo.environment,
            directory: root.path,
            input: nil
        )
        let errors = String(decoding: finished.errors, as: UTF8.self)
        try #require(finished.status == 0, "the browser harness failed (\(finished.status)): \(errors)")
        let seen = try JSONDecoder().decode(Seen.self, from: finished.output)
        #expect(seen.banner.hasPrefix("This is a simulation."))
        // One button per example event.
        let examples = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("examples").path).filter {
            $0.hasSuffix(".json")
        }
        #expect(seen.scenarios.count == examples.count)
        #expect(seen.guidance.contains("Your Binance API key no longer works"))
        #expect(seen.asks.contains { $0.contains("Secret Key") })
        #expect(seen.applied.contains("has the new key"))
        #expect(seen.resolved.hasPrefix("✅ Resolved"))
        #expect(seen.resolved.contains("resumed"))
        // The messages that held the key and the secret were deleted from the chat.
        #expect(seen.userMessages.isEmpty, "\(seen.userMessages)")
        #expect(seen.cspViolations.isEmpty)
        #expect(seen.consoleErrors.isEmpty, "\(seen.consoleErrors)")
    }
}
