import RebindCore
import Testing

@Suite("Loopback hosts")
struct LoopbackHostTests {
    @Test(
        "localhost, 127.0.0.0/8 and ::1 are loopback",
        arguments: ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"]
    )
    func loopback(host: String) {
        #expect(LoopbackHost.contains(host))
    }

    @Test(
        "Other names and addresses are not, and digits of other scripts neither refuse nor crash",
        arguments: ["10.0.0.7", "128.0.0.1", "127.0.0.1.attacker.example", "127.0.0", "127.0.0.256", "١٢٧.0.0.1", "127.٠.0.1", "", "127.0.0.-1"]
    )
    func notLoopback(host: String) {
        #expect(!LoopbackHost.contains(host))
    }
}
