import ArgumentParser
import EaselApp
import EaselBackends
import EaselCore
import EaselHTTP
import EaselServer

extension Easel {
    /// `easel backends`: every configured backend, its health and what it lists.
    struct Backends: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the configured backends and check that each one answers.",
            discussion: """
            Backends are [backends.NAME] tables in the config file (see `easel config --print-default`); \
            the embedded demo is always there. Each is asked for its health (ComfyUI /system_stats, \
            A1111 /sdapi/v1/options, …) and, where the service lists them, its models and samplers. \
            API keys are never printed, only where they come from. Exit status 1 when a backend does not answer.
            """)

        @Option(help: "Config file (default: $XDG_CONFIG_HOME/easel/config.toml).")
        var config: String?

        @Flag(help: "One JSON object per backend instead of text.")
        var json = false

        @Option(help: "Seconds each health request may take.")
        var timeout: Double = 5

        @Flag(help: "Skip the health checks: only list what is configured.")
        var offline = false

        func validate() throws { try SecondsOption.check(timeout, "--timeout", above: 0) }

        mutating func run() async throws {
            let settings = try loadConfigFile(config)
            for w in settings.warnings { Generate.stderr("easel: \(w)") }
            var entries = settings.backends.filter { $0.kind != .demo }
            let defaultName = settings.defaultBackend ?? "demo"
            var http = HTTPClient.Configuration()
            http.totalTimeout = .seconds(milliseconds: max(0.1, timeout))
            http.connectTimeout = http.totalTimeout
            let client = HTTPClient(configuration: http)
            entries.append(BackendOptions(name: "demo", kind: .demo))
            // Health checks run concurrently; results print in config order.
            let (results, demoServer) = await BackendHealthCheck.run(
                entries, offline: offline, limit: .seconds(milliseconds: timeout * 3 + 1), clock: ContinuousClock(),
                demo: DemoBackend(latency: .seconds(3), rateLimit: RateLimitSpec(requests: 8, window: .seconds(60))), makeAdapter: { o throws(BackendSetupError) in try BackendFactory.make(o, http: client) })
            await demoServer?.stop()
            var allOK = true
            for (o, h) in results {
                allOK = allOK && h.ok
                let key = o.apiKey.map { "key from \($0)" } ?? (o.basicAuth != nil ? "HTTP Basic auth" : "no key")
                if json {
                    var obj: [String: Any] = ["name": o.name, "kind": o.kind.rawValue, "ok": h.ok, "detail": Sanitize.line(h.detail),
                                              "default": o.name == defaultName, "auth": key]
                    if o.kind != .demo { obj["url"] = o.url }
                    if let m = o.model { obj["model"] = m }
                    if !h.models.isEmpty { obj["models"] = h.models.map { Sanitize.line($0) } }
                    if !h.samplers.isEmpty { obj["samplers"] = h.samplers.map { Sanitize.line($0) } }
                    if !h.warnings.isEmpty { obj["warnings"] = h.warnings.map { Sanitize.line($0) } }
                    print(GenerateReport.encode(obj))
                    continue
                }
                let mark = h.ok ? "✓" : "✗"
                print("\(mark) \(o.name)\(o.name == defaultName ? " (default)" : "")  \(o.kind == .demo ? "embedded demo, procedural, offline" : "\(o.kind.rawValue) at \(o.url)")")
                print("    \(Sanitize.line(h.detail))")
                for w in h.warnings { print("    ⚠ \(Sanitize.line(w))") }
                if o.kind != .demo { print("    auth: \(key)" + (o.model.map { ", model: \(Sanitize.line($0))" } ?? "")) }
                if !h.models.isEmpty { print("    models: " + Self.list(h.models)) }
                if !h.samplers.isEmpty { print("    samplers: " + Self.list(h.samplers)) }
            }
            // Pools: each member's health, from the checks above (a pool adds no requests of its own).
            for pool in settings.pools {
                let members = pool.members.map { name in (name, results.first { $0.0.name == name }?.1) }
                if json {
                    let list: [[String: Any]] = members.map { name, h in
                        ["name": name, "ok": h?.ok ?? false, "detail": Sanitize.line(h?.detail ?? "not configured")]
                    }
                    print(GenerateReport.encode(["name": pool.name, "kind": "pool", "strategy": pool.strategy.rawValue,
                                                 "default": pool.name == defaultName, "ok": members.contains { $0.1?.ok == true },
                                                 "members": list]))
                    continue
                }
                let up = members.filter { $0.1?.ok == true }.count
                print("\(up > 0 ? "✓" : "✗") \(pool.name)\(pool.name == defaultName ? " (default)" : "")  pool, \(pool.strategy.rawValue): \(up) of \(members.count) members up")
                for (name, h) in members {
                    print("    \(h?.ok == true ? "up  " : "down") \(name)" + (h?.ok == true ? "" : " — \(Sanitize.line(h?.detail ?? "not configured"))"))
                }
            }
            if settings.backends.isEmpty, !json {
                print("")
                print("No [backends.NAME] tables in \(config ?? Config.defaultPath()); `easel config --print-default` shows examples.")
            }
            if !allOK { throw ExitCode(1) }
        }

        /// Up to 12 names, sanitized, then "… and N more".
        static func list(_ names: [String]) -> String {
            let shown = names.prefix(12).map { Sanitize.line($0) }.joined(separator: ", ")
            return names.count > 12 ? shown + ", … and \(names.count - 12) more" : shown
        }
    }
}
