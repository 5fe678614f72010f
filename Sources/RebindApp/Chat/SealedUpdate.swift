import Foundation
import RebindCore
import RebindCrypto

/// Chat updates are stored sealed: a message may hold a pasted secret, and the database must
/// never hold one in the clear, not even until the update is processed.
enum SealedUpdate {
    struct Unreadable: Error, CustomStringConvertible {
        var description: String { "A stored chat update could not be opened" }
    }

    static func seal(_ payload: Data, channel: Channel, externalID: String, envelope: SecretEnvelope) throws -> Data {
        let sealed = try envelope.seal(payload, as: .chatUpdate(channel: channel, externalID: externalID))
        // key id, a NUL, then nonce + ciphertext + tag.
        return Data(sealed.keyID.utf8) + Data([0]) + sealed.data
    }

    static func open(_ stored: Data, channel: Channel, externalID: String, envelope: SecretEnvelope) throws -> Data {
        guard let separator = stored.firstIndex(of: 0) else { throw Unreadable() }
        let keyID = String(decoding: stored[stored.startIndex..<separator], as: UTF8.self)
        let sealed = SealedData(keyID: keyID, data: Data(stored[stored.index(after: separator)...]))
        return try envelope.open(sealed, as: .chatUpdate(channel: channel, externalID: externalID), Data.self)
    }
}
