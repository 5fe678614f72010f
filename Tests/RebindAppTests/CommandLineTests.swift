import Foundation
import Hummingbird
import HummingbirdTesting
import RebindApp
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `rebind` executable, built next to the test bundle.
struct RebindCommand {
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    static var executable: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/rebind")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil, input: String? = nil) async throws -> Result {
        let finished = try await ChildProcess.run(
            executable.path,
            arguments: arguments,
            environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 },
            directory: (directory ?? FileManager.default.temporaryDirectory).path,
            input: input.map { Data($0.utf8) }
        )
        return Result(
            status: finished.status,
            output: String(decoding: finished.output, as: UTF8.self),
            errors: String(decoding: finished.errors, as: UTF8.self)
        )
    }
}

@Suite("Command line", .enabled(if: FileManager.default.isExecutableFile(atPath: RebindCommand.executable.path)))
struct CommandLineTests {
    @Test("events send signs a file's event, posts it and prints the answer; --id repeats are duplicates")
    func eventsSend() async throws {
        let env = try TestEnvironment()
        let file = ExamplesTests.directory.appendingPathComponent("scenario2-permission-paused-binance.json").path
        try await env.application().test(.live) { client in
            let port = try #require(client.port)
            // The service's clock is the test's; the command signs with the real time.
            env.clock.advance(by: Date().timeIntervalSince(env.clock.now))
            let environment = ["REBIND_EVENTS_SECRET": TestEnvironment.secretText]
            let url = "http://127.0.0.1:\(port)/v1/events"
            let first = try await RebindCommand.run(["events", "send", file, "--url", url, "--id", "msg_cli"], environment: environment)
            #expect(first.status == 0, "\(first.errors)")
            #expect(first.output.contains("HTTP 202"))
            #expect(first.output.contains(#""cause":"permission_missing""#))
            #expect(first.output.contains(#""duplicate":false"#))
            let again = try await RebindCommand.run(["events", "send", file, "--url", url, "--id", "msg_cli"], environment: environment)
            #expect(again.output.contains(#""duplicate":true"#))
            let wrongSecret = try await RebindCommand.run(
                ["events", "send", file, "--url", url],
                environment: ["REBIND_EVENTS_SECRET": "whsec_" + Data(repeating: 7, count: 24).base64EncodedString()]
            )
            #expect(wrongSecret.status != 0)
            #expect(wrongSecret.output.contains("HTTP 401"))
        }
        #expect(try await env.store.eventCount() == 1)
    }

    @Test("events send without a secret says which variable is missing")
    func eventsSendWithoutSecret() async throws {
        let result = try await RebindCommand.run(["events", "send", "event.json"])
        #expect(result.status != 0)
        #expect(result.errors.contains("REBIND_EVENTS_SECRET"))
    }

    @Test("preview prints the cause and each channel's message")
    func preview() async throws {
        let file = ExamplesTests.directory.appendingPathComponent("scenario2-expired-stopped-okx.json").path
        let result = try await RebindCommand.run(
            ["preview", file],
            environment: ["REBIND_TEMPLATES_DIR": TestEnvironment.templatesDirectory.path]
        )
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.hasPrefix("cause: key_expired"))
        #expect(result.output.contains("── telegram"))
        #expect(result.output.contains("── slack"))
        #expect(result.output.contains("ETH/USDT DCA"))
        #expect(result.output.contains("locale: en"))
    }

    @Test("preview --locale shows the messages in that language; a tag that is none is refused")
    func previewLocale() async throws {
        let file = ExamplesTests.directory.appendingPathComponent("scenario2-expired-stopped-okx.json").path
        let environment = ["REBIND_TEMPLATES_DIR": TestEnvironment.templatesDirectory.path]
        let chinese = try await RebindCommand.run(["preview", file, "--locale", "zh-CN"], environment: environment)
        #expect(chinese.status == 0, "\(chinese.errors)")
        #expect(chinese.output.contains("locale: zh-Hans"))
        #expect(chinese.output.contains("欧易（OKX）") && chinese.output.contains("ETH/USDT DCA"), "\(chinese.output)")
        let refused = try await RebindCommand.run(["preview", file, "--locale", "not a tag"], environment: environment)
        #expect(refused.status != 0)
        #expect(refused.errors.contains("--locale"))
    }

    @Test("Installed anywhere, rebind uses the templates built into it: preview and doctor run outside the repository")
    func builtInTemplatesOutsideTheRepository() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-anywhere-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let event = directory.appendingPathComponent("event.json")
        try FileManager.default.copyItem(at: ExamplesTests.directory.appendingPathComponent("scenario2-expired-stopped-okx.json"), to: event)
        // No REBIND_TEMPLATES_DIR and no templates/ folder in the working directory.
        let preview = try await RebindCommand.run(["preview", "event.json", "--locale", "zh-CN"], directory: directory)
        #expect(preview.status == 0, "\(preview.errors)")
        #expect(preview.output.contains("欧易（OKX）"))

        // `templates export` writes them out; an edited copy overrides file by file.
        let export = try await RebindCommand.run(["templates", "export", "mine"], directory: directory)
        #expect(export.status == 0, "\(export.errors)")
        #expect(export.output.contains("Wrote"))
        let exported = directory.appendingPathComponent("mine/en/telegram/key_expired.mustache")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("mine/catalogue.json").path))
        let overrides = directory.appendingPathComponent("overrides/en/telegram")
        try FileManager.default.createDirectory(at: overrides, withIntermediateDirectories: true)
        let edited = try String(contentsOf: exported, encoding: .utf8).replacingOccurrences(of: "has expired", with: "ran out")
        try Data(edited.utf8).write(to: overrides.appendingPathComponent("key_expired.mustache"))
        let overridden = try await RebindCommand.run(
            ["preview", "event.json"],
            environment: ["REBIND_TEMPLATES_DIR": "overrides"],
            directory: directory
        )
        #expect(overridden.status == 0, "\(overridden.errors)")
        #expect(overridden.output.contains("API key ran out"), "\(overridden.output)")
        #expect(overridden.output.contains("── slack"))

        let missing = try await RebindCommand.run(["preview", "event.json"], environment: ["REBIND_TEMPLATES_DIR": "nowhere"], directory: directory)
        #expect(missing.status != 0)
        #expect(missing.errors.contains("REBIND_TEMPLATES_DIR") && missing.errors.contains("nowhere"), "\(missing.errors)")
    }

    @Test("rebind demo on a port in use stops at once, naming the variable to change")
    func demoPortInUse() async throws {
        // Hold a port as another program would.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                try #require(bind(holder, socketAddress, length) == 0)
                try #require(listen(holder, 1) == 0)
                try #require(getsockname(holder, socketAddress, &length) == 0)
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let result = try await RebindCommand.run(["demo"], environment: ["REBIND_HTTP_PORT": String(port)])
        #expect(result.status != 0)
        #expect(result.errors.contains("Port \(port) on 127.0.0.1 is in use: set REBIND_HTTP_PORT"), "\(result.errors)")
        let bad = try await RebindCommand.run(["demo"], environment: ["REBIND_ADMIN_PORT": "eighty"])
        #expect(bad.status != 0)
        #expect(bad.errors.contains("REBIND_ADMIN_PORT must be a port number"))
    }

    @Test("--version names the release and the commit it was built from")
    func version() async throws {
        let result = try await RebindCommand.run(["--version"])
        #expect(result.status == 0, "\(result.errors)")
        let pattern = /rebind \d+\.\d+\.\d+ \(commit ([0-9a-f]{40}|unknown)\)\n/
        #expect(result.output.wholeMatch(of: pattern) != nil, "\(result.output)")
    }

    @Test("migrate creates the schema in the configured SQLite file")
    func migrate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let result = try await RebindCommand.run(["migrate"], environment: ["REBIND_DATABASE_URL": "sqlite://db/rebind.sqlite"], directory: directory)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("v1_events_incidents"))
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("db/rebind.sqlite").path))
    }

    @Test("serve refuses to start on a missing required secret, naming it")
    func serveMissingSecret() async throws {
        let result = try await RebindCommand.run(["serve"], environment: ["REBIND_PLATFORM_URL": "http://127.0.0.1:9/x"])
        #expect(result.status != 0)
        #expect(result.errors.contains("REBIND_PLATFORM_SECRET is required"))
    }
}
