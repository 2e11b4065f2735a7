import EaselBackends
import EaselCore
import Foundation
import TOMLKit

extension Config {
    /// One `[backends.NAME] kind = "pool"` table: `members = ["gpu1", "gpu2"]`, `strategy = "least-busy"`
    /// (default), `"round-robin"` or `"priority"`. The members are checked once every table is read
    /// (`checkPoolMembers`).
    /// - Throws: `ConfigError` naming the file, the line and the key.
    static func parsePool(name: String, table: TOMLTable, file: String, lines: [String], config: inout Config) throws(ConfigError) -> BackendPool {
        let section = "backends.\(name)"
        let error = backendTableError(name: name, file: file, lines: lines)
        try checkBackendName(name, error: error)
        guard let value = table["members"] else { throw error("members", "missing; expected a list of backend names, e.g. [\"gpu1\", \"gpu2\"]") }
        guard let array = value.array else { throw error("members", "expected a list of backend names, e.g. [\"gpu1\", \"gpu2\"]") }
        var members: [String] = []
        for item in array {
            guard let s = item.string, !s.isEmpty else { throw error("members", "expected a list of backend names (strings)") }
            guard !members.contains(s) else { throw error("members", "\"\(s)\" is listed twice") }
            members.append(s)
        }
        guard !members.isEmpty else { throw error("members", "a pool needs at least one member") }
        var strategy = PoolStrategy.leastBusy
        for (k, v) in table {
            switch k {
            case "kind", "members": break
            case "strategy":
                guard let s = v.string, let st = PoolStrategy(rawValue: s) else {
                    throw error(k, "expected one of \(PoolStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                strategy = st
            default:
                config.warnings.append("\(file):\(line(of: k, in: section, lines: lines)): unknown key \(section).\(k) (a pool takes members and strategy; set the rest on its members)")
            }
        }
        return BackendPool(name: name, members: members, strategy: strategy)
    }

    /// "file:LINE: backends.NAME.key: message", at the key's line in the table (else the table's own line).
    static func backendTableError(name: String, file: String, lines: [String]) -> (String, String) -> ConfigError {
        let section = "backends.\(name)"
        return { key, message in
            let n = line(of: key, in: section, lines: lines)
            let at = n == 0 ? line(of: name, in: "backends", lines: lines) : n
            return ConfigError(message: "\(file):\(at): \(section)\(key.isEmpty ? "" : "." + key): \(message)")
        }
    }

    /// Backend names are letters, digits, - and _ (1–40 of them): they appear in file names and the journal.
    /// `demo` is taken: it names the embedded demo backend, which F3 and `--backend demo` always reach, so
    /// a `[backends.demo]` table would be shadowed by it; the error asks for another name.
    static func checkBackendName(_ name: String, error: (String, String) -> ConfigError) throws(ConfigError) {
        guard name != "demo" else { throw error("", "demo is the embedded backend's name; pick another name") }
        guard name.range(of: "^[A-Za-z0-9_-]{1,40}$", options: .regularExpression) != nil else {
            throw error("", "backend names are letters, digits, - and _")
        }
    }

    /// Every pool member names a `[backends.*]` table that is not itself a pool ("demo" is allowed).
    /// - Throws: `ConfigError` at the pool's `members` line.
    static func checkPoolMembers(_ config: Config, file: String, lines: [String]) throws(ConfigError) {
        for pool in config.pools {
            let section = "backends.\(pool.name)"
            let n = line(of: "members", in: section, lines: lines)
            for member in pool.members {
                if config.pools.contains(where: { $0.name == member }) {
                    throw ConfigError(message: "\(file):\(n): \(section).members: \"\(member)\" is a pool; members are single backends")
                }
                guard member == "demo" || config.backends.contains(where: { $0.name == member }) else {
                    let known = config.backends.map(\.name)
                    throw ConfigError(message: "\(file):\(n): \(section).members: no [backends.\(member)] table"
                        + (known.isEmpty ? "" : "; configured: \(known.joined(separator: ", "))"))
                }
            }
        }
    }
}
