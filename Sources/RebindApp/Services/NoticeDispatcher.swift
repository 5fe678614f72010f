import Foundation
import Logging
import RebindCore
import RebindRendering
import ServiceLifecycle

/// Delivers incident notices from the durable outbox: the first message after the grouping
/// wait, edits as the incident changes, the resolution, and reminders — paced per chat and
/// overall, retried with backoff, dead-lettered when it keeps failing.
struct NoticeDispatcher: Service {
    let events: any EventStore
    let store: any ChatStore
    let messenger: any ChatMessenger
    let renderer: GuidanceRenderer
    let policy: IncidentPolicy
    let retry: RetryPolicy
    let metrics: RebindMetrics
    let wakeup: Wakeup
    let idleWait: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    var pacer: DeliveryPacer

    func run() async throws {
        var pacer = self.pacer
        while !Task.isCancelledOrShuttingDown {
            do {
                _ = try await store.scheduleReminders(policy: policy, now: now())
                let due = try await store.dueNotices(now: now(), limit: 100)
                for notice in due {
                    await deliver(notice, pacer: &pacer)
                }
                pacer.prune(now: now())
                if due.isEmpty { await wakeup.wait(timeout: idleWait) }
            } catch {
                logger.error("Outbox pass failed", metadata: ["error": "\(error)"])
                await wakeup.wait(timeout: idleWait)
            }
        }
    }

    func deliver(_ due: DueNotice, pacer: inout DeliveryPacer) async {
        do {
            try await attempt(due, pacer: &pacer)
        } catch {
            logger.error("Notice not delivered", metadata: ["notice.id": "\(due.id)", "error": "\(error)"])
        }
    }

    func attempt(_ due: DueNotice, pacer: inout DeliveryPacer) async throws {
        let incidentID = due.notice.incidentID
        guard let incident = try await events.incident(id: incidentID) else {
            try await store.completeNotice(id: due.id)
            return
        }
        let chats = try await store.chats(ofUser: incident.userID).filter { $0.channel == messenger.channel }
        if chats.isEmpty {
            // Nobody to tell yet: first messages wait for the user to link a chat.
            if case .announce = due.notice, incident.isOpen {
                try await store.parkNotice(id: due.id)
            } else {
                try await store.completeNotice(id: due.id)
            }
            return
        }
        for chat in chats {
            if let wait = pacer.earliest(for: chat, now: now()) {
                try await store.retryNotice(
                    id: due.id, at: wait, attempts: due.attempts, firstAttemptAt: due.firstAttemptAt ?? now(), error: "paced")
                return
            }
            do {
                let sent = try await send(due, incident: incident, to: chat)
                if sent { pacer.record(chat, now: now()) }
            } catch {
                try await failed(due, chat: chat, error: error, pacer: &pacer, incident: incident)
                return
            }
        }
        try await store.completeNotice(id: due.id)
    }

    /// Sends or edits the incident's message in one chat. Returns whether a message went out.
    func send(_ due: DueNotice, incident: Incident, to chat: ChatAddress) async throws(DeliveryError) -> Bool {
        let messageID: String?
        do {
            messageID = try await store.incidentMessageID(incidentID: incident.id, chat: chat)
        } catch {
            throw .transient(reason: "store: \(error)")
        }
        switch due.notice {
        case .announce:
            guard incident.isOpen else { return false }
            // An announcement already sent (a retry after a crash) is not sent twice.
            if messageID != nil, !due.isReminder { return false }
            let message = try render(incident, kind: due.isReminder ? .reminder : .guidance)
            let id = try await messenger.send(message, to: chat)
            do {
                try await store.saveIncidentMessageID(id, incidentID: incident.id, chat: chat)
            } catch {
                throw .transient(reason: "store: \(error)")
            }
        case .update:
            guard let messageID, incident.isOpen else { return false }
            try await messenger.edit(messageID: messageID, in: chat, to: try render(incident, kind: .guidance))
        case .resolve:
            guard let messageID else { return false }
            try await messenger.edit(messageID: messageID, in: chat, to: try render(incident, kind: .resolved))
        case .withdraw:
            return false
        }
        return true
    }

    func failed(_ due: DueNotice, chat: ChatAddress, error: DeliveryError, pacer: inout DeliveryPacer, incident: Incident) async throws {
        let attempts = due.attempts + 1
        let first = due.firstAttemptAt ?? now()
        switch error {
        case .rateLimited(let seconds):
            let until = now().addingTimeInterval(max(seconds, 1))
            pacer.hold(chat, until: until)
            try await store.retryNotice(id: due.id, at: until, attempts: due.attempts, firstAttemptAt: first, error: error.description)
        case .transient:
            if let next = retry.nextAttempt(attempts: attempts, firstAttemptAt: first, now: now(), jitter: Double.random(in: 0...1)) {
                try await store.retryNotice(id: due.id, at: next, attempts: attempts, firstAttemptAt: first, error: error.description)
            } else {
                try await deadLetter(due, error: error, incident: incident)
            }
        case .blocked:
            logger.notice("Chat blocked the bot; no more messages go there", metadata: ["chat": "\(chat)", "user.id": "\(incident.userID)"])
            try await store.markBlocked(chat, now: now())
            try await store.retryNotice(id: due.id, at: now(), attempts: attempts, firstAttemptAt: first, error: error.description)
        case .permanent:
            try await deadLetter(due, error: error, incident: incident)
        }
    }

    func deadLetter(_ due: DueNotice, error: DeliveryError, incident: Incident) async throws {
        metrics.noticeDeadLettered(channel: messenger.channel)
        logger.error(
            "Notice dead-lettered",
            metadata: ["notice.id": "\(due.id)", "incident.id": "\(incident.id)", "incident.cause": "\(incident.cause.rawValue)", "error": "\(error)"])
        try await store.deadLetterNotice(id: due.id, error: error.description, now: now())
    }

    func render(_ incident: Incident, kind: MessageKind) throws(DeliveryError) -> OutgoingMessage {
        let rendered: RenderedMessage
        do {
            rendered = try renderer.render(incident, channel: messenger.channel, kind: kind)
        } catch {
            throw .permanent(reason: "template: \(error)")
        }
        var buttons: [[OutgoingMessage.Button]] = []
        if kind != .resolved {
            if incident.cause.isKeyRelated {
                buttons.append([.callback(title: "🔑 Update API key", data: "u:" + ChatBot.reference(for: incident.accountID))])
            }
            buttons.append([.url(title: "📖 Help page", url: renderer.catalogue.helpURL)])
            buttons.append([.callback(title: "⏰ Remind me later", data: "l:" + ChatBot.reference(for: incident.id))])
        }
        return OutgoingMessage(text: rendered.text, format: messenger.channel == .telegram ? .html : .mrkdwn, buttons: buttons)
    }
}
