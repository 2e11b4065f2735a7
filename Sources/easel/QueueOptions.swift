import ArgumentParser
import EaselApp
import EaselCore
import EaselServer

/// How jobs are queued, paced and announced (the TUI and `easel generate`).
struct QueueOptions: ParsableArguments {
    @Option(help: "exclusive (one job at a time, the editor locks; the default) or queue (Enter adds to the queue) (config: queue.mode).")
    var mode: GenerationMode?

    @Option(help: "Jobs in flight at once on the backend, and on each member of a pool without its own concurrency (config: queue.concurrency; default 1).")
    var concurrency: Int?

    @Option(help: "Client-side pacing, e.g. 8/60s (default: the demo backend's limit, else 8/60s).")
    var pace: String?

    func validate() throws {
        if let concurrency, !Limits.concurrency.contains(concurrency) {
            throw ValidationError("--concurrency must be within \(Limits.text(Limits.concurrency))")
        }
        if let pace, RateLimitSpec(pace) == nil { throw ValidationError("--pace must look like 8/60s") }
    }

    func apply(to state: inout AppState, client: ClientOptions, backends: BackendSet, config: Config = Config()) {
        backends.configureQueue(&state, mode: mode, concurrency: concurrency, pace: pace.flatMap(RateLimitSpec.init),
                                demoLimit: client.demoLimit, config: config)
    }
}

extension GenerationMode: ExpressibleByArgument {}
