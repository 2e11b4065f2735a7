/// How often to ask a service about a job, and for how long.
public struct PollPolicy: Equatable, Sendable {
    /// Time between status requests; the seed design uses 2 s.
    public var interval: Duration
    /// After the service has been running the job this long the job becomes `timedOut` (its remote id
    /// is kept). Counted from the job's first `running` status (or from its submission or resumption,
    /// whichever is later); time spent `queued` on the service is shown, never counted. The seed
    /// design's 60 polls × 2 s.
    public var deadline: Duration
    /// How long a job may keep meeting 429s on submit, counted from its first refused submission,
    /// before it fails with `rateLimited`: it fails as soon as its next attempt would fall past this.
    /// `nil` (the studio without `--deadline`): it waits until the service accepts it or the user cancels it.
    /// A given `--deadline` (or backend `deadline`) sets it to `deadline`; `easel generate` always does,
    /// so a script always ends.
    public var refusalDeadline: Duration?

    public init(interval: Duration = .seconds(2), deadline: Duration = .seconds(120), refusalDeadline: Duration? = nil) {
        self.interval = interval
        self.deadline = deadline
        self.refusalDeadline = refusalDeadline
    }

    /// Consecutive transient poll failures tolerated before the job fails.
    public static let maxConsecutiveFailures = 6

    /// The wait after `failures` consecutive transient errors: `interval × 2^(failures−1)`, at most 30 s,
    /// scaled by 0.8…1.2 from `jitter` in 0…1 so many clients do not retry in step.
    public func backoff(failures: Int, jitter: Double) -> Duration {
        let base = interval * (1 << min(max(0, failures - 1), 5))
        let capped = min(base, .seconds(30))
        return capped * (0.8 + 0.4 * min(1, max(0, jitter)))
    }

    /// The first wait after a 429 that came without `Retry-After` (a `Retry-After` is obeyed as sent).
    public static let rateLimitBaseWait = Duration.seconds(5)
    /// The longest wait after a 429 without `Retry-After`.
    public static let rateLimitMaxWait = Duration.seconds(80)

    /// The wait after the `refusals`-th 429 in a row that came without `Retry-After`:
    /// `5 s × 2^(refusals−1)`, at most 80 s, scaled by 0.5…1.5 from `jitter` in 0…1 (from the state's
    /// seeded `SeedSource`, so tests repeat) so that jobs refused together do not come back together.
    public static func rateLimitBackoff(refusals: Int, jitter: Double) -> Duration {
        let base = rateLimitBaseWait * (1 << min(max(0, refusals - 1), 5))
        return min(base, rateLimitMaxWait) * (0.5 + min(1, max(0, jitter)))
    }
}

/// A client-side sliding-window pacer: at most `limit` submissions in any `window`, so the user never
/// hits the service's own rate limit. Pure: the caller passes the time.
public struct RateLimitPacer: Equatable, Sendable {
    public var limit: Int
    public var window: Duration
    private var sent: [ContinuousClock.Instant] = []

    public init(limit: Int = 8, window: Duration = .seconds(60)) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// Extra spacing on top of the window (5 %), so requests that reach the server a little later or
    /// sooner than they left never land inside its window.
    public var margin: Duration { window / 20 }

    /// How long until a submission is allowed at `now`; `nil` when it is allowed now.
    public func wait(now: ContinuousClock.Instant) -> Duration? {
        let span = window + margin
        let recent = sent.filter { now - $0 < span }
        guard recent.count >= limit else { return nil }
        return recent[recent.count - limit] + span - now
    }

    /// Records a submission at `now`.
    public mutating func record(now: ContinuousClock.Instant) {
        sent = sent.filter { now - $0 < window + margin } + [now]
    }
}
