import CCurl
import Foundation
import RebindCore
import Synchronization

/// One request on its way through curl: the configured easy handle, the response as it
/// arrives, and the continuation of the task waiting for it.
///
/// Built by the sending task, then handed to the transfer loop's thread through the loop's
/// locked inbox; from then on only that thread touches the handle and the response being
/// collected. The continuation is guarded by its own lock, so it is resumed exactly once.
final class CurlTransfer: @unchecked Sendable {
    let easy: CurlEasy
    let url: RequestURL
    let method: String
    private let maximumBodySize: Int

    // Collected on the loop's thread while curl performs the transfer.
    private var body = Data()
    private var headers: [(name: String, value: String)] = []
    private var headerBytes = 0
    private var exceededSizeLimit = false

    private let phase = Mutex(Phase.created)

    private enum Phase {
        case created
        case cancelledBeforeStart
        case running(CheckedContinuation<HTTPResponse, any Error>, cancellationRequested: Bool)
        case finished
    }

    /// Headers beyond this many bytes end the transfer, like an oversized body does.
    private static let maximumHeaderBytes = 1 << 20

    /// Prepares the easy handle for `request`; throws `TransportError` when the request
    /// can't be made.
    init(request: HTTPRequest, configuration: CurlTransport.Configuration) throws(TransportError) {
        let url: RequestURL
        do {
            url = try RequestURL(request.url)
        } catch {
            throw TransportError(kind: .invalidRequest, endpoint: RequestURL.unparseableEndpoint, detail: error.description)
        }
        guard url.isHTTP else {
            throw TransportError(kind: .invalidRequest, endpoint: url.endpoint, detail: "only http and https URLs are allowed")
        }
        self.url = url
        self.method = request.method
        self.maximumBodySize = configuration.maximumResponseBodySize
        do {
            easy = try CurlEasy()
        } catch {
            throw TransportError(kind: .other, endpoint: url.endpoint, detail: error.description)
        }
        do {
            try configure(for: request, configuration: configuration)
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError(kind: .other, endpoint: url.endpoint, detail: url.redacting(String(describing: error)))
        }
    }

    // MARK: The handle's options

    private func configure(for request: HTTPRequest, configuration: CurlTransport.Configuration) throws {
        try easy.set(CURLOPT_URL, to: request.url)
        // Only HTTP(S), never another of curl's many protocols, also after any redirect.
        try easy.set(CURLOPT_PROTOCOLS_STR, to: "http,https")
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, to: "http,https")
        // A redirect is the caller's to see, not ours to follow.
        try easy.set(CURLOPT_FOLLOWLOCATION, to: false)
        try easy.set(CURLOPT_SSL_VERIFYPEER, to: true)
        try easy.set(CURLOPT_SSL_VERIFYHOST, to: 2)
        // Signals would hit whichever thread runs curl; timeouts work without them.
        try easy.set(CURLOPT_NOSIGNAL, to: true)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, to: Self.milliseconds(configuration.connectTimeout))
        try easy.set(CURLOPT_TIMEOUT_MS, to: Self.milliseconds(request.timeout ?? configuration.timeout))
        try easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: curl_off_t(configuration.maximumResponseBodySize))
        try easy.set(CURLOPT_USERAGENT, to: configuration.userAgent)
        try configureMethod(for: request)
        try configureHeaders(for: request)

        let context = Unmanaged.passUnretained(self).toOpaque()
        try easy.set(CURLOPT_WRITEDATA, pointer: context)
        try easy.set(
            CURLOPT_WRITEFUNCTION,
            writeCallback: { data, size, count, context in
                guard let context else { return 0 }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
            }
        )
        try easy.set(CURLOPT_HEADERDATA, pointer: context)
        try easy.set(
            CURLOPT_HEADERFUNCTION,
            writeCallback: { data, size, count, context in
                guard let context else { return 0 }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
            }
        )
    }

    private func configureMethod(for request: HTTPRequest) throws {
        let method = request.method
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenCharacter) else {
            throw TransportError(kind: .invalidRequest, endpoint: url.endpoint, detail: "the method is not a valid HTTP token")
        }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) {
            try easy.setBody(request.body)
            if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, to: method) }
        } else if method == "GET" {
            try easy.set(CURLOPT_HTTPGET, to: true)
        } else if method == "HEAD" {
            try easy.set(CURLOPT_NOBODY, to: true)
        } else {
            try easy.set(CURLOPT_CUSTOMREQUEST, to: method)
        }
    }

    private func configureHeaders(for request: HTTPRequest) throws {
        var lines: [String] = []
        for header in request.headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(Self.isTokenCharacter),
                !header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
            else {
                throw TransportError(kind: .invalidRequest, endpoint: url.endpoint, detail: "header \"\(header.name)\" is not a valid HTTP header")
            }
            // "Name:" would tell curl to drop the header; "Name;" sends it empty.
            lines.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        func isSet(_ name: String) -> Bool {
            request.headers.contains { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        }
        // curl would otherwise wait for "100 Continue" before sending large bodies, and
        // label any body as a form.
        if !isSet("Expect") { lines.append("Expect:") }
        if !isSet("Content-Type") { lines.append("Content-Type:") }
        try easy.setHeaderLines(lines)
    }

    /// curl's milliseconds for a timeout. curl reads 0 as "no limit", which is what an
    /// infinite timeout asks for; anything else unusable becomes the shortest limit.
    private static func milliseconds(_ interval: TimeInterval) -> Int {
        if interval == .infinity { return 0 }
        guard interval.isFinite, interval > 0 else { return 1 }
        return Int(min((interval * 1000).rounded(.up), Double(Int32.max)))
    }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    // MARK: Receiving (on the loop's thread, from curl's callbacks)

    /// Returns how many bytes were taken; anything else makes curl abort the transfer.
    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard body.count + bytes.count <= maximumBodySize else {
            exceededSizeLimit = true
            return 0
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    /// curl calls this once per header line, for every response it reads (interim 1xx
    /// responses included), so a status line starts the header list afresh.
    private func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        headerBytes += bytes.count
        guard headerBytes <= Self.maximumHeaderBytes else {
            exceededSizeLimit = true
            return 0
        }
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = []
        } else if line.first == " " || line.first == "\t" {
            // An obsolete folded continuation of the previous header's value.
            if let last = headers.indices.last {
                headers[last].value += " " + line.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty { headers.append((name, value)) }
        }
        return bytes.count
    }

    // MARK: Lifecycle

    /// Records the waiting task's continuation and hands the transfer to the loop, unless
    /// the task was cancelled first.
    func start(_ continuation: CheckedContinuation<HTTPResponse, any Error>, on loop: CurlTransferLoop) {
        enum Outcome { case started, cancelled, startedTwice }
        let outcome = phase.withLock { phase -> Outcome in
            switch phase {
            case .created:
                phase = .running(continuation, cancellationRequested: false)
                return .started
            case .cancelledBeforeStart:
                phase = .finished
                return .cancelled
            case .running, .finished:
                return .startedTwice
            }
        }
        switch outcome {
        case .started:
            if !loop.submit(self) {
                complete(.failure(TransportError(kind: .other, endpoint: url.endpoint, detail: "the HTTP transport has shut down")))
            }
        case .cancelled:
            continuation.resume(throwing: CancellationError())
        case .startedTwice:
            continuation.resume(throwing: TransportError(kind: .other, endpoint: url.endpoint, detail: "the transfer was started twice"))
        }
    }

    /// Marks the transfer cancelled; returns whether the loop must be woken to abort it.
    func requestCancellation() -> Bool {
        phase.withLock { phase in
            switch phase {
            case .created:
                phase = .cancelledBeforeStart
                return false
            case .running(let continuation, _):
                phase = .running(continuation, cancellationRequested: true)
                return true
            case .cancelledBeforeStart, .finished:
                return false
            }
        }
    }

    var isCancellationRequested: Bool {
        phase.withLock { phase in
            if case .running(_, cancellationRequested: true) = phase { return true }
            return false
        }
    }

    /// Turns curl's result into the response or the error, once the handle has left the
    /// multi handle.
    func finish(_ code: CURLcode) {
        guard code == CURLE_OK else {
            complete(.failure(error(for: code)))
            return
        }
        do {
            let status = try easy.responseCode()
            complete(.success(HTTPResponse(status: status, headers: headers, body: body)))
        } catch {
            complete(.failure(TransportError(kind: .other, endpoint: url.endpoint, detail: error.description)))
        }
    }

    func error(for code: CURLcode) -> TransportError {
        if exceededSizeLimit || code == CURLE_FILESIZE_EXCEEDED {
            return TransportError(
                kind: .other,
                endpoint: url.endpoint,
                detail: "the response is larger than the limit of \(maximumBodySize) bytes"
            )
        }
        let message = easy.errorMessage
        let text = message.isEmpty ? CurlEasy.message(for: code) : message
        return TransportError(
            kind: TransportError.Kind(curlCode: code),
            endpoint: url.endpoint,
            detail: url.redacting("\(text) (curl \(code.rawValue))")
        )
    }

    /// Resumes the waiting task, if nothing has yet.
    func complete(_ result: Result<HTTPResponse, any Error>) {
        let continuation = phase.withLock { phase -> CheckedContinuation<HTTPResponse, any Error>? in
            guard case .running(let continuation, _) = phase else { return nil }
            phase = .finished
            return continuation
        }
        continuation?.resume(with: result)
    }
}
