import EaselCore
import Foundation

extension Config {
    /// `path` with a leading `~` expanded as a shell would (`HomePath.expandingTilde`).
    public static func expandingTilde(_ path: String,
                                      environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        HomePath.expandingTilde(path, environment: environment)
    }
}
