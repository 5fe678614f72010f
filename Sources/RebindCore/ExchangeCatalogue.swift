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
    /// Wording per locale (`zh-Hans`): names, app paths, the help page where a localised one
    /// exists. What a locale leaves out is the top-level (English) value.
    public var locales: [String: Wording]
    /// The platform's outgoing IP addresses (`platform_ips`), when the operator lists them: a
    /// key restricted to them does not lapse, so warnings and new-key steps say how. They must
    /// include Rebind's own address, or its live check of such a key is refused.
    public var platformIPs: [String]

    public init(
        platformName: String,
        helpURL: String,
        bindingPath: [String],
        exchanges: [String: Exchange],
        locales: [String: Wording] = [:],
        platformIPs: [String] = []
    ) {
        self.platformName = platformName
        self.helpURL = helpURL
        self.bindingPath = bindingPath
        self.exchanges = exchanges
        self.locales = locales
        self.platformIPs = platformIPs
    }

    /// A locale's wording: each value replaces the top-level one.
    public struct Wording: Codable, Sendable, Equatable {
        public var platformName: String?
        public var helpURL: String?
        public var bindingPath: [String]?
        public var exchanges: [String: ExchangeWording]

        public init(platformName: String? = nil, helpURL: String? = nil, bindingPath: [String]? = nil, exchanges: [String: ExchangeWording] = [:]) {
            self.platformName = platformName
            self.helpURL = helpURL
            self.bindingPath = bindingPath
            self.exchanges = exchanges
        }

        enum CodingKeys: String, CodingKey {
            case platformName = "platform_name"
            case helpURL = "help_url"
            case bindingPath = "binding_path"
            case exchanges
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            platformName = try container.decodeIfPresent(String.self, forKey: .platformName)
            helpURL = try container.decodeIfPresent(String.self, forKey: .helpURL)
            bindingPath = try container.decodeIfPresent([String].self, forKey: .bindingPath)
            exchanges = try container.decodeIfPresent([String: ExchangeWording].self, forKey: .exchanges) ?? [:]
        }
    }

    /// An exchange's names and paths in a locale.
    public struct ExchangeWording: Codable, Sendable, Equatable {
        public var name: String?
        public var regenerateAt: String?
        public var appName: String?
        public var note: String?

        public init(name: String? = nil, regenerateAt: String? = nil, appName: String? = nil, note: String? = nil) {
            self.name = name
            self.regenerateAt = regenerateAt
            self.appName = appName
            self.note = note
        }

        enum CodingKeys: String, CodingKey {
            case name, note
            case regenerateAt = "regenerate_at"
            case appName = "app_name"
        }
    }

    /// The catalogue as a locale reads it: its wording over the top-level values. Locales
    /// match exactly (the templates' locale, after matching); an unknown one changes nothing.
    public func localized(to locale: String) -> ExchangeCatalogue {
        guard let wording = locales.first(where: { $0.key.caseInsensitiveCompare(locale) == .orderedSame })?.value else { return self }
        var copy = self
        copy.platformName = wording.platformName ?? platformName
        copy.helpURL = wording.helpURL ?? helpURL
        copy.bindingPath = wording.bindingPath ?? bindingPath
        for (id, words) in wording.exchanges {
            guard var exchange = copy.exchanges[id] else { continue }
            exchange.name = words.name ?? exchange.name
            exchange.regenerateAt = words.regenerateAt ?? exchange.regenerateAt
            exchange.appName = words.appName ?? exchange.appName
            exchange.note = words.note ?? exchange.note
            copy.exchanges[id] = exchange
        }
        return copy
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
            name: String,
            tradingValidityDays: Int,
            regenerateAt: String,
            appName: String,
            needsPassphrase: Bool,
            note: String? = nil
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
        case exchanges, locales
        case platformIPs = "platform_ips"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        platformName = try container.decode(String.self, forKey: .platformName)
        helpURL = try container.decode(String.self, forKey: .helpURL)
        bindingPath = try container.decode([String].self, forKey: .bindingPath)
        exchanges = try container.decode([String: Exchange].self, forKey: .exchanges)
        locales = try container.decodeIfPresent([String: Wording].self, forKey: .locales) ?? [:]
        platformIPs = try container.decodeIfPresent([String].self, forKey: .platformIPs) ?? []
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
        for address in catalogue.platformIPs where !isIPAddress(address) {
            throw .invalid("platform_ips holds \"\(address.prefix(64))\", which is not an IPv4 or IPv6 address")
        }
        for (id, exchange) in catalogue.exchanges where exchange.tradingValidityDays <= 0 {
            throw .invalid("exchanges.\(id).trading_validity_days must be positive")
        }
        for (locale, wording) in catalogue.locales {
            for id in wording.exchanges.keys where catalogue.exchanges[id] == nil {
                throw .invalid("locales.\(locale).exchanges.\(id) names an exchange the catalogue does not list")
            }
        }
        return catalogue
    }

    public var exchangeIDs: Set<String> { Set(exchanges.keys) }

    /// An IPv4 dotted quad or an IPv6 address (hex groups and colons, perhaps a dotted tail):
    /// what an exchange's IP whitelist takes.
    static func isIPAddress(_ text: String) -> Bool {
        let quads = text.split(separator: ".", omittingEmptySubsequences: false)
        if quads.count == 4, quads.allSatisfy({ $0.count <= 3 && UInt8($0) != nil }) { return true }
        guard text.contains(":"), text.count <= 45 else { return false }
        return text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}
