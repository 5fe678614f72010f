import Crypto
import Foundation
import RebindCore
import RebindCrypto
import Testing

@Suite("Secrets at rest")
struct SecretEnvelopeTests {
    static func hex(_ text: String) -> Data {
        var data = Data()
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            data.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return data
    }

    @Test("AES-256-GCM matches the GCM specification's Test Case 16, and other associated data fails")
    func gcmVector() throws {
        let key = SymmetricKey(data: Self.hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let nonce = try AES.GCM.Nonce(data: Self.hex("cafebabefacedbaddecaf888"))
        let aad = Self.hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let plaintext = Self.hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        )
        let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
        #expect(
            box.ciphertext
                == Self.hex(
                    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
                )
        )
        #expect(box.tag == Self.hex("76fc6ece0f4e1768cddf8853bb2d551b"))
        #expect(try AES.GCM.open(box, using: key, authenticating: aad) == plaintext)
        #expect(throws: (any Error).self) { try AES.GCM.open(box, using: key, authenticating: Data("other".utf8)) }
    }

    func key(_ byte: UInt8) throws -> SecretEnvelope.Key {
        try SecretEnvelope.Key(base64: Secret(Data(repeating: byte, count: 32).base64EncodedString()), variable: "REBIND_MASTER_KEY")
    }

    @Test("A sealed secret opens on its own row only, and its bytes do not contain it")
    func roundTrip() throws {
        let envelope = SecretEnvelope(current: try key(1))
        let sealed = try envelope.seal(Secret("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP"), as: .binding(accountID: "acc_42"))
        #expect(try envelope.open(sealed, as: .binding(accountID: "acc_42"), Secret.self).value == "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP")
        #expect(throws: SecretEnvelope.Error.cannotOpen) { try envelope.open(sealed, as: .binding(accountID: "acc_43"), Secret.self) }
        // The same string in another kind of place does not open either.
        #expect(throws: SecretEnvelope.Error.cannotOpen) { try envelope.open(sealed, as: .bindingUpdate(id: "acc_42"), Secret.self) }
        #expect(sealed.data.range(of: Data("NhqPtmdS".utf8)) == nil)
        var altered = sealed
        altered.data[altered.data.count - 1] ^= 1
        #expect(throws: SecretEnvelope.Error.cannotOpen) { try envelope.open(altered, as: .binding(accountID: "acc_42"), Secret.self) }
    }

    @Test("After a rotation old secrets still open, and resealing moves them to the new key")
    func rotation() throws {
        let old = try key(1)
        let new = try key(2)
        let row = SealContext.binding(accountID: "acc_1")
        let sealed = try SecretEnvelope(current: old).seal(Secret("passphrase-123"), as: row)
        let rotated = SecretEnvelope(current: new, previous: [old])
        #expect(try rotated.open(sealed, as: row, Secret.self).value == "passphrase-123")
        let resealed = try rotated.reseal(sealed, as: row)
        #expect(resealed.keyID == new.id)
        #expect(try SecretEnvelope(current: new).open(resealed, as: row, Secret.self).value == "passphrase-123")
        #expect(throws: SecretEnvelope.Error.unknownKey(id: old.id)) { try SecretEnvelope(current: new).open(sealed, as: row, Secret.self) }
    }

    @Test("Key ids are stable for the same key and never print the key")
    func keyID() throws {
        #expect(try key(1).id == key(1).id)
        #expect(try key(1).id != key(2).id)
        #expect(!"\(try key(1))".contains(Data(repeating: 1, count: 32).base64EncodedString()))
        #expect(throws: SecretEnvelope.Key.Error.malformed(variable: "REBIND_MASTER_KEY")) {
            try SecretEnvelope.Key(base64: Secret("c2hvcnQ="), variable: "REBIND_MASTER_KEY")
        }
    }

    @Test("Typed values seal as their JSON and open as the same type; contexts keep the strings stored rows were sealed with")
    func typedValues() throws {
        struct Note: Codable, Equatable, SealablePayload {
            var text: String
            var count: Int
        }
        let envelope = SecretEnvelope(current: try key(3))
        let chat = ChatAddress(channel: .telegram, id: "42")
        let sealed = try envelope.seal(Note(text: "hi", count: 2), as: .conversation(chat))
        #expect(try envelope.open(sealed, as: .conversation(chat), Note.self) == Note(text: "hi", count: 2))
        #expect(throws: SecretEnvelope.Error.cannotOpen) {
            try envelope.open(sealed, as: .conversation(ChatAddress(channel: .telegram, id: "43")), Note.self)
        }
        #expect(SealContext.conversation(chat).associatedData == "conversation:telegram:42")
        #expect(SealContext.binding(accountID: "acc_1").associatedData == "binding:acc_1")
        #expect(SealContext.bindingUpdate(id: "bind_1").associatedData == "binding_update:bind_1")
        #expect(SealContext.chatUpdate(channel: .slack, externalID: "event:Ev1").associatedData == "update:slack:event:Ev1")
        #expect(SealContext.slackInstallation(teamID: "T1").associatedData == "slack_installation:T1")
    }
}
