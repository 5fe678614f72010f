import Foundation

/// Checks a pasted API key, secret and passphrase before any network call, shared by the
/// chat flows and the command line. It cleans what a paste brings along (surrounding
/// whitespace, line breaks, zero-width spaces, byte-order marks, no-break spaces), then names
/// the problem precisely, so the user can fix the paste rather than guess. Its errors never
/// quote what was pasted.
///
/// The rules are the exchanges' documented formats: a Binance HMAC key and secret are 64
/// letters and digits; an OKX secret is 32 characters of 0–9 and A–F, its passphrase 8–32
/// characters the user chose. OKX does not document its keys' format, so an OKX key is held
/// to no pattern, only to being one plausible value.
public struct CredentialFormat: Sendable {
    public enum Field: String, Sendable, Equatable, CaseIterable {
        case apiKey = "API key"
        case apiSecret = "secret key"
        case passphrase

        /// "an API key", "a secret key", "a passphrase".
        public var withArticle: String {
            self == .apiKey ? "an \(rawValue)" : "a \(rawValue)"
        }
    }

    /// The exchange's id (`binance`, `okx`); any other gets the checks every key passes.
    public var exchange: String

    public init(exchange: String) {
        self.exchange = exchange
    }

    /// Whether the exchange's keys come with a passphrase (OKX).
    public var needsPassphrase: Bool { exchange == "okx" }

    /// The longest value taken as one key, secret or passphrase; anything longer is a
    /// paragraph pasted by mistake.
    static let maximumLength = 256

    // MARK: Each field

    /// The cleaned API key, or why it isn't one.
    public func apiKey(_ pasted: String) throws(Error) -> String {
        let field = Field.apiKey
        switch exchange {
        case "binance":
            return try value(pasted, field: field, rule: .binance(field))
        case "okx":
            let key = try value(pasted, field: field, rule: nil)
            if Rule.okxSecret.accepts(key) { throw .looksLikeSecret }
            return key
        default:
            return try value(pasted, field: field, rule: nil)
        }
    }

    /// The cleaned secret. With the key already given, a secret that repeats it (or looks
    /// like one) is named as such.
    public func apiSecret(_ pasted: String, apiKey: String? = nil) throws(Error) -> Secret {
        let field = Field.apiSecret
        let secret: String
        switch exchange {
        case "binance":
            secret = try value(pasted, field: field, rule: .binance(field))
        case "okx":
            let cleaned = try value(pasted, field: field, rule: nil, strictCharacters: false)
            if Self.looksLikeOKXKey(cleaned) { throw .looksLikeKey(field) }
            if !Rule.okxSecret.accepts(cleaned), Rule.okxSecret.acceptsIgnoringCase(cleaned) { throw .lowercaseSecret }
            try Rule.okxSecret.check(cleaned, field: field)
            secret = cleaned
        default:
            secret = try value(pasted, field: field, rule: nil)
        }
        if let apiKey, secret == apiKey { throw .repeatsKey(field) }
        return Secret(secret)
    }

    /// The cleaned passphrase. Surrounding whitespace and invisible characters go; spaces
    /// inside are kept, since the user chose it.
    public func passphrase(_ pasted: String, apiKey: String? = nil, apiSecret: Secret? = nil) throws(Error) -> Secret {
        let field = Field.passphrase
        let passphrase = Self.clean(pasted)
        guard !passphrase.isEmpty else { throw .empty(field) }
        if let kind = Self.pemKind(passphrase) { throw .pemKey(field, isPrivate: kind) }
        if let apiKey, passphrase == apiKey { throw .repeatsKey(field) }
        if let apiSecret, passphrase == apiSecret.value { throw .repeatsSecret }
        if exchange == "okx" {
            if Self.looksLikeOKXKey(passphrase) { throw .looksLikeKey(field) }
            guard (8...32).contains(passphrase.count) else { throw .passphraseLength(actual: passphrase.count) }
        } else if passphrase.count > Self.maximumLength {
            throw .tooLong(field, actual: passphrase.count)
        }
        return Secret(passphrase)
    }

    /// All three at once, as the command line reads them. The passphrase is required where
    /// the exchange has one and ignored where it has none.
    public func credentials(
        apiKey pastedKey: String,
        apiSecret pastedSecret: String,
        passphrase pastedPassphrase: String?
    ) throws(Error) -> ExchangeCredentials {
        let key = try apiKey(pastedKey)
        let secret = try apiSecret(pastedSecret, apiKey: key)
        guard needsPassphrase else { return ExchangeCredentials(apiKey: key, apiSecret: secret) }
        guard let pastedPassphrase else { throw .empty(.passphrase) }
        return ExchangeCredentials(apiKey: key, apiSecret: secret, passphrase: try passphrase(pastedPassphrase, apiKey: key, apiSecret: secret))
    }

    // MARK: Cleaning

    /// What was pasted without what a paste brings along: invisible format characters
    /// (zero-width spaces and joiners, byte-order marks, soft hyphens, direction marks) and
    /// control characters go; every kind of whitespace (no-break, ideographic, line breaks)
    /// becomes a plain space; spaces at either end go.
    public static func clean(_ pasted: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in pasted.unicodeScalars {
            if scalar.properties.isWhitespace {
                scalars.append(" ")
            } else if scalar.properties.generalCategory == .format || scalar.properties.generalCategory == .control {
                continue
            } else {
                scalars.append(scalar)
            }
        }
        return String(scalars).trimmingCharacters(in: CharacterSet(charactersIn: " "))
    }

    /// A key or secret: one token with no spaces inside. Spaces inside are a wrapped line
    /// when the parts joined fit the exchange's format, otherwise two values pasted at once.
    private func value(_ pasted: String, field: Field, rule: Rule?, strictCharacters: Bool = true) throws(Error) -> String {
        let cleaned = Self.clean(pasted)
        guard !cleaned.isEmpty else { throw .empty(field) }
        if let kind = Self.pemKind(cleaned) { throw .pemKey(field, isPrivate: kind) }
        let parts = cleaned.split(separator: " ")
        let joined = parts.joined()
        if parts.count > 1 {
            guard let rule, rule.accepts(joined) else { throw .severalValues(field) }
        }
        guard joined.count <= Self.maximumLength else { throw .tooLong(field, actual: joined.count) }
        if let rule {
            try rule.check(joined, field: field)
        } else if strictCharacters, !joined.unicodeScalars.allSatisfy({ (0x21..<0x7F).contains($0.value) }) {
            // Nothing else fits in the HTTP header the key travels in.
            throw .invalidCharacters(field, rule: .printable)
        }
        return joined
    }

    // MARK: Recognising what was pasted instead

    /// Whether the text is a PEM (or a bare base64 Ed25519) key, and whether it is the
    /// private one; nil when it is neither.
    static func pemKind(_ text: String) -> Bool? {
        if text.contains("-----BEGIN") || text.contains("-----END") {
            return !text.contains("PUBLIC KEY")
        }
        // DER of Ed25519 PKCS#8 private keys and SubjectPublicKeyInfo, base64, without the
        // PEM armour: what some key generators print.
        let bare = text.replacingOccurrences(of: " ", with: "")
        if bare.hasPrefix("MC4CAQAwBQYDK2Vw") { return true }
        if bare.hasPrefix("MCowBQYDK2VwAyEA") { return false }
        return nil
    }

    /// OKX's keys look like UUIDs (`8-4-4-4-12` hex digits); only used to name a key pasted
    /// where the secret or passphrase belongs, never to refuse a key.
    static func looksLikeOKXKey(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}

extension CredentialFormat {
    /// What a form can check as the user types, before the full checks on submit: the
    /// field's pattern (a JavaScript regular expression) and length, and the rule to name.
    public struct Hint: Sendable, Equatable {
        public var field: Field
        /// The field's name in forms and JSON: `api_key`, `api_secret`, `passphrase`.
        public var name: String
        public var pattern: String?
        public var lengths: ClosedRange<Int>
        /// The rule to say; nil for the OKX passphrase, whose rule is its length.
        public var rule: RuleKind?
    }

    /// The hints for this exchange's fields, in the order the form shows them.
    public var hints: [Hint] {
        let printable = "^[\\x21-\\x7E]+$"
        switch exchange {
        case "binance":
            let binance = "^[A-Za-z0-9]{64}$"
            return [
                Hint(field: .apiKey, name: "api_key", pattern: binance, lengths: 64...64, rule: .binance),
                Hint(field: .apiSecret, name: "api_secret", pattern: binance, lengths: 64...64, rule: .binance),
            ]
        case "okx":
            return [
                Hint(field: .apiKey, name: "api_key", pattern: printable, lengths: 1...Self.maximumLength, rule: .printable),
                Hint(field: .apiSecret, name: "api_secret", pattern: "^[0-9A-F]{32}$", lengths: 32...32, rule: .okxSecret),
                Hint(field: .passphrase, name: "passphrase", pattern: nil, lengths: 8...32, rule: nil),
            ]
        default:
            return [
                Hint(field: .apiKey, name: "api_key", pattern: printable, lengths: 1...Self.maximumLength, rule: .printable),
                Hint(field: .apiSecret, name: "api_secret", pattern: printable, lengths: 1...Self.maximumLength, rule: .printable),
            ]
        }
    }

    /// Which documented format a value broke, so a chat can say it in the user's language.
    public enum RuleKind: Sendable, Equatable {
        /// A Binance HMAC key or secret: 64 letters and digits.
        case binance
        /// An OKX secret: 32 characters of 0–9 and A–F.
        case okxSecret
        /// Anything an HTTP header can carry: printable ASCII.
        case printable

        /// The rule in English, for the field it applies to.
        public func text(for field: Field) -> String {
            switch self {
            case .binance: "a Binance \(field.rawValue) is 64 letters and digits"
            case .okxSecret: "an OKX secret key is 32 characters of 0–9 and A–F"
            case .printable: "\(field.withArticle) is letters, digits and punctuation"
            }
        }
    }

    /// A documented fixed format: a length and an alphabet, and how to say it to a user.
    struct Rule: Sendable {
        var length: Int
        var allowed: @Sendable (Unicode.Scalar) -> Bool
        var kind: RuleKind

        static func binance(_ field: Field) -> Rule {
            Rule(
                length: 64,
                allowed: { $0.isASCII && $0.properties.isAlphabetic || ("0"..."9").contains($0) },
                kind: .binance
            )
        }

        static let okxSecret = Rule(
            length: 32,
            allowed: { ("0"..."9").contains($0) || ("A"..."F").contains($0) },
            kind: .okxSecret
        )

        func accepts(_ value: String) -> Bool {
            value.unicodeScalars.count == length && value.unicodeScalars.allSatisfy(allowed)
        }

        func acceptsIgnoringCase(_ value: String) -> Bool {
            accepts(value.uppercased())
        }

        func check(_ value: String, field: Field) throws(Error) {
            guard value.unicodeScalars.allSatisfy(allowed) else { throw .invalidCharacters(field, rule: kind) }
            guard value.unicodeScalars.count == length else { throw .wrongLength(field, rule: kind, actual: value.count) }
        }
    }
}
