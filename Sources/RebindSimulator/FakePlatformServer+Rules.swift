import Foundation
import Synchronization

extension FakePlatformServer {
    /// What the platform does with each request, and what it has seen. Shared by the server's
    /// handler and the tests reading it.
    final class Rules: Sendable {
        private let check: WebhookSignatureCheck
        private let state: Mutex<State>

        private struct State {
            var behaviour: Behaviour
            var failuresAnswered = 0
            var appliedIDs: Set<String> = []
            var deliveries: [Delivery] = []
            var rejections: [Rejection] = []
            var expiring: [ExpiringDelivery] = []
        }

        init(check: WebhookSignatureCheck, behaviour: Behaviour) {
            self.check = check
            self.state = Mutex(State(behaviour: behaviour))
        }

        var behaviour: Behaviour {
            get { state.withLock { $0.behaviour } }
            set {
                state.withLock { state in
                    state.behaviour = newValue
                    state.failuresAnswered = 0
                }
            }
        }

        var deliveries: [Delivery] { state.withLock { $0.deliveries } }
        var rejections: [Rejection] { state.withLock { $0.rejections } }
        var expiring: [ExpiringDelivery] { state.withLock { $0.expiring } }

        func reply(to request: RecordedRequest) -> FakeReply {
            guard request.pathWithoutQuery == FakePlatformServer.path else {
                return reject(request, status: 404, code: "not_found", reason: "no such endpoint")
            }
            guard request.method == "POST" else {
                return reject(request, status: 405, code: "method_not_allowed", reason: "only POST")
            }
            switch behaviour {
            case .hang: return .hang
            case .drop: return .drop
            default: break
            }
            guard let type = request.header("Content-Type"), type.lowercased().hasPrefix("application/json") else {
                return reject(request, status: 415, code: "unsupported_media_type", reason: "the body must be application/json")
            }
            if let refusal = check.refusal(of: request) {
                return reject(request, status: 401, code: "invalid_signature", reason: refusal)
            }
            if let type = (try? JSONSerialization.jsonObject(with: request.body) as? [String: Any])?["type"] as? String,
                type == "api_binding.expiring"
            {
                return expiring(request)
            }
            let update: ReceivedBindingUpdate
            do {
                update = try JSONDecoder().decode(ReceivedBindingUpdate.self, from: request.body)
            } catch {
                let (field, reason) = Self.explain(error)
                return reject(request, status: 400, code: "invalid_body", reason: reason, field: field)
            }
            return answer(request, update: update)
        }

        /// The answer to a correctly signed, well-formed update, recorded with it.
        private func answer(_ request: RecordedRequest, update: ReceivedBindingUpdate) -> FakeReply {
            let id = request.header("webhook-id") ?? ""
            return state.withLock { state in
                var delivery = Delivery(
                    webhookID: id,
                    webhookTimestamp: request.header("webhook-timestamp") ?? "",
                    webhookSignature: request.header("webhook-signature") ?? "",
                    update: update,
                    request: request,
                    status: 202,
                    isDuplicate: false
                )
                let reply: FakeReply
                switch state.behaviour {
                case .failFirst(let count, let status, let retryAfter) where state.failuresAnswered < count:
                    state.failuresAnswered += 1
                    delivery.status = status
                    var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
                    if let retryAfter { headers.append(("Retry-After", retryAfter)) }
                    reply = .respond(
                        status: status,
                        headers: headers,
                        body: Self.error(code: "try_again", message: "The platform could not take the update now")
                    )
                case .refuse(let status, let code, let message):
                    delivery.status = status
                    reply = .json(status, Self.error(code: code, message: message))
                case .accept(let status):
                    delivery.status = status
                    fallthrough
                default:
                    // The id is the idempotency key: a repeat is answered as before, not applied.
                    delivery.isDuplicate = !state.appliedIDs.insert(id).inserted
                    reply = .json(delivery.status, Self.accepted(id: id, duplicate: delivery.isDuplicate))
                }
                state.deliveries.append(delivery)
                return reply
            }
        }

        /// An expiry warning: recorded once per `webhook-id` (a repeat is answered 202 again).
        private func expiring(_ request: RecordedRequest) -> FakeReply {
            let event: ReceivedExpiringEvent
            do {
                event = try JSONDecoder().decode(ReceivedExpiringEvent.self, from: request.body)
            } catch {
                let (field, reason) = Self.explain(error)
                return reject(request, status: 400, code: "invalid_body", reason: reason, field: field)
            }
            let id = request.header("webhook-id") ?? ""
            return state.withLock { state in
                let duplicate = !state.appliedIDs.insert(id).inserted
                state.expiring.append(ExpiringDelivery(webhookID: id, event: event, request: request, isDuplicate: duplicate))
                return .json(202, Self.accepted(id: id, duplicate: duplicate))
            }
        }

        private func reject(_ request: RecordedRequest, status: Int, code: String, reason: String, field: String? = nil) -> FakeReply {
            state.withLock { $0.rejections.append(Rejection(status: status, code: code, reason: reason, request: request)) }
            return .json(status, Self.error(code: code, message: reason, field: field))
        }

        static func accepted(id: String, duplicate: Bool) -> Data {
            json(["id": id, "duplicate": duplicate])
        }

        static func error(code: String, message: String, field: String? = nil) -> Data {
            var detail: [String: Any] = ["code": code, "message": message]
            if let field { detail["field"] = field }
            return json(["error": detail])
        }

        private static func json(_ object: [String: Any]) -> Data {
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        }

        /// The dotted field a decoding error is about, and why.
        static func explain(_ error: any Swift.Error) -> (field: String?, reason: String) {
            guard let error = error as? DecodingError else { return (nil, "the body is not JSON") }
            func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String? {
                let keys = (codingPath + (last.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }
                return keys.isEmpty ? nil : keys.joined(separator: ".")
            }
            switch error {
            case .keyNotFound(let key, let context): return (path(context.codingPath, key), "missing")
            case .typeMismatch(_, let context): return (path(context.codingPath), "wrong type")
            case .valueNotFound(_, let context): return (path(context.codingPath), "null where a value is needed")
            case .dataCorrupted(let context): return (path(context.codingPath), context.debugDescription)
            @unknown default: return (nil, "unreadable")
            }
        }
    }
}
