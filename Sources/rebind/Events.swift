import ArgumentParser
import Foundation
import RebindApp
import RebindCore
import RebindCrypto
import RebindHTTP

struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with platform events.",
        subcommands: [Send.self]
    )

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an event with REBIND_EVENTS_SECRET, post it to the service and print the answer."
        )

        @Argument(help: "A JSON file holding one event (see examples/).")
        var file: String

        @Option(help: "Where to post it. Default: http://REBIND_HTTP_HOST:REBIND_HTTP_PORT/v1/events")
        var url: String?

        @Option(help: "The webhook-id to send; repeat one to see duplicate handling. Default: a new random id.")
        var id: String?

        func run() async throws {
            let configuration = try loadConfiguration()
            guard let secret = configuration.eventsSecrets.first else {
                throw ValidationError("REBIND_EVENTS_SECRET is required to sign the event")
            }
            let body: Data
            do {
                body = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw ValidationError("Cannot read \(file): \(error.localizedDescription)")
            }
            let target = url ?? "http://\(configuration.httpHost):\(configuration.httpPort)/v1/events"
            let webhookID = id ?? "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let timestamp = Int64(Date().timeIntervalSince1970)
            let signer = StandardWebhooks(secrets: [secret])
            let headers = try signer.headers(id: webhookID, timestamp: timestamp, body: body)
            let transport = try CurlTransport()
            let response = try await transport.send(
                HTTPRequest(method: "POST", url: target, headers: headers + [("Content-Type", "application/json")], body: body)
            )
            print("HTTP \(response.status)")
            print(String(decoding: response.body, as: UTF8.self))
            if !response.isSuccess { throw ExitCode(1) }
        }
    }
}
