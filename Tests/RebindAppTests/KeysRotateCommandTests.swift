import Foundation
import RebindCore
import RebindCrypto
import RebindSQLite
import Testing

@Suite("rebind keys rotate", .enabled(if: FileManager.default.isExecutableFile(atPath: RebindCommand.executable.path)))
struct KeysRotateCommandTests {
    @Test("Every stored secret is re-encrypted under the new key read from standard input")
    func rotate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-rotate-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("rebind.sqlite").path
        let oldText = Data(repeating: 1, count: 32).base64EncodedString()
        let newText = Data(repeating: 2, count: 32).base64EncodedString()
        let oldKey = try SecretEnvelope.Key(base64: Secret(oldText), variable: "old")
        let newKey = try SecretEnvelope.Key(base64: Secret(newText), variable: "new")

        let store = try SQLiteStore(configuration: .init(path: path))
        let sealed = try SecretEnvelope(current: oldKey).seal(Secret(#"{"api_secret":"s3cr3t"}"#), as: .binding(accountID: "acc_42"))
        try await store.saveCredentials(
            accountID: "acc_42",
            userID: "u_1",
            exchange: "binance",
            keyHint: "h8Ax",
            sealed: sealed,
            verdict: KeyVerdict(cause: nil, canTrade: true),
            now: Date()
        )

        let result = try await RebindCommand.run(
            ["keys", "rotate"],
            environment: ["REBIND_DATABASE_URL": "sqlite://\(path)", "REBIND_MASTER_KEY": oldText],
            input: newText + "\n"
        )
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("Re-encrypted 1 stored secrets"))
        #expect(!result.output.contains(newText) && !result.errors.contains(newText))

        let stored = try #require(try await store.sealedCredentials().first?.sealed)
        #expect(stored.keyID == newKey.id)
        let opened = try SecretEnvelope(current: newKey).open(stored, as: .binding(accountID: "acc_42"), Secret.self)
        #expect(opened.value.contains("s3cr3t"))
    }

    @Test("A malformed new key changes nothing")
    func malformed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-rotate-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("rebind.sqlite").path
        _ = try SQLiteStore(configuration: .init(path: path))
        let result = try await RebindCommand.run(
            ["keys", "rotate"],
            environment: ["REBIND_DATABASE_URL": "sqlite://\(path)", "REBIND_MASTER_KEY": Data(repeating: 1, count: 32).base64EncodedString()],
            input: "not-a-key\n"
        )
        #expect(result.status != 0)
        #expect(result.errors.contains("32 bytes"))
    }
}
