import EaselBackends
import Foundation

extension Config {
    /// The 1-based line where `key` is assigned inside `[section]` (or at the top), else 0.
    static func line(of key: String, in section: String, lines: [String]) -> Int {
        var current = ""
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                current = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                if current == (section.isEmpty ? key : section + "." + key) { return i + 1 }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            // Dotted keys (`queue.mode = …`, `[backends] gpu.kind = …`) count as assignments inside their table.
            let name = line[..<eq].split(separator: ".")
                .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
                .joined(separator: ".")
            let full = current.isEmpty ? name : current + "." + name, target = section.isEmpty ? key : section + "." + key
            if full == target || full.hasPrefix(target + ".") { return i + 1 }
        }
        return 0
    }

    /// Sets every configured backend up as `easel generate` would, without touching the network, so
    /// `easel config --file` finds what `generate` would refuse (a missing or unreadable `workflow`).
    /// - Throws: `ConfigError` "FILE: backends.NAME: why" for the first that cannot be set up.
    public func checkBackends() throws(ConfigError) {
        for options in backends where options.kind != .demo {
            do { _ = try BackendFactory.make(options) } catch {
                throw ConfigError(message: "\(options.file): backends.\(options.name): \(error.message)")
            }
        }
    }
}
