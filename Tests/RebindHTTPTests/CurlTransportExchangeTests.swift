import Foundation
import RebindCore
import RebindHTTP
import RebindSimulator
import Testing

@Suite("CurlTransport exchanges requests and responses")
struct CurlTransportExchangeTests {
    @Test("a GET reaches the server with its path, query and headers, and the response comes back whole")
    func getRoundTrip() async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { _ in
            .respond(status: 200, headers: [("Content-Type", "text/plain"), ("X-Reply", "yes")], body: Data("hello".utf8))
        }) { server in
            let response = try await transport.send(
                HTTPRequest(
                    url: server.baseURL + "/status/check?verbose=1&name=a%20b",
                    headers: [("X-Test", "abc"), ("Accept", "text/plain")]
                )
            )

            #expect(response.status == 200)
            #expect(response.header("x-reply") == "yes")
            #expect(response.header("Content-Type") == "text/plain")
            #expect(response.body == Data("hello".utf8))

            let received = try #require(server.requests().first)
            #expect(server.requests().count == 1)
            #expect(received.method == "GET")
            #expect(received.path == "/status/check?verbose=1&name=a%20b")
            #expect(received.header("X-Test") == "abc")
            #expect(received.header("Accept") == "text/plain")
            #expect(received.header("User-Agent") == "Rebind")
            #expect(received.body.isEmpty)
        }
    }

    @Test("a POST delivers its body and content type unchanged, and nothing curl would add on its own")
    func postRoundTrip() async throws {
        let transport = try CurlTransport()
        let payload = Data(#"{"chat_id":42,"text":"Binance key rejected"}"#.utf8)
        try await LoopbackHTTPServer.withServer(handler: { request in
            .json(201, request.body)
        }) { server in
            let response = try await transport.send(
                HTTPRequest(
                    method: "POST",
                    url: server.baseURL + "/send",
                    headers: [("Content-Type", "application/json")],
                    body: payload
                )
            )

            #expect(response.status == 201)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.body == payload)

            let received = try #require(server.requests().first)
            #expect(received.method == "POST")
            #expect(received.path == "/send")
            #expect(received.body == payload)
            #expect(received.header("Content-Type") == "application/json")
            #expect(received.header("Content-Length") == String(payload.count))
            #expect(received.header("Expect") == nil)
        }
    }

    @Test("a large POST body is sent at once, without waiting for 100 Continue")
    func largePost() async throws {
        let transport = try CurlTransport()
        let payload = Data(repeating: 0x61, count: 2 * 1024 * 1024)
        try await LoopbackHTTPServer.withServer(handler: { request in
            .text(200, String(request.body.count))
        }) { server in
            let response = try await transport.send(HTTPRequest(method: "POST", url: server.baseURL + "/upload", body: payload))
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == String(payload.count))
            #expect(server.requests().first?.header("Expect") == nil)
            #expect(server.requests().first?.header("Content-Type") == nil)
        }
    }

    @Test("other methods reach the server as sent", arguments: ["PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
    func otherMethods(method: String) async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { _ in .text(200, "done") }) { server in
            let response = try await transport.send(HTTPRequest(method: method, url: server.baseURL + "/thing"))
            #expect(response.status == 200)
            #expect(server.requests().map(\.method) == [method])
            #expect(response.body == (method == "HEAD" ? Data() : Data("done".utf8)))
        }
    }

    @Test("an error status is returned as a response, not thrown", arguments: [400, 404, 429, 500, 503])
    func errorStatusIsAResponse(status: Int) async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { _ in .json(status, #"{"ok":false}"#) }) { server in
            let response = try await transport.send(HTTPRequest(url: server.baseURL + "/fails"))
            #expect(response.status == status)
            #expect(!response.isSuccess)
            #expect(response.body == Data(#"{"ok":false}"#.utf8))
        }
    }

    @Test("a redirect is returned to the caller, not followed")
    func redirectIsNotFollowed() async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { request in
            request.path == "/start" ? .redirect(to: "/elsewhere") : .text(200, "followed")
        }) { server in
            let response = try await transport.send(HTTPRequest(url: server.baseURL + "/start"))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/elsewhere")
            #expect(server.requests().map(\.path) == ["/start"])
        }
    }

    @Test("a response body exactly at the size limit is accepted")
    func bodyAtLimit() async throws {
        let transport = try CurlTransport(configuration: .init(maximumResponseBodySize: 1024))
        try await LoopbackHTTPServer.withServer(handler: { _ in
            .respond(status: 200, body: Data(repeating: 0x62, count: 1024))
        }) { server in
            let response = try await transport.send(HTTPRequest(url: server.baseURL + "/"))
            #expect(response.body.count == 1024)
        }
    }
}
