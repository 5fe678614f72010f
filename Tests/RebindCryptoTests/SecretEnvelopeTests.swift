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
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
        #expect(box.ciphertext == Self.hex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"))
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
        let sealed = try envelope.seal(Secret("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP"), boundTo: "binding:acc_42:api_secret")
        #expect(try envelope.open(sealed, boundTo: "binding:acc_42:api_secret").value == "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP")
        #expect(throws: SecretEnvelope.Error.cannotOpen) { try envelope.open(sealed, boundTo: "binding:acc_43:api_secret") }
        #expect(sealed.combined.range(of: Data("NhqPtmdS".utf8)) == nil)
        var altered = sealed
        altered.combined[altered.combined.count - 1] ^= 1
        #expect(throws: SecretEnvelope.Error.cannotOpen) { try envelope.open(altered, boundTo: "binding:acc_42:api_secret") }
    }

    @Test("After a rotation old secrets still open, and resealing moves them to the new key")
    func rotation() throws {
        let old = try key(1)
        let new = try key(2)
        let sealed = try SecretEnvelope(current: old).seal(Secret("passphrase-123"), boundTo: "row")
        let rotated = SecretEnvelope(current: new, previous: [old])
        #expect(try rotated.open(sealed, boundTo: "row").value == "passphrase-123")
        let resealed = try rotated.reseal(sealed, boundTo: "row")
        #expect(resealed.keyID == new.id)
        #expect(try SecretEnvelope(current: new).open(resealed, boundTo: "row").value == "passphrase-123")
        #expect(throws: SecretEnvelope.Error.unknownKey(id: old.id)) { try SecretEnvelope(current: new).open(sealed, boundTo: "row") }
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
}
