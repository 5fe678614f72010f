import Hummingbird

// The same answer shape as Rebind's intake (202, a small JSON object), so wrk sends and reads
// the same traffic; the request body is drained by the framework and ignored.
let body = ByteBuffer(string: #"{"accepted":true,"duplicate":false,"cause":null}"#)
let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8080
let router = Router()
router.post("/v1/events") { _, _ in
    Response(status: .accepted, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
