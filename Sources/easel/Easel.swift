import ArgumentParser
import EaselApp
import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import EaselServer
import EaselStore
import EaselTerminal
import EaselUI
import Foundation

@main
struct Easel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "easel",
        abstract: "A full-screen terminal studio for text-to-image generation.",
        discussion: """
        Backends are named in the config file ([backends.NAME]: ComfyUI, AUTOMATIC1111/Forge, sd-server, \
        OpenAI-compatible, Replicate, fal; see `easel backends`) and picked with --backend NAME. With none, \
        Easel starts its embedded demo backend on 127.0.0.1: the reference job server with an offline \
        procedural generator (a demo, not a neural model).
        """,
        version: "0.1.0",
        subcommands: [Studio.self, Generate.self, Serve.self, Show.self, History.self, Backends.self, Themes.self, ConfigCommand.self],
        defaultSubcommand: Studio.self
    )
}

/// Options shared by the TUI and `easel generate`.
struct ClientOptions: ParsableArguments {
    @Option(help: "Base URL of a job server with the seed API (POST /api/generate, GET /api/status/{id}). Default: the embedded demo backend.")
    var server: String?

    @Option(help: "Backend by name: a [backends.NAME] table of the config file, or demo (config: default_backend).")
    var backend: String?

    @Option(help: "Model for the selected backend: a ComfyUI checkpoint, an A1111 checkpoint, a hosted model id (config: model; `easel backends` lists them).")
    var model: String?

    @Option(help: "Gallery folder for finished images (config: gallery.dir; default: $XDG_PICTURES_DIR/easel or ~/Pictures/easel).")
    var gallery: String?

    @Option(help: "Seconds between status polls (default: the backend's poll_interval, else 2).")
    var pollInterval: Double?

    @Option(help: "Seconds the service may spend running a job before it counts as timed out; time queued on the service is not counted (default: the backend's deadline, else 120). easel generate also gives up on a job the service still refuses with 429 after this long.")
    var deadline: Double?

    @Option(help: "Simulated generation time of the embedded demo backend, in seconds.")
    var latency: Double = 3

    @Option(help: "Rate limit of the embedded demo backend, e.g. 8/60s.")
    var rateLimit: String = "8/60s"

    @Option(help: "Folder of the job journal (default: $XDG_STATE_HOME/easel).")
    var stateDir: String?

    func validate() throws {
        if let pollInterval, pollInterval <= 0 { throw ValidationError("--poll-interval must be positive") }
        if let deadline, deadline <= 0 { throw ValidationError("--deadline must be positive") }
        if server != nil, backend != nil { throw ValidationError("give --server or --backend, not both") }
        guard latency >= 0 else { throw ValidationError("--latency must be 0 or more") }
        guard RateLimitSpec(rateLimit) != nil else { throw ValidationError("--rate-limit must look like 8/60s") }
        if let server, !(server.hasPrefix("http://") || server.hasPrefix("https://")) {
            throw ValidationError("--server must be an http:// or https:// URL")
        }
    }

    /// The poll interval and deadline: the command line, else the backend's table, else 2 s and 120 s.
    func policy(for options: BackendOptions?) -> PollPolicy {
        let interval = pollInterval ?? options?.pollInterval ?? 2
        let deadline = deadline ?? options?.deadline ?? 120
        return PollPolicy(interval: .milliseconds(Int(interval * 1000)), deadline: .milliseconds(Int(deadline * 1000)))
    }

    /// `--gallery`, else the config's `gallery.dir`, else `$XDG_PICTURES_DIR/easel` or `~/Pictures/easel`.
    func galleryDirectory(_ config: Config) -> String {
        guard let dir = gallery ?? config.gallery.directory else { return Gallery.defaultDirectory() }
        return dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir
    }

    /// The gallery as configured: folder, `gallery.template` and `gallery.sidecars`.
    func makeGallery(_ config: Config) throws -> Gallery {
        var template = GalleryTemplate.standard
        if let text = config.gallery.template {
            do { template = try GalleryTemplate(text) } catch { throw CLIError("gallery.template: \(error.message)") }
        }
        return Gallery(directory: galleryDirectory(config), template: template, sidecars: config.gallery.sidecars ?? false)
    }

    /// Failed saves wait here for a retry: `<state dir>/pending`.
    var pendingImages: PendingImages { PendingImages(directory: (stateDir ?? Journal.defaultDirectory()) + "/pending") }

    /// Opens the job journal (SQLite) for this process; a damaged journal moved aside is reported on stderr.
    func openJournal() throws -> Journal {
        try Journal.openReporting(directory: stateDir ?? Journal.defaultDirectory())
    }

    /// Fails early, before anything is generated, when the gallery cannot be written.
    func checkGallery(_ config: Config = Config()) throws {
        let dir = galleryDirectory(config)
        do { try Gallery(directory: dir).checkWritable() }
        catch { throw CLIError("gallery \(dir) cannot be used: \(error.detail) (choose another with --gallery DIR)") }
    }

    /// Starts the embedded demo backend: the reference server on loopback.
    func startDemo() async throws -> (any GenerationBackend, ReferenceServer) {
        var config = ReferenceServer.Configuration()
        config.latency = .milliseconds(Int(latency * 1000))
        config.rateLimit = RateLimitSpec(rateLimit)!
        let demo = ReferenceServer(configuration: config)
        try await demo.start()
        return (SeedJobAPI(baseURL: await demo.baseURL, displayName: BackendSet.demoSummary), demo)
    }

    /// The backends this run can use: `--server`, or every `[backends.NAME]` of the config plus the demo.
    /// - Parameter allowSwitching: build every configured backend (the studio's F3), not just the selected one.
    /// - Throws: `CLIError` when the selected backend is unknown or cannot be set up.
    func makeBackends(config: Config, allowSwitching: Bool) async throws -> BackendSet {
        if let server {
            let api = SeedJobAPI(baseURL: server)
            return BackendSet(adapters: ["server": api], current: "server", choices: [BackendChoice(name: "server", summary: api.displayName)],
                              selected: BackendOptions(name: "server", kind: .jobapi, url: server), demo: nil, warnings: [])
        }
        var selected: BackendOptions?
        do { selected = try config.backend(named: backend) } catch { throw CLIError(error.message) }
        let current = selected?.name ?? "demo"
        var config = config   // --model replaces the selected backend's `model`
        if let model, let i = config.backends.firstIndex(where: { $0.name == current }) { config.backends[i].model = model; selected?.model = model }
        var adapters: [String: any GenerationBackend] = [:]
        var choices: [BackendChoice] = []
        var warnings: [String] = []
        var demo: ReferenceServer?
        for options in config.backends where options.kind != .demo && (allowSwitching || options.name == current) {
            do {
                adapters[options.name] = try BackendFactory.make(options, http: BackendFactory.httpClient(for: options))
                choices.append(BackendChoice(name: options.name, summary: options.summary, model: options.model,
                                             queueAhead: options.queueAhead ?? options.kind.defaultQueueAhead,
                                             sizes: options.kind == .openai ? ModelSizes.fixed(for: options.model) : nil))
            } catch {
                if options.name == current { throw CLIError("backend \(options.name) (\(options.file)): \(error.message)") }
                warnings.append("backend \(options.name) is unusable: \(error.message)")
            }
        }
        if allowSwitching || current == "demo" || selected?.kind == .demo {
            let (api, server) = try await startDemo()
            demo = server
            adapters["demo"] = api
            choices.append(BackendChoice(name: "demo", summary: BackendSet.demoSummary))
        }
        var set = BackendSet(adapters: adapters, current: selected?.kind == .demo ? "demo" : current, choices: choices,
                             selected: selected, demo: demo, warnings: warnings)
        for o in config.backends where adapters[o.name] != nil && o.kind != .demo { set.options[o.name] = o }
        return set
    }
}

/// The adapters one run uses, by config name.
struct BackendSet {
    static let demoSummary = "demo backend — procedural, offline"
    var adapters: [String: any GenerationBackend]
    /// The name new jobs go to.
    var current: String
    /// What F3 cycles through, in config order, the demo last.
    var choices: [BackendChoice]
    /// The selected `[backends.NAME]` table; nil for the demo.
    var selected: BackendOptions?
    /// The embedded demo server, when started.
    var demo: ReferenceServer?
    /// Configured backends that could not be set up (shown, never fatal unless selected).
    var warnings: [String]
    /// The config tables of the adapters, by name (for image metadata: model, sampler, CFG scale).
    var options: [String: BackendOptions] = [:]

    var currentAdapter: any GenerationBackend { adapters[current]! }
    var summary: String { choices.first { $0.name == current }?.summary ?? currentAdapter.displayName }

    /// Client-side pacing: the demo's own limit, the seed API's 8/60 s, else generous (self-hosted and hosted
    /// services answer 429 themselves, and Easel honours their Retry-After).
    func pace(client: ClientOptions) -> RateLimitSpec {
        if current == "demo" { return RateLimitSpec(client.rateLimit) ?? RateLimitSpec(requests: 8, window: .seconds(60)) }
        if selected?.kind == .jobapi { return RateLimitSpec(requests: 8, window: .seconds(60)) }
        return RateLimitSpec(requests: 120, window: .seconds(60))
    }
}

/// How jobs are queued, paced and announced (the TUI and `easel generate`).
struct QueueOptions: ParsableArguments {
    @Option(help: "exclusive (one job at a time, the editor locks; the default) or queue (Enter adds to the queue) (config: queue.mode).")
    var mode: GenerationMode?

    @Option(help: "Jobs in flight on the backend at once (config: queue.concurrency; default 1).")
    var concurrency: Int?

    @Option(help: "Client-side pacing, e.g. 8/60s (default: the demo backend's limit, else 8/60s).")
    var pace: String?

    func validate() throws {
        if let concurrency, !(1...32).contains(concurrency) { throw ValidationError("--concurrency must be within 1...32") }
        if let pace, RateLimitSpec(pace) == nil { throw ValidationError("--pace must look like 8/60s") }
    }

    func apply(to state: inout AppState, client: ClientOptions, backends: BackendSet, config: Config = Config()) {
        state.mode = mode ?? config.mode ?? .exclusive
        state.concurrency = concurrency ?? backends.selected?.concurrency ?? config.concurrency ?? 1
        state.backends = backends.choices
        state.backendKey = backends.current
        state.backendName = backends.summary
        let spec = pace.flatMap(RateLimitSpec.init) ?? backends.pace(client: client)
        state.pacer = RateLimitPacer(limit: spec.requests, window: spec.window)
    }
}

extension GenerationMode: ExpressibleByArgument {}

/// Picture options shared by the TUI and `easel show`; each overrides the config file's `[preview]` key.
struct PreviewOptions: ParsableArguments {
    @Option(help: "Image protocol: auto, sixel, kitty, iterm, blocks or none (config: preview.graphics).")
    var graphics: GraphicsChoice?

    @Option(help: "Sixel palette size, 2...256; fewer colours for slow links (config: preview.sixel_colors; default 256).")
    var sixelColors: Int?

    @Option(help: "Seconds to wait for the terminal's answers at start-up (config: preview.probe_timeout; default 1).")
    var probeTimeout: Double?

    @Option(help: "Config file (default: $XDG_CONFIG_HOME/easel/config.toml).")
    var config: String?

    func validate() throws {
        if let sixelColors, !(2...256).contains(sixelColors) { throw ValidationError("--sixel-colors must be within 2...256") }
        if let probeTimeout, !(0...30).contains(probeTimeout) { throw ValidationError("--probe-timeout must be within 0...30 seconds") }
    }

    func loadConfig() throws -> Config { try loadConfigFile(config) }
}

/// `--config FILE` (which must exist), else the default path (which may be missing).
/// - Throws: `CLIError` with the config error's file:line:key message.
func loadConfigFile(_ explicit: String?) throws -> Config {
    do { return try Config.load(explicit ?? Config.defaultPath(), mustExist: explicit != nil) }
    catch { throw CLIError(error.message) }
}

/// Generation parameters shared by the TUI (initial values) and `easel generate`.
struct ParameterOptions: ParsableArguments {
    @Option(help: "Seed (0...4294967295); random per job when omitted.")
    var seed: UInt32?

    @Option(help: "Width in pixels (64...2048).")
    var width: Int = 768

    @Option(help: "Height in pixels (64...2048).")
    var height: Int = 768

    @Option(help: "Sampling steps (1...150).")
    var steps: Int = 30

    @Option(name: .customLong("negative"), help: "Negative prompt: what to avoid.")
    var negativePrompt: String = ""

    @Option(help: "Images per prompt (a batch; a fixed --seed s gives s, s+1, …).")
    var count: Int = 1

    func validate() throws {
        guard (64...2048).contains(width), (64...2048).contains(height) else {
            throw ValidationError("--width and --height must be within 64...2048 pixels")
        }
        guard (1...150).contains(steps) else { throw ValidationError("--steps must be within 1...150") }
        guard (1...GenerationParameters.maxCount).contains(count) else {
            throw ValidationError("--count must be within 1...\(GenerationParameters.maxCount)")
        }
    }

    var parameters: GenerationParameters {
        GenerationParameters(negativePrompt: negativePrompt, width: width, height: height, seed: seed, steps: steps, count: count)
    }
}

extension Easel {
    struct Studio: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tui", abstract: "Open the full-screen studio (the default).")

        @OptionGroup var client: ClientOptions
        @OptionGroup var params: ParameterOptions
        @OptionGroup var preview: PreviewOptions
        @OptionGroup var queue: QueueOptions

        @Option(help: "When a job ends: on (bell plus OSC 9 / OSC 777 where the terminal supports them), bell, or off (config: queue.notify).")
        var notify: NotifyMode?

        @Option(help: "Theme name (a TOML file in the theme search path; config: preview.theme); auto (the default) picks light on a light terminal background.")
        var theme: String?

        @Flag(inversion: .prefixedNo, help: "Mouse: click to focus or select, wheel to scroll (config: ui.mouse; default off).")
        var mouse: Bool?

        mutating func run() async throws {
            // glibc gives every thread that mallocs its own arena; the encode, HTTP and server threads
            // would each keep megabytes of freed memory. Two arenas keep RSS near what is in use.
            _ = glibcMallopt(-8 /* M_ARENA_MAX, malloc.h */, 2)
            guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
                throw CLIError("the studio needs a terminal; use `easel generate PROMPT` for scripts")
            }
            let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
            guard !term.isEmpty, term != "dumb" else {
                throw CLIError("TERM=\(term.isEmpty ? "(unset)" : term) cannot address the cursor; use a real terminal, or `easel generate PROMPT`")
            }
            let config = try preview.loadConfig()
            try client.checkGallery(config)
            let gallery = try client.makeGallery(config)
            let set = try await client.makeBackends(config: config, allowSwitching: true)
            let demo = set.demo
            var state = AppState(backendName: set.summary, pollPolicy: client.policy(for: set.selected),
                                 parameters: params.parameters, seeds: SeedSource(seed: UInt64.random(in: .min ... .max)),
                                 now: .now)
            state.wallTime = Date().timeIntervalSince1970
            queue.apply(to: &state, client: client, backends: set, config: config)
            let journal = try client.openJournal()
            state.nextJobID = journal.firstJobID
            state.galleryDirectory = gallery.directory
            state.ephemeralBackends = demo != nil ? ["demo"] : []
            let restore: JournalRestore
            do {
                restore = try JournalRestore.load(from: journal, backends: Set(set.adapters.keys),
                                                  ephemeral: demo != nil ? ["demo"] : [], now: .now, wallNow: Date().timeIntervalSince1970)
            } catch {
                throw CLIError("journal: \(error.detail)")
            }
            let restored = restore.jobs
            if let draft = JournalSync.savedDraft(journal: journal) { state.editor = PromptEditor(draft) }
            let app = TerminalApp()
            let runner = EffectRunner(backends: set.adapters, current: set.current, gallery: gallery,
                                      liveDirectory: Self.liveDirectory(), pending: client.pendingImages,
                                      backendOptions: set.options, send: app.post)
            for job in restored where job.state.isActive { if let b = job.backend { runner.assign(job.id, to: b) } }
            let sync = JournalSync(journal: journal, backend: set.current) { [app] error in
                app.post(.notice("journal: \(error.message)"))
            }
            var options = TerminalApp.Options()
            options.graphics = preview.graphics ?? config.graphics ?? .auto
            options.sixelColors = preview.sixelColors ?? config.sixelColors ?? 256
            options.probeTimeout = .milliseconds(Int((preview.probeTimeout ?? config.probeTimeout ?? 1) * 1000))
            options.themeName = theme ?? config.theme ?? "auto"
            // The status bar is one line: the essentials first (stderr has the whole sentence).
            let journalWarning = journal.movedAsideTo.map {
                "journal was unreadable: moved to \(($0 as NSString).lastPathComponent), a new one started (details on stderr)"
            }
            options.warnings = (journalWarning.map { [$0] } ?? []) + config.warnings + set.warnings + restore.warnings
            switch ProcessInfo.processInfo.environment["EASEL_DEBUG_CRASH"] ?? "" {
            case "": break
            case "background": options.crashInBackgroundTask = true
            case let other: throw CLIError("EASEL_DEBUG_CRASH=\(other): the only value is background (a crash in a detached task, for testing)")
            }
            options.notify = notify ?? config.notify ?? .on
            options.mouse = mouse ?? config.mouse ?? false
            options.altKeys = config.altKeys
            options.color = ProcessInfo.processInfo.environment["NO_COLOR"].map { $0.isEmpty } ?? true
            let keymap: Keymap
            do { keymap = try config.keymap() } catch { throw CLIError(error.message) }
            let status = await app.run(state: state, runner: runner, options: options, keymap: keymap, journal: sync, restored: restored)
            sync.flush()
            if let line = JournalRestore.stillInFlight(journal: journal, ephemeral: state.ephemeralBackends) {
                FileHandle.standardError.write(Data("easel: \(line)\n".utf8))
            }
            await demo?.stop()
            if status != 0 { throw ExitCode(status) }
        }

        /// `$XDG_CACHE_HOME/easel/live`, else `~/.cache/easel/live`: the services' in-progress previews.
        static func liveDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
            if let x = environment["XDG_CACHE_HOME"], x.hasPrefix("/") { return x + "/easel/live" }
            return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/easel/live"
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate images without the TUI: progress on stderr, one saved path (or JSON object) per job on stdout.",
            discussion: """
                Several prompts, or - for one prompt per line on stdin, run through the same queue, pacer and retry rules as the studio.
                A 429 is retried after its Retry-After, else after a back-off (5 s doubling to 80 s, with jitter); every such wait is reported on stderr, with --json too. A job still refused after --deadline seconds fails as rate_limited.
                C-c or SIGTERM cancels every unfinished job, on the service too; nothing is left to resume (but a job whose image is already downloading is given 5 s to finish, else it stays in the journal for the next start on that backend to fetch). One line per such job is printed (a JSON object on stdout with --json, else on stderr), then easel exits with 130 (SIGINT) or 143 (SIGTERM). A second C-c quits at once.
                """)

        @Argument(help: "Prompts; - reads one prompt per line from stdin.")
        var prompts: [String] = []

        @Option(name: .customLong("from"), help: ArgumentHelp(
            "Re-run from an image: prompt, negative prompt, seed, size and steps read from its easel or parameters chunk, or its sidecar .json.",
            discussion: "A prompt argument replaces the image's prompt; --seed replaces its seed.", valueName: "image"))
        var fromImage: String?

        @Option(help: "Config file: backends, [gallery], [queue] (default: $XDG_CONFIG_HOME/easel/config.toml).")
        var config: String?

        @OptionGroup var client: ClientOptions
        @OptionGroup var params: ParameterOptions
        @OptionGroup var queue: QueueOptions

        @Flag(help: "Print one JSON object per job {status, job_id, file, files, images, seed, elapsed_s, error?} instead of paths.")
        var json = false

        mutating func run() async throws {
            var all: [String] = []
            for p in prompts {
                if p == "-" {
                    while let line = readLine() { if !line.trimmingCharacters(in: .whitespaces).isEmpty { all.append(line) } }
                } else {
                    all.append(p)
                }
            }
            var parameters = params.parameters
            if let fromImage {
                let found: ImageParameters
                do { found = try Gallery.readParameters(at: fromImage) } catch {
                    if json { print(Self.encode(["status": "failed", "error": ["category": error.kind, "message": error.fileMessage]])) }
                    else { Self.stderr("easel: --from: \(error.fileMessage)") }
                    throw ExitCode(2)
                }
                if all.isEmpty { all = [found.prompt] }
                parameters.negativePrompt = found.negativePrompt
                if params.seed == nil, let seed = found.seed { parameters.seed = seed }
                if let w = found.width, let h = found.height {
                    guard (64...2048).contains(w), (64...2048).contains(h) else {
                        Self.stderr("easel: --from: \(Sanitize.line(fromImage)): size \(w)x\(h) is outside 64...2048")
                        throw ExitCode(2)
                    }
                    (parameters.width, parameters.height) = (w, h)
                }
                if let s = found.steps { parameters.steps = min(150, max(1, s)) }
            }
            guard !all.isEmpty else { throw CLIError(fromImage == nil ? "no prompts (stdin was empty)" : "no prompts") }
            // Refuse the whole run before anything is queued or journaled.
            for (i, p) in all.enumerated() {
                let trimmed = p.trimmingCharacters(in: .whitespacesAndNewlines)
                let problem = trimmed.isEmpty ? "prompt \(i + 1) is empty"
                    : trimmed.count > GenerationRequest.maxPromptLength ? "prompt \(i + 1) has \(trimmed.count) characters; the limit is \(GenerationRequest.maxPromptLength)" : nil
                guard let problem else { continue }
                if json { print(Self.encode(["status": "failed", "error": ["category": "invalid_prompt", "message": problem]])) }
                else { Self.stderr("easel: \(problem)") }
                throw ExitCode(2)
            }
            let config = try loadConfigFile(self.config)
            do { try client.checkGallery(config) } catch let e as CLIError where json {
                print(Self.encode(["status": "failed", "error": ["category": "storage", "message": e.description]]))
                throw ExitCode(1)
            }
            for w in config.warnings { Self.stderr("easel: \(w)") }
            let set = try await client.makeBackends(config: config, allowSwitching: false)
            let demo = set.demo
            var policy = client.policy(for: set.selected)
            policy.refusalDeadline = policy.deadline          // a script always ends, even when every submit meets a 429
            var state = AppState(backendName: set.summary, pollPolicy: policy, parameters: parameters,
                                 seeds: SeedSource(seed: UInt64.random(in: .min ... .max)), now: .now)
            queue.apply(to: &state, client: client, backends: set, config: config)
            let journal = try client.openJournal()
            state.nextJobID = journal.firstJobID
            let sync = JournalSync(journal: journal, backend: set.current) { error in Self.stderr("easel: journal: \(error.message)") }
            let gallery = try client.makeGallery(config)
            state.galleryDirectory = gallery.directory
            let pending = client.pendingImages
            let quiet = json, asJSON = json
            var failures = 0
            let interrupts = Headless.interruptSignals()
            let outcome = await Headless.run(
                prompts: all, state: state,
                makeRunner: { EffectRunner(backends: set.adapters, current: set.current, gallery: gallery, pending: pending,
                                           backendOptions: set.options, send: $0) },
                progress: { if !quiet { Self.stderr("easel: \($0)") } },
                finished: { job in
                    let (line, failed) = Self.report(job, json: asJSON)
                    if failed { failures += 1 }
                    if let line { print(line); fflush(nil) }
                }, notice: { Self.stderr("easel: \($0)") }, journal: sync, interrupts: interrupts,
                reports: Headless.Reports(rateLimited: { Self.stderr("easel: \($0)") }, interrupted: { job, how, signal in
                    if let line = Self.report(job, interrupted: how, by: signal, json: asJSON) { print(line); fflush(nil) }
                }))
            await demo?.stop()
            if let signal = outcome.signal { throw ExitCode(128 + signal) }
            if let refusal = outcome.refusal {
                if json {
                    print(Self.encode(["status": "failed", "error": ["category": "invalid_prompt", "message": refusal.message]]))
                } else {
                    Self.stderr("easel: \(refusal.message)")
                }
                throw ExitCode(2)
            }
            if failures > 0 { throw ExitCode(1) }
        }

        /// One line for a finished job, and whether it failed.
        static func report(_ job: Job, json: Bool) -> (String?, Bool) {
            let elapsed = job.elapsed(now: .now)
            var object: [String: Any] = [
                "elapsed_s": ((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * 100).rounded() / 100,
                "job_id": job.remoteID?.rawValue ?? "\(job.id.rawValue)", "seed": Int(job.request.seed),
            ]
            switch job.state {
            case .complete(let image):
                // Every image the service made for the job (several for OpenAI `n`, lists of outputs).
                let paths = job.savedImages.isEmpty ? [image.path] : job.savedImages.map(\.path)
                object["status"] = "completed"
                object["file"] = image.path
                object["files"] = paths
                object["images"] = paths.count
                object["size"] = "\(image.width)x\(image.height)"
                return (json ? encode(object) : paths.joined(separator: "\n"), false)
            case .failed(let error):
                object["status"] = "failed"
                object["error"] = ["category": error.kind, "message": error.message]
                if !json { stderr("easel: job \(job.id.rawValue): \(error.message)") }
                return (json ? encode(object) : nil, true)
            default:
                object["status"] = "canceled"
                object["error"] = ["category": "canceled", "message": "canceled"]
                return (json ? encode(object) : nil, true)
            }
        }

        /// One line for a job stopped by C-c or SIGTERM: a JSON object (returned, for stdout) with
        /// `--json`, else a line written to stderr here (nil returned).
        static func report(_ job: Job, interrupted how: Headless.Interruption, by signal: Int32, json: Bool) -> String? {
            let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
            let remote = job.remoteID.map { " (job \(Sanitize.line($0.rawValue)) on the service)" } ?? ""
            let (status, message): (String, String) = switch how {
            case .notSent: ("canceled", "interrupted by \(name) before the service accepted it: nothing runs there")
            case .canceledOnService: ("canceled", "interrupted by \(name): canceled on the service\(remote)")
            case .cancelFailed(let error):
                ("interrupted", "interrupted by \(name): the cancel request failed (\(error.message)); it may still run on the service\(remote)")
            case .unanswered: ("interrupted", "interrupted by \(name): the service did not answer in time; it may still run there\(remote)")
            }
            guard json else {
                stderr("easel: job \(job.id.rawValue): \(message)")
                return nil
            }
            let elapsed = job.elapsed(now: .now)
            return encode([
                "status": status, "signal": name, "job_id": job.remoteID?.rawValue ?? "\(job.id.rawValue)", "seed": Int(job.request.seed),
                "elapsed_s": ((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * 100).rounded() / 100,
                "error": ["category": "canceled", "message": message],
            ])
        }

        /// One line of JSON, safe for a terminal: every control character, C1 (U+0080–U+009F) included, is
        /// a `\uXXXX` escape (`Sanitize.json`), so a server-supplied id cannot drive an 8-bit terminal.
        static func encode(_ object: [String: Any]) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return Sanitize.json(String(decoding: data, as: UTF8.self))
        }

        static func stderr(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the reference job server (the seed API) with the offline procedural generator.",
            discussion: """
                Faults for testing clients (--fault NAME[,NAME...]; docs/faults.md has the table):
                \(Fault.allCases.map { "  \($0.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0))\($0.doc)" }.joined(separator: "\n"))
                With --fault or --allow-fault-header, a request's X-Easel-Fault: NAME header picks its fault.
                """)

        @Option(help: "IPv4 address to bind.")
        var host: String = "127.0.0.1"

        @Option(help: "TCP port (0 picks a free one).")
        var port: UInt16 = 8787

        @Option(help: "Per-IP limit on POST /api/generate, e.g. 8/60s.")
        var rateLimit: String = "8/60s"

        @Option(help: "Simulated generation time per job, in seconds.")
        var latency: Double = 3

        @Option(help: "Seconds between heartbeat comments on an idle event stream (GET /api/events/{jobId}).")
        var eventHeartbeat: Double = 15

        @Option(help: "Event streams open at once at most; past it the events route answers 503.")
        var maxStreams = 256

        @Flag(help: "Do not log requests to stderr.")
        var quiet = false

        @Option(help: "Inject faults, e.g. 500,reset,bomb (names listed above); each request they apply to gets one at random.")
        var fault: String?

        @Option(help: "Probability 0..1 that a request gets one of the --fault faults.")
        var faultRate: Double = 1

        @Option(help: "Seconds the slow-headers and slow-body faults stall.")
        var faultStall: Double = 30

        @Option(help: "Body size of the huge fault, in MiB.")
        var faultHugeMib: Int = 80

        @Flag(help: "Honour the X-Easel-Fault request header even without --fault.")
        var allowFaultHeader = false

        func validate() throws {
            guard RateLimitSpec(rateLimit) != nil else { throw ValidationError("--rate-limit must look like 8/60s") }
            guard latency >= 0 else { throw ValidationError("--latency must be 0 or more") }
            guard eventHeartbeat >= 0.01 else { throw ValidationError("--event-heartbeat must be at least 0.01 seconds") }
            guard maxStreams >= 0 else { throw ValidationError("--max-streams must be 0 or more") }
            if let fault {
                do { _ = try Fault.parseList(fault) } catch { throw ValidationError("--fault: \(error.message)") }
            }
            guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be in 0...1") }
            guard faultStall >= 0 else { throw ValidationError("--fault-stall must be 0 or more seconds") }
            guard (1...4096).contains(faultHugeMib) else { throw ValidationError("--fault-huge-mib must be in 1...4096") }
        }

        mutating func run() async throws {
            var config = ReferenceServer.Configuration()
            config.host = host
            config.port = port
            config.rateLimit = RateLimitSpec(rateLimit)!
            config.latency = .milliseconds(Int(latency * 1000))
            config.logRequests = !quiet
            config.eventHeartbeat = .milliseconds(Int(eventHeartbeat * 1000))
            config.maxOpenStreams = maxStreams
            config.faults = fault.flatMap { try? Fault.parseList($0) } ?? []
            config.faultRate = faultRate
            config.faultStall = .milliseconds(Int(faultStall * 1000))
            config.faultHugeBytes = faultHugeMib << 20
            config.allowFaultHeader = allowFaultHeader || !config.faults.isEmpty
            let server = ReferenceServer(configuration: config)
            try await server.start()
            print("easel serve: listening on \(await server.baseURL) (rate limit \(config.rateLimit), latency \(latency)s; \(SketchGenerator.label))")
            if config.allowFaultHeader {
                let list = config.faults.isEmpty ? "none at random" : "\(config.faults.map(\.rawValue).joined(separator: ",")) at rate \(faultRate)"
                print("easel serve: FAULT INJECTION ON (\(list); X-Easel-Fault header honoured)")
            }
            fflush(nil)
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}

extension Easel {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an image in the terminal, fitted into a pixel box (the preview pane's code path).")

        @Argument(help: "A PNG, JPEG or WebP file.")
        var file: String

        @OptionGroup var preview: PreviewOptions

        @Option(help: "Box width in pixels (default: the terminal's width).")
        var width: Int?

        @Option(help: "Box height in pixels (default: the terminal's height less two rows).")
        var height: Int?

        func validate() throws {
            if let width, width < 1 { throw ValidationError("--width must be positive") }
            if let height, height < 1 { throw ValidationError("--height must be positive") }
        }

        mutating func run() async throws {
            let bytes: [UInt8]
            do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) }
            catch { throw CLIError("\(file): \((error as NSError).localizedDescription)") }
            let image: RGBAImage
            do { image = try ImageCodec.decode(bytes) } catch { throw CLIError("\(file): \(error.message)") }
            let config = try preview.loadConfig()
            let tty = isatty(STDOUT_FILENO) != 0
            let timeout = preview.probeTimeout ?? config.probeTimeout ?? 1
            let caps = tty ? TerminalProbe.run(timeout: .milliseconds(Int(timeout * 1000))) : TerminalCapabilities()
            let graphics = preview.graphics ?? config.graphics ?? .auto
            let choice = graphics == .auto && !tty ? .blocks : graphics
            guard let selected = choice.resolve(caps, colors: preview.sixelColors ?? config.sixelColors ?? 256) else {
                throw CLIError("pictures are off (--graphics none)")
            }
            let cell = caps.cellPixels
            let columns = caps.windowCells.columns > 0 ? caps.windowCells.columns : 80
            let rows = caps.windowCells.rows > 0 ? caps.windowCells.rows : 24
            let box = PixelSize(width: width ?? columns * cell.width, height: height ?? max(1, rows - 2) * cell.height)
            let encoded: EncodedImage
            do { encoded = try selected.graphics.encode(image, fitting: box, cell: cell) }
            catch { throw CLIError("\(file): \(error.message)") }
            TerminalIO.writeAll(STDOUT_FILENO, ImagePresenter.inline(encoded, passthrough: selected.passthrough))
        }
    }
}

extension Easel {
    struct Themes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the themes in the search path with a preview of their colours.")

        @Flag(help: "Only check the themes: print warnings, exit 1 when any theme fails to load.")
        var check = false

        func run() throws {
            let path = Theme.searchPath()
            var failed = false
            for name in Theme.available(searchPath: path) {
                do {
                    let theme = try Theme.load(name, searchPath: path)
                    let plain = isatty(STDOUT_FILENO) == 0 || !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
                    if !check { print(plain ? theme.name : Self.preview(theme)) }
                    for warning in theme.warnings { print("  warning: \(warning)") }
                } catch {
                    failed = true
                    print("\(name): \(error.message)")
                }
            }
            if !check { print("\nSearch path: \(path.joined(separator: ", "))") }
            if failed { throw ExitCode(1) }
        }

        /// One line: the name, then sample words in the theme's roles (24-bit SGR).
        static func preview(_ theme: Theme) -> String {
            func sgr(_ role: Role, _ text: String) -> String {
                guard let style = theme.styles[role] else { return text }
                var codes: [String] = []
                if style.bold { codes.append("1") }
                if style.dim { codes.append("2") }
                if style.reverse { codes.append("7") }
                if case .rgb(let r, let g, let b) = style.fg { codes.append("38;2;\(r);\(g);\(b)") }
                if case .indexed(let i) = style.fg { codes.append("38;5;\(i)") }
                if case .rgb(let r, let g, let b) = style.bg { codes.append("48;2;\(r);\(g);\(b)") }
                if case .indexed(let i) = style.bg { codes.append("48;5;\(i)") }
                return "\u{1B}[\(codes.joined(separator: ";"))m\(text)\u{1B}[0m"
            }
            let name = theme.name.padding(toLength: 16, withPad: " ", startingAt: 0)
            return name + [sgr(.text, "text"), sgr(.muted, "muted"), sgr(.borderFocused, "focus"), sgr(.selection, " selected "),
                           sgr(.jobRunning, "◐ running"), sgr(.jobComplete, "✓ done"), sgr(.jobFailed, "✗ failed"),
                           sgr(.placeholder, "██") + sgr(.placeholderPulse, "██"), sgr(.statusBar, " status ")].joined(separator: " ")
        }
    }

    struct ConfigCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config", abstract: "Print the default config, or check a config file.")

        @Flag(help: "Print a complete, commented config with every key at its default.")
        var printDefault = false

        @Option(help: "The file to check (default: $XDG_CONFIG_HOME/easel/config.toml).")
        var file: String?

        func run() throws {
            if printDefault {
                print(Config.defaultText, terminator: "")
                return
            }
            let path = file ?? Config.defaultPath()
            let config: Config
            do { config = try Config.load(path, mustExist: true) } catch { throw CLIError(error.message) }
            do { _ = try config.keymap() } catch { throw CLIError("\(path): \(error.message)") }
            for warning in config.warnings { print("warning: \(warning)") }
            print("\(path): ok")
        }
    }
}

extension Easel {
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the job journal, newest first, jobs still in flight included.",
            discussion: "Reads only: a state folder without a journal is an error, never created.")

        @Flag(help: "One JSON object per job.")
        var json = false

        @Option(help: "Only jobs whose prompt or backend contains TEXT, or whose seed is TEXT.")
        var search: String?

        @Option(help: "At most N jobs; 0 for all.")
        var limit: Int = 50

        @Option(help: "Folder of the job journal (default: $XDG_STATE_HOME/easel).")
        var stateDir: String?

        func validate() throws {
            guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or more") }
        }

        func run() throws {
            let journal: Journal
            do { journal = try Journal(directory: stateDir ?? Journal.defaultDirectory(), readOnly: true) }
            catch { throw CLIError("journal: \(error.detail)") }
            let rows: [JobRecord]
            do { rows = try journal.history(limit: limit == 0 ? nil : limit, search: search, includingInFlight: true) }
            catch { throw CLIError("journal: \(error.detail)") }
            for r in rows {
                if json {
                    let data = (try? JSONEncoder().encode(r)) ?? Data()
                    print(Sanitize.json(String(decoding: data, as: UTF8.self)))
                    continue
                }
                let inFlight = JobState.activeKeys.contains(r.state)
                let glyph = inFlight ? "…" : r.state == "complete" ? "✓" : r.state == "canceled" ? "⊘" : "✗"
                let when = Date(timeIntervalSince1970: r.createdAt).formatted(date: .numeric, time: .shortened)
                let tail = inFlight ? "\(r.state) on \(r.backend)" + (r.remoteID.map { " (remote id \($0))" } ?? "")
                    : r.file ?? r.errorMessage ?? r.state
                print("\(glyph) \(when)  seed \(r.seed)  \(Sanitize.line(r.prompt).prefix(60))  — \(Sanitize.line(tail))")
            }
        }
    }
}

extension GraphicsChoice: ExpressibleByArgument {}
extension NotifyMode: ExpressibleByArgument {}

extension Journal {
    /// Opens the journal in `directory`; when a damaged file was moved aside, says so on stderr.
    /// - Throws: `CLIError` "journal: PATH …" with the reason (locked, permissions).
    static func openReporting(directory: String) throws -> Journal {
        let journal: Journal
        do { journal = try Journal(directory: directory) } catch { throw CLIError("journal: \(error.detail)") }
        if let recovery = journal.recovery {
            FileHandle.standardError.write(Data("easel: journal: \(Sanitize.line(recovery))\n".utf8))
        }
        return journal
    }
}

extension JobError {
    /// The reason without the category's lead-in ("could not save: "), for start-up checks.
    var detail: String {
        if case .storage(let why) = self { return Sanitize.line(why) }
        return message
    }
}

/// A failure to report in one line ("Error: …", exit status 1), without the usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = Sanitize.line(description) }
}

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

        mutating func run() async throws {
            let settings = try loadConfigFile(config)
            for w in settings.warnings { Generate.stderr("easel: \(w)") }
            var entries = settings.backends.filter { $0.kind != .demo }
            let defaultName = settings.defaultBackend ?? "demo"
            var http = HTTPClient.Configuration()
            http.totalTimeout = .milliseconds(Int(max(0.1, timeout) * 1000))
            http.connectTimeout = http.totalTimeout
            let client = HTTPClient(configuration: http)
            var demoServer: ReferenceServer?
            entries.append(BackendOptions(name: "demo", kind: .demo))
            let timeout = self.timeout
            // Health checks run concurrently; results print in config order.
            let results: [(BackendOptions, BackendHealth)] = await withTaskGroup(of: (Int, BackendHealth).self) { group in
                var adapters: [Int: any GenerationBackend] = [:]
                for (i, o) in entries.enumerated() {
                    if o.kind == .demo {
                        if !offline, let (api, server) = try? await ClientOptions.parse([]).startDemo() {
                            demoServer = server
                            adapters[i] = api
                        }
                        continue
                    }
                    do throws(BackendSetupError) { adapters[i] = try BackendFactory.make(o, http: client) }
                    catch { let why = error.message; group.addTask { (i, BackendHealth(ok: false, detail: why)) } }
                }
                for (i, adapter) in adapters {
                    if offline { group.addTask { (i, BackendHealth(ok: true, detail: "not checked (--offline)")) }; continue }
                    group.addTask {
                        await withTaskGroup(of: BackendHealth?.self) { race in
                            race.addTask { await adapter.health() }
                            race.addTask {
                                try? await Task.sleep(for: .milliseconds(Int(timeout * 3000) + 1000))
                                return BackendHealth(ok: false, detail: "no answer within \(Int(timeout * 3 + 1)) s")
                            }
                            let first = await race.next() ?? nil
                            race.cancelAll()
                            return (i, first ?? BackendHealth(ok: false, detail: "no answer"))
                        }
                    }
                }
                if offline, adapters.isEmpty == false || entries.contains(where: { $0.kind == .demo }) {
                    if let i = entries.firstIndex(where: { $0.kind == .demo }), adapters[i] == nil {
                        group.addTask { (i, BackendHealth(ok: true, detail: "not checked (--offline)")) }
                    }
                }
                var byIndex: [Int: BackendHealth] = [:]
                for await (i, h) in group { byIndex[i] = h }
                return entries.indices.map { (entries[$0], byIndex[$0] ?? BackendHealth(ok: false, detail: "could not be started")) }
            }
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
                    print(Generate.encode(obj))
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

/// glibc's `mallopt(3)` (malloc.h is not part of the Glibc module Swift imports).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
