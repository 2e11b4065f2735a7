import EaselBackends
import EaselCore
import EaselServer
import Foundation

/// The adapters one run uses, by config name: `--server`, or the config's `[backends.NAME]` tables plus
/// the embedded demo. Built by `make(config:…)` for the studio and `easel generate`.
public struct BackendSet {
    public static let demoSummary = "demo backend — procedural, offline"
    public var adapters: [String: any GenerationBackend]
    /// The name new jobs go to.
    public var current: String
    /// What F3 cycles through, in config order, the demo last.
    public var choices: [BackendChoice]
    /// The selected `[backends.NAME]` table; nil for the demo.
    public var selected: BackendOptions?
    /// The embedded demo server, when started (stop it when the run ends).
    public var demo: ReferenceServer?
    /// Configured backends that could not be set up (shown, never fatal unless selected).
    public var warnings: [String]
    /// The config tables of the adapters, by name (for image metadata: model, sampler, CFG scale).
    public var options: [String: BackendOptions] = [:]

    public init(adapters: [String: any GenerationBackend], current: String, choices: [BackendChoice],
                selected: BackendOptions?, demo: ReferenceServer?, warnings: [String]) {
        self.adapters = adapters
        self.current = current
        self.choices = choices
        self.selected = selected
        self.demo = demo
        self.warnings = warnings
    }

    public var summary: String { choices.first { $0.name == current }?.summary ?? adapters[current]?.displayName ?? current }

    /// Client-side pacing: the demo's own limit (`demoLimit`), the seed API's 8/60 s, else generous
    /// (self-hosted and hosted services answer 429 themselves, and Easel honours their Retry-After).
    public func pace(demoLimit: RateLimitSpec) -> RateLimitSpec {
        if current == "demo" { return demoLimit }
        if selected?.kind == .jobapi { return RateLimitSpec(requests: 8, window: .seconds(60)) }
        return RateLimitSpec(requests: 120, window: .seconds(60))
    }

    /// The backends this run can use.
    /// - Parameters:
    ///   - server: `--server URL`: a seed-API job server, and nothing else.
    ///   - backend: `--backend NAME`, else the config's `default_backend`, else the demo.
    ///   - model: `--model`: replaces the selected backend's `model` (a ComfyUI or A1111 checkpoint, a hosted model id).
    ///   - allowSwitching: build every configured backend (the studio's F3), not just the selected one.
    ///   - demo: how to start the embedded demo, when it is needed.
    /// - Throws: `CLIError` when the selected backend is unknown (category "usage" for `--backend`, "config"
    ///   for `default_backend`) or cannot be set up ("config"), or the demo
    ///   server cannot start.
    public static func make(config: Config, backend: String?, model: String? = nil, server: String?, allowSwitching: Bool,
                            demo: DemoBackend) async throws -> BackendSet {
        if let server {
            let api = SeedJobAPI(baseURL: server)
            return BackendSet(adapters: ["server": api], current: "server", choices: [BackendChoice(name: "server", summary: api.displayName, slots: api.maxConcurrentJobs)],
                              selected: BackendOptions(name: "server", kind: .jobapi, url: server), demo: nil, warnings: [])
        }
        var selected: BackendOptions?
        let pool = (backend ?? config.defaultBackend).flatMap { wanted in config.pools.first { $0.name == wanted } }
        if pool == nil {
            do { selected = try config.backend(named: backend) } catch { throw CLIError(error.message, category: backend == nil ? "config" : "usage") }
        }
        let current = pool?.name ?? selected?.name ?? "demo"
        var config = config   // --model replaces the selected backend's `model`; for a pool, it is the model its jobs ask for
        if let model, pool == nil, let i = config.backends.firstIndex(where: { $0.name == current }) { config.backends[i].model = model; selected?.model = model }
        var adapters: [String: any GenerationBackend] = [:]
        var choices: [BackendChoice] = []
        var warnings: [String] = []
        var demoServer: ReferenceServer?
        let needed = { (name: String) in allowSwitching || name == current || pool?.members.contains(name) == true }
        for options in config.backends where options.kind != .demo && needed(options.name) {
            do {
                let adapter = try BackendFactory.make(options, http: BackendFactory.httpClient(for: options))
                adapters[options.name] = adapter
                choices.append(choice(options, slots: adapter.maxConcurrentJobs, inPool: config.pools.contains { $0.members.contains(options.name) }))
            } catch {
                if options.name == current { throw CLIError("backend \(options.name) (\(options.file)): \(error.message)", category: "config") }
                warnings.append("backend \(options.name) is unusable: \(error.message)")
            }
        }
        if allowSwitching || current == "demo" || selected?.kind == .demo || pool?.members.contains("demo") == true {
            let (api, server) = try await demo.start()
            demoServer = server
            adapters["demo"] = api
        }
        // Pools F3 can select (or the one selected): those with at least one member set up.
        for p in config.pools where allowSwitching || p.name == current {
            let usable = p.members.filter { adapters[$0] != nil }
            guard !usable.isEmpty else {
                if p.name == current { throw CLIError("pool \(p.name): none of its members could be set up", category: "config") }
                continue
            }
            choices.append(BackendChoice(name: p.name, summary: "\(p.name) — pool of \(usable.joined(separator: ", ")) (\(p.strategy.rawValue))",
                                         model: p.name == current ? model : nil, pool: BackendPool(name: p.name, members: usable, strategy: p.strategy)))
        }
        if adapters["demo"] != nil { choices.append(BackendChoice(name: "demo", summary: BackendSet.demoSummary)) }
        var set = BackendSet(adapters: adapters, current: selected?.kind == .demo ? "demo" : current, choices: choices,
                             selected: selected, demo: demoServer, warnings: warnings)
        for o in config.backends where adapters[o.name] != nil && o.kind != .demo { set.options[o.name] = o }
        // The demo's table too, for image metadata: the template's `{backend}` is its name, "demo".
        if adapters["demo"] != nil { set.options["demo"] = BackendOptions(name: "demo", kind: .demo) }
        return set
    }

    /// The F3 choice for a `[backends.NAME]` table; a pool member's carries its own `concurrency`,
    /// `poll_interval` and `deadline`, since jobs of several members share one queue, and its own pacer
    /// (the seed API's 8 per 60 s for `jobapi`; `--pace` replaces it in `configureQueue`).
    static func choice(_ options: BackendOptions, slots: Int?, inPool: Bool) -> BackendChoice {
        let ownPolicy = inPool && (options.pollInterval != nil || options.deadline != nil)
        return BackendChoice(name: options.name, summary: options.summary, model: options.model,
                             queueAhead: options.queueAhead ?? options.kind.defaultQueueAhead,
                             sizes: options.kind == .openai ? ModelSizes.fixed(for: options.model) : nil, slots: slots,
                             sizesFollowModel: options.kind == .openai, concurrency: inPool ? options.concurrency : nil,
                             pollPolicy: ownPolicy ? PollPolicy.resolved(interval: nil, deadline: nil, backend: options) : nil,
                             pace: inPool && options.kind == .jobapi ? RateLimitPacer(limit: 8, window: .seconds(60)) : nil)
    }

    /// Sets the queue part of `state`: mode and concurrency (the command line, else the selected
    /// backend's table, else the config's `[queue]`, else exclusive and 1), the backends F3 cycles
    /// through, and the client-side pacer (`pace`, else `pace(demoLimit:)`).
    public func configureQueue(_ state: inout AppState, mode: GenerationMode?, concurrency: Int?, pace: RateLimitSpec?,
                               demoLimit: RateLimitSpec, config: Config) {
        state.mode = mode ?? config.mode ?? .exclusive
        state.queue.concurrency = concurrency ?? selected?.concurrency ?? config.concurrency ?? 1
        state.backends = choices
        state.backendKey = current
        state.backendName = summary
        let spec = pace ?? self.pace(demoLimit: demoLimit)
        state.queue.pacer = RateLimitPacer(limit: spec.requests, window: spec.window)
        if let pace {                            // --pace: every pool member's own pacer too
            for i in state.backends.indices where state.backends[i].pace != nil {
                state.backends[i].pace = RateLimitPacer(limit: pace.requests, window: pace.window)
            }
        }
    }
}

/// The embedded demo backend: the reference job server on loopback (a free port), with the offline
/// procedural generator.
public struct DemoBackend: Sendable {
    /// Simulated generation time per job.
    public var latency: Duration
    /// The server's per-client limit on submits.
    public var rateLimit: RateLimitSpec

    public init(latency: Duration, rateLimit: RateLimitSpec) {
        self.latency = latency
        self.rateLimit = rateLimit
    }

    /// Starts the server and returns a seed-API adapter for it, and the server (to stop it).
    /// - Throws: the server's error when it cannot listen.
    public func start() async throws -> (any GenerationBackend, ReferenceServer) {
        var config = ReferenceServer.Configuration()
        config.latency = latency
        config.rateLimit = rateLimit
        let demo = ReferenceServer(configuration: config)
        try await demo.start()
        return (SeedJobAPI(baseURL: await demo.baseURL, displayName: BackendSet.demoSummary), demo)
    }
}

extension PollPolicy {
    /// The poll interval and deadline: the command line (seconds), else the backend's table, else 2 s and 120 s.
    /// A deadline that is given (`--deadline` or the table's `deadline`) also bounds how long a job may keep
    /// meeting 429s on submit (`refusalDeadline`), in the studio too; without one the studio waits until
    /// the service accepts the job or the user cancels it (`easel generate` always sets the bound).
    public static func resolved(interval: Double?, deadline: Double?, backend options: BackendOptions?) -> PollPolicy {
        let interval = interval ?? options?.pollInterval ?? 2
        let given = deadline ?? options?.deadline
        return PollPolicy(interval: .seconds(milliseconds: interval), deadline: .seconds(milliseconds: given ?? 120),
                          refusalDeadline: given.map { .seconds(milliseconds: $0) })
    }
}
