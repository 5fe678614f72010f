import Foundation
import RebindCore

/// For a halt that is not a key problem, which real cause to name to the user. The classifier
/// only says "not key related"; the message should say what is, so the user looks in the right
/// place. Codes and phrases follow `reference/exchange-errors.md`.
enum HaltDetail: String, Sendable, CaseIterable {
    /// "Invest Control Limit", insufficient pending investment, insufficient balance.
    case funds
    /// The platform's "Risk Control" stopped the robot.
    case riskSettings = "risk_settings"
    /// The request's timestamp was outside the exchange's window.
    case clock
    /// The exchange locked, froze or restricted the account or its keys.
    case accountRestricted = "account_restricted"
    /// None of the above could be told from the reason.
    case other

    init(_ reason: RobotEvent.Reason) {
        let code = reason.code?.trimmingCharacters(in: .whitespaces) ?? ""
        if Self.clockCodes.contains(code) {
            self = .clock
            return
        }
        if Self.accountCodes.contains(code) {
            self = .accountRestricted
            return
        }
        let said = [reason.text, reason.message ?? ""].joined(separator: " ").lowercased()
        func mentions(_ phrases: [String]) -> Bool { phrases.contains { said.contains($0) } }
        if mentions(["invest control", "pending investment", "insufficient"]) {
            self = .funds
        } else if mentions(["risk control"]) {
            self = .riskSettings
        } else if mentions(["timestamp", "recvwindow"]) {
            self = .clock
        } else if mentions(["locked", "frozen", "blocked", "restricted", "disabled on this account", "may not place"]) {
            self = .accountRestricted
        } else {
            self = .other
        }
    }

    /// Binance -1021; OKX 50102, 50112.
    static let clockCodes: Set<String> = ["-1021", "50102", "50112"]
    /// Binance -2017 (keys locked), -2010/-2011 only reach here as account restrictions;
    /// OKX 50100 (API frozen), 50007 (user blocked), 50027 (restricted), 50029 (risk control).
    static let accountCodes: Set<String> = ["-2017", "-2010", "-2011", "50100", "50007", "50027", "50029"]
}
