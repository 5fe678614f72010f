import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RebindCrypto

/// The checks every signed JSON endpoint makes before anything else: size, then media type.
enum IncomingBody {
    /// Collects the body, refusing one over `limit` bytes before reading it when the length
    /// is declared, and as soon as it is exceeded when it is not.
    static func collect(_ request: Request, limit: Int) async throws(APIError) -> Data {
        try await collect(request, limit: limit, contentLength: request.headers[.contentLength])
    }

    /// The same, with the request's Content-Length as the caller read it.
    static func collect(_ request: Request, limit: Int, contentLength: String?) async throws(APIError) -> Data {
        let tooLarge = APIError(status: .contentTooLarge, code: "body_too_large", message: "The body is larger than \(limit / 1024) KiB")
        if let declared = contentLength.flatMap(Int.init), declared > limit {
            throw tooLarge
        }
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readData(length: buffer.readableBytes) ?? Data()
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch is NIOTooManyBytesError {
            // A chunked body (no Content-Length) that grew past the limit.
            throw tooLarge
        } catch {
            throw APIError(status: .badRequest, code: "body_unreadable", message: "The body could not be read")
        }
    }

    /// The checks of a signed JSON endpoint, in order: size, media type, then the Standard
    /// Webhooks signature over the body. Returns the body and the request's fields.
    static func signed(
        _ request: Request,
        limit: Int,
        verifier: StandardWebhooks,
        now: Date
    ) async throws(APIError) -> (body: Data, fields: SignedRequestFields) {
        let fields = SignedRequestFields(request.headers)
        let body = try await collect(request, limit: limit, contentLength: fields.contentLength)
        try requireJSON(contentType: fields.contentType)
        do throws(StandardWebhooks.Error) {
            try verifier.verify(
                id: fields.webhookID,
                timestamp: fields.webhookTimestamp,
                signature: fields.webhookSignature,
                body: body,
                now: now
            )
        } catch {
            throw APIError(status: .unauthorized, code: error.reason, message: error.description)
        }
        return (body, fields)
    }

    static func requireJSON(_ request: Request) throws(APIError) {
        try requireJSON(contentType: request.headers[.contentType])
    }

    static func requireJSON(contentType: String?) throws(APIError) {
        guard let contentType, isJSON(contentType: contentType) else {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "Send the body as application/json")
        }
    }

    /// Whether a Content-Type names `application/json`, in any case, with or without
    /// parameters and blanks around it. Byte by byte: Foundation's trimming went through
    /// NSString on every event (bench/README.md, issue 15).
    static func isJSON(contentType: String) -> Bool {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }[...]
        while let first = mediaType.first, isBlank(first) { mediaType = mediaType.dropFirst() }
        while let last = mediaType.last, isBlank(last) { mediaType = mediaType.dropLast() }
        let expected = "application/json".utf8
        guard mediaType.count == expected.count else { return false }
        return zip(mediaType, expected).allSatisfy { byte, wanted in
            // ASCII letters fold to lower case; nothing else in the name changes.
            ((0x41...0x5A).contains(byte) ? byte | 0x20 : byte) == wanted
        }
    }
}

/// The fields a signed event is read by, found in one pass over the request's fields: a
/// lookup by name walks every field and joins what it finds through generic code, and an event
/// needs five (bench/README.md, issue 15). A field sent more than once reads as its values
/// joined by ", ", as `HTTPFields`' own subscript gives it.
struct SignedRequestFields {
    var contentLength: String?
    var contentType: String?
    var webhookID: String?
    var webhookTimestamp: String?
    var webhookSignature: String?

    init(_ fields: HTTPFields) {
        for field in fields {
            switch field.name {
            case .contentLength: Self.add(field.value, to: &contentLength)
            case .contentType: Self.add(field.value, to: &contentType)
            case .webhookID: Self.add(field.value, to: &webhookID)
            case .webhookTimestamp: Self.add(field.value, to: &webhookTimestamp)
            case .webhookSignature: Self.add(field.value, to: &webhookSignature)
            default: continue
            }
        }
    }

    private static func add(_ value: String, to found: inout String?) {
        found = found.map { $0 + ", " + value } ?? value
    }
}
