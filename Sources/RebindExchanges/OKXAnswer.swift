import Foundation

/// How OKX v5 answers: `{"code": "0", "msg": "", "data": [ … ]}`. A refusal comes either as
/// the top-level `code`/`msg` or per item as `data[i].sCode`/`sMsg` (with a top-level code
/// of `0`, or `1`/`2` for "some" or "all failed"); both are read, and an item's code,
/// being the more specific, wins.
enum OKXAnswer<Item: Decodable & Sendable>: Sendable {
    case items([Item])
    case refused(code: String, message: String)

    /// Nil when the body is not OKX's envelope at all.
    static func read(_ body: Data) -> OKXAnswer? {
        let decoder = JSONDecoder()
        guard let envelope = try? decoder.decode(Envelope<ItemStatus>.self, from: body) else { return nil }
        let failedItem = envelope.data?.first { item in
            guard let code = item.sCode?.value else { return false }
            return !code.isEmpty && code != "0"
        }
        if let failedItem, let code = failedItem.sCode?.value {
            return .refused(code: code, message: failedItem.sMsg ?? envelope.msg ?? "")
        }
        guard envelope.code.value == "0" else {
            return .refused(code: envelope.code.value, message: envelope.msg ?? "")
        }
        guard let items = try? decoder.decode(Envelope<Item>.self, from: body).data else { return nil }
        return .items(items)
    }

    struct Envelope<Element: Decodable>: Decodable {
        var code: Code
        var msg: String?
        var data: [Element]?
    }

    struct ItemStatus: Decodable {
        var sCode: Code?
        var sMsg: String?
    }

    /// OKX writes codes as strings; accept numbers too.
    struct Code: Decodable {
        var value: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                value = text
            } else {
                value = String(try container.decode(Int.self))
            }
        }
    }
}
