import ArgumentParser
import EaselApp
import EaselCore
import EaselStore
import Foundation

extension Easel {
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
            var all = GenerateInput.prompts(prompts, readLine: { readLine() })
            var parameters = params.parameters
            if let fromImage {
                let found: ImageParameters
                do { found = try Gallery.readParameters(at: fromImage) } catch {
                    if json { print(GenerateReport.runFailed(category: error.kind, message: error.fileMessage)) }
                    else { Self.stderr("easel: --from: \(error.fileMessage)") }
                    throw ExitCode(2)
                }
                if let problem = GenerateInput.merge(found, prompts: &all, parameters: &parameters, keepSeed: params.seed != nil) {
                    let message = "--from: \(Sanitize.line(fromImage)): \(problem)"
                    if json { print(GenerateReport.runFailed(category: "invalid_prompt", message: message)) }
                    else { Self.stderr("easel: \(message)") }
                    throw ExitCode(2)
                }
            }
            guard !all.isEmpty else {
                let message = fromImage == nil ? "no prompts (stdin was empty)" : "no prompts"
                if json { print(GenerateReport.runFailed(category: "invalid_prompt", message: message)) }
                else { Self.stderr("Error: \(message)") }
                throw ExitCode(2)
            }
            // Refuse the whole run before anything is queued or journaled.
            if let problem = GenerateInput.problem(in: all) {
                if json { print(GenerateReport.runFailed(category: "invalid_prompt", message: problem)) }
                else { Self.stderr("easel: \(problem)") }
                throw ExitCode(2)
            }
            let config: Config, set: BackendSet, journal: Journal, gallery: Gallery
            do {
                config = try loadConfigFile(self.config)
                try client.checkGallery(config)
                for w in config.warnings { Self.stderr("easel: \(w)") }
                gallery = try client.makeGallery(config)
                set = try await client.makeBackends(config: config, allowSwitching: false)
                do { journal = try client.openJournal() } catch { await set.demo?.stop(); throw error }
            } catch let e as CLIError {
                // Start-up failures: one JSON error object with --json; 64 for a usage error, else 1.
                if json { print(GenerateReport.runFailed(category: e.category, message: e.description)) }
                else { Self.stderr("Error: \(e.description)") }
                throw ExitCode(e.exitStatus)
            }
            let demo = set.demo
            var policy = client.policy(for: set.selected)
            policy.refusalDeadline = policy.deadline          // a script always ends, even when every submit meets a 429
            var state = AppState(backendName: set.summary, pollPolicy: policy, parameters: parameters,
                                 seeds: SeedSource(seed: UInt64.random(in: .min ... .max)), now: .now)
            queue.apply(to: &state, client: client, backends: set, config: config)
            state.queue.nextJobID = journal.firstJobID
            let sync = JournalSync(journal: journal, backend: set.current) { error in Self.stderr("easel: journal: \(error.message)") }
            state.galleryDirectory = gallery.directory
            let pending = client.pendingImages
            let asJSON = json
            var reported: [GenerateReport.Lines] = []
            let interrupts = Headless.interruptSignals()
            let outcome = await Headless.run(
                prompts: all, state: state,
                makeRunner: { EffectRunner(backends: set.adapters, gallery: gallery, pending: pending,
                                           backendOptions: set.options, send: $0) },
                progress: { if !asJSON { Self.stderr("easel: \($0)") } },
                finished: { job in
                    let lines = GenerateReport.finished(job, json: asJSON, now: .now)
                    reported.append(lines)
                    Self.emit(lines)
                }, notice: { Self.stderr("easel: \($0)") }, journal: sync, interrupts: interrupts,
                reports: Headless.Reports(rateLimited: { Self.stderr("easel: \($0)") }, interrupted: { job, how, signal in
                    Self.emit(GenerateReport.interrupted(job, how: how, signal: signal, json: asJSON, now: .now))
                }))
            await demo?.stop()
            if let signal = outcome.signal { throw ExitCode(128 + signal) }
            if let refusal = outcome.refusal {
                if json { print(GenerateReport.runFailed(category: "invalid_prompt", message: refusal.message)) }
                else { Self.stderr("easel: \(refusal.message)") }
                throw ExitCode(2)
            }
            let status = GenerateReport.exitStatus(reported)
            if status != 0 { throw ExitCode(status) }
        }

        /// Writes a job's lines: stderr first, then stdout (flushed, for a reader on a pipe).
        static func emit(_ lines: GenerateReport.Lines) {
            if let line = lines.stderr { stderr("easel: \(line)") }
            if let line = lines.stdout { print(line); fflush(nil) }
        }

        static func stderr(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}
