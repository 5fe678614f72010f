import Foundation

/// Whether a host name or address is this machine's own: `localhost`, `127.0.0.0/8`, `::1`.
/// Traffic to it never leaves the machine, so plain HTTP (tests, local staging) carries no
/// secret across a network.
public enum LoopbackHost {
    public static func contains(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) && Int($0)! <= 255 }) else {
            return false
        }
        return octets[0] == "127"
    }
}
