import RebindCore
import Testing

@Suite("Credential formats")
struct CredentialFormatTests {
    let binance = CredentialFormat(exchange: "binance")
    let okx = CredentialFormat(exchange: "okx")

    static let binanceKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    static let binanceSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    static let okxKey = "6f2c9a4e-3b1d-4c8e-9a7f-2d5e8b1c4a90"
    static let okxSecret = "22582BD0CFF14C41EDBF1AB98506286D"
    static let privatePEM = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIPyEZtRQzvk4Rt9L7rYx8a3N4FZQh7hmFWh5B4pfQYzb
        -----END PRIVATE KEY-----
        """

    @Test(
        "What a paste brings along is cleaned away",
        arguments: [
            "  \(binanceKey)\n", "\u{FEFF}\(binanceKey)", "\u{200B}\(binanceKey)\u{200B}", "\u{00A0}\(binanceKey)\u{00A0}",
            "\t\(binanceKey)\r\n", "vmPUZE6mv9SD5VNHk4Hl\u{200B}WFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zv\nsw0MuIgwCIPy6utIco14y7Ju91duEh8A", "\u{2060}\u{00AD}\(binanceKey)\u{200E}",
        ]
    )
    func cleaning(_ pasted: String) throws {
        #expect(try binance.apiKey(pasted) == Self.binanceKey)
    }

    @Test("A Binance key and secret are 64 letters and digits")
    func binanceRules() throws {
        #expect(try binance.apiKey(Self.binanceKey) == Self.binanceKey)
        #expect(try binance.apiSecret(Self.binanceSecret, apiKey: Self.binanceKey).value == Self.binanceSecret)
        #expect(throws: CredentialFormat.Error.wrongLength(.apiKey, rule: .binance, actual: 63)) {
            try binance.apiKey(String(Self.binanceKey.dropLast()))
        }
        let short = #expect(throws: CredentialFormat.Error.self) { try binance.apiSecret(String(Self.binanceSecret.prefix(40))) }
        #expect(short?.description == "A Binance secret key is 64 letters and digits; this has 40 characters.")
        let dashed = #expect(throws: CredentialFormat.Error.self) { try binance.apiKey(String(Self.binanceKey.dropLast()) + "-") }
        #expect(dashed?.description == "A Binance API key is 64 letters and digits; this has other characters too. Copy it again from the exchange.")
    }

    @Test("A key and secret pasted together are two values, not a wrapped one")
    func severalValues() {
        #expect(throws: CredentialFormat.Error.severalValues(.apiKey)) { try binance.apiKey("\(Self.binanceKey) \(Self.binanceSecret)") }
        #expect(throws: CredentialFormat.Error.severalValues(.apiKey)) { try okx.apiKey("\(Self.okxKey)\n\(Self.okxSecret)") }
    }

    @Test("The key pasted again as the secret is named as such")
    func secretRepeatsKey() {
        let error = #expect(throws: CredentialFormat.Error.repeatsKey(.apiSecret)) { try binance.apiSecret(Self.binanceKey, apiKey: Self.binanceKey) }
        #expect(error?.description == "This is the API key again: send the secret key.")
    }

    @Test("A PEM key is named, private or public, with what Rebind takes instead")
    func pem() {
        let secret = #expect(throws: CredentialFormat.Error.pemKey(.apiSecret, isPrivate: true)) { try binance.apiSecret(Self.privatePEM) }
        #expect(secret?.description.hasPrefix("This is a private key PEM; Rebind takes HMAC keys") == true)
        let publicPEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----"
        #expect(throws: CredentialFormat.Error.pemKey(.apiKey, isPrivate: false)) { try binance.apiKey(publicPEM) }
        #expect(throws: CredentialFormat.Error.pemKey(.apiSecret, isPrivate: true)) {
            try binance.apiSecret("MC4CAQAwBQYDK2VwBCIEIPyEZtRQzvk4Rt9L7rYx8a3N4FZQh7hmFWh5B4pfQYzb")
        }
        #expect(throws: CredentialFormat.Error.pemKey(.apiSecret, isPrivate: true)) { try okx.apiSecret(Self.privatePEM) }
    }

    @Test("Nothing pasted is named as nothing", arguments: ["", "   ", "\u{200B}\u{FEFF}", "\n\n"])
    func empty(_ pasted: String) {
        #expect(throws: CredentialFormat.Error.empty(.apiKey)) { try binance.apiKey(pasted) }
        #expect(throws: CredentialFormat.Error.empty(.apiSecret)) { try okx.apiSecret(pasted) }
        #expect(throws: CredentialFormat.Error.empty(.passphrase)) { try okx.passphrase(pasted) }
    }

    @Test("An OKX key is held to no pattern", arguments: [okxKey, "ABCdef123", "key_with.dots-and-dashes", "0123456789abcdef0123456789abcdef"])
    func okxKeys(_ key: String) throws {
        #expect(try okx.apiKey(" \(key) ") == key)
    }

    @Test("An OKX secret pasted as the key is named as the secret")
    func okxSecretAsKey() {
        let error = #expect(throws: CredentialFormat.Error.looksLikeSecret) { try okx.apiKey(Self.okxSecret) }
        #expect(error?.description == "This looks like the secret, not the key: send the API key first.")
    }

    @Test("An OKX secret is 32 characters of 0–9 and A–F")
    func okxSecrets() throws {
        #expect(try okx.apiSecret(Self.okxSecret, apiKey: Self.okxKey).value == Self.okxSecret)
        #expect(throws: CredentialFormat.Error.lowercaseSecret) { try okx.apiSecret(Self.okxSecret.lowercased()) }
        #expect(throws: CredentialFormat.Error.looksLikeKey(.apiSecret)) { try okx.apiSecret(Self.okxKey) }
        let short = #expect(throws: CredentialFormat.Error.self) { try okx.apiSecret(String(Self.okxSecret.dropLast())) }
        #expect(short?.description == "An OKX secret key is 32 characters of 0–9 and A–F; this has 31 characters.")
        #expect(throws: CredentialFormat.Error.invalidCharacters(.apiSecret, rule: .okxSecret)) {
            try okx.apiSecret("G2582BD0CFF14C41EDBF1AB98506286D")
        }
    }

    @Test("An OKX passphrase is 8–32 characters", arguments: [7, 33])
    func okxPassphraseLength(_ length: Int) {
        let error = #expect(throws: CredentialFormat.Error.passphraseLength(actual: length)) {
            try okx.passphrase(String(repeating: "a", count: length))
        }
        #expect(error?.description == "An OKX passphrase is 8–32 characters; this has \(length).")
    }

    @Test("A passphrase keeps its inner spaces and loses what surrounds it")
    func okxPassphraseCleaning() throws {
        #expect(try okx.passphrase("\u{00A0}My pass 2026!\u{200B}\n").value == "My pass 2026!")
        #expect(try okx.passphrase(String(repeating: "p", count: 8)).value.count == 8)
        #expect(try okx.passphrase(String(repeating: "p", count: 32)).value.count == 32)
    }

    @Test("The key or secret pasted as the passphrase is named as such")
    func okxPassphraseRepeats() {
        #expect(throws: CredentialFormat.Error.repeatsSecret) {
            try okx.passphrase(Self.okxSecret, apiKey: Self.okxKey, apiSecret: Secret(Self.okxSecret))
        }
        #expect(throws: CredentialFormat.Error.repeatsKey(.passphrase)) { try okx.passphrase("Passphrase-1", apiKey: "Passphrase-1") }
        #expect(throws: CredentialFormat.Error.looksLikeKey(.passphrase)) { try okx.passphrase(Self.okxKey) }
    }

    @Test("All three at once: OKX needs the passphrase, Binance ignores one")
    func credentials() throws {
        let okxCredentials = try okx.credentials(apiKey: Self.okxKey, apiSecret: Self.okxSecret, passphrase: " Passphrase-1 ")
        #expect(okxCredentials == ExchangeCredentials(apiKey: Self.okxKey, apiSecret: Secret(Self.okxSecret), passphrase: Secret("Passphrase-1")))
        #expect(throws: CredentialFormat.Error.empty(.passphrase)) {
            try okx.credentials(apiKey: Self.okxKey, apiSecret: Self.okxSecret, passphrase: nil)
        }
        let binanceCredentials = try binance.credentials(apiKey: Self.binanceKey, apiSecret: Self.binanceSecret, passphrase: "ignored")
        #expect(binanceCredentials.passphrase == nil)
        #expect(binance.needsPassphrase == false)
        #expect(okx.needsPassphrase)
    }

    @Test("No error ever quotes the secret or passphrase it refuses")
    func errorsNeverQuoteSecrets() {
        let secrets = [
            String(Self.binanceSecret.dropLast()), Self.binanceSecret + "x", String(Self.binanceSecret.dropLast()) + "!",
            Self.okxSecret.lowercased(), String(Self.okxSecret.dropLast()), "SECRET-WITH-DASHES-0000000000000",
            "\(Self.binanceSecret) \(Self.binanceKey)", Self.privatePEM,
        ]
        for secret in secrets {
            for format in [binance, okx] {
                do {
                    _ = try format.apiSecret(secret)
                } catch {
                    #expect(!error.description.contains(secret))
                    #expect(!error.description.contains(String(secret.prefix(8))))
                }
            }
        }
        for passphrase in ["short", String(repeating: "Long-Passphrase-", count: 3)] {
            do {
                _ = try okx.passphrase(passphrase)
            } catch {
                #expect(!error.description.contains(passphrase))
            }
        }
    }

    @Test("Every error names the field a chat should ask for again")
    func errorFields() {
        #expect(CredentialFormat.Error.looksLikeSecret.field == .apiKey)
        #expect(CredentialFormat.Error.lowercaseSecret.field == .apiSecret)
        #expect(CredentialFormat.Error.passphraseLength(actual: 3).field == .passphrase)
        #expect(CredentialFormat.Error.repeatsSecret.field == .passphrase)
        #expect(CredentialFormat.Error.empty(.apiSecret).field == .apiSecret)
    }

    @Test("Another exchange gets the checks every key passes")
    func otherExchange() throws {
        let other = CredentialFormat(exchange: "kraken")
        #expect(try other.apiKey(" abc-DEF_123 ") == "abc-DEF_123")
        #expect(throws: CredentialFormat.Error.invalidCharacters(.apiKey, rule: .printable)) {
            try other.apiKey("clé")
        }
        #expect(try other.apiSecret("s3cr3t/+=").value == "s3cr3t/+=")
    }
}
