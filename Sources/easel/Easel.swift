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
        With no --server, Easel starts its embedded demo backend on 127.0.0.1: the reference job server \
        with an offline procedural generator (a demo, not a neural model).
        """,
        version: "0.1.0",
        subcommands: [Studio.self, Generate.self, Serve.self, Show.self, History.self, Themes.self, ConfigCommand.self],
        defaultSubcommand: Studio.self
    )
}

/// Options shared by the TUI and `easel generate`.
struct ClientOptions: ParsableArguments {
    @Option(help: "Base URL of a job server with the seed API (POST /api/generate, GET /api/status/{id}). Default: the embedded demo backend.")
    var server: String?

    @Option(help: "Gallery folder for finished images (default: $XDG_PICTURES_DIR/easel or ~/Pictures/easel).")
    var gallery: String?

    @Option(help: "Seconds between status polls.")
    var pollInterval: Double = 2

    @Option(help: "Seconds after submission before a job counts as timed out.")
    var deadline: Double = 120

    @Option(help: "Simulated generation time of the embedded demo backend, in seconds.")
    var latency: Double = 3

    @Option(help: "Rate limit of the embedded demo backend, e.g. 8/60s.")
    var rateLimit: String = "8/60s"

    @Option(help: "Folder of the job journal (default: $XDG_STATE_HOME/easel).")
    var stateDir: String?

    func validate() throws {
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be positive") }
        guard deadline > 0 else { throw ValidationError("--deadline must be positive") }
        guard latency >= 0 else { throw ValidationError("--latency must be 0 or more") }
        guard RateLimitSpec(rateLimit) != nil else { throw ValidationError("--rate-limit must look like 8/60s") }
        if let server, !(server.hasPrefix("http://") || server.hasPrefix("https://")) {
            throw ValidationError("--server must be an http:// or https:// URL")
        }
    }

    var policy: PollPolicy { PollPolicy(interval: .milliseconds(Int(pollInterval * 1000)), deadline: .milliseconds(Int(deadline * 1000))) }

    var galleryDirectory: String {
        guard let gallery else { return Gallery.defaultDirectory() }
        return gallery.hasPrefix("/") ? gallery : FileManager.default.currentDirectoryPath + "/" + gallery
    }

    /// Opens the job journal (SQLite) for this process; a damaged journal moved aside is reported on stderr.
    func openJournal() throws -> Journal {
        try Journal.openReporting(directory: stateDir ?? Journal.defaultDirectory())
    }

    /// Fails early, before anything is generated, when the gallery cannot be written.
    func checkGallery() throws {
        do { try Gallery(directory: galleryDirectory).checkWritable() }
        catch { throw CLIError("gallery \(galleryDirectory) cannot be used: \(error.detail) (choose another with --gallery DIR)") }
    }

    /// The backend: the given server, or the embedded demo server started now on loopback.
    func makeBackend() async throws -> (any GenerationBackend, ReferenceServer?) {
        if let server { return (SeedJobAPI(baseURL: server), nil) }
        var config = ReferenceServer.Configuration()
        config.latency = .milliseconds(Int(latency * 1000))
        config.rateLimit = RateLimitSpec(rateLimit)!
        let demo = ReferenceServer(configuration: config)
        try await demo.start()
        return (SeedJobAPI(baseURL: await demo.baseURL, displayName: "demo backend — procedural, offline"), demo)
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

    func apply(to state: inout AppState, client: ClientOptions, config: Config = Config()) {
        state.mode = mode ?? config.mode ?? .exclusive
        state.concurrency = concurrency ?? config.concurrency ?? 1
        let spec = pace.flatMap(RateLimitSpec.init) ?? (client.server == nil ? RateLimitSpec(client.rateLimit) : nil)
            ?? RateLimitSpec(requests: 8, window: .seconds(60))
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

    func loadConfig() throws -> Config {
        do { return try Config.load(config ?? Config.defaultPath(), mustExist: config != nil) }
        catch { throw CLIError(error.message) }
    }
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

        @Option(help: "Theme name (a TOML file in the theme search path; config: preview.theme).")
        var theme: String?

        @Flag(inversion: .prefixedNo, help: "Mouse: click to focus or select, wheel to scroll (config: ui.mouse; default off).")
        var mouse: Bool?

        mutating func run() async throws {
            guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
                throw CLIError("the studio needs a terminal; use `easel generate PROMPT` for scripts")
            }
            let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
            guard !term.isEmpty, term != "dumb" else {
                throw CLIError("TERM=\(term.isEmpty ? "(unset)" : term) cannot address the cursor; use a real terminal, or `easel generate PROMPT`")
            }
            try client.checkGallery()
            let (backend, demo) = try await client.makeBackend()
            var state = AppState(backendName: backend.displayName, pollPolicy: client.policy,
                                 parameters: params.parameters, seeds: SeedSource(seed: UInt64.random(in: .min ... .max)),
                                 now: .now)
            state.wallTime = Date().timeIntervalSince1970
            let config = try preview.loadConfig()
            queue.apply(to: &state, client: client, config: config)
            let journal = try client.openJournal()
            state.nextJobID = journal.firstJobID
            let wallNow = Date().timeIntervalSince1970, now = ContinuousClock.now
            var restored: [Job] = []
            do {
                restored = try journal.history(limit: 500).reversed().map { $0.job(now: now, wallNow: wallNow) }
                restored += try journal.claimOrphans(backend: backend.displayName).map { record in
                    guard demo != nil else { return record.job(now: now, wallNow: wallNow) }
                    // The embedded demo server died with the last Easel: its jobs cannot be resumed.
                    var r = record
                    r.state = "failed"
                    r.errorKind = "network"
                    r.errorMessage = "interrupted: the demo backend stopped with the last Easel (t resends)"
                    r.finishedAt = wallNow
                    return r.job(now: now, wallNow: wallNow)
                }
            } catch {
                throw CLIError("journal: \(error.detail)")
            }
            if let draft = JournalSync.savedDraft(journal: journal) { state.editor = PromptEditor(draft) }
            let app = TerminalApp()
            let runner = EffectRunner(backend: backend, gallery: Gallery(directory: client.galleryDirectory), send: app.post)
            let sync = JournalSync(journal: journal, backend: backend.displayName) { [app] error in
                app.post(.notice("journal: \(error.message)"))
            }
            var options = TerminalApp.Options()
            options.graphics = preview.graphics ?? config.graphics ?? .auto
            options.sixelColors = preview.sixelColors ?? config.sixelColors ?? 256
            options.probeTimeout = .milliseconds(Int((preview.probeTimeout ?? config.probeTimeout ?? 1) * 1000))
            options.themeName = theme ?? config.theme ?? "default"
            // The status bar is one line: the essentials first (stderr has the whole sentence).
            let journalWarning = journal.movedAsideTo.map {
                "journal was unreadable: moved to \(($0 as NSString).lastPathComponent), a new one started (details on stderr)"
            }
            options.warnings = (journalWarning.map { [$0] } ?? []) + config.warnings
            switch ProcessInfo.processInfo.environment["EASEL_DEBUG_CRASH"] ?? "" {
            case "": break
            case "background": options.crashInBackgroundTask = true
            case let other: throw CLIError("EASEL_DEBUG_CRASH=\(other): the only value is background (a crash in a detached task, for testing)")
            }
            options.notify = notify ?? config.notify ?? .on
            options.mouse = mouse ?? config.mouse ?? false
            options.color = ProcessInfo.processInfo.environment["NO_COLOR"].map { $0.isEmpty } ?? true
            let keymap: Keymap
            do { keymap = try config.keymap() } catch { throw CLIError(error.message) }
            let status = app.run(state: state, runner: runner, options: options, keymap: keymap, journal: sync, restored: restored)
            await demo?.stop()
            if status != 0 { throw ExitCode(status) }
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate images without the TUI: progress on stderr, one saved path (or JSON object) per job on stdout.",
            discussion: "Several prompts, or - for one prompt per line on stdin, run through the same queue, pacer and retry rules as the studio.")

        @Argument(help: "Prompts; - reads one prompt per line from stdin.")
        var prompts: [String]

        @OptionGroup var client: ClientOptions
        @OptionGroup var params: ParameterOptions
        @OptionGroup var queue: QueueOptions

        @Flag(help: "Print one JSON object per job {status, job_id, file, seed, elapsed_s, error?} instead of paths.")
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
            guard !all.isEmpty else { throw CLIError("no prompts (stdin was empty)") }
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
            do { try client.checkGallery() } catch let e as CLIError where json {
                print(Self.encode(["status": "failed", "error": ["category": "storage", "message": e.description]]))
                throw ExitCode(1)
            }
            let (backend, demo) = try await client.makeBackend()
            var state = AppState(backendName: backend.displayName, pollPolicy: client.policy, parameters: params.parameters,
                                 seeds: SeedSource(seed: UInt64.random(in: .min ... .max)), now: .now)
            queue.apply(to: &state, client: client)
            let journal = try client.openJournal()
            state.nextJobID = journal.firstJobID
            let sync = JournalSync(journal: journal, backend: backend.displayName) { error in Self.stderr("easel: journal: \(error.message)") }
            let gallery = Gallery(directory: client.galleryDirectory)
            let quiet = json, asJSON = json
            var failures = 0
            let outcome = await Headless.run(
                prompts: all, state: state,
                makeRunner: { EffectRunner(backend: backend, gallery: gallery, send: $0) },
                progress: { if !quiet { Self.stderr("easel: \($0)") } },
                finished: { job in
                    let (line, failed) = Self.report(job, json: asJSON)
                    if failed { failures += 1 }
                    if let line { print(line); fflush(nil) }
                }, journal: sync)
            await demo?.stop()
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
                object["status"] = "completed"
                object["file"] = image.path
                return (json ? encode(object) : image.path, false)
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

        static func encode(_ object: [String: Any]) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }

        static func stderr(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the reference job server (the seed API) with the offline procedural generator.")

        @Option(help: "IPv4 address to bind.")
        var host: String = "127.0.0.1"

        @Option(help: "TCP port (0 picks a free one).")
        var port: UInt16 = 8787

        @Option(help: "Per-IP limit on POST /api/generate, e.g. 8/60s.")
        var rateLimit: String = "8/60s"

        @Option(help: "Simulated generation time per job, in seconds.")
        var latency: Double = 3

        @Flag(help: "Do not log requests to stderr.")
        var quiet = false

        func validate() throws {
            guard RateLimitSpec(rateLimit) != nil else { throw ValidationError("--rate-limit must look like 8/60s") }
            guard latency >= 0 else { throw ValidationError("--latency must be 0 or more") }
        }

        mutating func run() async throws {
            var config = ReferenceServer.Configuration()
            config.host = host
            config.port = port
            config.rateLimit = RateLimitSpec(rateLimit)!
            config.latency = .milliseconds(Int(latency * 1000))
            config.logRequests = !quiet
            let server = ReferenceServer(configuration: config)
            try await server.start()
            print("easel serve: listening on \(await server.baseURL) (rate limit \(config.rateLimit), latency \(latency)s; \(SketchGenerator.label))")
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
            switch encoded.payload {
            case .bytes(let b):
                TerminalIO.writeAll(STDOUT_FILENO, selected.passthrough ? ImagePresenter.passthrough(b) : b)
                TerminalIO.writeAll(STDOUT_FILENO, Array("\n".utf8))
            case .cells(let cells):
                TerminalIO.writeAll(STDOUT_FILENO, Blocks.ansi(cells, columns: encoded.cells.columns))
            }
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
        static let configuration = CommandConfiguration(abstract: "Print the job journal, newest first.")

        @Flag(help: "One JSON object per job.")
        var json = false

        @Option(help: "Only jobs whose prompt or backend contains TEXT, or whose seed is TEXT.")
        var search: String?

        @Option(help: "At most N jobs.")
        var limit: Int = 50

        @Option(help: "Folder of the job journal (default: $XDG_STATE_HOME/easel).")
        var stateDir: String?

        func run() throws {
            let journal = try Journal.openReporting(directory: stateDir ?? Journal.defaultDirectory())
            let rows: [JobRecord]
            do { rows = try journal.history(limit: max(1, limit), search: search) } catch { throw CLIError("journal: \(error.detail)") }
            for r in rows {
                if json {
                    let data = (try? JSONEncoder().encode(r)) ?? Data()
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    let glyph = r.state == "complete" ? "✓" : r.state == "failed" ? "✗" : "⊘"
                    let when = Date(timeIntervalSince1970: r.createdAt).formatted(date: .numeric, time: .shortened)
                    let tail = r.file ?? r.errorMessage ?? r.state
                    print("\(glyph) \(when)  seed \(r.seed)  \(Sanitize.line(r.prompt).prefix(60))  — \(Sanitize.line(tail))")
                }
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
