/// Effect results: move the job along its states, or stop it with a categorized error.
func reduceJob(_ state: inout AppState, _ action: Action) -> [Effect] {
    switch action {
    case .submitted(let id, let remote, let status):
        guard let job = state.job(id), job.state == .submitting || job.state == .canceling else { return [] }
        state.update(id) {
            $0.remoteID = remote
            ($0.refusals, $0.refusedSince) = (0, nil)
        }
        if job.pool != nil, let member = job.backend { state.queue.paused[member]?.refusals = 0 }   // its backoff starts over
        if job.state == .canceling {
            return finish(&state, id, .canceled) + [.cancel(id, remote, backend: state.backend(of: job))] + startReady(&state)
        }
        return applyStatus(&state, id, remote, status)

    case .statusPolled(let id, let status):
        guard let job = state.job(id), let remote = job.remoteID else { return [] }
        switch job.state {
        case .queued, .running:
            state.update(id) { $0.pollFailures = 0 }
            return applyStatus(&state, id, remote, status)
        case .pending, .waiting, .submitting, .canceling, .downloading, .saving, .complete, .failed, .canceled: return []
        }

    case .downloaded(let id, let data):
        guard let job = state.job(id), job.state == .downloading else { return [] }
        state.update(id) { $0.state = .saving }
        let now = state.now
        let timings = JobTimings(elapsed: job.startedAt.map { now - $0 }, download: job.downloadStartedAt.map { now - $0 })
        return [.save(id, data, job.request, remote: job.remoteID, index: job.savedImages.count + 1, target: job.galleryTarget,
                      backend: state.backend(of: job), timings: timings)]

    case .saved(let id, let image):
        guard let job = state.job(id), job.state == .saving else { return [] }
        state.update(id) { $0.savedImages.append(image) }
        if job.savedImages.count + 1 < job.imageRefs.count {     // the service made more: the next one
            let next = job.imageRefs[job.savedImages.count + 1]
            let now = state.now
            state.update(id) {
                $0.state = .downloading
                $0.imageRef = next
                $0.downloadStartedAt = now
            }
            return [.download(id, next, backend: state.backend(of: job))]
        }
        let first = job.savedImages.first ?? image, count = job.savedImages.count + 1
        let ended = finish(&state, id, .complete(first))
        if state.focus != .history { state.history.selection = nil }   // not in use: follow the newest job
        state.hint = count == 1 ? .saved(id, path: image.path)
            : .info("Job \(id) made \(count) images: saved \(first.path) and \(count - 1) more beside it")
        return ended + (state.gallery != nil ? [.gallery(.scan)] : []) + startReady(&state)   // the open browser shows it

    case .livePreview(let id, let path):
        guard case .running(let progress, let step, _)? = state.job(id)?.state else { return [] }
        state.update(id) { $0.state = .running(progress: progress, step: step, preview: path) }
        return []

    case .failed(let id, let error, let stage):
        guard let job = state.job(id), job.state.isActive else { return [] }
        return failure(&state, job, error, stage)

    case .probed(let member, let reachable, let detail):
        return probed(&state, member: member, reachable: reachable, detail: detail)

    case .key, .paste, .tick, .notice, .warning, .themeLoaded, .clicked, .scrolled, .restored, .gallery, .modelsListed, .helpPage:
        return []
    }
}

/// Recovery depends on the stage: a 429 on submit waits and resends; transient poll errors back off;
/// anything after the service finished keeps the image's location so a retry only downloads again.
private func failure(_ state: inout AppState, _ job: Job, _ error: JobError, _ stage: Stage) -> [Effect] {
    let id = job.id
    if stage != .cancel, job.state != .canceling {
        if let moved = memberUnreachable(&state, job, error, stage) ?? memberRefused(&state, job, error, stage) { return moved }
    }
    switch (stage, error) {
    case (.cancel, _):
        return []                                           // best effort; the job is already canceled
    case (.submit, _) where job.state == .canceling:
        // Canceled while its submit was out: not sent again.
        return finish(&state, id, .canceled) + startReady(&state)
    case (.submit, .rateLimited(let after)):
        // Retry-After is obeyed as sent; without it the wait doubles, with seeded jitter.
        let refusals = job.refusals + 1
        let since = job.refusedSince ?? job.startedAt ?? state.now
        let wait = after ?? PollPolicy.rateLimitBackoff(refusals: refusals, jitter: Double(state.editor.seeds.next()) / Double(UInt32.max))
        let until = state.now + wait
        if let bound = state.pollPolicy(of: job).refusalDeadline, until - since > bound { break }     // fails below
        state.update(id) {
            $0.state = .waiting(until: until)
            ($0.refusals, $0.refusedSince) = (refusals, since)
        }
        return startReady(&state)
    case (.poll, .network), (.poll, .server), (.poll, .rateLimited), (.poll, .badResponse):
        guard let remote = job.remoteID else { break }
        if job.pastDeadline(state.pollPolicy(of: job), now: state.now) {
            return fail(&state, id, .timedOut(after: state.pollPolicy(of: job).deadline))
        }
        let failures = job.pollFailures + 1
        if failures > PollPolicy.maxConsecutiveFailures { break }
        state.update(id) { $0.pollFailures = failures }
        var delay = state.pollPolicy(of: job).backoff(failures: failures, jitter: Double(state.editor.seeds.next()) / Double(UInt32.max))
        if case .rateLimited(let after?) = error { delay = max(delay, after) }
        return [.poll(id, remote, after: delay, backend: state.backend(of: job))]
    case (.submit, _), (.poll, _), (.download, _), (.save, _):
        break
    }
    return fail(&state, id, error)
}

private func fail(_ state: inout AppState, _ id: JobID, _ error: JobError) -> [Effect] {
    let ended = finish(&state, id, .failed(error))
    state.hint = .jobFailed(id, error)
    return ended + startReady(&state)
}

/// Applies what the service said; keeps polling while the job is pending and the deadline allows.
private func applyStatus(_ state: inout AppState, _ id: JobID, _ remote: RemoteJobID, _ status: RemoteStatus) -> [Effect] {
    guard let job = state.job(id) else { return [] }
    switch status {
    case .queued, .running:
        // The deadline counts only the time the service runs the job: queue time is shown, not held against it.
        if case .running = status, job.pastDeadline(state.pollPolicy(of: job), now: state.now) {
            return fail(&state, id, .timedOut(after: state.pollPolicy(of: job).deadline))
        }
        let now = state.now
        state.update(id) {
            if case .queued(let position) = status {
                $0.state = .queued(position: position)
                $0.runningSince = nil
            }
            if case .running(let progress, let step) = status {
                $0.state = .running(progress: progress, step: step, preview: $0.livePreview)
                if $0.runningSince == nil { $0.runningSince = now }
            }
        }
        return [.poll(id, remote, after: state.pollPolicy(of: job).interval, backend: state.backend(of: job))]
    case .completed(let ref):
        return applyStatus(&state, id, remote, .completedBatch([ref]))
    case .completedBatch(let refs):
        guard let first = refs.first else { return fail(&state, id, .badResponse("the service reported success with no image")) }
        let now = state.now
        state.update(id) {
            $0.state = .downloading
            $0.imageRef = first
            $0.imageRefs = refs
            $0.savedImages = []
            $0.downloadStartedAt = now
        }
        // On a service with its own queue the finished job no longer holds a slot: the next one goes now.
        return [.download(id, first, backend: state.backend(of: job))] + startReady(&state)
    case .failed(let message):
        return fail(&state, id, .inferenceFailed(message))
    }
}

/// Ends job `id` in `terminal` (complete, failed or canceled) at `state.now`.
/// - Returns: the order to announce it (`.notify`), one per job, for the caller to pass on.
func finish(_ state: inout AppState, _ id: JobID, _ terminal: JobState) -> [Effect] {
    pinHistoryCursor(&state)
    let now = state.now
    state.update(id) {
        $0.state = terminal
        $0.finishedAt = now
    }
    return [.terminal(.notify(id))]
}

/// A row is about to join the history: while the user is in the History pane, the cursor stays on
/// the row it is on (an implicit "newest" cursor becomes that row's id), so it never jumps under them.
func pinHistoryCursor(_ state: inout AppState) {
    guard state.focus == .history, state.history.selection == nil else { return }
    state.history.selection = state.historyRows.first?.id
}

/// Starts pending jobs in order while their backend has a free slot (`AppState.slots(on:)`: the
/// configured concurrency capped by what the service runs at once, plus `queueAhead` sent ahead to a
/// service with its own queue) and the pacer allows; jobs waiting out a 429 go again once their time
/// has come. A full backend holds back only its own jobs. Returns the submits, and a timer when the
/// pacer or a wait will free something later.
func startReady(_ state: inout AppState) -> [Effect] {
    var effects: [Effect] = []
    var busy: [String: Int] = [:]
    for job in state.queue.jobs where state.holdsSlot(job) { busy[state.backend(of: job), default: 0] += 1 }
    var nextWake: Duration?
    state.queue.pacerReadyAt = nil
    for job in state.queue.jobs {
        let due: Bool
        switch job.state {
        case .pending: due = true
        case .waiting(let until):
            due = until <= state.now
            if !due { nextWake = min(nextWake ?? (until - state.now), until - state.now) }
        default: due = false
        }
        guard due else { continue }
        var backend = state.backend(of: job)
        let pool = state.pool(named: backend)
        guard pool != nil || busy[backend, default: 0] < state.slots(on: backend) else { continue }
        if let wait = state.queue.pacer.wait(now: state.now) {
            nextWake = min(nextWake ?? wait, wait)
            state.queue.pacerReadyAt = state.now + wait
            break
        }
        if let pool {                                  // bound to a member now, when one has a free slot
            let (choice, pacedFor) = pickMember(&state, for: pool, model: job.request.model, busy: busy)
            switch choice {
            case .member(let member): backend = member
            case .wait:
                if let pacedFor { nextWake = min(nextWake ?? pacedFor, pacedFor) }   // a member's own pacer frees one later
                let (failed, wake) = poolWaitDeadline(&state, job, pool)               // all down or refusing: --deadline
                effects += failed ?? []
                if let wake { nextWake = min(nextWake ?? wake, wake) }
                continue
            case .noMemberHasModel(let model):
                effects += finish(&state, job.id, .failed(.invalidPrompt(reason:
                    "no member of pool \(pool.name) is configured with model \(model) (members: \(pool.members.joined(separator: ", ")))")))
                continue
            }
        }
        state.queue.pacer.record(now: state.now)
        let now = state.now
        state.update(job.id) {
            $0.state = .submitting
            $0.attempts += 1
            $0.startedAt = now
            $0.remoteID = nil
            if let pool { ($0.backend, $0.pool) = (backend, pool.name) }
        }
        effects.append(.submit(job.id, job.request, backend: backend))
        busy[backend, default: 0] += 1
    }
    let probes = dueProbes(&state)                     // down pool members, probed with backoff
    effects += probes.effects
    if let next = probes.next { nextWake = min(nextWake ?? next, next) }
    if let nextWake {
        let at = state.now + nextWake
        if state.queue.scheduledWake.map({ $0 > at || $0 <= state.now }) ?? true {   // one timer at a time
            state.queue.scheduledWake = at
            effects.append(.timer(after: nextWake))
        }
    }
    return effects
}

/// Adds journal jobs: history first (older), then resumes what was in flight.
func restore(_ state: inout AppState, _ jobs: [Job]) -> [Effect] {
    let known = Set(state.queue.jobs.map(\.id))
    let incoming = jobs.filter { !known.contains($0.id) }.sorted { $0.createdWallTime < $1.createdWallTime }
    state.queue.jobs = incoming.filter { !$0.state.isActive } + state.queue.jobs
    let browsing = state.editor.browsing
    for job in incoming {
        let r = job.request
        remember(&state, r.prompt, GenerationParameters(negativePrompt: r.negativePrompt, width: r.width, height: r.height,
                                                        seed: r.seed, steps: r.steps))
    }
    state.editor.browsing = browsing
    var effects: [Effect] = []
    let now = state.now
    for var job in incoming where job.state.isActive {
        switch job.state {
        case .downloading, .saving:
            if let ref = job.imageRef {
                job.state = .downloading
                job.downloadStartedAt = now
                effects.append(.download(job.id, ref, backend: state.backend(of: job)))
            } else if let remote = job.remoteID {
                job.state = .running(progress: nil)
                effects.append(.poll(job.id, remote, after: .zero, backend: state.backend(of: job)))
            }
        case .submitting, .queued, .running:
            if let remote = job.remoteID {
                job.state = .running(progress: nil)
                job.startedAt = now
                effects.append(.poll(job.id, remote, after: .zero, backend: state.backend(of: job)))
            } else {
                job.state = .failed(.network("Easel stopped before the service answered; not resent by itself (t resends)"))
                job.finishedAt = now
            }
        case .pending, .waiting:               // a 429's wait is kept: sent again when it ends (`startReady`)
            break
        case .canceling:                       // its submit's answer is lost with the process that sent it
            job.state = .canceled
            job.finishedAt = now
        case .complete, .failed, .canceled:
            break
        }
        state.queue.jobs.append(job)
    }
    if !effects.isEmpty { state.hint = .info("Resumed \(effects.count) job\(effects.count == 1 ? "" : "s") left in flight") }
    return effects + startReady(&state)
}
