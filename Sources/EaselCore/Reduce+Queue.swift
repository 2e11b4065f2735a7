// The queue and history panes' job commands: select, cancel, reorder, retry.

/// Up/down in the focused list by `delta` rows (clamped; ±`Int.max` for Home/End): the queue (oldest first)
/// or the history (newest first).
func moveSelection(_ state: inout AppState, by delta: Int) {
    switch state.focus {
    case .prompt: return
    case .queue:
        let rows = state.activeJobs
        guard let current = state.selectedQueueJob, let i = rows.firstIndex(where: { $0.id == current.id }) else { return }
        let step = max(-rows.count, min(rows.count, delta))          // ±Int.max: Home / End
        state.queue.selection = rows[max(0, min(rows.count - 1, i + step))].id
    case .history:
        // Walked lazily from the newest row: a long history is visited down to the cursor, never copied.
        let rows = state.historyRows
        let start = rows.startIndex
        guard start != rows.endIndex else { return }
        var i = state.history.selection.flatMap { id in rows.firstIndex { $0.id == id } } ?? start
        for _ in 0..<abs(delta) {
            if delta > 0 {
                let next = rows.index(after: i)
                if next == rows.endIndex { break }
                i = next
            } else {
                if i == start { break }
                i = rows.index(before: i)
            }
        }
        state.history.selection = rows[i].id
    }
}

/// Cancel the selected queue job: unsent jobs are dropped; a job on the service gets the backend's
/// cancel call; a submit in flight is canceled as soon as the service answers with its id.
func cancelSelected(_ state: inout AppState) -> [Effect] {
    guard state.focus == .queue, let job = state.selectedQueueJob else { return [] }
    let index = state.activeJobs.firstIndex { $0.id == job.id } ?? 0
    defer {                                   // the cursor stays on the same row: the next job moves up into it
        let rest = state.activeJobs
        state.queue.selection = rest.isEmpty ? nil : rest[min(index, rest.count - 1)].id
    }
    switch job.state {
    case .pending, .waiting, .downloading, .saving:
        return finish(&state, job.id, .canceled) + startReady(&state)
    case .submitting:
        state.update(job.id) { $0.state = .canceling }
        return []
    case .queued, .running:
        let ended = finish(&state, job.id, .canceled)
        if let remote = job.remoteID { return ended + [.cancel(job.id, remote, backend: state.backend(of: job))] + startReady(&state) }
        return ended + startReady(&state)
    case .canceling, .complete, .failed, .canceled:
        return []
    }
}

/// Swap the selected pending job with its pending neighbour; jobs start in list order.
func movePending(_ state: inout AppState, by delta: Int) {
    guard state.focus == .queue, let job = state.selectedQueueJob, job.state == .pending,
          let i = state.queue.jobs.firstIndex(where: { $0.id == job.id }) else { return }
    var j = i + delta
    while j >= 0, j < state.queue.jobs.count, state.queue.jobs[j].state != .pending { j += delta }
    guard j >= 0, j < state.queue.jobs.count else { return }
    state.queue.jobs.swapAt(i, j)
}

/// Retry the selected finished job without paying twice: after the service finished (download or
/// save failed) only the download runs again; a timed-out job resumes polling its remote id;
/// anything else is sent again as the same frozen request.
func retrySelected(_ state: inout AppState) -> [Effect] {
    let candidate = state.focus == .history ? state.selectedHistoryJob : state.focus == .queue ? state.selectedQueueJob : nil
    guard let job = candidate else { return [] }
    switch job.state {
    case .failed, .canceled:
        guard !state.isEditorLocked else { state.hint = .locked; return [] }   // as R and n: one job at a time
    default: return []
    }
    let now = state.now
    switch job.state {
    case .failed(let error):
        // In the History pane the cursor stays with the job: it is back on that row when the job ends again.
        state.history.selection = state.focus == .history ? job.id : nil
        if case .storage = error {                    // the image is kept: save it again, never regenerate
            reopen(&state, job.id, .downloading, now)
            return [.loadPending(job.id, fallback: job.imageRef, backend: state.backend(of: job))]
        }
        if let ref = job.imageRef {
            reopen(&state, job.id, .downloading, now)
            state.update(job.id) { $0.downloadStartedAt = now }
            return [.download(job.id, ref, backend: state.backend(of: job))]
        }
        if error.kind == "timed_out" || error.kind == "journal", let remote = job.remoteID {
            // Resume the same remote job: it may still finish, or have finished (never pay twice).
            reopen(&state, job.id, .running(progress: nil), now)
            state.update(job.id) { $0.startedAt = now; $0.pollFailures = 0 }
            return [.poll(job.id, remote, after: .zero, backend: state.backend(of: job))]
        }
    case .canceled: break
    default: return []
    }
    reopen(&state, job.id, .pending, now)
    if let pool = job.pool { state.update(job.id) { $0.backend = pool } }   // resent by hand: any member of its pool
    return startReady(&state)
}

/// Puts a finished job back in flight in state `to`. Only `t` in the queue or history pane reopens a
/// job, so the prompt's locked hint is not set here: it shows when the user goes back to the prompt.
func reopen(_ state: inout AppState, _ id: JobID, _ to: JobState, _ now: ContinuousClock.Instant) {
    state.update(id) {
        $0.state = to
        $0.finishedAt = nil
    }
}
