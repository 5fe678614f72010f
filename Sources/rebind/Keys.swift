import ArgumentParser
import Foundation
import RebindApp
import RebindCore
import RebindCrypto
import RebindPostgres
import RebindSQLite

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The master key that encrypts stored secrets.",
        subcommands: [Rotate.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every stored secret under a new master key.",
            discussion: """
                Reads the new key (base64, 32 bytes) from standard input, never from a flag. The current key \
                is REBIND_MASTER_KEY (or the generated key file). Stop the service first; afterwards set \
                REBIND_MASTER_KEY to the new key (or replace the key file's content) and start it again.
                """
        )

        func run() async throws {
            let configuration = try loadConfiguration()
            let current: Secret
            if let key = configuration.masterKey {
                current = key
            } else if let file = configuration.masterKeyFile, FileManager.default.fileExists(atPath: file) {
                current = try MasterKeyFile.loadOrCreate(path: file).key
            } else {
                throw ValidationError("REBIND_MASTER_KEY is not set and no generated key file exists: nothing is encrypted yet")
            }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("Send the new key (openssl rand -base64 32) on standard input")
            }
            let oldKey = try SecretEnvelope.Key(base64: current, variable: "REBIND_MASTER_KEY")
            let newKey = try SecretEnvelope.Key(base64: Secret(line), variable: "the new key on standard input")
            let envelope = SecretEnvelope(current: newKey, previous: [oldKey])
            let reseal: @Sendable (SealedData, SealContext) throws -> SealedData = { sealed, context in
                try envelope.reseal(sealed, as: context)
            }
            let count: Int
            switch configuration.database {
            case .sqlite(let path):
                count = try await SQLiteStore(configuration: .init(path: path, serves: false)).rotateSecrets(reseal)
            case .postgres(let url):
                // One transaction: every replica sees all secrets under the old key or all under the new.
                count = try await PostgresStore.withStore(configuration: try PostgresStore.Configuration(url: url.value)) {
                    try await $0.rotateSecrets(reseal)
                }
            }
            print("Re-encrypted \(count) stored secrets under key \(newKey.id).")
            print("Now set REBIND_MASTER_KEY to the new key (or write it to \(configuration.masterKeyFile ?? "the key file")) and restart.")
        }
    }
}
