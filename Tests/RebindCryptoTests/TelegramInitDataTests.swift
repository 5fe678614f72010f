import Foundation
import RebindCore
import RebindCrypto
import Testing

/// Mini App launch data, checked by Telegram's published algorithm. The vector was computed
/// outside Swift (Python's `hmac`, `hashlib` and `urllib.parse`, following Telegram's
/// documentation step by step), so a mistake shared by the signer and the verifier here
/// cannot make it pass.
@Suite("Telegram Mini App initData")
struct TelegramInitDataTests {
    static let token = Secret("7000000001:AAFakeBotTokenForRebindTests-0123456789")
    static let hash = "71a95a26ce04c406adc26350b12e3452e23edc704bee415ccb5ff781a19ebe53"
    static let signed =
        "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22zh-hans%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%7D&auth_date=1764921600&signature=6fbdaH1fXvWXx9Ozy3-xyz_AbC&hash="
        + hash
    static let authDate = Date(timeIntervalSince1970: 1_764_921_600)

    func verify(_ raw: String, now: Date = authDate.addingTimeInterval(30), token: Secret = token) throws(TelegramInitData.Error) -> TelegramInitData
    {
        try TelegramInitData.verify(raw, botToken: token, maximumAge: 600, now: now)
    }

    @Test("The independently computed vector verifies and names the user, their language and the launch time")
    func vector() throws {
        let data = try verify(Self.signed)
        #expect(data == TelegramInitData(userID: 279_058_397, languageCode: "zh-hans", authDate: Self.authDate))
    }

    @Test("Fields in another order and the hash in capitals still verify: the check sorts the fields")
    func order() throws {
        let fields = Self.signed.split(separator: "&").reversed().joined(separator: "&")
        #expect(try verify(fields).userID == 279_058_397)
        #expect(try verify(Self.signed.replacingOccurrences(of: Self.hash, with: Self.hash.uppercased())).userID == 279_058_397)
    }

    @Test("A changed field, another bot's token, a cut hash or no hash is refused")
    func tampered() {
        #expect(throws: TelegramInitData.Error.mismatch) { try verify(Self.signed.replacingOccurrences(of: "279058397", with: "279058398")) }
        #expect(throws: TelegramInitData.Error.mismatch) {
            try verify(Self.signed.replacingOccurrences(of: "auth_date=1764921600", with: "auth_date=1764921601"))
        }
        #expect(throws: TelegramInitData.Error.mismatch) { try verify(Self.signed, token: Secret("7000000002:AAAnotherBotsToken")) }
        #expect(throws: TelegramInitData.Error.mismatch) { try verify(String(Self.signed.dropLast(2))) }
        let withoutHash = Self.signed.components(separatedBy: "&hash=")[0]
        #expect(throws: TelegramInitData.Error.missingHash) { try verify(withoutHash) }
    }

    @Test("A field twice is refused, even when one of them is the signed value")
    func duplicate() {
        #expect(throws: TelegramInitData.Error.duplicateField("user")) { try verify(Self.signed + "&user=%7B%22id%22%3A1%7D") }
        #expect(throws: TelegramInitData.Error.duplicateField("hash")) { try verify(Self.signed + "&hash=" + Self.hash) }
    }

    @Test("Older than the allowed age or more than a minute ahead is refused; the edges are taken")
    func age() throws {
        #expect(throws: TelegramInitData.Error.stale) { try verify(Self.signed, now: Self.authDate.addingTimeInterval(601)) }
        #expect(try verify(Self.signed, now: Self.authDate.addingTimeInterval(600)).userID == 279_058_397)
        #expect(throws: TelegramInitData.Error.future) { try verify(Self.signed, now: Self.authDate.addingTimeInterval(-61)) }
        #expect(try verify(Self.signed, now: Self.authDate.addingTimeInterval(-60)).userID == 279_058_397)
    }

    @Test("Not a query string is malformed; signed data without a user names nobody")
    func malformed() {
        #expect(throws: TelegramInitData.Error.malformed) { try verify("") }
        #expect(throws: TelegramInitData.Error.malformed) { try verify("just-text") }
        #expect(throws: TelegramInitData.Error.malformed) { try verify("user=%ZZ&hash=00") }
        let fields = ["auth_date": "1764921600", "query_id": "AAH"]
        let hash = TelegramInitData.signature(of: fields, botToken: Self.token)
        #expect(throws: TelegramInitData.Error.missingUser) { try verify("auth_date=1764921600&query_id=AAH&hash=\(hash)") }
    }

    @Test("No error names the token, the hash or the data")
    func errorsQuoteNothing() {
        for error in [
            TelegramInitData.Error.malformed, .duplicateField("user"), .missingHash, .mismatch, .missingAuthDate, .stale, .future, .missingUser,
        ] {
            #expect(!error.description.contains(Self.hash))
            #expect(!error.description.contains(Self.token.value))
            #expect(!error.description.contains("279058397"))
        }
    }
}
