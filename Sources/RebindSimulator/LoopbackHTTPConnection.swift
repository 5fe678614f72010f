import Foundation
import NIOCore
import NIOHTTP1

/// One accepted connection of a `LoopbackHTTPServer`: reads requests one after another,
/// records each, and answers with the handler's reply.
struct LoopbackHTTPConnection: Sendable {
    let number: Int
    let channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    func serve(handler: LoopbackHTTPServer.Handler, activity: LoopbackServerActivity) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                var hanging = false
                for try await part in inbound where !hanging {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body.clear()
                    case .body(var chunk):
                        body.writeBuffer(&chunk)
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let request = RecordedRequest(
                            method: requestHead.method.rawValue,
                            path: requestHead.uri,
                            headers: requestHead.headers.map { ($0.name, $0.value) },
                            body: Data(body.readableBytesView),
                            connection: number
                        )
                        activity.record(request)
                        switch await handler(request) {
                        case .respond(let status, let headers, let responseBody):
                            let keepOpen = try await respond(
                                to: requestHead,
                                status: status,
                                headers: headers,
                                body: responseBody,
                                outbound: outbound
                            )
                            if !keepOpen { return }
                        case .hang:
                            // Keep reading, and ignoring, until the client or shutdown closes.
                            hanging = true
                        case .drop:
                            return
                        }
                    }
                }
            }
        } catch {
            // The client went away mid-request; there is no one left to tell.
        }
    }

    /// Writes the response; returns whether the connection stays open for another request.
    private func respond(
        to request: HTTPRequestHead,
        status: Int,
        headers: [(name: String, value: String)],
        body: Data,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws -> Bool {
        var responseHeaders = HTTPHeaders(headers)
        if !responseHeaders.contains(name: "Content-Length") && !responseHeaders.contains(name: "Transfer-Encoding") {
            responseHeaders.add(name: "Content-Length", value: String(body.count))
        }
        let closes = !request.isKeepAlive || responseHeaders[canonicalForm: "Connection"].contains { $0.lowercased() == "close" }
        if closes && !responseHeaders.contains(name: "Connection") {
            responseHeaders.add(name: "Connection", value: "close")
        }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: status), headers: responseHeaders)
        try await outbound.write(.head(head))
        if !body.isEmpty && request.method != .HEAD {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
        }
        try await outbound.write(.end(nil))
        return !closes
    }
}
