import Foundation

/// Bytes sealed by the secrets envelope, with the id of the key that sealed them. The core
/// never sees plaintext of what is stored this way.
public struct SealedData: Sendable, Equatable {
    public var keyID: String
    public var data: Data

    public init(keyID: String, data: Data) {
        self.keyID = keyID
        self.data = data
    }
}
