/// The jobs of this run and what decides when the next one starts: slots, the rate-limit pacer, the
/// queue pane's selection.
public struct QueueState: Equatable, Sendable {
    /// Every job of this run, in creation order (finished ones too: the history pane lists those).
    public var jobs: [Job] = [] {
        didSet {
            activeIndices = jobs.indices.filter { jobs[$0].state.isActive }
            positions = Dictionary(jobs.indices.map { (jobs[$0].id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }
    /// Indices in `jobs` of the jobs in flight (`JobState.isActive`), oldest first. Kept on every change of
    /// `jobs`, so a frame and a keystroke read the few jobs in flight without walking the whole history: a
    /// `Job` holds `ContinuousClock.Instant`s, whose layout the standard library does not fix, so each
    /// look at a job's state goes through the runtime (≈ 0.1 µs a job; 500 jobs per scan, several scans a frame).
    public private(set) var activeIndices: [Int] = []
    /// Where each job is in `jobs`, by id (kept like `activeIndices`): finding the history cursor's job is
    /// one look-up, not a walk.
    public private(set) var positions: [JobID: Int] = [:]
    /// The id the next job gets.
    public var nextJobID = 1
    /// The active row under the cursor in the queue pane; `nil` follows the first.
    public var selection: JobID?
    /// Jobs in flight on the backend at once (submitting through saving); default 1.
    public var concurrency = 1
    /// Further jobs sent ahead to a service that keeps its own queue (ComfyUI), so it starts the next one
    /// without waiting on Easel; they hold a slot like any job in flight. Jobs not sent yet stay in Easel's
    /// queue, where they can be canceled and reordered. 0 for services without a queue of their own.
    public var queueAhead = 0
    /// The client-side pacer for the backend's rate limit.
    public var pacer = RateLimitPacer()
    /// When the pacer allows the next submission, while pending jobs wait for it.
    public var pacerReadyAt: ContinuousClock.Instant?
    /// When the pending `.timer` effect will tick, so only one is in flight.
    public var scheduledWake: ContinuousClock.Instant?
    /// Pool members' reachability, by member name; a member absent here is up.
    public var health: [String: MemberHealth] = [:]
    /// Members whose `.probe` is out, so only one is in flight per member.
    public var probing: Set<String> = []
    /// Pool members' own pacers (`BackendChoice.pace`), by member name; made at a member's first job.
    public var pacers: [String: RateLimitPacer] = [:]
    /// Pool members that refused a submit (429, 503), by member name: no new jobs until `until`.
    public var paused: [String: MemberPause] = [:]
    /// Each pool's scheduler (its round-robin turn), by pool name; made at the pool's first job.
    public var schedulers: [String: PoolScheduler] = [:]

    public init() {}
}

/// The history pane: its cursor and its filter (the rows are the finished jobs, `AppState.historyRows`).
public struct HistoryPane: Equatable, Sendable {
    /// The row under the cursor; `nil` follows the newest job.
    public var selection: JobID?
    /// Prompt text, a seed, or `*` for starred jobs (`/`); empty shows every finished job.
    public var filter = ""
    public init() {}
}
