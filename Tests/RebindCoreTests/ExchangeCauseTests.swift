import RebindCore
import Testing

@Suite("Reason classifier on exchange answers")
struct ExchangeCauseTests {
    let classifier = ReasonClassifier()

    @Test("A decisive code names its cause")
    func decisiveCodes() {
        #expect(classifier.exchangeCause(code: "-1022", message: "Signature for this request is not valid.", exchange: "binance") == .secretWrong)
        #expect(classifier.exchangeCause(code: "50105", message: nil, exchange: "okx") == .passphraseWrong)
        #expect(classifier.exchangeCause(code: " 50110 ", message: nil, exchange: "okx") == .ipNotAllowed)
    }

    @Test("Binance -2015 decides nothing by itself")
    func ambiguous() {
        #expect(classifier.exchangeCause(code: "-2015", message: "Invalid API-key, IP, or permissions for action.", exchange: "binance") == nil)
    }

    @Test("An unlisted code falls back to the message, and otherwise to nothing")
    func messageFallback() {
        #expect(classifier.exchangeCause(code: "59999", message: "Invalid OK-ACCESS-KEY.", exchange: "okx") == .keyDeleted)
        #expect(classifier.exchangeCause(code: "59999", message: "Something new.", exchange: "okx") == nil)
        #expect(classifier.exchangeCause(code: "-1022", message: nil, exchange: "okx") == nil)
    }
}
