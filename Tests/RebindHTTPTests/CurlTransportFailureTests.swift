import Foundation
import RebindCore
import RebindHTTP
import RebindSimulator
import Testing

@Suite("CurlTransport turns failures into TransportError")
struct CurlTransportFailureTests {
    @Test("a server that never answers times out within the configured total timeout")
    func hangingServerTimesOut() async throws {
        let transport = try CurlTransport(configuration: .init(timeout: 0.5))
        try await LoopbackHTTPServer.withServer(handler: { _ in .hang }) { server in
            let clock = ContinuousClock()
            let started = clock.now
            let error = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(url: server.baseURL + "/slow"))
            }
            let elapsed = clock.now - started
            #expect(error?.kind == .timedOut)
            #expect(error?.endpoint == "http://127.0.0.1:\(server.port)")
            #expect(elapsed >= .milliseconds(450))
            #expect(elapsed < .seconds(30), "a short timeout must win over the long default, even on a loaded machine")
        }
    }

    @Test("a request's own timeout overrides the transport's default")
    func requestTimeoutOverridesDefault() async throws {
        let transport = try CurlTransport(configuration: .init(timeout: 60))
        try await LoopbackHTTPServer.withServer(handler: { _ in .hang }) { server in
            let clock = ContinuousClock()
            let started = clock.now
            let error = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(url: server.baseURL + "/slow", timeout: 0.5))
            }
            #expect(error?.kind == .timedOut)
            #expect(clock.now - started < .seconds(30), "a short timeout must win over the long default, even on a loaded machine")
        }
    }

    @Test("a closed port is reported as a refused connection")
    func refusedConnection() async throws {
        let transport = try CurlTransport()
        let port = try await LoopbackHTTPServer.unusedPort()
        let error = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(url: "http://127.0.0.1:\(port)/"))
        }
        #expect(error?.kind == .connectionRefused)
        #expect(error?.endpoint == "http://127.0.0.1:\(port)")
    }

    @Test("a server that closes the connection without answering is reported as a dropped connection")
    func droppedConnection() async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { _ in .drop }) { server in
            let error = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(url: server.baseURL + "/"))
            }
            #expect(error?.kind == .connectionDropped)
        }
    }

    @Test("a host that does not resolve is reported as not found")
    func unresolvableHost() async throws {
        let transport = try CurlTransport(configuration: .init(connectTimeout: 5))
        let error = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(url: "http://nonexistent.invalid/"))
        }
        #expect(error?.kind == .hostNotFound)
        #expect(error?.endpoint == "http://nonexistent.invalid:80")
    }

    @Test("https to a plain HTTP server fails the TLS handshake")
    func httpsToPlainServer() async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { _ in .text(200, "plain") }) { server in
            let error = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(url: "https://127.0.0.1:\(server.port)/"))
            }
            #expect(error?.kind == .tls)
            #expect(error?.endpoint == "https://127.0.0.1:\(server.port)")
        }
    }

    @Test("a response body over the size limit fails instead of filling memory", arguments: [false, true])
    func oversizedBody(chunked: Bool) async throws {
        let transport = try CurlTransport(configuration: .init(maximumResponseBodySize: 1024))
        let body = Data(repeating: 0x62, count: 64 * 1024)
        let headers: [(name: String, value: String)] = chunked ? [("Transfer-Encoding", "chunked")] : []
        try await LoopbackHTTPServer.withServer(handler: { _ in .respond(status: 200, headers: headers, body: body) }) { server in
            let error = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(url: server.baseURL + "/big"))
            }
            #expect(error?.kind == .other)
            #expect(error?.detail.contains("1024 bytes") == true)
        }
    }

    @Test(
        "URLs that are not http or https are refused before anything is sent",
        arguments: [
            "ftp://127.0.0.1/file", "file:///etc/passwd", "not a url", "", "http://",
        ]
    )
    func invalidURLs(url: String) async throws {
        let transport = try CurlTransport()
        let error = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(url: url))
        }
        #expect(error?.kind == .invalidRequest)
    }

    @Test("a header or method that could smuggle another header is refused")
    func headerInjection() async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { _ in .text(200, "ok") }) { server in
            let badHeader = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(url: server.baseURL + "/", headers: [("X-A", "1\r\nX-Injected: yes")]))
            }
            #expect(badHeader?.kind == .invalidRequest)
            let badMethod = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(method: "GET / HTTP/1.1\r\nX-Injected: yes\r\n", url: server.baseURL + "/"))
            }
            #expect(badMethod?.kind == .invalidRequest)
            #expect(server.requests().isEmpty)
        }
    }

    @Test("error descriptions name the endpoint but never the path or query, where tokens live")
    func errorsHideTokens() async throws {
        let transport = try CurlTransport(configuration: .init(timeout: 0.3))
        let token = "bot123456:AAE-SecretToken_xyz"
        let refusedPort = try await LoopbackHTTPServer.unusedPort()
        try await LoopbackHTTPServer.withServer(handler: { request in
            request.path.contains("hang") ? .hang : .drop
        }) { server in
            let urls = [
                "http://127.0.0.1:\(refusedPort)/\(token)/sendMessage?secret=\(token)",
                "\(server.baseURL)/\(token)/hang?secret=\(token)",
                "\(server.baseURL)/\(token)/drop?secret=\(token)",
                "https://127.0.0.1:\(server.port)/\(token)/getMe",
                "http://nonexistent.invalid/\(token)/getMe",
                "ftp://127.0.0.1/\(token)",
                "http://user:\(token)@127.0.0.1:\(refusedPort)/",
                "http://127.0.0.1:\(refusedPort)/\(token) with space",
            ]
            for url in urls {
                let error = await #expect(throws: TransportError.self) {
                    try await transport.send(HTTPRequest(url: url))
                }
                let text = try #require(error).description + String(reflecting: try #require(error))
                #expect(!text.contains("SecretToken"), "\(text)")
                #expect(!text.contains("sendMessage") && !text.contains("getMe") && !text.contains("secret="), "\(text)")
            }
        }
    }

    @Test("cancelling the sending task aborts the transfer at once")
    func cancellationAbortsTransfer() async throws {
        let transport = try CurlTransport(configuration: .init(timeout: 60))
        let (arrivals, arrival) = AsyncStream.makeStream(of: Void.self)
        try await LoopbackHTTPServer.withServer(handler: { _ in
            arrival.yield()
            return .hang
        }) { server in
            let clock = ContinuousClock()
            let started = clock.now
            await withThrowingTaskGroup(of: HTTPResponse.self) { group in
                group.addTask { try await transport.send(HTTPRequest(url: server.baseURL + "/long-poll")) }
                for await _ in arrivals { break }
                group.cancelAll()
                await #expect(throws: CancellationError.self) { try await group.next() }
            }
            #expect(clock.now - started < .seconds(30), "a short timeout must win over the long default, even on a loaded machine")
        }
    }

    @Test("a task cancelled before sending never reaches the server")
    func cancelledBeforeSending() async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { _ in .text(200, "ok") }) { server in
            await withThrowingTaskGroup(of: HTTPResponse.self) { group in
                group.cancelAll()
                group.addTask { try await transport.send(HTTPRequest(url: server.baseURL + "/")) }
                await #expect(throws: CancellationError.self) { try await group.next() }
            }
            #expect(server.requests().isEmpty)
        }
    }
}
