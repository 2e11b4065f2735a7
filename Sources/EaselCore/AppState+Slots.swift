// Which backend a job's effects go to, and how many jobs each backend runs at once.

extension AppState {
    /// The backend a job's effects go to (`Effect.submit(…, backend:)` and the rest): the one it was
    /// made for when this run has it (`backends`; any name when the list is empty), else the one new
    /// jobs go to (a journal job from a backend no longer configured, or from before names existed).
    public func backend(of job: Job) -> String {
        guard let name = job.backend, backends.isEmpty || backends.contains(where: { $0.name == name }) else { return backendKey }
        return name
    }

    /// Jobs `backend` may hold in flight at once: the configured `queue.concurrency`, capped by the jobs
    /// the service itself runs at once (`BackendChoice.slots`: 1 for A1111, which runs one txt2img at a
    /// time), plus the jobs sent ahead into a service's own queue (`BackendChoice.queueAhead`).
    public func slots(on backend: String) -> Int {
        let choice = backends.first { $0.name == backend }
        let running = min(choice?.concurrency ?? queue.concurrency, choice?.slots ?? .max)
        return max(1, running) + max(0, choice?.queueAhead ?? queue.queueAhead)
    }

    /// The poll interval and deadline for `job`: its backend's own (`BackendChoice.pollPolicy`, a pool
    /// member's table), else the run's `pollPolicy`.
    public func pollPolicy(of job: Job) -> PollPolicy {
        let name = backend(of: job)
        guard var own = backends.first(where: { $0.name == name })?.pollPolicy else { return pollPolicy }
        own.refusalDeadline = own.refusalDeadline ?? pollPolicy.refusalDeadline     // `easel generate` always ends
        return own
    }

    /// Jobs holding one of `backend`'s slots now (submitting through saving).
    public func busySlots(on backend: String) -> Int {
        queue.jobs.count { holdsSlot($0) && self.backend(of: $0) == backend }
    }

    /// True while `job` holds one of its backend's slots: submitting through saving, except that on a service
    /// with its own queue (`queueAhead` > 0, ComfyUI) a job the server has finished (downloading, saving) holds
    /// none, so the next job is sent at the completion instead of after the image is fetched, decoded and
    /// written, and the server's queue stays `queueAhead` deep while Easel saves.
    func holdsSlot(_ job: Job) -> Bool {
        guard job.state.holdsSlot else { return false }
        switch job.state {
        case .downloading, .saving:
            let name = backend(of: job)
            return (backends.first { $0.name == name }?.queueAhead ?? queue.queueAhead) == 0
        default: return true
        }
    }
}
