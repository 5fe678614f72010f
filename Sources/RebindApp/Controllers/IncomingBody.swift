import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The checks every signed JSON endpoint makes before anything else: size, then media type.
enum IncomingBody {
    /// Collects the body, refusing one over `limit` bytes before reading it when the length
    /// is declared, and as soon as it is exceeded when it is not.
    static func collect(_ request: Request, limit: Int) async throws(APIError) -> Data {
        let tooLarge = APIError(status: .contentTooLarge, code: "body_too_large", message: "The body is larger than \(limit / 1024) KiB")
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
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

    static func requireJSON(_ request: Request) throws(APIError) {
        let mediaType = request.headers[.contentType]?
            .split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "Send the body as application/json")
        }
    }
}
