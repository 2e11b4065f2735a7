import EaselCore

/// A failure to report in one line ("Error: …", exit status 1), without the usage text. Its text is
/// sanitized (`Sanitize.line`): it may quote a file name or a service's answer.
public struct CLIError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = Sanitize.line(description) }
}
