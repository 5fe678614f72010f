import Foundation

/// Maps what the platform reported (its own text, and the exchange's raw code and message) to a
/// `Cause`. It knows exactly the rows of the reference table and nothing more: anything else is
/// `unknown`, never a guess.
///
/// Precedence: a decisive exchange code wins, because it names the fault exactly; then the
/// platform's own text; then the exchange's message on its own. An ambiguous code such as
/// Binance `-2015` decides nothing by itself and leaves the text to speak.
public struct ReasonClassifier: Sendable {
    public init() {}

    public func classify(_ reason: RobotEvent.Reason, exchange: String) -> Cause {
        if let code = reason.code.map(Self.normalizedCode), !code.isEmpty,
            let cause = codeCause(code, message: reason.message, exchange: exchange)
        {
            return cause
        }
        if let cause = Self.textCause(reason.text) { return cause }
        if let message = reason.message {
            if let cause = Self.messageCause(message) { return cause }
            if let cause = Self.textCause(message) { return cause }
        }
        return .unknown
    }

    /// The cause an exchange's own error names, read from its code and message, as a live
    /// key check gets them. Nil when they decide nothing: Binance `-2015`, or a code and
    /// message outside the reference table.
    public func exchangeCause(code: String, message: String?, exchange: String) -> Cause? {
        let code = Self.normalizedCode(code)
        if !code.isEmpty, let cause = codeCause(code, message: message, exchange: exchange) {
            return cause
        }
        return message.flatMap(Self.messageCause)
    }

    // MARK: Exchange codes

    func codeCause(_ code: String, message: String?, exchange: String) -> Cause? {
        switch exchange {
        case "binance": Self.binanceCause(code, message: message)
        case "okx": Self.okxCause(code)
        // An exchange added through the catalogue has no code table yet; try both, since
        // Binance's codes are negative and OKX's are five digits, they never collide.
        default: Self.binanceCause(code, message: message) ?? Self.okxCause(code)
        }
    }

    static func binanceCause(_ code: String, message: String?) -> Cause? {
        switch code {
        case "-2014", "-2008", "-1099": return .keyDeleted
        case "-1022", "-4056", "-4057": return .secretWrong
        case "-1002": return .permissionMissing
        case "-1005", "-1011": return .ipNotAllowed
        case "-2017", "-1021": return .notKeyRelated
        case "-2010", "-2011":
            // Only these two account restrictions are known; a -2010 for, say, insufficient
            // balance is not in the table and stays undecided.
            guard let message = message.map(Phrase.normalize) else { return nil }
            return Phrase.binanceAccountRestrictions.contains(message) ? .notKeyRelated : nil
        default:
            // -2015 is ambiguous (deleted, IP, permission, ban): only a key check can tell.
            return nil
        }
    }

    static func okxCause(_ code: String) -> Cause? {
        switch code {
        case "50111", "50119", "50101": .keyDeleted
        case "50105", "50104": .passphraseWrong
        case "50113": .secretWrong
        case "50110", "50035", "50121": .ipNotAllowed
        case "50120", "50030": .permissionMissing
        case "50100", "50102", "50112", "50007", "50027", "50029": .notKeyRelated
        default: nil
        }
    }

    static func normalizedCode(_ code: String) -> String {
        // Trimmed scalar by scalar, not through NSString: Foundation's `.whitespacesAndNewlines`
        // is Unicode's White_Space and the zero-width space (checked over every scalar).
        func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace || scalar.value == 0x200B }
        let scalars = code.unicodeScalars
        let first = scalars.firstIndex { !isBlank($0) } ?? scalars.endIndex
        let end = scalars[first...].lastIndex { !isBlank($0) }.map(scalars.index(after:)) ?? first
        var trimmed = String(scalars[first..<end])
        // A typographic minus pasted from a document reads the same to a person.
        if trimmed.hasPrefix("\u{2212}") { trimmed = "-" + trimmed.dropFirst() }
        return trimmed
    }

    // MARK: Texts

    /// The platform's own texts.
    static func textCause(_ text: String) -> Cause? {
        Phrase.firstCause(of: text, in: Phrase.platformTexts)
    }

    /// The exchanges' messages, when no code came with them.
    static func messageCause(_ message: String) -> Cause? {
        Phrase.firstCause(of: message, in: Phrase.exchangeMessages)
    }
}

/// Text comparison that ignores case, punctuation and spacing, so "PAUSE: invalid API key
/// operation permission." and "Pause - Invalid API key operation permission" read alike.
enum Phrase {
    /// A pattern is a sequence of fragments that must appear in order and cover the phrase's
    /// start and end; placeholders such as OKX's "Your IP {…} is not included…" fall between
    /// fragments. A prefix pattern also accepts trailing detail ("Invest Control Limit (…)").
    struct Pattern: Sendable {
        var fragments: [String]
        var isPrefix = false

        init(_ fragments: String...) { self.fragments = fragments.map(Phrase.normalize) }

        static func prefix(_ text: String) -> Pattern {
            var pattern = Pattern(text)
            pattern.isPrefix = true
            return pattern
        }
    }

    static func normalize(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            let isWordCharacter: Bool
            if scalar.isASCII {
                let value = scalar.value
                isWordCharacter = (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
            } else {
                isWordCharacter = scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            }
            guard isWordCharacter else {
                pendingSpace = !result.isEmpty
                continue
            }
            if pendingSpace {
                result.append(" ")
                pendingSpace = false
            }
            if scalar.isASCII, (0x41...0x5A).contains(scalar.value) {
                result.append(Unicode.Scalar(UInt8(scalar.value + 0x20)))
            } else if scalar.isASCII {
                result.append(scalar)
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(result)
    }

    /// The cause of the first pattern the text matches, in the list's order.
    static func firstCause(of text: String, in patterns: [(Pattern, Cause)]) -> Cause? {
        let phrase = normalize(text)
        guard !phrase.isEmpty else { return nil }
        let isASCII = phrase.utf8.allSatisfy { $0 < 0x80 }
        return patterns.first { matches(phrase, $0.0, isASCII: isASCII) }?.1
    }

    /// `isASCII`: whether the phrase is all ASCII, found once for all the patterns it is tried on.
    static func matches(_ phrase: String, _ pattern: Pattern, isASCII: Bool) -> Bool {
        var rest = phrase[...]
        for (index, fragment) in pattern.fragments.enumerated() {
            let found = isASCII ? asciiRange(of: fragment, in: rest) : rest.range(of: fragment)
            guard let range = found else { return false }
            if index == 0, range.lowerBound != rest.startIndex { return false }
            rest = rest[range.upperBound...]
        }
        if rest.isEmpty { return true }
        // Trailing detail is allowed only after a whole word.
        return pattern.isPrefix && rest.first == " "
    }

    /// The first occurrence of `fragment` in an ASCII `text`, byte by byte; what Foundation's
    /// `range(of:)` finds there, without its trip through NSString on every event (the patterns
    /// are ASCII; a phrase with other letters keeps Foundation's comparison).
    static func asciiRange(of fragment: String, in text: Substring) -> Range<Substring.Index>? {
        let needle = fragment.utf8
        let haystack = text.utf8
        guard !needle.isEmpty else { return nil }
        var start = haystack.startIndex
        while start != haystack.endIndex {
            var cursor = start
            var wanted = needle.startIndex
            while wanted != needle.endIndex, cursor != haystack.endIndex, haystack[cursor] == needle[wanted] {
                haystack.formIndex(after: &cursor)
                needle.formIndex(after: &wanted)
            }
            if wanted == needle.endIndex { return start..<cursor }
            if cursor == haystack.endIndex { return nil }
            haystack.formIndex(after: &start)
        }
        return nil
    }

    static let platformTexts: [(Pattern, Cause)] = [
        (Pattern("Pause: Invalid API key operation permission"), .permissionMissing),
        (Pattern("Invalid API key operation permission"), .permissionMissing),
        (Pattern("API expired or no permission"), .keyExpired),
        (Pattern("Stop: API expired or no permission"), .keyExpired),
        (Pattern("The API key was deleted on the exchange"), .keyDeleted),
        (Pattern("API key was deleted on the exchange"), .keyDeleted),
        (Pattern("API key deleted"), .keyDeleted),
        (Pattern.prefix("Invest Control Limit"), .notKeyRelated),
        (Pattern("Insufficient Total Pending Investment"), .notKeyRelated),
        (Pattern("Insufficient Long Pending Investment"), .notKeyRelated),
        (Pattern("Insufficient Short Pending Investment"), .notKeyRelated),
        (Pattern.prefix("Risk Control"), .notKeyRelated),
        (Pattern.prefix("Pause: Risk Control"), .notKeyRelated),
        (Pattern.prefix("Pause: Invest Control Limit"), .notKeyRelated),
    ]

    static let binanceAccountRestrictions: Set<String> = [
        normalize("This action is disabled on this account."),
        normalize("This account may not place or cancel orders."),
    ]

    static let exchangeMessages: [(Pattern, Cause)] = [
        // Binance
        (Pattern("API-key format invalid."), .keyDeleted),
        (Pattern("Invalid Api-Key ID."), .keyDeleted),
        (Pattern("Signature for this request is not valid."), .secretWrong),
        (Pattern("You are not authorized to execute this request."), .permissionMissing),
        (Pattern("Not found, unauthenticated, or unauthorized."), .keyDeleted),
        (Pattern("No such IP has been white listed"), .ipNotAllowed),
        (Pattern("This IP cannot access this route."), .ipNotAllowed),
        (Pattern("API Keys are locked on this account."), .notKeyRelated),
        (Pattern("Invalid api key type."), .secretWrong),
        (Pattern("Invalid api public key"), .secretWrong),
        (Pattern("Timestamp for this request is outside of the recvWindow."), .notKeyRelated),
        (Pattern("This action is disabled on this account."), .notKeyRelated),
        (Pattern("This account may not place or cancel orders."), .notKeyRelated),
        // OKX
        (Pattern("Invalid OK-ACCESS-KEY."), .keyDeleted),
        (Pattern("API key doesn't exist"), .keyDeleted),
        (Pattern("Request header \"OK-ACCESS-PASSPHRASE\" incorrect."), .passphraseWrong),
        (Pattern("Request header OK-ACCESS-PASSPHRASE incorrect."), .passphraseWrong),
        (Pattern("Request header \"OK-ACCESS-PASSPHRASE\" cannot be empty."), .passphraseWrong),
        (Pattern("Invalid signature."), .secretWrong),
        (Pattern("Your IP", "is not included in your API key's IP whitelist."), .ipNotAllowed),
        (Pattern("This endpoint requires that APIKey must be bound to IP"), .ipNotAllowed),
        (Pattern.prefix("You can't access our services through the IP address"), .ipNotAllowed),
        (Pattern("This API key doesn't have permission to use this function"), .permissionMissing),
        (Pattern("You don't have permission to use this API endpoint"), .permissionMissing),
        (Pattern("API frozen, please contact customer service."), .notKeyRelated),
        (Pattern("APIKey does not match current environment."), .keyDeleted),
        (Pattern("Timestamp request expired."), .notKeyRelated),
        (Pattern("Invalid OK-ACCESS-TIMESTAMP."), .notKeyRelated),
        (Pattern("User blocked."), .notKeyRelated),
    ]
}
