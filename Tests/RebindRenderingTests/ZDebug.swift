import Foundation
import RebindCore
import RebindRendering
import Testing

@Test func zdebugDump() throws {
    let r = try Fixtures.renderer()
    var out = ""
    for cause in Cause.allCases {
        for ex in ["binance", "okx"] {
            for ch in Channel.allCases {
                for kind in MessageKind.allCases {
                    let m = try r.render(Fixtures.incident(cause: cause, exchange: ex, robots: [Fixtures.robots[0]], resolution: kind == .resolved ? .bindingUpdated : nil), channel: ch, kind: kind)
                    out += "===== \(cause.rawValue) \(ex) \(ch) \(kind) (\(m.text.utf16.count))\n\(m.text)\n\n"
                }
            }
        }
    }
    try out.write(toFile: "/tmp/rebind-render-dump.txt", atomically: true, encoding: .utf8)
}
