import Foundation

/// What a loopback server does with a request.
public enum FakeReply: Sendable {
    /// Answers. `Content-Length` is added unless the headers set it or `Transfer-Encoding`.
    case respond(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data())
    /// Never answers; the connection stays open until the client gives up or the server
    /// shuts down.
    case hang
    /// Closes the connection without answering.
    case drop

    public static func json(_ status: Int = 200, _ body: Data) -> FakeReply {
        .respond(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    public static func json(_ status: Int = 200, _ body: String) -> FakeReply {
        .json(status, Data(body.utf8))
    }

    public static func text(_ status: Int = 200, _ body: String) -> FakeReply {
        .respond(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Data(body.utf8))
    }

    public static func redirect(to location: String, status: Int = 302) -> FakeReply {
        .respond(status: status, headers: [("Location", location)])
    }
}
