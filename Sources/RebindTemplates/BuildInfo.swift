/// What this executable is: the release it belongs to and the commit it was built from (the
/// latter recorded by the EmbedTemplates plugin; "unknown" when built outside a git clone).
public enum BuildInfo {
    /// Raised with each release; shown by `rebind --version` and `rebind_build_info`.
    public static let version = "0.3.0"
}
