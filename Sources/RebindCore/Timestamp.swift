import Foundation

/// RFC 3339 times as the wire uses them: `2026-11-26T09:30:00Z`, with optional fractions
/// and a `Z` or `±HH:MM` offset. Parsed strictly (every field in range, nothing trailing)
/// and without Foundation's calendar, which is both lenient and slow on this path.
public enum Timestamp {
    public static func parse(_ text: String) -> Date? {
        var reader = Reader(bytes: Array(text.utf8))
        guard let year = reader.digits(4), reader.expect(UInt8(ascii: "-")),
            let month = reader.digits(2), reader.expect(UInt8(ascii: "-")),
            let day = reader.digits(2), reader.expect(anyOf: [UInt8(ascii: "T"), UInt8(ascii: "t")]),
            let hour = reader.digits(2), reader.expect(UInt8(ascii: ":")),
            let minute = reader.digits(2), reader.expect(UInt8(ascii: ":")),
            let second = reader.digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }

        var fraction = 0.0
        if reader.peek == UInt8(ascii: ".") {
            reader.index += 1
            var scale = 0.1
            var count = 0
            while let digit = reader.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) {
                fraction += Double(digit - UInt8(ascii: "0")) * scale
                scale /= 10
                count += 1
                reader.index += 1
            }
            guard count > 0 else { return nil }
        }

        var offset = 0
        switch reader.peek {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            reader.index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = reader.peek == UInt8(ascii: "-") ? -1 : 1
            reader.index += 1
            guard let offsetHours = reader.digits(2), reader.expect(UInt8(ascii: ":")), let offsetMinutes = reader.digits(2),
                (0...23).contains(offsetHours), (0...59).contains(offsetMinutes)
            else { return nil }
            offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
        default:
            return nil
        }
        guard reader.index == reader.bytes.count else { return nil }

        // A leap second is read as the last second of its minute.
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + min(second, 59) - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    struct Reader {
        var bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        mutating func expect(anyOf choices: [UInt8]) -> Bool {
            guard let byte = peek, choices.contains(byte) else { return false }
            index += 1
            return true
        }
    }
}
