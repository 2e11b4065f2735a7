/// How often to ask a service about a job, and for how long.
public struct PollPolicy: Equatable, Sendable {
    /// Time between status requests; the seed design uses 2 s.
    public var interval: Duration
    /// After this much time since submission the job becomes `timedOut` (its remote id is kept).
    /// The seed design's 60 polls × 2 s.
    public var deadline: Duration

    public init(interval: Duration = .seconds(2), deadline: Duration = .seconds(120)) {
        self.interval = interval
        self.deadline = deadline
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
