/// How a pool picks the member a starting job is bound to (`strategy` of a `kind = "pool"` table).
public enum PoolStrategy: String, CaseIterable, Equatable, Sendable {
    /// The member with the smallest share of its slots in use; ties go to the member listed first.
    case leastBusy = "least-busy"
    /// Members in turn, skipping those that are full, down or paced.
    case roundRobin = "round-robin"
    /// The first listed member with a free slot: local GPUs first, paid overflow only when they are full.
    case priority
}

/// `[backends.NAME] kind = "pool"`: several configured backends that share one queue. Easel is the
/// scheduler in front of them and keeps no cluster state of its own; the servers are the engine.
/// The model follows SwarmUI's backend handler: each generation goes to a free backend, preferring one
/// that already lists the requested model.
public struct BackendPool: Equatable, Sendable {
    /// The table's name, e.g. `gpus`; what `--backend` and F3 select.
    public let name: String
    /// `members`: names of other `[backends.*]` tables, in the order the config lists them.
    public let members: [String]
    public let strategy: PoolStrategy

    public init(name: String, members: [String], strategy: PoolStrategy = .leastBusy) {
        self.name = name
        self.members = members
        self.strategy = strategy
    }
}

/// What the scheduler knows of one member at the moment a job is about to start.
public struct PoolMemberLoad: Equatable, Sendable {
    public var name: String
    /// The member's own concurrency (its `concurrency` key, else `queue.concurrency`).
    public var slots: Int
    /// Jobs bound to it that hold a slot now.
    public var busy: Int
    /// Marked down after it could not be reached; it gets no new jobs until a probe answers.
    public var isDown: Bool
    /// Its rate-limit pacer says wait.
    public var isPaced: Bool
    /// Models it lists (ComfyUI checkpoints, A1111 `sd-models`, …); nil when it lists none or is not asked.
    public var models: [String]?

    public init(name: String, slots: Int, busy: Int = 0, isDown: Bool = false, isPaced: Bool = false, models: [String]? = nil) {
        self.name = name
        self.slots = max(1, slots)
        self.busy = max(0, busy)
        self.isDown = isDown
        self.isPaced = isPaced
        self.models = models
    }

    public var freeSlots: Int { max(0, slots - busy) }
}

/// The answer of `PoolScheduler.pick`.
public enum PoolChoice: Equatable, Sendable {
    /// Bind the job to this member and submit it there now.
    case member(String)
    /// No member can take it now (all full, down or paced): the job stays pending in Easel's queue.
    case wait
    /// Every member lists its models and none lists the one the job asks for.
    case noMemberHasModel(String)
}

/// Binds starting jobs to pool members. Pure: the caller passes each member's load; the only state
/// is the round-robin turn.
public struct PoolScheduler: Equatable, Sendable {
    public let pool: BackendPool
    /// Index into `pool.members` where the next round-robin search starts.
    public private(set) var turn = 0

    public init(pool: BackendPool) { self.pool = pool }

    /// The member for a job that asks for `model` (nil = the member's own default), given `loads`
    /// (one per member; members without a load are treated as unknown and skipped).
    /// Members that list their models and lack `model` are never chosen; among the rest, those that
    /// list it are preferred.
    public mutating func pick(from loads: [PoolMemberLoad], model: String? = nil) -> PoolChoice {
        let ordered = pool.members.compactMap { name in loads.first { $0.name == name } }
        var eligible = ordered
        if let model {
            eligible = ordered.filter { $0.models.map { $0.contains(model) } ?? true }
            if eligible.isEmpty, !ordered.isEmpty { return .noMemberHasModel(model) }
        }
        var open = eligible.filter { !$0.isDown && !$0.isPaced && $0.freeSlots > 0 }
        if let model {
            let listing = open.filter { $0.models?.contains(model) == true }
            if !listing.isEmpty { open = listing }
        }
        guard !open.isEmpty else { return .wait }
        let chosen: PoolMemberLoad
        switch pool.strategy {
        case .priority:
            chosen = open[0]
        case .leastBusy:
            // Smallest share of slots in use (busy/slots, compared without division), then pool order.
            chosen = open.min { a, b in a.busy * b.slots < b.busy * a.slots }!
        case .roundRobin:
            let names = Set(open.map(\.name))
            let count = pool.members.count
            let index = (0..<count).map { (turn + $0) % count }.first { names.contains(pool.members[$0]) }!
            chosen = open.first { $0.name == pool.members[index] }!
            turn = (index + 1) % count
        }
        return .member(chosen.name)
    }
}

/// A pool member's reachability: marked down when a request to it fails with a network error, probed
/// again with exponential backoff (2 s, 4 s, then every 8 s), up at the first probe that answers: a
/// restarted member is seen within 8 s of answering again.
/// Pure: times arrive as arguments.
public struct MemberHealth: Equatable, Sendable {
    public private(set) var downSince: ContinuousClock.Instant?
    /// Failed probes (and the failure that marked it down) since it was last up.
    public private(set) var failures = 0
    /// When to probe it next; nil while it is up.
    public private(set) var nextProbe: ContinuousClock.Instant?
    /// The last error's message, shown in the status bar and `easel backends`.
    public private(set) var reason: String?

    public static let firstProbeDelay: Duration = .seconds(2)
    public static let maxProbeDelay: Duration = .seconds(8)

    public init() {}

    public var isDown: Bool { downSince != nil }

    /// Records a failure (the request that failed, or a probe) at `now`.
    public mutating func markDown(at now: ContinuousClock.Instant, reason: String) {
        if downSince == nil { downSince = now }
        failures += 1
        self.reason = reason
        let delay = Self.firstProbeDelay * (1 << min(failures - 1, 5))
        nextProbe = now + min(delay, Self.maxProbeDelay)
    }

    /// Records an answer: the member takes jobs again.
    public mutating func markUp() { self = MemberHealth() }

    /// True when a probe is due at `now`.
    public func probeDue(at now: ContinuousClock.Instant) -> Bool {
        guard let nextProbe else { return false }
        return now >= nextProbe
    }
}

/// A pool member that refused a submit without accepting the job (429, or 503 overloaded / not ready):
/// it gets no new jobs until `until` (its `Retry-After`, else `PollPolicy.rateLimitBackoff`).
public struct MemberPause: Equatable, Sendable {
    /// When it takes jobs again.
    public var until: ContinuousClock.Instant
    /// Refusals in a row, for the backoff without `Retry-After`; reset when it accepts a job.
    public var refusals: Int

    public init(until: ContinuousClock.Instant, refusals: Int) {
        self.until = until
        self.refusals = refusals
    }
}

extension Job {
    /// True when the job may be moved to another pool member after its member failed: the member never
    /// accepted it (no remote id, and the submit did not reach the point where the service could have
    /// queued it). A job a member accepted is never sent elsewhere by itself: a paid job is not paid twice.
    public var mayMoveToAnotherMember: Bool {
        guard remoteID == nil else { return false }
        switch state {
        case .pending, .waiting: return true
        case .failed(let error): return error.neverReachedTheService
        default: return false
        }
    }
}

extension JobError {
    /// True for a network error where no byte reached the service: the host name did not resolve or the
    /// connection was refused (libcurl's `CURLE_COULDNT_RESOLVE_PROXY` 5, `CURLE_COULDNT_RESOLVE_HOST` 6,
    /// `CURLE_COULDNT_CONNECT` 7, as `HTTPError.transport` writes them: "… (curl 7)"). A reset or a timeout
    /// after the request went out may have queued the job there, so it is false for those.
    public var neverReachedTheService: Bool {
        guard case .network(let why) = self else { return false }
        return why.hasSuffix("(curl 5)") || why.hasSuffix("(curl 6)") || why.hasSuffix("(curl 7)")
    }
}
