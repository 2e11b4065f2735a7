import EaselCore
import Foundation

/// `easel generate`: the same reducer, queue, pacer and retry rules as the TUI, without a terminal.
/// Progress goes to stderr; saved paths (or one JSON object per job) to stdout.
public enum Headless {
    public struct Outcome: Sendable {
        /// The jobs, in submission order, in their final states.
        public let jobs: [Job]
        /// Set when a prompt made no job (empty or too long).
        public let refusal: Hint?
        public let elapsed: Duration
    }

    /// Runs every prompt (each `parameters.count` times) through the queue until all jobs end.
    /// - Parameter progress: called with each new progress line (for stderr).
    /// - Parameter finished: called once per job as it ends, in the order they end.
    /// - Parameter notice: called with each status-line note (a size moved to one the model makes), sanitized.
    public static func run(prompts: [String], state initial: AppState,
                           makeRunner: (@escaping @Sendable (Action) -> Void) -> EffectRunner,
                           progress: (String) -> Void = { _ in }, finished: (Job) -> Void = { _ in },
                           notice: (String) -> Void = { _ in },
                           journal: JournalSync? = nil) async -> Outcome {
        var state = initial
        state.mode = .queue
        let (stream, continuation) = AsyncStream<Action>.makeStream()
        let runner = makeRunner { continuation.yield($0) }
        defer {
            runner.cancelAll()
            journal?.sync(state)
            journal?.flush()
        }
        let start = ContinuousClock.now
        _ = reduce(&state, .tick(.now, wallTime: Date().timeIntervalSince1970))
        for prompt in prompts {
            state.editor = PromptEditor(prompt)
            let before = state.jobs.count
            runner.run(reduce(&state, .key(.enter)))
            if state.jobs.count == before { return Outcome(jobs: state.jobs, refusal: state.hint, elapsed: .now - start) }
            if let hint = state.hint, case .info = hint {   // e.g. the size was moved to one the model makes
                notice(hint.message)
                state.hint = nil
            }
        }
        var lines: [JobID: String] = [:]
        var reported = Set<JobID>()
        func report() {
            for (index, job) in state.jobs.enumerated() {
                var line = job.state.label
                if case .waiting(let until) = job.state { line += " — retry in \(max(0, Int((until - state.now).components.seconds) + 1))s" }
                if job.state == .pending, let ready = state.pacerReadyAt, ready > state.now {
                    line += " — rate limit, next slot in \(Int((ready - state.now).components.seconds) + 1)s"
                }
                if case .running(let p?) = job.state { line += " \(Int(p * 100))%" }
                if case .queued(let pos?) = job.state { line += " #\(pos)" }
                if line != lines[job.id] {
                    lines[job.id] = line
                    let tag = state.jobs.count > 1 ? "job \(index + 1)/\(state.jobs.count): " : ""
                    progress("\(tag)\(line) (\(format(job.elapsed(now: state.now))))")
                }
                if !job.state.isActive, !reported.contains(job.id) {
                    reported.insert(job.id)
                    finished(job)
                }
            }
        }
        report()
        guard state.jobs.contains(where: { $0.state.isActive }) else {
            return Outcome(jobs: state.jobs, refusal: nil, elapsed: .now - start)
        }
        for await action in stream {
            runner.run(reduce(&state, .tick(.now, wallTime: Date().timeIntervalSince1970)))
            runner.run(reduce(&state, action))
            journal?.sync(state)
            report()
            if !state.jobs.contains(where: { $0.state.isActive }) { break }
        }
        return Outcome(jobs: state.jobs, refusal: nil, elapsed: .now - start)
    }

    static func format(_ d: Duration) -> String {
        String(format: "%.1fs", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
}
