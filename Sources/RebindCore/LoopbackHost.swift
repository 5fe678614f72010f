import Foundation

/// Whether a host name or address is this machine's own: `localhost`, `127.0.0.0/8`, `::1`.
/// Traffic to it never leaves the machine, so plain HTTP (tests, local staging) carries no
/// secret across a network.
public enum LoopbackHost {
    public static func contains(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        // ASCII digits only: `isNumber` also takes other scripts' digits ("١٢٧"), which Int does not read.
        guard octets.count == 4,
            octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy({ $0.isASCII && $0.isNumber }) && UInt8($0) != nil })
        else {
            return false
        }
        return octets[0] == "127"
    }
}
