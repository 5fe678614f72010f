import Foundation
import Logging
import RebindCore
import RebindSimulator
import RebindSlack
import Testing

@Suite("The bot token, the client secret and OAuth codes stay out of errors and logs")
struct SlackSecrecyTests {
    @Test("no failure's description, client error or delivery error, and no log line at any level, holds a secret")
    func secretsNeverShow() async throws {
        let logs = LogRecorder()
        var descriptions: [String] = []
        var code = ""
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            let logger = logs.logger(label: "test.slack")
            let client = try SlackClient(
                baseURL: fake.baseURL,
                token: fake.token,
                transport: testTransport(timeout: 0.5, logger: logger),
                timeout: 0.5,
                logger: logger
            )
            let messenger = SlackMessenger(client: client)
            let faults: [FakeSlackServer.Fault] = [
                .rateLimited(retryAfter: 3), .invalidAuth, .tokenRevoked, .channelNotFound, .serverError(status: 500),
                .serverError(status: 503), .malformedAnswer, .hang, .drop,
            ]
            for fault in faults {
                fake.inject(fault, method: "auth.test")
                do throws(SlackClient.Error) {
                    _ = try await client.authTest()
                    Issue.record("\(fault) should have failed")
                } catch {
                    descriptions += [error.description, String(reflecting: error), error.deliveryError.description]
                }
                fake.inject(fault, method: "conversations.open")
                do throws(DeliveryError) {
                    _ = try await messenger.send(OutgoingMessage(text: "hi", format: .mrkdwn), to: TestUser.address)
                    Issue.record("\(fault) should have failed")
                } catch {
                    descriptions += [error.description, String(reflecting: error)]
                }
            }

            // OAuth: a refused code, a wrong secret, a dropped connection.
            code = fake.authorize(teamID: "T0SECOND01", teamName: "Second Desk", installer: "U0ADMIN001")
            let oauth = SlackOAuth(
                baseURL: fake.baseURL,
                clientID: fake.clientID,
                clientSecret: fake.clientSecret,
                transport: try testTransport(logger: logger),
                logger: logger
            )
            // The drop first: on a fresh connection, which libcurl does not retry.
            for fault in [FakeSlackServer.Fault.drop, .error("invalid_code"), .malformedAnswer] {
                fake.inject(fault, method: "oauth.v2.access")
                do throws(SlackClient.Error) {
                    _ = try await oauth.access(code: code)
                    Issue.record("\(fault) should have failed")
                } catch {
                    descriptions += [error.description, String(reflecting: error)]
                }
            }
            let access = try await oauth.access(code: code)
            descriptions.append(String(describing: access))
            descriptions.append(String(reflecting: access))
        }
        let expectedCount = 9 * 5 + 3 * 2 + 2
        #expect(descriptions.count == expectedCount)
        #expect(!logs.all.isEmpty)
        let secrets = [FakeSlackServer.defaultToken.value, FakeSlackServer.defaultClientSecret.value, code]
        for text in descriptions + logs.all {
            for secret in secrets { #expect(!text.contains(secret), "\(text)") }
            #expect(!text.contains("xoxb-"), "\(text)")
        }
    }
}
