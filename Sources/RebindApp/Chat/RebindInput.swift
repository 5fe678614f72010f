import Foundation
import RebindCore
import RebindCrypto

/// An input Rebind itself writes into a chat's lane (the platform answered a binding update,
/// a conversation went idle, the service started, a key form did not open), stored like the
/// platforms' updates so it is handled in order with them.
enum RebindInput: Codable, Sendable, Equatable {
    case bindingAnswered(accountID: String, outcome: ChatInput.BindingOutcome)
    case idle
    case resume
    case keyFormNotOpened(reference: String?)
    /// A key entered in the Mini App key form passed the check; its binding update is queued
    /// (or, standalone, the key is stored).
    case keyFormEntered(accountID: String, keyHint: String, stored: Bool)

    /// Stored updates whose external id starts so are Rebind's own.
    static let externalIDPrefix = "rebind:"

    var event: ChatInput.Event {
        switch self {
        case .bindingAnswered(let accountID, let outcome): .bindingAnswered(accountID: accountID, outcome: outcome)
        case .idle: .idle
        case .resume: .resume
        case .keyFormNotOpened(let reference): .keyFormNotOpened(reference: reference)
        case .keyFormEntered(let accountID, let keyHint, let stored): .keyEnteredInForm(accountID: accountID, keyHint: keyHint, stored: stored)
        }
    }
}

/// Writes Rebind's own inputs into chats' lanes, sealed like every stored update.
struct LaneInbox: Sendable {
    let store: any UpdateInbox
    let envelope: SecretEnvelope
    let wakeup: Wakeup
    let now: @Sendable () -> Date

    /// Stores the input once per `key` (a second post with the same key is a duplicate and
    /// does nothing) and wakes the lane processor.
    func post(_ input: RebindInput, to chat: ChatAddress, key: String) async throws {
        let sealed = try seal(input, to: chat, key: key)
        _ = try await store.recordUpdate(
            channel: sealed.channel,
            externalID: sealed.externalID,
            lane: sealed.lane,
            payload: sealed.payload,
            now: now()
        )
        wakeup.poke()
    }

    /// The input as stored, for a caller that writes it in a transaction of its own.
    func seal(_ input: RebindInput, to chat: ChatAddress, key: String) throws -> LaneInput {
        let externalID = RebindInput.externalIDPrefix + key
        let payload = try SealedUpdate.seal(try JSONEncoder().encode(input), channel: chat.channel, externalID: externalID, envelope: envelope)
        return LaneInput(channel: chat.channel, externalID: externalID, lane: chat.description, payload: payload)
    }
}
