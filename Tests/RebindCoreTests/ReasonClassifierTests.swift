import RebindCore
import Testing

/// Every row of shared/reference/exchange-errors.md, pinned.
@Suite("Reason classifier")
struct ReasonClassifierTests {
    let classifier = ReasonClassifier()

    struct Row: CustomTestStringConvertible, Sendable {
        var exchange: String
        var text: String
        var code: String?
        var message: String?
        var cause: Cause
        var testDescription: String { "\(exchange) \(code ?? "-") \(message ?? text) → \(cause.rawValue)" }
    }

    static let platformTexts: [Row] = [
        Row(exchange: "binance", text: "Pause: Invalid API key operation permission", cause: .permissionMissing),
        Row(exchange: "okx", text: "Pause: Invalid API key operation permission", cause: .permissionMissing),
        Row(exchange: "binance", text: "API expired or no permission", cause: .keyExpired),
        Row(exchange: "okx", text: "API expired or no permission", cause: .keyExpired),
        Row(exchange: "binance", text: "The API key was deleted on the exchange", cause: .keyDeleted),
        Row(exchange: "binance", text: "Invest Control Limit", cause: .notKeyRelated),
        Row(exchange: "binance", text: "Invest Control Limit (Insufficient Total Pending Investment)", cause: .notKeyRelated),
        Row(exchange: "okx", text: "Invest Control Limit (Insufficient Long Pending Investment)", cause: .notKeyRelated),
        Row(exchange: "okx", text: "Invest Control Limit (Insufficient Short Pending Investment)", cause: .notKeyRelated),
        Row(exchange: "binance", text: "Risk Control", cause: .notKeyRelated),
    ]

    static let binanceRows: [Row] = [
        Row(exchange: "binance", text: "Stopped", code: "-2014", message: "API-key format invalid.", cause: .keyDeleted),
        Row(exchange: "binance", text: "Stopped", code: "-2008", message: "Invalid Api-Key ID.", cause: .keyDeleted),
        Row(exchange: "binance", text: "Stopped", code: "-1022", message: "Signature for this request is not valid.", cause: .secretWrong),
        Row(
            exchange: "binance",
            text: "Stopped",
            code: "-1002",
            message: "You are not authorized to execute this request.",
            cause: .permissionMissing
        ),
        Row(exchange: "binance", text: "Stopped", code: "-1099", message: "Not found, unauthenticated, or unauthorized.", cause: .keyDeleted),
        Row(exchange: "binance", text: "Stopped", code: "-1005", message: "No such IP has been white listed", cause: .ipNotAllowed),
        Row(exchange: "binance", text: "Stopped", code: "-1011", message: "This IP cannot access this route.", cause: .ipNotAllowed),
        Row(exchange: "binance", text: "Stopped", code: "-2017", message: "API Keys are locked on this account.", cause: .notKeyRelated),
        Row(exchange: "binance", text: "Stopped", code: "-4056", message: "Invalid api key type.", cause: .secretWrong),
        Row(exchange: "binance", text: "Stopped", code: "-4057", message: "Invalid api public key", cause: .secretWrong),
        Row(
            exchange: "binance",
            text: "Stopped",
            code: "-1021",
            message: "Timestamp for this request is outside of the recvWindow.",
            cause: .notKeyRelated
        ),
        Row(exchange: "binance", text: "Stopped", code: "-2010", message: "This action is disabled on this account.", cause: .notKeyRelated),
        Row(exchange: "binance", text: "Stopped", code: "-2011", message: "This action is disabled on this account.", cause: .notKeyRelated),
        Row(exchange: "binance", text: "Stopped", code: "-2010", message: "This account may not place or cancel orders.", cause: .notKeyRelated),
        Row(exchange: "binance", text: "Stopped", code: "-2011", message: "This account may not place or cancel orders.", cause: .notKeyRelated),
    ]

    static let okxRows: [Row] = [
        Row(exchange: "okx", text: "Stopped", code: "50111", message: "Invalid OK-ACCESS-KEY.", cause: .keyDeleted),
        Row(exchange: "okx", text: "Stopped", code: "50119", message: "API key doesn't exist", cause: .keyDeleted),
        Row(exchange: "okx", text: "Stopped", code: "50105", message: "Request header \"OK-ACCESS-PASSPHRASE\" incorrect.", cause: .passphraseWrong),
        Row(
            exchange: "okx",
            text: "Stopped",
            code: "50104",
            message: "Request header \"OK-ACCESS-PASSPHRASE\" cannot be empty.",
            cause: .passphraseWrong
        ),
        Row(exchange: "okx", text: "Stopped", code: "50113", message: "Invalid signature.", cause: .secretWrong),
        Row(
            exchange: "okx",
            text: "Stopped",
            code: "50110",
            message: "Your IP 203.0.113.7 is not included in your API key's IP whitelist.",
            cause: .ipNotAllowed
        ),
        Row(exchange: "okx", text: "Stopped", code: "50035", message: "This endpoint requires that APIKey must be bound to IP", cause: .ipNotAllowed),
        Row(
            exchange: "okx",
            text: "Stopped",
            code: "50121",
            message: "You can't access our services through the IP address (203.0.113.7)",
            cause: .ipNotAllowed
        ),
        Row(
            exchange: "okx",
            text: "Stopped",
            code: "50120",
            message: "This API key doesn't have permission to use this function",
            cause: .permissionMissing
        ),
        Row(
            exchange: "okx",
            text: "Stopped",
            code: "50030",
            message: "You don't have permission to use this API endpoint",
            cause: .permissionMissing
        ),
        Row(exchange: "okx", text: "Stopped", code: "50100", message: "API frozen, please contact customer service.", cause: .notKeyRelated),
        Row(exchange: "okx", text: "Stopped", code: "50101", message: "APIKey does not match current environment.", cause: .keyDeleted),
        Row(exchange: "okx", text: "Stopped", code: "50102", message: "Timestamp request expired.", cause: .notKeyRelated),
        Row(exchange: "okx", text: "Stopped", code: "50112", message: "Invalid OK-ACCESS-TIMESTAMP.", cause: .notKeyRelated),
        Row(exchange: "okx", text: "Stopped", code: "50007", message: "User blocked.", cause: .notKeyRelated),
        Row(exchange: "okx", text: "Stopped", code: "50027", message: "The account is restricted from trading", cause: .notKeyRelated),
        Row(exchange: "okx", text: "Stopped", code: "50029", message: "Risk control", cause: .notKeyRelated),
    ]

    func classify(_ row: Row) -> Cause {
        classifier.classify(RobotEvent.Reason(text: row.text, code: row.code, message: row.message), exchange: row.exchange)
    }

    @Test("Each text the platform shows maps to its cause", arguments: platformTexts)
    func platformText(_ row: Row) {
        #expect(classify(row) == row.cause)
    }

    @Test("Each Binance code maps to its cause", arguments: binanceRows)
    func binanceCode(_ row: Row) {
        #expect(classify(row) == row.cause)
    }

    @Test("Each OKX code maps to its cause", arguments: okxRows)
    func okxCode(_ row: Row) {
        #expect(classify(row) == row.cause)
    }

    @Test("An exchange message alone, without its code, still maps to its cause", arguments: binanceRows + okxRows)
    func messageWithoutCode(_ row: Row) {
        // OKX's 50027 and 50029 texts are paraphrases in the reference, not exact messages.
        guard row.code != "50027", row.code != "50029" else { return }
        let reason = RobotEvent.Reason(text: "Robot stopped", code: nil, message: row.message)
        #expect(classifier.classify(reason, exchange: row.exchange) == row.cause)
    }

    @Test("Binance -2015 alone is ambiguous and stays unknown")
    func ambiguousBinanceCode() {
        let reason = RobotEvent.Reason(text: "Robot stopped", code: "-2015", message: "Invalid API-key, IP, or permissions for action.")
        #expect(classifier.classify(reason, exchange: "binance") == .unknown)
    }

    @Test("Binance -2015 with the platform's text takes the text's cause")
    func ambiguousCodeDefersToText() {
        let paused = RobotEvent.Reason(
            text: "Pause: Invalid API key operation permission",
            code: "-2015",
            message: "Invalid API-key, IP, or permissions for action."
        )
        #expect(classifier.classify(paused, exchange: "binance") == .permissionMissing)
        let expired = RobotEvent.Reason(text: "API expired or no permission", code: "-2015")
        #expect(classifier.classify(expired, exchange: "binance") == .keyExpired)
    }

    @Test("A decisive code wins over the platform's generic text")
    func codeBeatsText() {
        let reason = RobotEvent.Reason(text: "Pause: Invalid API key operation permission", code: "50105")
        #expect(classifier.classify(reason, exchange: "okx") == .passphraseWrong)
    }

    @Test("-2010 with a message outside the table is not guessed")
    func unlistedAccountMessage() {
        let reason = RobotEvent.Reason(text: "Order failed", code: "-2010", message: "Account has insufficient balance for requested action.")
        #expect(classifier.classify(reason, exchange: "binance") == .unknown)
    }

    @Test(
        "Case, surrounding whitespace and punctuation do not change the cause",
        arguments: [
            "  pause: invalid api key operation permission  ",
            "PAUSE - INVALID API KEY OPERATION PERMISSION.",
            "Pause:Invalid API key operation permission!",
            "\tPause:  Invalid   API key operation permission\n",
            "Invalid API key operation permission",
        ]
    )
    func tolerantMatching(_ text: String) {
        #expect(classifier.classify(RobotEvent.Reason(text: text), exchange: "binance") == .permissionMissing)
    }

    @Test("Codes are read with surrounding whitespace or a typographic minus")
    func tolerantCodes() {
        #expect(classifier.classify(RobotEvent.Reason(text: "x", code: " -1022 "), exchange: "binance") == .secretWrong)
        #expect(classifier.classify(RobotEvent.Reason(text: "x", code: "\u{2212}1022"), exchange: "binance") == .secretWrong)
    }

    @Test(
        "Anything unknown is unknown, never a guess",
        arguments: [
            "Robot stopped", "", "Invalid", "API", "Permission", "Pause: Invalid API key operation permission and more",
            "Risky Control", "Not an Invest Control Limit",
        ]
    )
    func unknownText(_ text: String) {
        #expect(classifier.classify(RobotEvent.Reason(text: text), exchange: "binance") == .unknown)
    }

    @Test("A code of one exchange is not read as another's")
    func codesStayWithTheirExchange() {
        #expect(classifier.classify(RobotEvent.Reason(text: "x", code: "50105"), exchange: "binance") == .unknown)
        #expect(classifier.classify(RobotEvent.Reason(text: "x", code: "-1022"), exchange: "okx") == .unknown)
    }

    @Test("Not-key-related causes never count as key problems")
    func notKeyRelated() {
        #expect(!Cause.notKeyRelated.isKeyRelated)
        #expect(Cause.allCases.filter { !$0.isKeyRelated } == [.notKeyRelated])
    }
}
