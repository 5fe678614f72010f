import Foundation
import RebindCore

/// One item of OKX's answer to `GET /api/v5/account/config`: the account's settings and
/// what the key in use may do.
public struct OKXAccountConfig: Decodable, Sendable, Equatable {
    /// Comma-separated `read_only`, `trade`, `withdraw`.
    public var perm: String
    /// The IP addresses bound to the key, comma-separated; empty when none.
    public var ip: String
    /// The name the user gave the key.
    public var label: String
    /// The id of the account the key belongs to (a sub-account's own, not its main account's
    /// `mainUid`); OKX writes it as a string. Empty when the answer left it out.
    public var uid: String

    public init(perm: String, ip: String = "", label: String = "", uid: String = "") {
        self.perm = perm
        self.ip = ip
        self.label = label
        self.uid = uid
    }

    enum CodingKeys: String, CodingKey {
        case perm, ip, label, uid
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        perm = try container.decode(String.self, forKey: .perm)
        ip = try container.decodeIfPresent(String.self, forKey: .ip) ?? ""
        label = try container.decodeIfPresent(String.self, forKey: .label) ?? ""
        uid = try container.decodeIfPresent(String.self, forKey: .uid) ?? ""
    }

    public var permissionNames: Set<String> {
        Set(perm.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }

    /// OKX's `trade` covers spot and derivatives alike; every key can read.
    public func permissions(idleDeletionDaysWithoutIP: Int?) -> KeyPermissions {
        let names = permissionNames
        return KeyPermissions(
            exchangeName: "OKX",
            canRead: true,
            canTradeSpot: names.contains("trade"),
            canTradeFutures: names.contains("trade"),
            canWithdraw: names.contains("withdraw"),
            ipRestricted: !ip.trimmingCharacters(in: .whitespaces).isEmpty,
            idleDeletionDaysWithoutIP: idleDeletionDaysWithoutIP
        )
    }
}
