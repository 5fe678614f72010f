import Foundation
import RebindCore

/// Where the Mini App key form opens (DESIGN §3), when `REBIND_PUBLIC_URL` is set: the
/// **Enter key securely** button beside **Update API key**, in private Telegram chats only.
/// A group chat never gets it: whoever taps a button there would open a form for another
/// member's account (the form refuses them, but the button should not be offered at all).
struct KeyFormLink: Sendable {
    /// The public listener's `https://` address, without a trailing slash.
    let publicURL: String

    /// `{REBIND_PUBLIC_URL}/v1/keyform?account=<id>`.
    func url(accountID: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#?/")
        let account = accountID.addingPercentEncoding(withAllowedCharacters: allowed) ?? accountID
        return "\(publicURL)/v1/keyform?account=\(account)"
    }

    /// Whether the chat can open the form: a private Telegram chat (a positive chat id;
    /// groups and channels have negative ones).
    static func isOffered(in chat: ChatAddress) -> Bool {
        chat.channel == .telegram && (Int64(chat.id) ?? 0) > 0
    }

    /// The button for this account in this chat; nil where the form is not offered.
    func button(title: String, accountID: String, in chat: ChatAddress) -> OutgoingMessage.Button? {
        guard Self.isOffered(in: chat) else { return nil }
        return .webApp(title: title, url: url(accountID: accountID))
    }
}
