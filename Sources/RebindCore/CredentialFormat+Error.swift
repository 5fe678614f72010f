extension CredentialFormat {
    /// What is wrong with a paste, in words the user can act on. No case carries, and no
    /// description quotes, any part of what was pasted.
    public enum Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        case empty(Field)
        /// A PEM (or bare base64) public or private key, as Binance's Ed25519 and RSA keys use.
        case pemKey(Field, isPrivate: Bool)
        /// Several values separated by spaces or line breaks, e.g. key and secret together.
        case severalValues(Field)
        /// The secret's format, pasted where the key belongs.
        case looksLikeSecret
        /// The key's format, pasted where the secret or passphrase belongs.
        case looksLikeKey(Field)
        /// The key again, where the secret or passphrase belongs.
        case repeatsKey(Field)
        /// The secret again, where the passphrase belongs.
        case repeatsSecret
        case wrongLength(Field, rule: RuleKind, actual: Int)
        case invalidCharacters(Field, rule: RuleKind)
        /// An OKX secret in lower case: its letters are capitals, and the signature depends on it.
        case lowercaseSecret
        case passphraseLength(actual: Int)
        case tooLong(Field, actual: Int)

        /// The field the problem is in, so a chat can ask for that one again.
        public var field: Field {
            switch self {
            case .empty(let field), .pemKey(let field, _), .severalValues(let field), .looksLikeKey(let field),
                .repeatsKey(let field), .wrongLength(let field, _, _), .invalidCharacters(let field, _),
                .tooLong(let field, _):
                field
            case .looksLikeSecret: .apiKey
            case .lowercaseSecret: .apiSecret
            case .repeatsSecret, .passphraseLength: .passphrase
            }
        }

        public var description: String {
            switch self {
            case .empty(let field):
                "Nothing came through: send the \(field.rawValue)."
            case .pemKey(_, isPrivate: true):
                "This is a private key PEM; Rebind takes HMAC keys: create a key with the system-generated (HMAC) option and send its API key and secret key."
            case .pemKey(_, isPrivate: false):
                "This is a public key PEM; Rebind takes HMAC keys: create a key with the system-generated (HMAC) option and send its API key and secret key."
            case .severalValues(let field):
                "This holds several values separated by spaces or line breaks: send the \(field.rawValue) alone."
            case .looksLikeSecret:
                "This looks like the secret, not the key: send the API key first."
            case .looksLikeKey(let field):
                "This looks like the API key, not the \(field.rawValue): send the \(field.rawValue)."
            case .repeatsKey(let field):
                "This is the API key again: send the \(field.rawValue)."
            case .repeatsSecret:
                "This is the secret key again: send the passphrase you chose when you created the key."
            case .wrongLength(let field, let rule, let actual):
                "\(Self.sentence(rule.text(for: field))); this has \(actual) \(actual == 1 ? "character" : "characters")."
            case .invalidCharacters(let field, let rule):
                "\(Self.sentence(rule.text(for: field))); this has other characters too. Copy it again from the exchange."
            case .lowercaseSecret:
                "An OKX secret key is written in capitals (0–9 and A–F); this has lower-case letters. Copy it again from OKX."
            case .passphraseLength(let actual):
                "An OKX passphrase is 8–32 characters; this has \(actual)."
            case .tooLong(let field, let actual):
                "This is too long for \(field.withArticle) (\(actual) characters): send the \(field.rawValue) alone."
            }
        }

        private static func sentence(_ rule: String) -> String {
            rule.prefix(1).uppercased() + rule.dropFirst()
        }
    }
}
