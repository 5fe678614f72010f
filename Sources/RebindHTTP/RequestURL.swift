import CCurl

/// A request URL as curl reads it, split into the part that may be shown (the endpoint:
/// scheme, host and port) and the parts that must not (path, query, user info), which can
/// carry tokens — Telegram's bot token is in its path.
struct RequestURL: Sendable {
    let scheme: String
    let host: String
    let port: Int
    /// Every piece of the URL that must never appear in an error or a log line.
    private let secrets: [String]

    /// What an unparseable URL is called in errors, since the URL itself can't be shown.
    static let unparseableEndpoint = "(unparseable URL)"

    init(_ url: String) throws(RequestURL.Error) {
        guard let parser = curl_url() else { throw .parserUnavailable }
        defer { curl_url_cleanup(parser) }

        let code = curl_url_set(parser, CURLUPART_URL, url, 0)
        guard code == CURLUE_OK else { throw .malformed(reason: Self.message(for: code)) }

        func part(_ which: CURLUPart, flags: UInt32 = 0) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard curl_url_get(parser, which, &value, flags) == CURLUE_OK, let value else { return nil }
            defer { curl_free(value) }
            return String(cString: value)
        }

        guard let scheme = part(CURLUPART_SCHEME)?.lowercased() else { throw .malformed(reason: "no scheme") }
        guard let host = part(CURLUPART_HOST), !host.isEmpty else { throw .malformed(reason: "no host") }
        guard let portText = part(CURLUPART_PORT, flags: rebind_curlu_default_port()), let port = Int(portText) else {
            throw .malformed(reason: "no port")
        }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port

        var secrets = [url]
        if let path = part(CURLUPART_PATH), path.count > 1 { secrets.append(path) }
        for secret in [part(CURLUPART_QUERY), part(CURLUPART_USER), part(CURLUPART_PASSWORD)] {
            if let secret, !secret.isEmpty { secrets.append(secret) }
        }
        // Longest first, so a path is removed whole before any shorter piece inside it.
        self.secrets = secrets.sorted { $0.count > $1.count }
    }

    /// Scheme, host and port, e.g. `https://api.telegram.org:443`.
    var endpoint: String { "\(scheme)://\(host):\(port)" }

    var isHTTP: Bool { scheme == "http" || scheme == "https" }

    /// `text` with every secret part of the URL replaced, for curl messages that might
    /// quote the URL.
    func redacting(_ text: String) -> String {
        secrets.reduce(text) { text, secret in text.replacing(secret, with: "[redacted]") }
    }

    private static func message(for code: CURLUcode) -> String {
        curl_url_strerror(code).map { String(cString: $0) } ?? "curl URL error \(code.rawValue)"
    }

    enum Error: Swift.Error, CustomStringConvertible {
        case parserUnavailable
        case malformed(reason: String)

        var description: String {
            switch self {
            case .parserUnavailable: "curl could not allocate a URL parser"
            case .malformed(let reason): "the URL could not be parsed: \(reason)"
            }
        }
    }
}
