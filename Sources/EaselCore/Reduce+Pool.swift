// Pools: binding a starting job to a member, marking an unreachable member down, probing it again.

extension AppState {
    /// The pool `name` names (a `BackendChoice` with a `pool`); nil for a single backend.
    public func pool(named name: String) -> BackendPool? {
        backends.first { $0.name == name }?.pool
    }

    /// What the scheduler knows of each of `pool`'s members now: its slots, the jobs holding them
    /// (`busy`, by backend name), whether it is down, and the model it is configured with (as the list
    /// of models it has; nil when it names none and runs the service's default).
    func memberLoads(of pool: BackendPool, busy: [String: Int]) -> [PoolMemberLoad] {
        pool.members.compactMap { name in
            guard let choice = backends.first(where: { $0.name == name }) else { return nil }
            return PoolMemberLoad(name: name, slots: slots(on: name), busy: busy[name, default: 0],
                                  isDown: queue.health[name]?.isDown ?? false, isPaced: memberPaceWait(name) != nil,
                                  models: choice.model.map { [$0] } ?? listedModels[name])
        }
    }

    /// How long until member `name` takes a submission: its own pacer, and a refusal's pause (`queue.paused`,
    /// a 429's `Retry-After` or a 503's backoff), whichever ends later; nil when it takes one now.
    func memberPaceWait(_ name: String) -> Duration? {
        var wait = (queue.pacers[name] ?? backends.first(where: { $0.name == name })?.pace)?.wait(now: now)
        if let until = queue.paused[name]?.until, until > now { wait = max(wait ?? .zero, until - now) }
        return wait
    }

    /// True when every member of `pool` is down: its pending jobs wait for a probe to answer.
    public func allMembersDown(_ pool: BackendPool) -> Bool {
        !pool.members.isEmpty && pool.members.allSatisfy { queue.health[$0]?.isDown == true }
    }

    /// What a pending pool job waits for while every member of its pool is down, for the queue pane and
    /// `easel generate`'s progress: "waiting: all members down, next probe in 8s" (whole seconds, rounded
    /// up), "… probing now" while a probe is out; nil for any other job.
    public func poolWaitNote(_ job: Job) -> String? {
        guard job.state == .pending, let name = job.backend, let pool = pool(named: name), allMembersDown(pool) else { return nil }
        if pool.members.contains(where: queue.probing.contains) { return "waiting: all members down, probing now" }
        let next = pool.members.compactMap { queue.health[$0]?.nextProbe }.min() ?? now
        return "waiting: all members down, next probe in \(max(0, Int((next - now).inSeconds.rounded(.up))))s"
    }

    /// The members of some pool that are down now, with their health, in config order.
    public var downMembers: [(name: String, health: MemberHealth)] {
        var seen = Set<String>()
        return backends.compactMap(\.pool).flatMap(\.members).compactMap { name in
            guard seen.insert(name).inserted, let h = queue.health[name], h.isDown else { return nil }
            return (name, h)
        }
    }
}

/// The member a pending job of `pool` starts on, from the scheduler (`PoolScheduler.pick`) over the
/// members' free slots (`busy`: jobs holding a slot, by backend). A job asks for the model the pool's
/// choice names (`--model`), if any: members configured with it are preferred, members configured with
/// another are never chosen.
/// A member bound this way records the submission on its own pacer.
/// - Returns: the choice, and when every member with a free slot is paced, how long until the first
///   of them allows a submission (for the loop's timer).
func pickMember(_ state: inout AppState, for pool: BackendPool, model asked: String?, busy: [String: Int]) -> (PoolChoice, pacedFor: Duration?) {
    var scheduler = state.queue.schedulers[pool.name] ?? PoolScheduler(pool: pool)
    let model = asked ?? state.backends.first { $0.name == pool.name }?.model
    let loads = state.memberLoads(of: pool, busy: busy)
    let choice = scheduler.pick(from: loads, model: model)
    state.queue.schedulers[pool.name] = scheduler
    switch choice {
    case .member(let name):
        if let pace = state.queue.pacers[name] ?? state.backends.first(where: { $0.name == name })?.pace {
            var pacer = pace
            pacer.record(now: state.now)
            state.queue.pacers[name] = pacer
        }
        return (choice, nil)
    case .wait:
        let waits = loads.filter { $0.isPaced && !$0.isDown && $0.freeSlots > 0 }.compactMap { state.memberPaceWait($0.name) }
        return (choice, waits.min())
    case .noMemberHasModel:
        return (choice, nil)
    }
}

/// A pool job's request failed with an error where nothing reached the member (`neverReachedTheService`:
/// refused, host unknown): the member is marked down (no new jobs until a probe answers). A job it never
/// accepted goes back to the pool's queue, to start on another member; one it accepted keeps polling it
/// (the caller's usual backoff), never resent elsewhere by itself.
/// - Returns: the effects when the job was moved back to the queue; nil when the caller's usual
///   recovery applies.
func memberUnreachable(_ state: inout AppState, _ job: Job, _ error: JobError, _ stage: Stage) -> [Effect]? {
    guard let pool = job.pool, let member = job.backend, member != pool, error.neverReachedTheService else { return nil }
    state.queue.health[member, default: MemberHealth()].markDown(at: state.now, reason: error.message)
    var failed = job
    failed.state = .failed(error)
    guard stage == .submit, failed.mayMoveToAnotherMember else { return nil }
    state.update(job.id) {
        $0.state = .pending
        $0.backend = pool
        $0.startedAt = nil
    }
    let next = state.pool(named: pool).map(state.allMembersDown) == true ? "waits for a member of \(pool) to answer" : "goes to another member of \(pool)"
    state.hint = .warning("\(member) is down (\(error.message)); job \(job.id) \(next)")
    return startReady(&state)
}

/// A pool member refused a submit without accepting the job: 429, or 503 (overloaded, not ready), taken
/// as a 429 without `Retry-After`. The member is paused (`queue.paused`: its `Retry-After`, else
/// `PollPolicy.rateLimitBackoff` over its refusals in a row) and gets no new jobs until then; the job goes
/// back to the pool's queue and starts at once on another member with a free slot, or on this one when
/// its pause ends. It keeps its `refusedSince`, so `PollPolicy.refusalDeadline` still bounds it.
/// - Returns: the effects when the job was moved back to the queue; nil when the caller's usual 429
///   rule applies (not a pool job, not a submit, or past the job's refusal deadline: it fails there).
func memberRefused(_ state: inout AppState, _ job: Job, _ error: JobError, _ stage: Stage) -> [Effect]? {
    guard stage == .submit, let pool = job.pool, let member = job.backend, member != pool, job.remoteID == nil else { return nil }
    let retryAfter: Duration?
    switch error {
    case .rateLimited(let after): retryAfter = after
    case .server(status: 503, _): retryAfter = nil
    default: return nil
    }
    let since = job.refusedSince ?? job.startedAt ?? state.now
    if let bound = state.pollPolicy(of: job).refusalDeadline, state.now - since >= bound { return nil }
    let refusals = (state.queue.paused[member]?.refusals ?? 0) + 1
    let wait = retryAfter ?? PollPolicy.rateLimitBackoff(refusals: refusals, jitter: Double(state.editor.seeds.next()) / Double(UInt32.max))
    state.queue.paused[member] = MemberPause(until: state.now + wait, refusals: refusals)
    state.update(job.id) {
        $0.state = .pending
        $0.backend = pool
        $0.startedAt = nil
        ($0.refusals, $0.refusedSince) = ($0.refusals + 1, since)
    }
    state.hint = .warning("\(member) refused job \(job.id) (\(error.message)): no new jobs there for "
                          + "\(Int(wait.inSeconds.rounded(.up)))s; the job goes to another member of \(pool)")
    return startReady(&state)
}

/// A pending job of `pool` that no member can take now. With a refusal deadline (`PollPolicy.refusalDeadline`:
/// `--deadline`, and always in `easel generate`) it fails once that has passed, counted from when it was
/// queued while every member is down (a network error naming the members and why they are down), or from
/// its first refused submit while members refuse it (429, 503).
/// - Returns: the effects when it failed; else nil, and how long until it would fail, for the loop's timer.
func poolWaitDeadline(_ state: inout AppState, _ job: Job, _ pool: BackendPool) -> (failed: [Effect]?, wake: Duration?) {
    guard let bound = state.pollPolicy(of: job).refusalDeadline else { return (nil, nil) }
    let error: JobError, since: ContinuousClock.Instant
    if state.allMembersDown(pool) {
        var reasons: [(why: String, members: [String])] = []             // "m1, m2: Couldn't connect … (curl 7)"
        for member in pool.members {
            var why = state.queue.health[member]?.reason ?? "down"
            if why.hasPrefix("network error: ") { why.removeFirst("network error: ".count) }
            if let i = reasons.firstIndex(where: { $0.why == why }) { reasons[i].members.append(member) } else { reasons.append((why, [member])) }
        }
        let why = reasons.map { "\($0.members.joined(separator: ", ")): \($0.why)" }.joined(separator: "; ")
        error = .network("no member of pool \(pool.name) can be reached, all are down (\(why)); "
                         + "gave up \(Int(bound.inSeconds.rounded()))s after the job was queued")
        since = job.createdAt
    } else if let refused = job.refusedSince {
        error = .rateLimited(retryAfter: nil)
        since = refused
    } else {
        return (nil, nil)
    }
    let left = since + bound - state.now
    guard left <= .zero else { return (nil, left) }
    let ended = finish(&state, job.id, .failed(error))
    state.hint = .jobFailed(job.id, error)
    return (ended, nil)
}

/// `.probe` orders for down members whose next probe is due and none is out; the earliest later probe
/// time, for the loop's timer.
func dueProbes(_ state: inout AppState) -> (effects: [Effect], next: Duration?) {
    var effects: [Effect] = []
    var next: Duration?
    for (name, health) in state.downMembers where !state.queue.probing.contains(name) {
        if health.probeDue(at: state.now) {
            state.queue.probing.insert(name)
            effects.append(.probe(backend: name))
        } else if let at = health.nextProbe {
            next = min(next ?? (at - state.now), at - state.now)
        }
    }
    return (effects, next)
}

/// A probe's answer: the member takes jobs again, or its next probe waits longer (MemberHealth's backoff).
func probed(_ state: inout AppState, member: String, reachable: Bool, detail: String) -> [Effect] {
    state.queue.probing.remove(member)
    guard state.queue.health[member]?.isDown == true else { return startReady(&state) }
    if reachable {
        state.queue.health[member] = nil
        state.hint = .info("\(member) answers again: it takes new jobs")
    } else {
        state.queue.health[member]?.markDown(at: state.now, reason: detail)
    }
    return startReady(&state)
}
