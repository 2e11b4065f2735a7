import EaselCore

/// A failure to report in one line ("Error: …", exit status 1), without the usage text. Its text is
/// sanitized (`Sanitize.line`): it may quote a file name or a service's answer.
public struct CLIError: Error, CustomStringConvertible, Equatable {
    public let description: String
    /// For `--json` error objects: "usage" (an option names something that does not exist), "config",
    /// "storage", "journal"; "failed" when nothing more precise is known.
    public let category: String
    public init(_ description: String, category: String = "failed") {
        self.description = Sanitize.line(description)
        self.category = category
    }

    /// The exit status (README, "easel generate"): 64 (EX_USAGE) for a usage error, else 1.
    public var exitStatus: Int32 { category == "usage" ? 64 : 1 }
}
