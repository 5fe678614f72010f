import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import RebindTemplates
import Testing

@Suite("The admin listener")
struct AdminListenerTests {
    static let token = "adm_9f2c41d07be84e6a"

    @Test("Readiness and metrics are not on the public listener; liveness is on both")
    func notPublic() async throws {
        let env = try TestEnvironment()
        try await env.application().test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
        try await env.adminApplication().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                // The /readyz just asked is counted.
                #expect(
                    String(buffer: response.body).contains(
                        #"rebind_http_request_duration_seconds_count{route="/readyz",method="GET",status="200"} 1"#
                    )
                )
                // Which build this replica runs.
                #expect(
                    String(buffer: response.body).contains(#"rebind_build_info{version="\#(BuildInfo.version)",commit="\#(BuildInfo.commit)"} 1"#)
                )
            }
            // Nothing of the public listener's is here.
            try await client.execute(uri: "/v1/events", method: .post) { #expect($0.status == .notFound) }
        }
    }

    @Test("With REBIND_ADMIN_TOKEN, readiness and metrics need it as a bearer token; liveness does not")
    func bearerToken() async throws {
        let env = try TestEnvironment(environment: ["REBIND_ADMIN_TOKEN": Self.token])
        try await env.adminApplication().test(.router) { client in
            for path in ["/readyz", "/metrics"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(path) without a token")
                    #expect(response.errorCode == "unauthorized")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                    #expect(!String(buffer: response.body).contains(Self.token))
                }
                for wrong in ["Bearer adm_9f2c41d07be84e6b", "Bearer \(Self.token)x", "Bearer", "Basic \(Self.token)", Self.token] {
                    try await client.execute(uri: path, method: .get, headers: [.authorization: wrong]) { response in
                        #expect(response.status == .unauthorized, "\(path) with \(wrong)")
                        #expect(response.errorCode == "unauthorized")
                    }
                }
                try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(Self.token)"]) {
                    #expect($0.status == .ok, "\(path) with the token")
                }
                // The scheme is case-insensitive.
                try await client.execute(uri: path, method: .get, headers: [.authorization: "bearer \(Self.token)"]) {
                    #expect($0.status == .ok, "\(path) with a lower-case scheme")
                }
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("Without a token, a request whose Host is not a loopback name or address is refused (DNS rebinding)")
    func loopbackHostOnly() async throws {
        let env = try TestEnvironment()
        try await env.adminApplication().test(.live) { client in
            let port = try #require(client.port)
            for host in ["rebind.attacker.example", "rebind.attacker.example:\(port)", "10.0.0.7:\(port)", "127.0.0.1.attacker.example"] {
                let response = try await Self.get("/metrics", host: host, port: port)
                #expect(response.hasPrefix("HTTP/1.1 421"), "Host: \(host): \(response.prefix(40))")
                #expect(response.contains(#""code":"host_not_loopback""#))
                #expect(!response.contains("rebind_http_request_duration_seconds"))
            }
            for host in ["127.0.0.1:\(port)", "localhost:\(port)", "localhost", "[::1]:\(port)", "127.0.0.2"] {
                let response = try await Self.get("/metrics", host: host, port: port)
                #expect(response.hasPrefix("HTTP/1.1 200"), "Host: \(host): \(response.prefix(40))")
            }
            // No Host at all (HTTP/1.0) is not a loopback name either.
            let bare = try await RawTCPConnection.with(port: port) { connection in
                try await connection.write("GET /readyz HTTP/1.0\r\n\r\n")
                return try await connection.readResponse()
            }
            #expect(bare.hasPrefix("HTTP/1.1 421") || bare.hasPrefix("HTTP/1.0 421"), "\(bare.prefix(40))")
        }
    }

    @Test("With a token the admin listener may face a network: any Host is answered with the right bearer token")
    func tokenOffLoopback() async throws {
        // Start-up accepts a non-loopback address once a token is set.
        let open = try RebindConfiguration.load(from: ["REBIND_ADMIN_HOST": "0.0.0.0", "REBIND_ADMIN_TOKEN": Self.token])
        #expect(open.adminHost == "0.0.0.0")
        #expect(open.adminToken?.value == Self.token)

        let env = try TestEnvironment(environment: ["REBIND_ADMIN_TOKEN": Self.token])
        try await env.adminApplication().test(.live) { client in
            let port = try #require(client.port)
            let host = "10.0.0.7:\(port)"
            #expect(try await Self.get("/readyz", host: host, port: port, token: Self.token).hasPrefix("HTTP/1.1 200"))
            #expect(try await Self.get("/readyz", host: host, port: port).hasPrefix("HTTP/1.1 401"))
            #expect(try await Self.get("/healthz", host: host, port: port).hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("buildApplication runs both listeners; with port 0 each logs the port it was given")
    func bothListenersRun() async throws {
        let env = try TestEnvironment()
        let logs = LogRecorder()
        try await env.application(logger: logs.logger()).test(.live) { client in
            let publicPort = try #require(client.port)
            var adminPort: Int?
            let logged = await eventually(timeout: .seconds(10)) {
                adminPort = logs.lines(containing: "The admin listener is on 127.0.0.1:").first.flatMap(Self.port(in:))
                return adminPort != nil
            }
            #expect(logged, "\(logs.all)")
            let port = try #require(adminPort)
            #expect(port != 0 && port != publicPort)
            #expect(logs.lines(containing: "The public listener is on 127.0.0.1:\(publicPort)").count == 1)
            #expect(try await Self.get("/readyz", host: "127.0.0.1:\(port)", port: port).hasPrefix("HTTP/1.1 200"))
            #expect(try await Self.get("/readyz", host: "127.0.0.1:\(publicPort)", port: publicPort).hasPrefix("HTTP/1.1 404"))
        }
    }

    static func port(in line: String) -> Int? {
        guard let range = line.range(of: "listener.port=") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// A GET with exactly this `Host` header, over a raw connection; the response as text.
    static func get(_ path: String, host: String, port: Int, token: String? = nil) async throws -> String {
        try await RawTCPConnection.with(port: port) { connection in
            let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
            try await connection.write("GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\(authorization)Connection: close\r\n\r\n")
            return try await connection.readResponse()
        }
    }
}

@Suite("Server timeouts")
struct ServerTimeoutTests {
    @Test("A connection left idle is closed after REBIND_HTTP_IDLE_TIMEOUT_SECONDS, on the public and the admin listener")
    func idleConnectionClosed() async throws {
        let env = try TestEnvironment(environment: ["REBIND_HTTP_IDLE_TIMEOUT_SECONDS": "1"])
        try await env.application().test(.live) { client in
            let port = try #require(client.port)
            // The server's timer starts when it accepts, so after this.
            let start = ContinuousClock.now
            let received = try await RawTCPConnection.with(port: port) { connection in
                await connection.readUntilClosed(bound: .seconds(30))
            }
            #expect(received.closedByServer)
            #expect(received.bytes.isEmpty)
            #expect(ContinuousClock.now - start >= .milliseconds(950), "\(ContinuousClock.now - start)")
        }
        try await env.adminApplication().test(.live) { client in
            let port = try #require(client.port)
            let start = ContinuousClock.now
            let received = try await RawTCPConnection.with(port: port) { connection in
                await connection.readUntilClosed(bound: .seconds(30))
            }
            #expect(received.closedByServer)
            #expect(ContinuousClock.now - start >= .milliseconds(950), "\(ContinuousClock.now - start)")
        }
    }

    @Test("A kept-alive connection is closed once idle after its last answer")
    func keepAliveClosed() async throws {
        let env = try TestEnvironment(environment: ["REBIND_HTTP_IDLE_TIMEOUT_SECONDS": "1"])
        try await env.application().test(.live) { client in
            let port = try #require(client.port)
            try await RawTCPConnection.with(port: port) { connection in
                // The server's timer restarts when it has written the answer, so after this.
                let sent = ContinuousClock.now
                try await connection.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(try await connection.readResponse().hasPrefix("HTTP/1.1 200"))
                let received = await connection.readUntilClosed(bound: .seconds(30))
                #expect(received.closedByServer)
                #expect(ContinuousClock.now - sent >= .milliseconds(950), "\(ContinuousClock.now - sent)")
            }
        }
    }

    @Test("A request body trickled in a byte at a time is cut off after REBIND_HTTP_READ_TIMEOUT_SECONDS")
    func slowBodyClosed() async throws {
        // The idle timeout is long: only the read deadline can end this.
        let env = try TestEnvironment(environment: ["REBIND_HTTP_IDLE_TIMEOUT_SECONDS": "60", "REBIND_HTTP_READ_TIMEOUT_SECONDS": "1"])
        try await env.application().test(.live) { client in
            let port = try #require(client.port)
            let start = ContinuousClock.now
            let received = try await RawTCPConnection.with(port: port) { connection in
                try await connection.write(
                    "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"
                )
                let writer = connection.writer
                let trickle = Task {
                    while !Task.isCancelled {
                        try await writer.write(ByteBuffer(string: " "))
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                defer { trickle.cancel() }
                return await connection.readUntilClosed(bound: .seconds(30))
            }
            #expect(received.closedByServer)
            #expect(ContinuousClock.now - start >= .milliseconds(950), "\(ContinuousClock.now - start)")
            #expect(received.elapsed < .seconds(20), "\(received.elapsed)")
        }
    }

    @Test("Headers trickled in a byte at a time do not keep a connection open past the idle timeout (slow loris)")
    func slowHeadersClosed() async throws {
        let env = try TestEnvironment(environment: ["REBIND_HTTP_IDLE_TIMEOUT_SECONDS": "1"])
        try await env.application().test(.live) { client in
            let port = try #require(client.port)
            let received = try await RawTCPConnection.with(port: port) { connection in
                try await connection.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                // Keep writing a header byte until the server hangs up; the read below is the bound.
                let channel = connection.writer
                let trickle = Task {
                    while !Task.isCancelled {
                        try await channel.write(ByteBuffer(string: "X"))
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                defer { trickle.cancel() }
                return await connection.readUntilClosed(bound: .seconds(30))
            }
            #expect(received.closedByServer)
            #expect(received.elapsed < .seconds(10), "\(received.elapsed)")
        }
    }
}
