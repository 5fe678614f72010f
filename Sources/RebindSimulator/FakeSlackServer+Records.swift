extension FakeSlackServer {
    /// A message in a channel: the bot's, with its blocks and edit history.
    public struct Message: Sendable, Equatable {
        /// One state of a message; `history` keeps those an edit replaced.
        public struct Version: Sendable, Equatable {
            public var text: String
            /// The blocks as sent, loosely parsed.
            public var blocks: [JSONValue]
        }

        public var channel: String
        /// `1700000000.000100`: the message's id.
        public var ts: String
        public var current: Version
        /// Earlier versions, oldest first: one per edit.
        public var history: [Version]

        public var text: String { current.text }
        public var blocks: [JSONValue] { current.blocks }

        /// The buttons of every actions block, in order.
        public var buttons: [JSONValue] {
            blocks.filter { $0["type"]?.string == "actions" }.flatMap { block -> [JSONValue] in
                if case .array(let elements)? = block["elements"] { elements } else { [] }
            }
        }

        /// The texts of the section blocks, in order.
        public var sectionTexts: [String] {
            blocks.filter { $0["type"]?.string == "section" }.compactMap { $0["text"]?["text"]?.string }
        }
    }

    /// A message only one user saw.
    public struct EphemeralMessage: Sendable, Equatable {
        public var channel: String
        public var user: String
        public var messageTS: String
        public var text: String
        public var blocks: [JSONValue]
    }

    /// A modal as `views.open` left it, and each `views.update` since.
    public struct View: Sendable, Equatable {
        /// `V…`.
        public var id: String
        public var teamID: String
        public var user: String
        public var hash: String
        /// The view as last sent, loosely parsed.
        public var view: JSONValue
        /// Earlier versions, oldest first.
        public var history: [JSONValue]

        public var callbackID: String? { view["callback_id"]?.string }
        public var privateMetadata: String? { view["private_metadata"]?.string }
        public var title: String? { view["title"]?["text"]?.string }

        /// The `(block_id, action_id)` of each input, in order.
        public var inputs: [(blockID: String, actionID: String)] {
            guard case .array(let blocks)? = view["blocks"] else { return [] }
            return blocks.filter { $0["type"]?.string == "input" }.compactMap { block in
                guard let blockID = block["block_id"]?.string, let actionID = block["element"]?["action_id"]?.string else { return nil }
                return (blockID, actionID)
            }
        }

        public static func == (lhs: View, rhs: View) -> Bool {
            lhs.id == rhs.id && lhs.teamID == rhs.teamID && lhs.user == rhs.user && lhs.hash == rhs.hash && lhs.view == rhs.view
                && lhs.history == rhs.history
        }
    }

    /// A workspace the fake knows: the one of the default token, or one installed via OAuth.
    public struct Workspace: Sendable, Equatable {
        public var teamID: String
        public var name: String
        public var botUserID: String
        public var botID: String
    }
}
