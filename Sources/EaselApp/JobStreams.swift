import EaselBackends
import EaselCore
import Synchronization

/// Push instead of poll, behind the same `.poll` effect: for a job whose backend offers a status stream
/// (`GenerationBackend.statusEvents(of:)`), the effect runner asks here for the job's next status instead of
/// sleeping and polling. The stream stays open across the reducer's `.poll` effects, so each one answers
/// as soon as something changes, with the same `.statusPolled` action a poll would have sent.
///
/// A stream that is refused, breaks or stalls puts the job back on polling for good (the same remote id:
/// nothing is lost and nothing is submitted again). While a stream is quiet, each `.poll` is answered
/// after its usual interval with the last status the service gave — pushed, or the answer to the submit
/// or to a poll (`learned`) — so the reducer's poll deadline still counts and a stream that has said
/// nothing yet (a ComfyUI prompt queued behind others) costs no status request.
final class JobStreams: Sendable {
    private let sessions = Mutex<[JobID: Session]>([:])
    private let polled = Mutex<Set<JobID>>([])
    private let failures = Mutex<[JobID: String]>([:])
    /// The last status the service answered for each job in flight, from its submit or a poll.
    private let answered = Mutex<[JobID: RemoteStatus]>([:])

    /// Remembers what the service answered for job `id` (to its submit or a status request), for a quiet
    /// stream to answer the next `.poll` with. A final status is not kept.
    func learned(_ id: JobID, _ status: RemoteStatus) {
        switch status {
        case .queued, .running: answered.withLock { $0[id] = status }
        case .completed, .completedBatch, .failed: answered.withLock { _ = $0.removeValue(forKey: id) }
        }
    }

    /// The job's next status from its stream.
    /// - Parameter wait: how long to wait for news (the poll interval); past it the last pushed status is
    ///   returned again.
    /// - Returns: nil when the job is to be polled: its backend offers no stream for it, the stream has
    ///   failed (then never again for this job), or neither the stream nor an earlier answer (`learned`)
    ///   has said anything about it within `wait` (a job resumed after a restart).
    func next(_ id: JobID, _ remote: RemoteJobID, on backend: any GenerationBackend, wait: Duration) async -> RemoteStatus? {
        if polled.withLock({ $0.contains(id) }) { return nil }
        let session: Session
        if let open = sessions.withLock({ $0[id] }) {
            session = open
        } else {
            guard let events = backend.statusEvents(of: remote) else { return nil }
            session = Session(events)
            sessions.withLock { $0[id] = session }
        }
        await session.change(within: wait)
        switch session.take() {
        case .fresh(let status):
            switch status {
            case .completed, .completedBatch, .failed: close(id)
            case .queued, .running: break
            }
            return status
        case .quiet(let last):
            return last ?? answered.withLock { $0[id] }
        case .failed(let why):
            close(id)
            polled.withLock { _ = $0.insert(id) }
            if let why { failures.withLock { $0[id] = why } }
            return nil
        }
    }

    /// Why job `id`'s stream failed (the `JobError`'s message), once, after `next` returned nil for it.
    func takeFailure(_ id: JobID) -> String? {
        failures.withLock { $0.removeValue(forKey: id) }
    }

    /// Stops following job `id` (it finished, was canceled, or is downloading).
    func close(_ id: JobID) {
        answered.withLock { _ = $0.removeValue(forKey: id) }
        sessions.withLock { $0.removeValue(forKey: id) }?.stop()
    }

    /// Stops every stream (at quit).
    func closeAll() {
        sessions.withLock { all in
            defer { all.removeAll() }
            return Array(all.values)
        }.forEach { $0.stop() }
    }

    /// One job's open stream: the reader task and what it has pushed that the runner has not taken yet.
    private final class Session: Sendable {
        enum Taken { case fresh(RemoteStatus), quiet(RemoteStatus?), failed(String?) }
        private struct State {
            var latest: RemoteStatus?
            var fresh = false
            var failed = false
            var failure: String?
            var waiter: CheckedContinuation<Void, Never>?
        }
        private let state = Mutex(State())
        private let reader = Mutex<Task<Void, Never>?>(nil)

        init(_ events: StatusEvents) {
            let task = Task { [weak self] in
                var final = false
                do {
                    for try await status in events {
                        switch status {
                        case .completed, .completedBatch, .failed: final = true
                        case .queued, .running: break
                        }
                        self?.update { $0.latest = status; $0.fresh = true }
                    }
                } catch {
                    if !final { self?.update { $0.failure = (error as? JobError)?.message } }
                }
                if !final { self?.update { $0.failed = true } }
            }
            reader.withLock { $0 = task }
        }

        /// Returns once there is news (a status not yet taken, or a failure), or after `timeout`.
        func change(within timeout: Duration) async {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.fresh || s.failed { return true }
                    s.waiter?.resume()                  // one waiter at a time; an older one just returns
                    s.waiter = c
                    return false
                }
                if now { c.resume(); return }
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.update { _ in }
                }
            }
        }

        /// What the stream has said since the last `take`: a fresh status first, then a failure.
        func take() -> Taken {
            state.withLock { s in
                if s.fresh, let latest = s.latest { s.fresh = false; return .fresh(latest) }
                return s.failed ? .failed(s.failure) : .quiet(s.latest)
            }
        }

        func stop() {
            reader.withLock { $0?.cancel() }
            update { _ in }
        }

        /// Changes the state and wakes the waiter, if any.
        private func update(_ change: (inout State) -> Void) {
            state.withLock { s -> CheckedContinuation<Void, Never>? in
                change(&s)
                defer { s.waiter = nil }
                return s.waiter
            }?.resume()
        }
    }
}
