import ArgumentParser
import RebindApp
import RebindHTTP

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the configuration, the templates, the store and each configured service's reachability.",
        discussion: "Exit status 0 when nothing failed (warnings allowed), 1 otherwise."
    )

    func run() async throws {
        let configuration = try loadConfiguration()
        let checks = await Doctor(configuration: configuration, transport: try CurlTransport()).run()
        for check in checks {
            let mark =
                switch check.outcome {
                case .ok: "ok  "
                case .warning: "warn"
                case .failed: "FAIL"
                }
            print("\(mark)  \(check.name): \(check.detail)")
        }
        if checks.contains(where: { $0.outcome == .failed }) { throw ExitCode(1) }
    }
}
