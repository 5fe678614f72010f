import CCurl

/// libcurl's process-wide setup, done once before the first handle is made.
///
/// `curl_global_init` must run before any other curl call and must not race with itself;
/// a `static let` is initialised lazily and exactly once, whichever thread gets there first.
enum CurlGlobal {
    private static let initialisationCode: UInt32 = curl_global_init(rebind_curl_global_all()).rawValue

    /// Initialises libcurl if that has not happened yet; throws if it failed.
    static func ensureInitialised() throws(CurlGlobal.Error) {
        let code = CURLcode(initialisationCode)
        guard code == CURLE_OK else { throw .initialisationFailed(code: code) }
    }

    enum Error: Swift.Error, CustomStringConvertible {
        case initialisationFailed(code: CURLcode)

        var description: String {
            switch self {
            case .initialisationFailed(let code):
                "libcurl could not be initialised: \(CurlEasy.message(for: code))"
            }
        }
    }
}
