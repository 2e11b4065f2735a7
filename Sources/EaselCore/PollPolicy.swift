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
}
