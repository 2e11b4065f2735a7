/// Effect results: move the job along its states, or stop it with a categorized error.
func reduceJob(_ state: inout AppState, _ action: Action) -> [Effect] {
    switch action {
    case .submitted(let id, let remote, let status):
        guard state.job(id)?.state == .submitting else { return [] }
        state.update(id) { $0.remoteID = remote }
        return applyStatus(&state, id, remote, status)

    case .statusPolled(let id, let status):
        guard let job = state.job(id), job.state.isActive, let remote = job.remoteID else { return [] }
        switch job.state {
        case .queued, .running: return applyStatus(&state, id, remote, status)
        case .submitting, .downloading, .saving, .complete, .failed, .canceled: return []
        }

    case .downloaded(let id, let data):
        guard let job = state.job(id), job.state == .downloading else { return [] }
        state.update(id) { $0.state = .saving }
        return [.save(id, data, job.request, remote: job.remoteID)]

    case .saved(let id, let image):
        guard state.job(id)?.state == .saving else { return [] }
        finish(&state, id, .complete(image))
        state.historySelection = nil          // follow the newest job
        state.hint = .saved(id, path: image.path)
        return []

    case .failed(let id, let error):
        guard let job = state.job(id), job.state.isActive else { return [] }
        finish(&state, id, .failed(error))
        state.hint = .jobFailed(id, error)
        return []

    case .key, .paste, .tick:
        return []
    }
}

/// Applies what the service said; keeps polling while the job is pending and the deadline allows.
private func applyStatus(_ state: inout AppState, _ id: JobID, _ remote: RemoteJobID, _ status: RemoteStatus) -> [Effect] {
    guard let job = state.job(id) else { return [] }
    switch status {
    case .queued, .running:
        let elapsed = state.now - job.createdAt
        if elapsed >= state.pollPolicy.deadline {
            let error = JobError.timedOut(after: state.pollPolicy.deadline)
            finish(&state, id, .failed(error))
            state.hint = .jobFailed(id, error)
            return []
        }
        state.update(id) {
            if case .queued(let position) = status { $0.state = .queued(position: position) }
            if case .running(let progress) = status { $0.state = .running(progress: progress) }
        }
        return [.poll(id, remote, after: state.pollPolicy.interval)]
    case .completed(let ref):
        state.update(id) { $0.state = .downloading }
        return [.download(id, ref)]
    case .failed(let message):
        let error = JobError.inferenceFailed(message)
        finish(&state, id, .failed(error))
        state.hint = .jobFailed(id, error)
        return []
    }
}

private func finish(_ state: inout AppState, _ id: JobID, _ terminal: JobState) {
    let now = state.now
    state.update(id) {
        $0.state = terminal
        $0.finishedAt = now
    }
}
