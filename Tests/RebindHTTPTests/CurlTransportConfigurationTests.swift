import Foundation
import RebindCore
import RebindHTTP
import RebindSimulator
import Testing

@Suite("CurlTransport.Configuration")
struct CurlTransportConfigurationTests {
    @Test("an unusable configuration is refused at start, naming the field")
    func invalidConfiguration() throws {
        #expect(throws: CurlTransport.Error.invalidConfiguration(field: "timeout", reason: "must be a positive number of seconds")) {
            try CurlTransport(configuration: .init(timeout: 0))
        }
        #expect(throws: CurlTransport.Error.invalidConfiguration(field: "connectTimeout", reason: "must be a positive number of seconds")) {
            try CurlTransport(configuration: .init(connectTimeout: .nan))
        }
        #expect(throws: CurlTransport.Error.invalidConfiguration(field: "maximumResponseBodySize", reason: "must not be negative")) {
            try CurlTransport(configuration: .init(maximumResponseBodySize: -1))
        }
    }

    @Test("a request may lift the time limit entirely with an infinite timeout")
    func infiniteRequestTimeout() async throws {
        let transport = try CurlTransport(configuration: .init(timeout: 0.001))
        try await LoopbackHTTPServer.withServer(handler: { _ in .text(200, "ok") }) { server in
            let response = try await transport.send(HTTPRequest(url: server.baseURL + "/", timeout: .infinity))
            #expect(response.status == 200)
        }
    }

    @Test("the configured user agent is sent unless the request names its own")
    func userAgent() async throws {
        let transport = try CurlTransport(configuration: .init(userAgent: "Rebind/1.0"))
        try await LoopbackHTTPServer.withServer(handler: { _ in .text(200, "ok") }) { server in
            _ = try await transport.send(HTTPRequest(url: server.baseURL + "/"))
            _ = try await transport.send(HTTPRequest(url: server.baseURL + "/", headers: [("User-Agent", "Custom")]))
            #expect(server.requests().map { $0.header("User-Agent") } == ["Rebind/1.0", "Custom"])
        }
    }
}
