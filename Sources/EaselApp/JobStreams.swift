import EaselBackends
import EaselCore
import Synchronization

/// Push instead of poll, behind the same `.poll` effect: for a job whose backend offers a status stream
/// (`GenerationBackend.statusEvents(of:)`), the effect runner asks here for the job's next status instead of
/// sleeping and polling. The stream stays open across the reducer's `.poll` effects, so each one answers
/// as soon as something changes, with the same `.statusPolled` action a poll would have sent.
///
/// A stream that is refused, breaks or stalls puts the job back on polling for good (the same remote id:
/// nothing is lost and nothing is submitted again). While a stream is quiet, each `.poll` is answered with
/// the last pushed status after its usual interval, so the reducer's poll deadline still counts.
final class JobStreams: Sendable {
    private let sessions = Mutex<[JobID: Session]>([:])
    private let polled = Mutex<Set<JobID>>([])
    private let failures = Mutex<[JobID: String]>([:])

    /// The job's next status from its stream.
    /// - Parameter wait: how long to wait for news (the poll interval); past it the last pushed status is
    ///   returned again.
    /// - Returns: nil when the job is to be polled: its backend offers no stream for it, the stream has
    ///   failed (then never again for this job), or it has said nothing yet within `wait`.
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
            return last
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
