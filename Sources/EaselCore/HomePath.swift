import Foundation

/// Paths the user wrote with a leading `~`.
public enum HomePath {
    /// `path` with a leading `~` or `~/` replaced by the home directory, as a shell would: `$HOME` when
    /// set and absolute, else the account's home (`NSHomeDirectory()`). `~user/…` and every other path
    /// are returned unchanged.
    public static func expandingTilde(_ path: String,
                                      environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
