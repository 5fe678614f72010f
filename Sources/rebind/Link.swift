import ArgumentParser
import Foundation
import RebindApp
import RebindCore
import RebindCrypto
import RebindHTTP

struct Link: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Links between platform users and chats.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the running service for a link that ties a platform user to a chat, and print it.",
            discussion: "Signs POST /v1/links with REBIND_EVENTS_SECRET, as the platform would."
        )

        @Option(help: "The platform's user id.")
        var user: String

        @Option(help: "How the platform names the user to themselves (a masked e-mail, a nickname): shown when the link is confirmed.")
        var name: String

        @Option(help: "The service's address. Default: http://REBIND_HTTP_HOST:REBIND_HTTP_PORT")
        var url: String?

        func run() async throws {
            let configuration = try loadConfiguration()
            guard let secret = configuration.eventsSecrets.first else {
                throw ValidationError("REBIND_EVENTS_SECRET is required to sign the request")
            }
            let body = try JSONSerialization.data(withJSONObject: ["user_id": user, "display_name": name])
            let base = url ?? "http://\(configuration.httpHost):\(configuration.httpPort)"
            let id = "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let headers = try StandardWebhooks(secrets: [secret]).headers(id: id, timestamp: Int64(Date().timeIntervalSince1970), body: body)
            let response = try await CurlTransport().send(
                HTTPRequest(method: "POST", url: base + "/v1/links", headers: headers + [("Content-Type", "application/json")], body: body)
            )
            print("HTTP \(response.status)")
            print(String(decoding: response.body, as: UTF8.self))
            if !response.isSuccess { throw ExitCode(1) }
        }
    }
}
