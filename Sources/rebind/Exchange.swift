import ArgumentParser
import Foundation
import Logging
import RebindApp
import RebindCore
import RebindExchanges
import RebindHTTP

struct Exchange: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with exchange API keys.",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an API key with the exchange and print the verdict as one JSON object.",
            discussion: """
                Reads the API key, the secret key and, for OKX, the passphrase from standard input, one per \
                line (never from arguments, which other users of the machine can see). The exchange is asked at \
                REBIND_BINANCE_API_URL or REBIND_OKX_API_URL.

                Prints {"usable", "cause", "can_trade", "can_withdraw", "ip_restricted", "trading_expires_at", \
                "warnings", "exchange_uid"}; cause is null when usable; exchange_uid is the id of the exchange \
                account the key belongs to (Binance's or OKX's uid), null when the exchange refused the key \
                without describing it.

                Exit status: 0 the key is usable; 1 it is not (cause says why); 2 no verdict: the exchange \
                could not be asked (busy, unreachable, clocks apart; the JSON then has cause "unknown" and the \
                reason is on standard error), or standard input did not hold a well-formed key (the problem is \
                on standard error, nothing on standard output). A usage error exits 64.
                """
        )

        enum ExchangeID: String, ExpressibleByArgument, CaseIterable {
            case binance, okx
        }

        @Argument(help: "The exchange: binance or okx.")
        var exchange: ExchangeID

        @Flag(help: "The key is for a futures robot: require futures trading.")
        var futures = false

        @Option(help: "Seconds each request to the exchange may take.")
        var timeout: Double = 10

        func validate() throws {
            guard timeout.isFinite, timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
        }

        func run() async throws {
            let configuration = try loadConfiguration()
            let credentials: ExchangeCredentials
            do {
                credentials = try readCredentials()
            } catch {
                StandardStreams.error("rebind: \(error)")
                throw ExitCode(2)
            }

            // Standard output carries only the verdict; anything logged goes to standard error.
            var logger = Logger(label: "rebind.exchange", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = configuration.logLevel
            let transport: CurlTransport
            do {
                transport = try CurlTransport(
                    configuration: .init(connectTimeout: min(timeout, 10), timeout: timeout),
                    logger: logger
                )
            } catch {
                StandardStreams.error("rebind: \(error)")
                throw ExitCode(2)
            }
            let verifier: any KeyVerifier =
                switch exchange {
                case .binance:
                    BinanceKeyVerifier(baseURL: configuration.binanceAPIURL, transport: transport, timeout: timeout, logger: logger)
                case .okx:
                    OKXKeyVerifier(baseURL: configuration.okxAPIURL, transport: transport, timeout: timeout, logger: logger)
                }

            let verdict: KeyVerdict
            var answered = true
            do throws(KeyCheckError) {
                verdict = try await verifier.verify(credentials, context: KeyCheckContext(needsFutures: futures))
            } catch {
                StandardStreams.error("rebind: \(error)")
                verdict = error.verdict
                answered = false
            }
            print(try Self.json(verdict))
            if !answered { throw ExitCode(2) }
            if !verdict.usable { throw ExitCode(1) }
        }

        /// The verdict as one line of JSON, its fields in the documented order.
        static func json(_ verdict: KeyVerdict) throws -> String {
            let encoded = try JSONEncoder().encode(verdict)
            guard let object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else {
                return String(decoding: encoded, as: UTF8.self)
            }
            let order = ["usable", "cause", "can_trade", "can_withdraw", "ip_restricted", "trading_expires_at", "warnings", "exchange_uid"]
            let fields = try order.compactMap { key -> String? in
                guard let value = object[key] else { return nil }
                let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])
                return "\"\(key)\":" + String(decoding: data, as: UTF8.self)
            }
            return "{" + fields.joined(separator: ",") + "}"
        }

        /// The key, secret and passphrase lines, cleaned and checked, or what is wrong with them.
        func readCredentials() throws(InputError) -> ExchangeCredentials {
            let format = CredentialFormat(exchange: exchange.rawValue)
            let input = SecretInput()
            func read<Value>(
                line number: Int,
                _ field: CredentialFormat.Field,
                hidden: Bool,
                _ check: (String) throws(CredentialFormat.Error) -> Value
            ) throws(InputError) -> Value {
                let prompt = field.rawValue.prefix(1).uppercased() + field.rawValue.dropFirst() + ": "
                guard let text = input.line(prompt: prompt, hidden: hidden) else {
                    throw .missing(line: number, field: field, needsPassphrase: format.needsPassphrase)
                }
                do {
                    return try check(text)
                } catch {
                    throw .malformed(line: number, error)
                }
            }
            let key = try read(line: 1, .apiKey, hidden: false) { text throws(CredentialFormat.Error) in try format.apiKey(text) }
            let secret = try read(line: 2, .apiSecret, hidden: true) { text throws(CredentialFormat.Error) in
                try format.apiSecret(text, apiKey: key)
            }
            guard format.needsPassphrase else { return ExchangeCredentials(apiKey: key, apiSecret: secret) }
            let passphrase = try read(line: 3, .passphrase, hidden: true) { text throws(CredentialFormat.Error) in
                try format.passphrase(text, apiKey: key, apiSecret: secret)
            }
            return ExchangeCredentials(apiKey: key, apiSecret: secret, passphrase: passphrase)
        }

        enum InputError: Error, CustomStringConvertible {
            case missing(line: Int, field: CredentialFormat.Field, needsPassphrase: Bool)
            case malformed(line: Int, CredentialFormat.Error)

            var description: String {
                switch self {
                case .missing(let line, let field, let needsPassphrase):
                    "standard input ended before line \(line), the \(field.rawValue): give "
                        + (needsPassphrase ? "the API key, the secret key and the passphrase" : "the API key and the secret key")
                        + ", one per line"
                case .malformed(let line, let error):
                    "line \(line), the \(error.field.rawValue): \(error.description)"
                }
            }
        }
    }
}
