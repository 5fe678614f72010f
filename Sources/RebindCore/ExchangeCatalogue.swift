import Foundation

/// The exchange facts that drift (validity days, where to regenerate a key, app names) and the
/// platform's wording. It is loaded from an editable file under `templates/`, so an operator
/// can follow the exchanges' rules without a release. Defaults follow the help page.
public struct ExchangeCatalogue: Codable, Sendable, Equatable {
    public var platformName: String
    public var helpURL: String
    /// Where on the platform the key is replaced, step by step.
    public var bindingPath: [String]
    public var exchanges: [String: Exchange]

    public init(platformName: String, helpURL: String, bindingPath: [String], exchanges: [String: Exchange]) {
        self.platformName = platformName
        self.helpURL = helpURL
        self.bindingPath = bindingPath
        self.exchanges = exchanges
    }

    public struct Exchange: Codable, Sendable, Equatable {
        public var name: String
        /// How long a key may trade before the exchange withdraws the permission.
        public var tradingValidityDays: Int
        /// Where in the exchange's app or site a key is created and managed.
        public var regenerateAt: String
        public var appName: String
        /// OKX keys come with a third secret the user chose.
        public var needsPassphrase: Bool
        /// A rule of the exchange the user should know, if any (OKX deletes idle keys).
        public var note: String?

        public init(
            name: String, tradingValidityDays: Int, regenerateAt: String, appName: String,
            needsPassphrase: Bool, note: String? = nil
        ) {
            self.name = name
            self.tradingValidityDays = tradingValidityDays
            self.regenerateAt = regenerateAt
            self.appName = appName
            self.needsPassphrase = needsPassphrase
            self.note = note
        }

        enum CodingKeys: String, CodingKey {
            case name, note
            case tradingValidityDays = "trading_validity_days"
            case regenerateAt = "regenerate_at"
            case appName = "app_name"
            case needsPassphrase = "needs_passphrase"
        }
    }

    enum CodingKeys: String, CodingKey {
        case platformName = "platform_name"
        case helpURL = "help_url"
        case bindingPath = "binding_path"
        case exchanges
    }

    public enum Error: Swift.Error, CustomStringConvertible {
        case invalid(String)

        public var description: String {
            switch self {
            case .invalid(let detail): "The exchange catalogue is not valid: \(detail)"
            }
        }
    }

    public static func decode(_ data: Data) throws(Error) -> ExchangeCatalogue {
        let catalogue: ExchangeCatalogue
        do {
            catalogue = try JSONDecoder().decode(ExchangeCatalogue.self, from: data)
        } catch {
            throw .invalid(String(describing: error))
        }
        guard !catalogue.exchanges.isEmpty else { throw .invalid("it lists no exchange") }
        for (id, exchange) in catalogue.exchanges where exchange.tradingValidityDays <= 0 {
            throw .invalid("exchanges.\(id).trading_validity_days must be positive")
        }
        return catalogue
    }

    public var exchangeIDs: Set<String> { Set(exchanges.keys) }
}
