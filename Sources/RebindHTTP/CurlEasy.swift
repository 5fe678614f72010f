import CCurl
import Foundation

/// One libcurl easy handle, with every option and info call checked.
///
/// Not thread-safe: a handle is used by one thread at a time (curl's own rule). It is built
/// by the task that sends the request, then handed to the transfer loop's thread.
final class CurlEasy {
    /// The `CURL *`.
    let handle: UnsafeMutableRawPointer
    /// Custom request headers; curl keeps using the list until the handle is cleaned up.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// Where curl writes a failed transfer's explanation (`CURLOPT_ERRORBUFFER`).
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws(CurlEasy.Error) {
        guard let handle = curl_easy_init() else { throw .initialisationFailed }
        self.handle = handle
        let size = rebind_curl_error_size()
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    // MARK: Options

    func set(_ option: CURLoption, to value: Int) throws(CurlEasy.Error) {
        try check(rebind_curl_setopt_long(handle, option, value), option)
    }

    func set(_ option: CURLoption, to value: Bool) throws(CurlEasy.Error) {
        try set(option, to: value ? 1 : 0)
    }

    /// curl copies string options (except `CURLOPT_POSTFIELDS`, which this type never sets).
    func set(_ option: CURLoption, to value: String) throws(CurlEasy.Error) {
        try check(rebind_curl_setopt_string(handle, option, value), option)
    }

    func set(_ option: CURLoption, offset value: curl_off_t) throws(CurlEasy.Error) {
        try check(rebind_curl_setopt_off_t(handle, option, value), option)
    }

    /// The pointee must outlive the handle's use of it.
    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(CurlEasy.Error) {
        try check(rebind_curl_setopt_pointer(handle, option, value), option)
    }

    func set(_ option: CURLoption, writeCallback value: curl_write_callback) throws(CurlEasy.Error) {
        try check(rebind_curl_setopt_write_callback(handle, option, value), option)
    }

    /// The body to send, copied by curl (`CURLOPT_COPYPOSTFIELDS`), which also makes the
    /// request a POST unless a custom method is set.
    func setBody(_ body: Data) throws(CurlEasy.Error) {
        try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(body.count))
        // curl needs a non-null pointer even for an empty body, or it reads the body from
        // stdin instead; a C string literal is one. curl copies the bytes during the call.
        let code: CURLcode =
            if body.isEmpty {
                rebind_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                body.withUnsafeBytes { bytes in
                    rebind_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                }
            }
        try check(code, CURLOPT_COPYPOSTFIELDS)
    }

    /// Sets the request's header lines ("Name: value"), replacing any set before.
    func setHeaderLines(_ lines: [String]) throws(CurlEasy.Error) {
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let extended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw .headerListAllocationFailed
            }
            list = extended
        }
        let code = rebind_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
        guard code == CURLE_OK else {
            curl_slist_free_all(list)
            throw .optionRejected(option: CURLOPT_HTTPHEADER, code: code)
        }
        curl_slist_free_all(headerList)
        headerList = list
    }

    // MARK: Information

    /// The last response's status code (`CURLINFO_RESPONSE_CODE`), 0 when none arrived.
    func responseCode() throws(CurlEasy.Error) -> Int {
        var value = 0
        let code = rebind_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &value)
        guard code == CURLE_OK else { throw .infoUnavailable(info: CURLINFO_RESPONSE_CODE, code: code) }
        return value
    }

    /// Whether this transfer opened its own connection rather than reusing one
    /// (`CURLINFO_NUM_CONNECTS`).
    func newConnectionCount() throws(CurlEasy.Error) -> Int {
        var value = 0
        let code = rebind_curl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &value)
        guard code == CURLE_OK else { throw .infoUnavailable(info: CURLINFO_NUM_CONNECTS, code: code) }
        return value
    }

    /// What curl wrote in the error buffer about the last failure, empty if nothing.
    var errorMessage: String {
        String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// curl's words for a result code.
    static func message(for code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "curl error \(code.rawValue)" }
        return String(cString: text)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(CurlEasy.Error) {
        guard code == CURLE_OK else { throw .optionRejected(option: option, code: code) }
    }

    enum Error: Swift.Error, CustomStringConvertible {
        case initialisationFailed
        case optionRejected(option: CURLoption, code: CURLcode)
        case infoUnavailable(info: CURLINFO, code: CURLcode)
        case headerListAllocationFailed

        /// The curl code behind the failure, if curl gave one.
        var code: CURLcode? {
            switch self {
            case .optionRejected(_, let code), .infoUnavailable(_, let code): code
            case .initialisationFailed, .headerListAllocationFailed: nil
            }
        }

        var description: String {
            switch self {
            case .initialisationFailed:
                "curl_easy_init returned no handle"
            case .optionRejected(let option, let code):
                "curl rejected option \(option.rawValue): \(CurlEasy.message(for: code)) (curl \(code.rawValue))"
            case .infoUnavailable(let info, let code):
                "curl could not report info \(info.rawValue): \(CurlEasy.message(for: code)) (curl \(code.rawValue))"
            case .headerListAllocationFailed:
                "curl could not allocate the request header list"
            }
        }
    }
}
