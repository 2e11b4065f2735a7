import Foundation

/// Where a `ReferenceServer` keeps its jobs, rate-limit windows, events and images when several instances
/// serve one queue (issue 21 items 2–3). Without one (`Configuration.store == nil`, the default) the server
/// keeps everything in its own memory, as the seed design does; `EaselServerPostgres.PostgresStore` is the
/// shared one. Every method is one transaction of the store; times are the store's clock, durations seconds.
///
/// Job states are the seed API's: `processing` (queued until a worker claims it, then running), `completed`,
/// `failed`, `canceled`. Event `seq` numbers are per job, 1, 2, …, exactly the stream's `id:` lines.
public protocol ServerStore: Sendable {
    /// Queues a job for `client` (an IP) in one transaction with the per-client sliding-window check, and
    /// its first event (`status` `{"queue_position":n,"status":"queued"}`).
    /// - Parameters: `params` the validated request as JSON text; `limit` nil for no limit.
    /// - Returns: `.accepted` with the new job id, `.limited` with the seconds until a slot frees
    ///   (`Retry-After`), or `.queueFull` when `maxPending` jobs already wait.
    func submit(params: String, client: String, limit: RateLimitSpec?, maxPending: Int) async throws -> SubmitOutcome
    /// Claims the oldest waiting job, or one whose worker's lease has expired, for `worker` until
    /// `lease` from now (`FOR UPDATE SKIP LOCKED` in PostgreSQL); nil when there is none.
    func claim(worker: String, lease: Duration) async throws -> ClaimedJob?
    /// Extends `worker`'s lease on `job`; false when the job is no longer its to run (canceled, or taken over).
    func renew(job: String, worker: String, lease: Duration) async throws -> Bool
    /// Stores the PNG and moves `job` to `completed` with its final `event`; false (nothing stored) when the
    /// job is no longer `worker`'s or no longer processing.
    func complete(job: String, worker: String, png: Data, event: StoreEvent) async throws -> Bool
    /// Moves `job` to `failed` with `message` and its final `event`; false as for `complete`.
    func fail(job: String, worker: String, message: String, event: StoreEvent) async throws -> Bool
    /// Moves a processing `job` to `canceled` with its final `event`, wherever it runs (the running
    /// worker sees the event's notice and stops).
    func cancel(job: String, event: StoreEvent) async throws -> CancelOutcome
    /// The job's state as a status poll reports it; nil for an unknown id.
    func status(job: String) async throws -> JobSnapshot?
    /// The PNG of a completed job; nil otherwise.
    func image(job: String) async throws -> Data?
    /// Appends `event` to the job's log (after a final event, nothing) and notifies every instance.
    func publish(job: String, event: StoreEvent) async throws
    /// The job's events after `seq` `after`, in order.
    func events(job: String, after: Int) async throws -> [StoredEvent]
    /// Notices of new events from every instance sharing the store (one consumer: one server per store).
    var notices: AsyncStream<EventNotice> { get }
    /// Records the id an upstream service gave `job`, so a worker taking it over resumes instead of
    /// submitting again (read back in `ClaimedJob.upstreamID`).
    func recordUpstreamID(job: String, id: String) async throws
    /// Deletes the finished jobs (`completed`, `failed`, `canceled`) older than the newest `keep` of them, with
    /// their images and events; jobs still processing are never touched. Their ids then answer 404.
    /// - Returns: how many jobs were deleted.
    func trim(keep: Int) async throws -> Int
}

/// What `ServerStore.submit` decided.
public enum SubmitOutcome: Sendable, Equatable {
    case accepted(id: String)
    /// Past the client's limit; `retryAfter` in seconds (at least 1 when sent).
    case limited(retryAfter: Double)
    case queueFull
}

/// What `ServerStore.cancel` decided.
public enum CancelOutcome: Sendable, Equatable {
    case canceled
    case unknown
    /// Already `completed`, `failed` or `canceled` (the state's name).
    case finished(String)
}

/// A job a worker has claimed. `attempt` is 1 for a fresh job, more when taken over after a lease expired;
/// `upstreamID` the id recorded by an earlier worker (`recordUpstreamID`), if any.
public struct ClaimedJob: Sendable, Equatable {
    public let id: String
    public let params: String
    public let upstreamID: String?
    public let attempt: Int
    public init(id: String, params: String, upstreamID: String?, attempt: Int) {
        self.id = id
        self.params = params
        self.upstreamID = upstreamID
        self.attempt = attempt
    }
}

/// A job as a status poll sees it: `state` one of processing/completed/failed/canceled; `elapsed` seconds
/// since a worker started it (nil while queued); `queuePosition` 1-based while queued.
public struct JobSnapshot: Sendable, Equatable {
    public let state: String
    public let error: String?
    public let elapsed: Double?
    public let queuePosition: Int?
    public init(state: String, error: String?, elapsed: Double?, queuePosition: Int?) {
        self.state = state
        self.error = error
        self.elapsed = elapsed
        self.queuePosition = queuePosition
    }
}

/// An event to append: its SSE `name`, JSON `data` (one line) and whether it ends the stream.
public struct StoreEvent: Sendable, Equatable {
    public let name: String
    public let data: String
    public var final: Bool { name == "completed" || name == "failed" }
    public init(name: String, data: String) {
        self.name = name
        self.data = data
    }
}

/// An event as stored, with its per-job sequence number (the stream's `id:`).
public struct StoredEvent: Sendable, Equatable {
    public let seq: Int
    public let event: StoreEvent
    public init(seq: Int, event: StoreEvent) {
        self.seq = seq
        self.event = event
    }
}

/// A notice that job `job` has event `seq` (final or not), from any instance.
public struct EventNotice: Sendable, Equatable {
    public let job: String
    public let seq: Int
    public let final: Bool
    public init(job: String, seq: Int, final: Bool) {
        self.job = job
        self.seq = seq
        self.final = final
    }

    /// `"job seq 0|1"`, the NOTIFY payload.
    public var payload: String { "\(job) \(seq) \(final ? 1 : 0)" }

    public init?(payload: String) {
        let parts = payload.split(separator: " ")
        guard parts.count == 3, let seq = Int(parts[1]) else { return nil }
        self.init(job: String(parts[0]), seq: seq, final: parts[2] == "1")
    }
}

/// What a shared-store worker runs for one job instead of the demo generator (`Configuration.sharedProducer`):
/// given the job, the upstream id a previous worker recorded (resume it, never submit again) and a callback
/// to record a new one, it returns the PNG bytes. Cancellation (a cancel from any instance) ends it.
public typealias SharedProducer = @Sendable (_ job: ClaimedJob, _ resume: String?,
                                             _ accepted: @escaping @Sendable (String) async -> Void) async throws -> Data
