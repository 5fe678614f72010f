import Foundation
import HTTPTypes
import Hummingbird

/// An error answer, `{"error": {"code", "message", "field"}}`. Only controllers make these.
struct APIError: Error, Sendable {
    var status: HTTPTypes.HTTPResponse.Status
    var code: String
    var message: String
    var field: String?

    func response() -> Response {
        struct Body: Encodable {
            struct Detail: Encodable {
                var code: String
                var message: String
                var field: String?

                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(code, forKey: .code)
                    try container.encode(message, forKey: .message)
                    try container.encode(field, forKey: .field)
                }

                enum CodingKeys: String, CodingKey { case code, message, field }
            }
            var error: Detail
        }
        return Response.json(status: status, Body(error: .init(code: code, message: message, field: field)))
    }
}

extension Response {
    static func json(status: HTTPTypes.HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"code":"internal","message":"encoding failed","field":null}}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
