import RebindCore
import Testing

@Suite("Button actions")
struct ButtonActionTests {
    @Test("Each action round-trips through its wire form, which is the one buttons already sent carry")
    func roundTrip() {
        let reference = "3f9a0c1d2e3f4a5b"
        for action in [ButtonAction.updateKey(account: reference), .remindLater(incident: reference)] {
            #expect(ButtonAction.parse(action.encoded) == action)
        }
        #expect(ButtonAction.updateKey(account: reference).encoded == "u:3f9a0c1d2e3f4a5b")
        #expect(ButtonAction.remindLater(incident: reference).encoded == "l:3f9a0c1d2e3f4a5b")
    }

    @Test("Data Rebind did not write is no action: other kinds, empty or odd references, too long for Telegram")
    func refused() {
        for data in ["", "u", "u:", "x:abc", "abc", "u:a b", "u:<script>", "l:../../x", "u:" + String(repeating: "a", count: 63)] {
            #expect(ButtonAction.parse(data) == nil, "\(data)")
        }
        // 64 bytes is Telegram's limit, and still read.
        #expect(ButtonAction.parse("u:" + String(repeating: "a", count: 62)) == .updateKey(account: String(repeating: "a", count: 62)))
    }

    @Test("Rebind's references keep every action within Telegram's 64 bytes")
    func sizeBound() {
        let longest = [ButtonAction.updateKey(account: String(repeating: "f", count: 16)), .remindLater(incident: String(repeating: "f", count: 16))]
        for action in longest {
            #expect(action.encoded.utf8.count <= ButtonAction.maxEncodedBytes)
        }
    }
}
