import EaselCore
import Foundation

/// `easel generate`: the same reducer and effects as the TUI, without a terminal.
/// Progress goes to stderr; the saved path (or one JSON object) to stdout.
public enum Headless {
    public struct Outcome: Sendable {
        public let job: Job?
        /// Set when no job was created (empty or too long prompt).
        public let refusal: Hint?
        public let elapsed: Duration
    }

    /// Runs one job to a terminal state.
    /// - Parameter progress: called with each new progress line (for stderr).
    public static func run(prompt: String, state initial: AppState, makeRunner: (@escaping @Sendable (Action) -> Void) -> EffectRunner,
                           progress: (String) -> Void = { _ in }) async -> Outcome {
        var state = initial
        let (stream, continuation) = AsyncStream<Action>.makeStream()
        let runner = makeRunner { continuation.yield($0) }
        defer { runner.cancelAll() }
        let start = ContinuousClock.now
        state.editor = PromptEditor(prompt)
        _ = reduce(&state, .tick(.now, wallTime: Date().timeIntervalSince1970))
        runner.run(reduce(&state, .key(.enter)))
        guard let id = state.jobs.last?.id else {
            return Outcome(job: nil, refusal: state.hint, elapsed: .now - start)
        }
        var lastLine = ""
        func report() {
            guard let job = state.job(id) else { return }
            var line = job.state.label
            if case .running(let p?) = job.state { line += " \(Int(p * 100))%" }
            if case .queued(let pos?) = job.state { line += " #\(pos)" }
            if line != lastLine { progress("\(line) (\(format(job.elapsed(now: state.now))))"); lastLine = line }
        }
        report()
        for await action in stream {
            _ = reduce(&state, .tick(.now, wallTime: Date().timeIntervalSince1970))
            runner.run(reduce(&state, action))
            report()
            if let job = state.job(id), !job.state.isActive { break }
        }
        return Outcome(job: state.job(id), refusal: nil, elapsed: .now - start)
    }

    static func format(_ d: Duration) -> String {
        String(format: "%.1fs", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
}
