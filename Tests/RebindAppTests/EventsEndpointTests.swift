import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RebindApp
import RebindCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("POST /v1/events")
struct EventsEndpointTests {
    @Test("A signed event is answered 202 with its cause, after it is stored with its incident")
    func accepted() async throws {
        let env = try TestEnvironment()
        let body = TestEnvironment.event()
        try await env.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/events",
                method: .post,
                headers: env.signedHeaders(id: "msg_1", body: body),
                body: ByteBuffer(data: body)
            ) { response in
                #expect(response.status == .accepted)
                #expect(response.json["event_id"] as? String == "msg_1")
                #expect(response.json["duplicate"] as? Bool == false)
                #expect(response.json["cause"] as? String == "permission_missing")
            }
        }
        #expect(try await env.store.containsEvent(id: "msg_1"))
        #expect(try await env.store.openIncidents(userID: "u_1001", accountID: "acc_42").count == 1)
    }

    @Test("A repeated webhook-id answers duplicate and creates nothing")
    func duplicate() async throws {
        let env = try TestEnvironment()
        let body = TestEnvironment.event()
        try await env.application().test(.router) { client in
            for expected in [false, true, true] {
                try await client.execute(
                    uri: "/v1/events",
                    method: .post,
                    headers: env.signedHeaders(id: "msg_1", body: body),
                    body: ByteBuffer(data: body)
                ) { response in
                    #expect(response.status == .accepted)
                    #expect(response.json["duplicate"] as? Bool == expected)
                    #expect(response.json["cause"] as? String == "permission_missing")
                }
            }
        }
        #expect(try await env.store.eventCount() == 1)
        #expect(try await env.store.pendingNotices().count == 1)
    }

    @Test("Events without a reason answer a null cause")
    func resumed() async throws {
        let env = try TestEnvironment()
        let body = TestEnvironment.event(type: "robot.resumed")
        try await env.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/events",
                method: .post,
                headers: env.signedHeaders(id: "msg_r", body: body),
                body: ByteBuffer(data: body)
            ) { response in
                #expect(response.status == .accepted)
                #expect(response.json["cause"] is NSNull)
            }
        }
    }

    @Test("Bad, missing or stale signatures are refused with 401 and nothing is stored")
    func signatures() async throws {
        let env = try TestEnvironment()
        let body = TestEnvironment.event()
        var badSignature = env.signedHeaders(id: "msg_1", body: body)
        badSignature[HTTPField.Name("webhook-signature")!] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
        var missing = env.signedHeaders(id: "msg_1", body: body)
        missing[HTTPField.Name("webhook-timestamp")!] = nil
        let cases: [(HTTPFields, String)] = [
            (badSignature, "bad_signature"),
            (missing, "missing_header"),
            (env.signedHeaders(id: "msg_1", body: body, at: env.clock.now.addingTimeInterval(-301)), "timestamp_too_old"),
            (env.signedHeaders(id: "msg_1", body: body, at: env.clock.now.addingTimeInterval(301)), "timestamp_too_new"),
        ]
        try await env.application().test(.router) { client in
            for (headers, code) in cases {
                try await client.execute(uri: "/v1/events", method: .post, headers: headers, body: ByteBuffer(data: body)) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.errorCode == code)
                }
            }
            // A body changed after signing.
            let tampered = TestEnvironment.event(robot: "rb_8")
            try await client.execute(
                uri: "/v1/events",
                method: .post,
                headers: env.signedHeaders(id: "msg_1", body: body),
                body: ByteBuffer(data: tampered)
            ) { response in
                #expect(response.status == .unauthorized)
            }
        }
        #expect(try await env.store.eventCount() == 0)
    }

    @Test("A replayed request is accepted only within the window, and only once")
    func replay() async throws {
        let env = try TestEnvironment()
        let body = TestEnvironment.event()
        let headers = env.signedHeaders(id: "msg_1", body: body)
        try await env.application().test(.router) { client in
            try await client.execute(uri: "/v1/events", method: .post, headers: headers, body: ByteBuffer(data: body)) { response in
                #expect(response.json["duplicate"] as? Bool == false)
            }
            env.clock.advance(by: 120)
            try await client.execute(uri: "/v1/events", method: .post, headers: headers, body: ByteBuffer(data: body)) { response in
                #expect(response.json["duplicate"] as? Bool == true)
            }
            env.clock.advance(by: 200)
            try await client.execute(uri: "/v1/events", method: .post, headers: headers, body: ByteBuffer(data: body)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "timestamp_too_old")
            }
        }
        #expect(try await env.store.eventCount() == 1)
    }

    @Test("With no events secret configured, every event is refused")
    func noSecret() async throws {
        let env = try TestEnvironment(environment: ["REBIND_EVENTS_SECRET": ""])
        let body = TestEnvironment.event()
        try await env.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/events",
                method: .post,
                headers: env.signedHeaders(id: "msg_1", body: body),
                body: ByteBuffer(data: body)
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "no_secret_configured")
            }
        }
    }

    @Test("A body that is not JSON gets 415")
    func mediaType() async throws {
        let env = try TestEnvironment()
        let body = TestEnvironment.event()
        try await env.application().test(.router) { client in
            for contentType in ["text/plain", "application/x-www-form-urlencoded", nil] {
                try await client.execute(
                    uri: "/v1/events",
                    method: .post,
                    headers: env.signedHeaders(id: "msg_1", body: body, contentType: contentType),
                    body: ByteBuffer(data: body)
                ) { response in
                    #expect(response.status == .unsupportedMediaType)
                    #expect(response.errorCode == "unsupported_media_type")
                }
            }
            try await client.execute(
                uri: "/v1/events",
                method: .post,
                headers: env.signedHeaders(id: "msg_2", body: body, contentType: "Application/JSON; charset=utf-8"),
                body: ByteBuffer(data: body)
            ) { response in
                #expect(response.status == .accepted)
            }
        }
    }

    @Test("Invalid JSON and invalid fields get 400 naming the field")
    func invalid() async throws {
        let env = try TestEnvironment()
        let cases: [(Data, String, String?)] = [
            (Data("{not json".utf8), "invalid_json", nil),
            (TestEnvironment.event(type: "robot.exploded"), "invalid_field", "type"),
            (TestEnvironment.event(exchange: "kraken"), "invalid_field", "account.exchange"),
            (TestEnvironment.event(user: ""), "invalid_field", "user.id"),
        ]
        try await env.application().test(.router) { client in
            for (index, (body, code, field)) in cases.enumerated() {
                try await client.execute(
                    uri: "/v1/events",
                    method: .post,
                    headers: env.signedHeaders(id: "msg_\(index)", body: body),
                    body: ByteBuffer(data: body)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode == code)
                    #expect(response.errorField == field)
                }
            }
        }
        #expect(try await env.store.eventCount() == 0)
    }

    @Test("A body over 64 KiB gets 413 before its signature is even looked at")
    func oversized() async throws {
        let env = try TestEnvironment()
        let body = Data(repeating: UInt8(ascii: " "), count: 64 * 1024 + 1)
        try await env.application().test(.live) { client in
            // No signature headers at all: size is checked first.
            try await client.execute(uri: "/v1/events", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(data: body)) {
                response in
                #expect(response.status == .contentTooLarge)
                #expect(response.errorCode == "body_too_large")
            }
            let exact = TestEnvironment.event() + Data(repeating: UInt8(ascii: " "), count: 64 * 1024 - TestEnvironment.event().count)
            try await client.execute(
                uri: "/v1/events",
                method: .post,
                headers: env.signedHeaders(id: "msg_exact", body: exact),
                body: ByteBuffer(data: exact)
            ) { response in
                #expect(response.status == .accepted)
            }
        }
    }

    @Test("A store that is down gets 503 and the platform retries")
    func storeDown() async throws {
        let env = try TestEnvironment(store: UnavailableStore())
        let body = TestEnvironment.event()
        try await env.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/events",
                method: .post,
                headers: env.signedHeaders(id: "msg_1", body: body),
                body: ByteBuffer(data: body)
            ) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.errorCode == "store_unavailable")
            }
        }
        let ready = try await env.admin("/readyz")
        #expect(ready.status == .serviceUnavailable)
        #expect(ready.errorCode == "store_unavailable")
    }

    @Test("Health answers on the public listener, readiness and metrics on the admin one; metrics count events, refusals and commits")
    func operatorEndpoints() async throws {
        let env = try TestEnvironment()
        let body = TestEnvironment.event()
        try await env.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            #expect(try await env.admin("/readyz").status == .ok)
            try await client.execute(
                uri: "/v1/events",
                method: .post,
                headers: env.signedHeaders(id: "msg_1", body: body),
                body: ByteBuffer(data: body)
            )
            try await client.execute(uri: "/v1/events", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(data: body))
            try await client.execute(
                uri: "/v1/events",
                method: .post,
                headers: env.signedHeaders(id: "msg_2", body: body),
                body: ByteBuffer(data: body)
            )
            let response = try await env.admin("/metrics")
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text.contains(#"rebind_events_total{type="robot.paused",cause="permission_missing",duplicate="false"} 2"#))
            #expect(text.contains(#"rebind_events_rejected_total{reason="missing_header"} 1"#))
            #expect(text.contains(#"rebind_http_request_duration_seconds_bucket{route="/v1/events",method="POST",status="202""#))
            // Two events one after the other: two commits of one event each (the refused
            // request is not stored, so it is no commit).
            #expect(text.contains(#"rebind_store_commit_events_bucket{le="1.0"} 2"#))
            #expect(text.contains("rebind_store_commit_events_count 2\n"))
            #expect(text.contains("rebind_store_commit_seconds_count 2\n"))
        }
    }
}

/// Sends raw bytes over TCP and returns the response's status line, for requests no HTTP
/// client library will produce (a chunked body without Content-Length).
enum RawHTTP {
    static func statusLine(port: Int, request: [UInt8]) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may answer 413 and close before reading everything.
            if written <= 0 { break }
            sent += written
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { throw POSIXError(.ECONNRESET) }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return String(text.prefix { $0 != "\r" })
    }
}

@Suite("POST /v1/events, chunked")
struct ChunkedBodyTests {
    @Test("A chunked body that grows past 64 KiB gets 413")
    func chunkedOversized() async throws {
        let env = try TestEnvironment()
        try await env.application().test(.live) { client in
            let port = try #require(client.port)
            let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 8192)
            var request = Array(
                "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8
            )
            for _ in 0..<9 {
                request += Array("2000\r\n".utf8) + chunk + Array("\r\n".utf8)
            }
            request += Array("0\r\n\r\n".utf8)
            let status = try RawHTTP.statusLine(port: port, request: request)
            #expect(status.hasPrefix("HTTP/1.1 413"), "\(status)")
        }
    }
}
