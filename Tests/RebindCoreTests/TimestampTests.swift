import Foundation
import RebindCore
import Testing

@Suite("RFC 3339 times")
struct TimestampTests {
    static let reference = Date(timeIntervalSince1970: 1_795_685_400)  // 2026-11-26T09:30:00Z

    @Test(
        "Valid forms read as the same instant",
        arguments: [
            "2026-11-26T09:30:00Z", "2026-11-26t09:30:00z", "2026-11-26T10:30:00+01:00", "2026-11-26T07:15:00-02:15",
            "2026-11-26T09:30:00.000Z", "2026-11-26T09:30:00.0000000000001Z", "2026-11-25T11:15:00-22:15",
        ]
    )
    func valid(_ text: String) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(abs(date.timeIntervalSince(Self.reference)) < 0.001)
    }

    @Test("Fractions are kept")
    func fractions() throws {
        #expect(try #require(Timestamp.parse("2026-11-26T09:30:00.25Z")) == Self.reference.addingTimeInterval(0.25))
    }

    @Test("Leap days exist only in leap years")
    func leapDays() {
        #expect(Timestamp.parse("2024-02-29T00:00:00Z") != nil)
        #expect(Timestamp.parse("2000-02-29T00:00:00Z") != nil)
        #expect(Timestamp.parse("2026-02-29T00:00:00Z") == nil)
        #expect(Timestamp.parse("1900-02-29T00:00:00Z") == nil)
    }

    @Test(
        "Invalid or trailing input is refused",
        arguments: [
            "", "yesterday", "2026-11-26", "2026-11-26T09:30:00", "2026-11-26T09:30:00Zjunk", "2026-11-26T09:30:00+04:00*",
            "2026-11-26T09:30:00+04:00:00", "2024-01-01T12:99:00Z", "2026-11-26T99:00:00Z", "2026-02-31T00:00:00Z",
            "2026-11-26T24:00:00Z", "2026-11-26T09:30:00+1800", "2026-11-26T09:30:00+18", "2026-13-01T00:00:00Z",
            "2026-11-26T09:30:00.Z", "2026-11-26 09:30:00Z", " 2026-11-26T09:30:00Z", "２０２６-11-26T09:30:00Z",
        ]
    )
    func invalid(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("Formatting and parsing round-trip")
    func roundTrip() {
        #expect(Timestamp.format(Self.reference) == "2026-11-26T09:30:00Z")
        #expect(Timestamp.parse(Timestamp.format(Self.reference)) == Self.reference)
    }
}
