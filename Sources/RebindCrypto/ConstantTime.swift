import Crypto
import Foundation

/// Comparison whose running time does not depend on where two values first differ, for MACs
/// and tokens. `==` returns at the first difference and so leaks a prefix to a patient caller.
public enum ConstantTime {
    public static func equals<A: Sequence<UInt8>, B: Sequence<UInt8>>(_ lhs: A, _ rhs: B) -> Bool {
        let left = Array(lhs)
        let right = Array(rhs)
        // The length is not secret (MACs have a fixed length; tokens a published one).
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices {
            difference |= left[index] ^ right[index]
        }
        return difference == 0
    }

    /// For secrets of any length (tokens a caller presents): both sides are hashed first, so
    /// neither the time taken nor an early return tells the caller the secret's length.
    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(SHA256.hash(data: Data(lhs.utf8)), SHA256.hash(data: Data(rhs.utf8)))
    }
}
