/// What `easel generate` does at C-c or SIGTERM with every unfinished job: a job the service has
/// not accepted (pending, waiting out a 429) is canceled here; a job the service holds (queued,
/// running) is canceled here and there (`.cancel`); a submit still in flight is canceled as soon as
/// the service answers with its id (`.submitted` then answers `.cancel`); a job whose image is being
/// downloaded or saved is left to finish. Starts nothing new.
/// - Returns: the `.cancel` effects, one per job on the service (the caller waits for them), and a
///   `.terminal(.notify)` per job it ended.
public func cancelForExit(_ state: inout AppState) -> [Effect] {
    var effects: [Effect] = []
    for job in state.queue.jobs where job.state.isActive {
        switch job.state {
        case .pending, .waiting:
            effects += finish(&state, job.id, .canceled)
        case .submitting:
            state.update(job.id) { $0.state = .canceling }
        case .queued, .running:
            effects += finish(&state, job.id, .canceled)
            if let remote = job.remoteID { effects.append(.cancel(job.id, remote, backend: state.backend(of: job))) }
        case .canceling, .downloading, .saving, .complete, .failed, .canceled:
            break
        }
    }
    return effects
}
