import Foundation
import RebindCore
import RebindHTTP
import RebindSimulator
import Testing

@Suite("CurlTransport reuses connections and runs requests side by side")
struct CurlTransportConnectionTests {
    @Test("sequential requests to one server share a single TCP connection")
    func sequentialRequestsReuseConnection() async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { request in .text(200, request.path) }) { server in
            for index in 1...5 {
                let response = try await transport.send(HTTPRequest(url: server.baseURL + "/\(index)"))
                #expect(response.body == Data("/\(index)".utf8))
            }
            #expect(server.acceptedConnections == 1)
            #expect(server.requests().map(\.connection) == [1, 1, 1, 1, 1])
        }
    }

    @Test("a POST after a GET reuses the GET's connection")
    func mixedMethodsReuseConnection() async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { _ in .json(200, "{}") }) { server in
            _ = try await transport.send(HTTPRequest(url: server.baseURL + "/a"))
            _ = try await transport.send(HTTPRequest(method: "POST", url: server.baseURL + "/b", body: Data("x".utf8)))
            _ = try await transport.send(HTTPRequest(url: server.baseURL + "/c"))
            #expect(server.acceptedConnections == 1)
            #expect(server.requests().map(\.method) == ["GET", "POST", "GET"])
        }
    }

    @Test("twenty concurrent requests all succeed")
    func concurrentRequests() async throws {
        let transport = try CurlTransport()
        try await LoopbackHTTPServer.withServer(handler: { request in
            .text(200, request.path)
        }) { server in
            let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let response = try await transport.send(HTTPRequest(url: server.baseURL + "/\(index)"))
                        #expect(response.status == 200)
                        return (index, String(decoding: response.body, as: UTF8.self))
                    }
                }
                var bodies: [Int: String] = [:]
                for try await (index, body) in group { bodies[index] = body }
                return bodies
            }
            #expect(bodies.count == 20)
            for (index, body) in bodies { #expect(body == "/\(index)") }
            #expect(server.requests().count == 20)
        }
    }

    @Test("a hanging request does not hold up others on the same transport")
    func hangingRequestDoesNotBlockOthers() async throws {
        let transport = try CurlTransport(configuration: .init(timeout: 60))
        let (arrivals, arrival) = AsyncStream.makeStream(of: Void.self)
        try await LoopbackHTTPServer.withServer(handler: { request in
            if request.path == "/hang" {
                arrival.yield()
                return .hang
            }
            return .text(200, "quick")
        }) { server in
            try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
                group.addTask { try await transport.send(HTTPRequest(url: server.baseURL + "/hang")) }
                for await _ in arrivals { break }
                for _ in 0..<3 {
                    let response = try await transport.send(HTTPRequest(url: server.baseURL + "/quick", timeout: 5))
                    #expect(response.body == Data("quick".utf8))
                }
                group.cancelAll()
                await #expect(throws: CancellationError.self) { try await group.next() }
            }
        }
    }

    @Test("a transport that is released while idle stops cleanly and a new one works")
    func transportReleasedWhileIdle() async throws {
        try await LoopbackHTTPServer.withServer(handler: { _ in .text(200, "ok") }) { server in
            for _ in 0..<3 {
                let transport = try CurlTransport()
                let response = try await transport.send(HTTPRequest(url: server.baseURL + "/"))
                #expect(response.status == 200)
            }
            #expect(server.acceptedConnections == 3)
        }
    }
}
