import CCurl

/// One libcurl multi handle, with every call checked. The multi handle owns the cache of
/// open connections, so transfers run through it reuse each other's connections.
///
/// Used only from the transfer loop's thread, except `wakeUp()`, which curl allows from any
/// thread.
final class CurlMulti {
    /// The `CURLM *`.
    private let handle: UnsafeMutableRawPointer

    init(maximumCachedConnections: Int) throws(CurlMulti.Error) {
        guard let handle = curl_multi_init() else { throw .initialisationFailed }
        self.handle = handle
        let code = rebind_curl_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, maximumCachedConnections)
        guard code == CURLM_OK else {
            curl_multi_cleanup(handle)
            throw .callFailed(call: "curl_multi_setopt(CURLMOPT_MAXCONNECTS)", code: code)
        }
    }

    deinit {
        curl_multi_cleanup(handle)
    }

    func add(_ easy: CurlEasy) throws(CurlMulti.Error) {
        try check(curl_multi_add_handle(handle, easy.handle), "curl_multi_add_handle")
    }

    func remove(_ easy: CurlEasy) throws(CurlMulti.Error) {
        try check(curl_multi_remove_handle(handle, easy.handle), "curl_multi_remove_handle")
    }

    /// Moves every transfer along as far as it can go without waiting.
    func perform() throws(CurlMulti.Error) {
        var running: Int32 = 0
        try check(curl_multi_perform(handle, &running), "curl_multi_perform")
    }

    /// Waits until a socket is ready, curl's next timer is due, `wakeUp()` is called, or
    /// the timeout passes.
    func poll(timeoutMilliseconds: Int32) throws(CurlMulti.Error) {
        try check(curl_multi_poll(handle, nil, 0, timeoutMilliseconds, nil), "curl_multi_poll")
    }

    /// Ends a `poll` early. Safe from any thread.
    func wakeUp() throws(CurlMulti.Error) {
        try check(curl_multi_wakeup(handle), "curl_multi_wakeup")
    }

    /// The next finished transfer: its easy handle and result, or nil when none is left.
    func nextFinished() -> (easy: UnsafeMutableRawPointer, result: CURLcode)? {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(handle, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            return (easy, message.pointee.data.result)
        }
        return nil
    }

    private func check(_ code: CURLMcode, _ call: String) throws(CurlMulti.Error) {
        guard code == CURLM_OK else { throw .callFailed(call: call, code: code) }
    }

    enum Error: Swift.Error, CustomStringConvertible {
        case initialisationFailed
        case callFailed(call: String, code: CURLMcode)

        var description: String {
            switch self {
            case .initialisationFailed:
                "curl_multi_init returned no handle"
            case .callFailed(let call, let code):
                "\(call) failed: \(curl_multi_strerror(code).map { String(cString: $0) } ?? "unknown error") (curlm \(code.rawValue))"
            }
        }
    }
}
