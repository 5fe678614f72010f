import Foundation
import Logging
import PostgresNIO
import RebindCore

/// A row read by column name; a value of the wrong type is a `corruptRow` naming the table.
struct Columns {
    let row: PostgresRandomAccessRow
    let table: String

    func callAsFunction<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        do {
            return try row[column].decode(Value.self)
        } catch {
            throw PostgresStore.Error.corruptRow(table: table, detail: "column \(column) is not a \(Value.self)")
        }
    }

    /// Times are kept as seconds since 1970 (double precision), exactly as the SQLite store
    /// keeps them, so a stored `Date` reads back equal.
    func date(_ column: String) throws -> Date {
        Date(timeIntervalSince1970: try self(column, as: Double.self))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try self(column, as: Double?.self).map(Date.init(timeIntervalSince1970:))
    }
}

extension PostgresConnection {
    func all<Value>(_ query: PostgresQuery, logger: Logger, table: String, _ read: (Columns) throws -> Value) async throws -> [Value] {
        var values: [Value] = []
        for try await row in try await self.query(query, logger: logger) {
            values.append(try read(Columns(row: row.makeRandomAccess(), table: table)))
        }
        return values
    }

    func first<Value>(_ query: PostgresQuery, logger: Logger, table: String, _ read: (Columns) throws -> Value) async throws -> Value? {
        try await all(query, logger: logger, table: table, read).first
    }

    /// Runs a statement and says how many rows it returned (`RETURNING 1` counts changes).
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        var count = 0
        for try await _ in try await self.query(query, logger: logger) { count += 1 }
        return count
    }
}

extension PostgresStore {
    static func incident(from row: Columns) throws -> Incident {
        let causeText: String = try row("cause")
        guard let cause = Cause(rawValue: causeText) else {
            throw Error.corruptRow(table: "incidents", detail: "unknown cause \(causeText)")
        }
        return Incident(
            id: try row("id"),
            userID: try row("user_id"),
            accountID: try row("account_id"),
            exchange: try row("exchange"),
            cause: cause,
            totals: Incident.Totals(
                robots: try row("robot_count"),
                halted: try row("halted_count"),
                haltedFutures: try row("halted_futures_count"),
                openPositions: try row("unmanaged_positions"),
                exposure: try exposure(row)
            ),
            reason: try reason(try row("reason")),
            openedAt: try row.date("opened_at"),
            announceAt: try row.date("announce_at"),
            remindersSent: try row("reminders_sent"),
            resolvedAt: try row.optionalDate("resolved_at"),
            resolution: try row("resolution", as: String?.self).flatMap(Incident.Resolution.init(rawValue:))
        )
    }

    static func exposure(_ row: Columns) throws -> [String: Decimal] {
        let text: String = try row("unmanaged_exposure")
        let amounts = try JSONText.readObject(text) ?? decode([String: String].self, text, table: "incidents")
        guard let exposure = Incident.Totals.exposure(amounts: amounts) else {
            throw Error.corruptRow(table: "incidents", detail: "unmanaged_exposure \(amounts) is not decimal")
        }
        return exposure
    }

    static func incidentRobot(from row: Columns) throws -> IncidentRobot {
        let stateText: String = try row("state")
        guard let state = Incident.AffectedRobot.State(rawValue: stateText) else {
            throw Error.corruptRow(table: "incident_robots", detail: "unknown state \(stateText)")
        }
        let amount = try row("exposure_amount", as: String?.self)
        let currency = try row("exposure_currency", as: String?.self)
        return IncidentRobot(
            incidentID: try row("incident_id"),
            position: try row("position"),
            robot: Incident.AffectedRobot(
                id: try row("robot_id"),
                name: try row("name"),
                state: state,
                futures: try row("futures"),
                openPositions: try row("open_positions"),
                exposure: amount.flatMap { amount in currency.map { .init(amount: amount, currency: $0) } }
            )
        )
    }

    /// A notice as the outbox keeps it. A reminder re-sends its incident's announcement.
    static func notice(from row: Columns) throws -> PendingNotice {
        let incidentID: String = try row("incident_id")
        let dueAt = try row.date("due_at")
        let kind: String = try row("kind")
        let notice: IncidentNotice
        switch kind {
        case "announce", "reminder": notice = .announce(incidentID: incidentID, at: dueAt)
        case "update": notice = .update(incidentID: incidentID)
        case "resolve": notice = .resolve(incidentID: incidentID)
        case "withdraw": notice = .withdraw(incidentID: incidentID)
        default: throw Error.corruptRow(table: "notices", detail: "unknown kind \(kind)")
        }
        return PendingNotice(id: try row("id"), notice: notice, dueAt: dueAt)
    }

    static func dueNotice(from row: Columns) throws -> DueNotice {
        let pending = try notice(from: row)
        return DueNotice(
            id: pending.id,
            notice: pending.notice,
            isReminder: try row("kind", as: String.self) == "reminder",
            attempts: try row("attempts"),
            firstAttemptAt: try row.optionalDate("first_attempt_at")
        )
    }

    static func binding(from row: Columns) throws -> Binding {
        let source = try row("expiry_source", as: String?.self).flatMap(KeyExpiry.Source.init(rawValue:))
        let expiresAt = try row.optionalDate("expires_at")
        return Binding(
            accountID: try row("account_id"),
            userID: try row("user_id"),
            exchange: try row("exchange"),
            label: try row("label"),
            apiKeyHint: try row("api_key_hint"),
            boundAt: try row.optionalDate("bound_at"),
            tradingExpiresAt: try row.optionalDate("trading_expires_at"),
            expiry: source.map { KeyExpiry(expiresAt: expiresAt, source: $0) }
        )
    }

    static func lifetime(from row: Columns) throws -> BindingLifetime {
        BindingLifetime(
            boundAt: try row.optionalDate("bound_at"),
            platformExpiresAt: try row.optionalDate("platform_expires_at"),
            platformIPRestricted: try row("platform_ip_restricted"),
            checkedExpiresAt: try row.optionalDate("trading_expires_at"),
            checkedIPRestricted: try row("checked_ip_restricted"),
            checkedKeyHint: try row("checked_key_hint")
        )
    }

    static let decoder = JSONDecoder()

    /// An incident's stored reason: read directly when it is as `JSONText` writes it.
    static func reason(_ text: String) throws -> RobotEvent.Reason {
        try JSONText.readReason(text) ?? decode(RobotEvent.Reason.self, text, table: "incidents")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, table: String) throws -> T {
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw Error.corruptRow(table: table, detail: String(describing: error))
        }
    }
}
