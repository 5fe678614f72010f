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

    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(Array(lhs.utf8), Array(rhs.utf8))
    }
}
