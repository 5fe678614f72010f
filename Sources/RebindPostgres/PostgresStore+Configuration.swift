import Foundation
import PostgresNIO
import RebindCore

extension PostgresStore {
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP, for loopback and private networks.
        case disable
        /// TLS when the server offers it (libpq's default).
        case prefer
        /// TLS or no connection.
        case require
    }

    /// Where the database is and how to use it. Built from `REBIND_DATABASE_URL`; the password
    /// is a `Secret` and `redactedURL` is the form to log.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// A Unix socket path instead of host and port (a URL host that starts with `/`).
        public var unixSocketPath: String?
        public var username: String
        public var password: Secret?
        public var database: String?
        public var tls: TLSMode
        /// The schema the store's tables live in (created if missing); nil for the server's
        /// default search path (normally `public`).
        public var schema: String?
        public var maximumConnections: Int
        /// How long an operation waits for a connection before it fails as unreachable, so a
        /// request gets its 503 instead of hanging while the database is down.
        public var connectionWait: Duration
        public var incidentPolicy: IncidentPolicy
        /// How bindings' expiry is computed and when their warnings fall due.
        public var expiryPolicy = ExpiryPolicy()
        /// Told of every transaction of ingested events: how many, how long (the metrics).
        public var observeCommits: (@Sendable (CommitReport) -> Void)?

        public init(
            host: String = "127.0.0.1",
            port: Int = 5432,
            unixSocketPath: String? = nil,
            username: String,
            password: Secret? = nil,
            database: String? = nil,
            tls: TLSMode = .prefer,
            schema: String? = nil,
            maximumConnections: Int = 20,
            connectionWait: Duration = .seconds(5),
            incidentPolicy: IncidentPolicy = IncidentPolicy()
        ) {
            self.host = host
            self.port = port
            self.unixSocketPath = unixSocketPath
            self.username = username
            self.password = password
            self.database = database
            self.tls = tls
            self.schema = schema
            self.maximumConnections = maximumConnections
            self.connectionWait = connectionWait
            self.incidentPolicy = incidentPolicy
        }

        /// Reads `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable|prefer|require&schema=NAME`.
        /// User and password may be percent-encoded. Errors never repeat the password.
        public init(url: String, incidentPolicy: IncidentPolicy = IncidentPolicy()) throws(Error) {
            guard let components = URLComponents(string: url),
                let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
            else {
                throw .invalidURL(reason: "use postgres://USER:PASSWORD@HOST:PORT/DATABASE")
            }
            guard let user = components.user, !user.isEmpty else {
                throw .invalidURL(reason: "name the user: postgres://USER:PASSWORD@HOST/DATABASE")
            }
            let host = components.host ?? ""
            guard !host.isEmpty else {
                throw .invalidURL(reason: "name the host: postgres://USER:PASSWORD@HOST/DATABASE")
            }
            let database = String(components.path.drop(while: { $0 == "/" }))
            self.init(
                host: host,
                port: components.port ?? 5432,
                username: user,
                password: components.password.map(Secret.init),
                database: database.isEmpty ? nil : database,
                incidentPolicy: incidentPolicy
            )
            if host.hasPrefix("/") {
                unixSocketPath = host
            }
            // Off this machine, plaintext would carry the password and every sealed row's
            // neighbours: TLS is required unless the URL says otherwise.
            tls = host.hasPrefix("/") || LoopbackHost.contains(host) ? .prefer : .require
            for item in components.queryItems ?? [] {
                switch item.name {
                case "sslmode":
                    // libpq's verify modes mean "require" here: the certificate is always verified.
                    let value = item.value ?? ""
                    guard let mode = TLSMode(rawValue: value.hasPrefix("verify") ? "require" : value) else {
                        throw .invalidURL(reason: "sslmode must be disable, prefer or require")
                    }
                    tls = mode
                case "schema":
                    guard let name = item.value, Self.isPlainIdentifier(name) else {
                        throw .invalidURL(reason: "schema must be lower-case letters, digits and underscores")
                    }
                    schema = name
                default:
                    throw .invalidURL(reason: "unknown parameter \(item.name); known: sslmode, schema")
                }
            }
        }

        /// The server and database, without user or password: what logs and errors name.
        public var server: String {
            let place = unixSocketPath ?? "\(host):\(port)"
            return "\(place)/\(database ?? username)" + (schema.map { " (schema \($0))" } ?? "")
        }

        /// The URL with its password replaced, for logs.
        public var redactedURL: String {
            let place = unixSocketPath.map { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0 } ?? "\(host):\(port)"
            let password = password == nil ? "" : ":***"
            return "postgres://\(username)\(password)@\(place)/\(database ?? "")"
        }

        /// A name that needs no quoting, so it can stand in DDL (identifiers cannot be bound).
        static func isPlainIdentifier(_ name: String) -> Bool {
            let letters: ClosedRange<Unicode.Scalar> = "a"..."z"
            let digits: ClosedRange<Unicode.Scalar> = "0"..."9"
            guard let first = name.unicodeScalars.first, !digits.contains(first), name.unicodeScalars.count <= 63 else { return false }
            return name.unicodeScalars.allSatisfy { letters.contains($0) || digits.contains($0) || $0 == "_" }
        }

        var client: PostgresClient.Configuration {
            var configuration: PostgresClient.Configuration
            if let unixSocketPath {
                configuration = .init(unixSocketPath: unixSocketPath, username: username, password: password?.value, database: database)
            } else {
                let tls: PostgresClient.Configuration.TLS =
                    switch self.tls {
                    case .disable: .disable
                    case .prefer: .prefer(.makeClientConfiguration())
                    case .require: .require(.makeClientConfiguration())
                    }
                configuration = .init(host: host, port: port, username: username, password: password?.value, database: database, tls: tls)
            }
            configuration.options.maximumConnections = maximumConnections
            configuration.options.connectTimeout = connectionWait
            if let schema {
                configuration.options.additionalStartupParameters = [("search_path", schema)]
            }
            return configuration
        }
    }
}
