import Foundation
import Logging
import RebindCore
import RebindHTTP
import RebindSimulator
import RebindSlack

/// The libcurl transport. The default timeout is far longer than any answer from the fake
/// takes, even when a loaded machine runs the fake late; tests of a hanging fake pass a short one.
func testTransport(timeout: TimeInterval = 45, logger: Logger = Logger(label: "test.curl")) throws -> CurlTransport {
    try CurlTransport(configuration: .init(connectTimeout: 2, timeout: timeout), logger: logger)
}

/// A client of the fake, over the real HTTP client.
func client(
    of fake: FakeSlackServer,
    token: Secret? = nil,
    timeout: TimeInterval = 45,
    logger: Logger = Logger(label: "test.slack")
) throws -> SlackClient {
    try SlackClient(
        baseURL: fake.baseURL,
        token: token ?? fake.token,
        transport: testTransport(timeout: timeout, logger: logger),
        timeout: timeout,
        logger: logger
    )
}

/// The JSON object in a recorded body, for comparing shapes.
func jsonObject(_ data: Data?) -> NSDictionary? {
    data.flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? NSDictionary }
}

/// A Slack user and their address, in the fake's default workspace.
enum TestUser {
    static let id = "U0TRADER01"
    static let address = ChatAddress.slack(teamID: FakeSlackServer.defaultWorkspace.teamID, userID: id)
}
