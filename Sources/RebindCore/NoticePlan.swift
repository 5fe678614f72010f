/// What a due notice becomes, chat by chat: a pure decision over the incident as it is now and
/// the user's chats (with the message the incident already has in each). The outbox performs it.
public enum NoticePlan: Sendable, Equatable {
    /// Nobody to tell yet: a first message waits until the user links a chat.
    case park
    /// Nothing to send (the incident is gone, already announced, resolved before it was
    /// announced): the notice is done.
    case complete
    /// Send or edit in these chats, in this order.
    case steps([Step])

    public struct Step: Sendable, Equatable {
        public var chat: ChatAddress
        public var action: Action

        public init(chat: ChatAddress, action: Action) {
            self.chat = chat
            self.action = action
        }
    }

    public enum Action: Sendable, Equatable {
        case send(MessageKind)
        case edit(messageID: String, MessageKind)

        public var kind: MessageKind {
            switch self {
            case .send(let kind), .edit(_, let kind): kind
            }
        }
    }

    /// `incident` is nil when it no longer exists; `targets` are the chats that can be written
    /// to (their channel is on, they are not blocked).
    public init(_ due: DueNotice, incident: Incident?, targets: [DeliveryTarget]) {
        guard let incident else {
            self = .complete
            return
        }
        if targets.isEmpty {
            if case .announce = due.notice, incident.isOpen, !due.isReminder {
                self = .park
            } else {
                self = .complete
            }
            return
        }
        var steps: [Step] = []
        for target in targets {
            switch due.notice {
            case .announce:
                // An announcement already sent (a retry after a crash) is not sent twice.
                guard incident.isOpen, target.messageID == nil || due.isReminder else { continue }
                steps.append(Step(chat: target.chat, action: .send(due.isReminder ? .reminder : .guidance)))
            case .update:
                guard let messageID = target.messageID, incident.isOpen else { continue }
                steps.append(Step(chat: target.chat, action: .edit(messageID: messageID, .guidance)))
            case .resolve:
                guard let messageID = target.messageID else { continue }
                steps.append(Step(chat: target.chat, action: .edit(messageID: messageID, .resolved)))
            case .withdraw:
                continue
            }
        }
        self = steps.isEmpty ? .complete : .steps(steps)
    }
}
