import ArgumentParser
import EaselApp
import EaselCore
import EaselImaging
import EaselStore
import EaselTerminal
import EaselUI
import Foundation

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
            Memory.keepImageMemoryReturnable()
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
            state.queue.nextJobID = journal.firstJobID
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
            if let draft = JournalSync.savedDraft(journal: journal) { state.editor.prompt = PromptEditor(draft) }
            // The models picked in an earlier run; `--model` wins for the backend it names (the selected one).
            state.pickedModels = (try? journal.pickedModels()) ?? [:]
            if client.model != nil { state.pickedModels[set.current] = nil }
            let app = TerminalApp()
            let runner = EffectRunner(backends: set.adapters, gallery: gallery,
                                      liveDirectory: Self.liveDirectory(), pending: client.pendingImages,
                                      backendOptions: set.options, send: app.post)
            let sync = JournalSync(journal: journal, backend: set.current) { [app] error in
                app.post(.notice("journal: \(error.message)"))
            }
            var options = TerminalApp.Options()
            options.graphics = preview.graphics ?? config.graphics ?? .auto
            options.sixelColors = preview.sixelColors ?? config.sixelColors ?? 256
            options.probeTimeout = .seconds(milliseconds: preview.probeTimeout ?? config.probeTimeout ?? 1)
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
}

extension NotifyMode: ExpressibleByArgument {}
