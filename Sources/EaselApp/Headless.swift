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
        /// The signal (SIGINT, SIGTERM) that stopped the run before every job ended; nil otherwise.
        public var signal: Int32?
    }

    /// How a job left unfinished by C-c or SIGTERM was left (see `run(interrupts:)`).
    public enum Interruption: Equatable, Sendable {
        /// The service had not accepted it (pending, or waiting out a 429): nothing runs there.
        case notSent
        /// The service accepted it, and then accepted the cancel request.
        case canceledOnService
        /// The cancel request failed with this error: the job may still run on the service.
        case cancelFailed(JobError)
        /// The service had not answered its submit, or its image was still downloading, when the grace
        /// period ended: it may still run (or be done) on the service.
        case unanswered
    }

    /// What `run` reports besides progress: a 429 wait, a finished job, a job stopped by a signal.
    public struct Reports {
        /// Each new wait on a 429, one line (for stderr, even with `--json`).
        public var rateLimited: (String) -> Void = { _ in }
        /// Each job stopped by a signal, once, with how it was left and the signal.
        public var interrupted: (Job, Interruption, Int32) -> Void = { _, _, _ in }
        public init(rateLimited: @escaping (String) -> Void = { _ in },
                    interrupted: @escaping (Job, Interruption, Int32) -> Void = { _, _, _ in }) {
            self.rateLimited = rateLimited
            self.interrupted = interrupted
        }
    }

    private enum Event: Sendable {
        case action(Action)
        case signal(Int32)
        case cancelAnswered(JobID, Action?)
        case graceOver
    }

    /// Runs every prompt (each `parameters.count` times) through the queue until all jobs end.
    /// - Parameter progress: called with each new progress line (for stderr).
    /// - Parameter finished: called once per job as it ends, in the order they end.
    /// - Parameter interrupts: signals that stop the run (`interruptSignals()`). At the first, every
    ///   unfinished job is canceled (`cancelForExit`: on the service too, if it holds the job), the run
    ///   waits up to `grace` for those cancel requests (and for submits in flight, and downloads already
    ///   under way), then reports each such job through `reports.interrupted` and returns with `signal` set.
    /// - Parameter notice: called with each status-line note (a size moved to one the model makes), sanitized.
    public static func run(prompts: [String], state initial: AppState,
                           makeRunner: (@escaping @Sendable (Action) -> Void) -> EffectRunner,
                           progress: (String) -> Void = { _ in }, finished: (Job) -> Void = { _ in },
                           notice: (String) -> Void = { _ in },
                           journal: JournalSync? = nil, interrupts: AsyncStream<Int32>? = nil,
                           grace: Duration = .seconds(5), reports: Reports = Reports()) async -> Outcome {
        var state = initial
        state.mode = .queue
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        let runner = makeRunner { continuation.yield(.action($0)) }
        let listener = interrupts.map { signals in
            Task { for await signal in signals { continuation.yield(.signal(signal)) } }
        }
        var graceTimer: Task<Void, Never>?
        defer {
            listener?.cancel()
            graceTimer?.cancel()
            runner.cancelAll()
            journal?.sync(state)
            journal?.flush()
        }
        let start = ContinuousClock.now
        _ = reduce(&state, .tick(.now, wallTime: Date().timeIntervalSince1970))
        for prompt in prompts {
            state.editor.prompt = PromptEditor(prompt)
            let before = state.queue.jobs.count
            runner.run(reduce(&state, .key(.enter)))
            if state.queue.jobs.count == before { return Outcome(jobs: state.queue.jobs, refusal: state.hint, elapsed: .now - start) }
            if let hint = state.hint, case .info = hint {   // e.g. the size was moved to one the model makes
                notice(hint.message)
                state.hint = nil
            }
        }
        /// Set at the first signal: the signal, the jobs it stopped, the cancel requests still out, their answers.
        var stopping: (signal: Int32, jobs: Set<JobID>, out: Set<JobID>, answers: [JobID: Interruption])?
        var lines: [JobID: String] = [:]
        var reported = Set<JobID>()
        var announcedWaits: [JobID: ContinuousClock.Instant] = [:]
        func report() {
            for (index, job) in state.queue.jobs.enumerated() {
                let tag = state.queue.jobs.count > 1 ? "job \(index + 1)/\(state.queue.jobs.count): " : ""
                if case .waiting(let until) = job.state, announcedWaits[job.id] != until {
                    announcedWaits[job.id] = until
                    reports.rateLimited("\(tag)rate limited (429, \(job.refusals) in a row): sending again in \(format(until - state.now))")
                }
                var line = state.poolWaitNote(job).map { _ in "waiting: all members down" } ?? job.state.label
                if job.state == .pending, let ready = state.queue.pacerReadyAt, ready > state.now {
                    line += " — rate limit, next slot in \(Int((ready - state.now).components.seconds) + 1)s"
                }
                if case .running(let p?, _, _) = job.state { line += " \(Int(p * 100))%" }
                if case .running = job.state, let s = job.step {
                    line += " " + (s.node.map { Sanitize.line(String($0.prefix(32))) + " " } ?? "") + "\(s.step)/\(s.total)"
                }
                if case .queued(let pos?) = job.state { line += " #\(pos)" }
                if let pool = job.pool, let member = job.backend, member != pool, job.state.holdsSlot { line += " on \(member)" }
                if line != lines[job.id] {
                    lines[job.id] = line
                    if !job.isWaiting { progress("\(tag)\(line) (\(format(job.elapsed(now: state.now))))") }
                }
                if !job.state.isActive, !reported.contains(job.id) {
                    if let stopping, stopping.jobs.contains(job.id), job.state == .canceled { continue }   // reported below
                    reported.insert(job.id)
                    finished(job)
                }
            }
        }
        /// Runs effects; once stopping, a cancel request is awaited (its answer comes back as an event).
        func execute(_ effects: [Effect]) {
            guard stopping != nil else { return runner.run(effects) }
            for effect in effects {
                guard case .cancel(let id, _, _) = effect else { runner.run(effect); continue }
                stopping?.out.insert(id)
                Task { continuation.yield(.cancelAnswered(id, await runner.perform(effect))) }
            }
        }
        report()
        guard state.queue.jobs.contains(where: { $0.state.isActive }) else {
            return Outcome(jobs: state.queue.jobs, refusal: nil, elapsed: .now - start)
        }
        loop: for await event in stream {
            switch event {
            case .action(let action):
                execute(reduce(&state, .tick(.now, wallTime: Date().timeIntervalSince1970)))
                execute(reduce(&state, action))
                if case .warning(let text) = action { progress("warning: " + Sanitize.line(text)) }   // a part of the graph dropped, …
            case .signal(let signal):
                guard stopping == nil else { continue }
                let unfinished = Set(state.queue.jobs.filter { $0.state.isActive }.map(\.id))
                stopping = (signal, unfinished, [], [:])
                progress("interrupted: canceling \(unfinished.count) unfinished job\(unfinished.count == 1 ? "" : "s")")
                execute(cancelForExit(&state))
                graceTimer = Task {
                    try? await Task.sleep(for: grace)
                    continuation.yield(.graceOver)
                }
            case .cancelAnswered(let id, let answer):
                stopping?.out.remove(id)
                if case .failed(_, let error, _)? = answer { stopping?.answers[id] = .cancelFailed(error) }
                else { stopping?.answers[id] = .canceledOnService }
            case .graceOver:
                break loop
            }
            journal?.sync(state)
            report()
            let busy = state.queue.jobs.contains { $0.state.isActive }
            if let stopping { if !busy && stopping.out.isEmpty { break } } else if !busy { break }
        }
        var outcome = Outcome(jobs: state.queue.jobs, refusal: nil, elapsed: .now - start)
        if let stopping {
            outcome.signal = stopping.signal
            for job in state.queue.jobs where stopping.jobs.contains(job.id) && !reported.contains(job.id) {
                let how = stopping.answers[job.id] ?? (job.state.isActive ? .unanswered : .notSent)
                reports.interrupted(job, how, stopping.signal)
            }
        }
        return outcome
    }

    static func format(_ d: Duration) -> String {
        String(format: "%.1fs", d.inSeconds)
    }
}
