import EaselCore
import Testing
import TestSupport

/// A pool's jobs wait in Easel's queue and are bound to a member when they start; an unreachable member
/// is marked down and probed with backoff; a job it never accepted moves, one it accepted never does.
@Suite("Backend pool (reducer)")
struct PoolReducerTests {
    static let refused = JobError.network("Failed to connect to 127.0.0.1 port 9: Connection refused (curl 7)")

    /// Queue mode, `count` images per Enter, on pool "gpus" of `members` (one slot each unless `slots`).
    static func pooled(_ members: [String] = ["gpu1", "gpu2"], strategy: PoolStrategy = .leastBusy, count: Int = 3,
                       slots: [String: Int] = [:], models: [String: String] = [:], poolModel: String? = nil) -> AppState {
        var s = AppState.fixture(prompt: "harbour", mode: .queue)
        s.editor.parameters.count = count
        s.queue.pacer = RateLimitPacer(limit: 1000, window: .seconds(1))
        s.backends = members.map { BackendChoice(name: $0, summary: $0, model: models[$0], concurrency: slots[$0]) }
            + [BackendChoice(name: "gpus", summary: "gpus — pool", model: poolModel,
                             pool: BackendPool(name: "gpus", members: members, strategy: strategy))]
        s.backendKey = "gpus"
        return s
    }

    static func submits(_ effects: [Effect]) -> [String] {
        effects.compactMap { if case .submit(let id, _, let backend) = $0 { "\(id) \(backend)" } else { nil } }
    }

    static func at(_ seconds: Int) -> Action { .tick(t0 + .seconds(seconds), wallTime: 0) }

    @Test func jobsAreBoundToAMemberWhenTheyStartAndTheRestWaitOnThePool() {
        var s = Self.pooled()
        #expect(Self.submits(reduce(&s, .key(.enter))) == ["#1 gpu1", "#2 gpu2"])
        #expect(s.jobs.map(\.backend) == ["gpu1", "gpu2", "gpus"])
        #expect(s.jobs.map(\.pool) == ["gpus", "gpus", nil])
        #expect(s.jobs[2].state == .pending)
        // gpu2 finishes first: the waiting job goes there, and is then bound to it.
        let remote = RemoteJobID("r2")
        _ = reduce(&s, .submitted(JobID(2), remote, status: .queued(position: nil)))
        #expect(Self.submits(reduce(&s, .failed(JobID(2), .inferenceFailed("oom"), during: .poll))) == ["#3 gpu2"])
        #expect(s.jobs[2].backend == "gpu2" && s.jobs[2].pool == "gpus")
    }

    @Test func eachMemberKeepsItsOwnSlotsAndPollPolicy() {
        var s = Self.pooled(count: 4, slots: ["gpu1": 3])
        s.backends[1] = BackendChoice(name: "gpu2", summary: "gpu2", pollPolicy: PollPolicy(interval: .seconds(7), deadline: .seconds(600)))
        #expect(Self.submits(reduce(&s, .key(.enter))) == ["#1 gpu1", "#2 gpu2", "#3 gpu1", "#4 gpu1"])
        #expect(reduce(&s, .submitted(JobID(2), RemoteJobID("b"), status: .queued(position: 1)))
            == [.poll(JobID(2), RemoteJobID("b"), after: .seconds(7), backend: "gpu2")])
        #expect(reduce(&s, .submitted(JobID(1), RemoteJobID("a"), status: .queued(position: 1)))
            == [.poll(JobID(1), RemoteJobID("a"), after: .seconds(2), backend: "gpu1")])
    }

    @Test func priorityFillsTheFirstMembersSlotsBeforeTouchingTheOverflow() {
        var s = Self.pooled(["gpu1", "cloud"], strategy: .priority, count: 3, slots: ["gpu1": 2, "cloud": 8])
        #expect(Self.submits(reduce(&s, .key(.enter))) == ["#1 gpu1", "#2 gpu1", "#3 cloud"])
        // gpu1 frees a slot: the next job goes there, not to the idle overflow.
        s.editor.prompt = PromptEditor("more")
        s.editor.parameters.count = 1
        _ = reduce(&s, .failed(JobID(1), .inferenceFailed("oom"), during: .poll))
        #expect(Self.submits(reduce(&s, .key(.enter))) == ["#4 gpu1"])
    }

    @Test func aJobAskingForAModelGoesToTheMemberConfiguredWithItAndNeverToOneWithAnother() {
        var s = Self.pooled(["gpu1", "gpu2", "gpu3"], count: 3, models: ["gpu1": "sd15", "gpu2": "sdxl"], poolModel: "sdxl")
        #expect(Self.submits(reduce(&s, .key(.enter))) == ["#1 gpu2", "#2 gpu3"])   // gpu3 runs its default: allowed
        #expect(s.jobs[2].state == .pending)
        var none = Self.pooled(["gpu1"], count: 1, models: ["gpu1": "sd15"], poolModel: "flux")
        #expect(reduce(&none, .key(.enter)).contains(.terminal(.notify(JobID(1)))))
        guard case .failed(.invalidPrompt(let why))? = none.jobs.first?.state else { Issue.record("\(none.jobs)"); return }
        #expect(why.contains("no member of pool gpus is configured with model flux"))
    }

    @Test func aRefusedConnectionMarksTheMemberDownAndTheUnacceptedJobMovesToAnother() {
        var s = Self.pooled(count: 2)
        _ = reduce(&s, .key(.enter))
        let effects = reduce(&s, .failed(JobID(1), Self.refused, during: .submit))
        #expect(s.queue.health["gpu1"]?.isDown == true)
        #expect(s.jobs[0].state == .pending && s.jobs[0].backend == "gpus")   // back on the pool, gpu2 is busy
        #expect(Self.submits(effects).isEmpty && effects.contains(.timer(after: MemberHealth.firstProbeDelay)))
        #expect(s.downMembers.map(\.name) == ["gpu1"])
        // gpu2 frees its slot: the moved job starts there, never on gpu1 while it is down.
        _ = reduce(&s, .submitted(JobID(2), RemoteJobID("b"), status: .queued(position: nil)))
        #expect(Self.submits(reduce(&s, .failed(JobID(2), .inferenceFailed("oom"), during: .poll))) == ["#1 gpu2"])
        #expect(s.jobs[0].attempts == 2)
    }

    @Test func aDownMemberIsProbedWithBackoffOnTheInjectedClockAndTakesJobsWhenItAnswers() {
        var s = Self.pooled(count: 3)
        _ = reduce(&s, .key(.enter))
        _ = reduce(&s, .failed(JobID(1), Self.refused, during: .submit))
        #expect(reduce(&s, Self.at(1)).isEmpty)                          // not due yet
        #expect(reduce(&s, Self.at(2)).contains(.probe(backend: "gpu1")))
        #expect(!reduce(&s, Self.at(3)).contains(.probe(backend: "gpu1")), "one probe out at a time")
        // Still refused: the next probe waits 4 s, then 8 s.
        #expect(reduce(&s, .probed(member: "gpu1", reachable: false, detail: "refused")).contains(.timer(after: .seconds(4))))   // answered at 3 s
        #expect(s.queue.health["gpu1"]?.nextProbe == t0 + .seconds(7))
        #expect(reduce(&s, Self.at(7)).contains(.probe(backend: "gpu1")))
        // It answers: up again, and the jobs waiting on the pool start there.
        let effects = reduce(&s, .probed(member: "gpu1", reachable: true, detail: "ok"))
        #expect(s.queue.health["gpu1"] == nil)
        #expect(Self.submits(effects) == ["#1 gpu1"])
    }

    @Test func aJobTheMemberAcceptedIsNeverResentElsewhereItKeepsPollingThatMember() {
        var s = Self.pooled(count: 2)
        _ = reduce(&s, .key(.enter))
        let remote = RemoteJobID("a")
        _ = reduce(&s, .submitted(JobID(1), remote, status: .running(progress: 0.2)))
        let effects = reduce(&s, .failed(JobID(1), Self.refused, during: .poll))
        #expect(s.queue.health["gpu1"]?.isDown == true)
        #expect(Self.submits(effects).isEmpty)
        #expect(effects.contains { if case .poll(JobID(1), remote, _, "gpu1") = $0 { true } else { false } })
        #expect(s.jobs[0].backend == "gpu1" && s.jobs[0].remoteID == remote)
        // Polls keep failing past the limit: it fails with the usual category; `t` then resends it to the pool.
        for _ in 0..<PollPolicy.maxConsecutiveFailures { _ = reduce(&s, .failed(JobID(1), Self.refused, during: .poll)) }
        #expect(s.jobs[0].state == .failed(Self.refused))
        s.focus = .history
        s.history.selection = JobID(1)
        _ = reduce(&s, .submitted(JobID(2), RemoteJobID("b"), status: .queued(position: nil)))
        _ = reduce(&s, .failed(JobID(2), .inferenceFailed("oom"), during: .poll))
        s.history.selection = JobID(1)
        #expect(Self.submits(reduce(&s, .key(.char("t")))) == ["#1 gpu2"])
    }

    @Test func aResetAfterTheRequestWentOutIsNotAMoveTheServiceMayHaveQueuedIt() {
        var s = Self.pooled(count: 1)
        _ = reduce(&s, .key(.enter))
        _ = reduce(&s, .failed(JobID(1), .network("Connection reset by peer (curl 56)"), during: .submit))
        #expect(s.queue.health.isEmpty)
        #expect(s.jobs[0].state == .failed(.network("Connection reset by peer (curl 56)")) && s.jobs[0].backend == "gpu1")
    }

    @Test func aRestartResumesAnAcceptedJobOnItsMemberAndBindsAPendingOneAgain() {
        var s = Self.pooled(count: 1)
        // As the journal gives them back: the member in `backend` for the started job, the pool for the pending one.
        var running = Job(id: JobID(1), request: .fixture(prompt: "a"), state: .running(progress: 0.3), remoteID: RemoteJobID("r1"),
                          createdAt: t0, createdWallTime: 1, backend: "gpu2")
        running.startedAt = t0
        let pending = Job(id: JobID(2), request: .fixture(prompt: "b"), state: .pending, createdAt: t0, createdWallTime: 2, backend: "gpus")
        let effects = reduce(&s, .restored([running, pending]))
        #expect(effects.contains(.poll(JobID(1), RemoteJobID("r1"), after: .zero, backend: "gpu2")))
        #expect(Self.submits(effects) == ["#2 gpu1"])                 // gpu2 holds job 1: least-busy binds job 2 to gpu1
        #expect(s.job(JobID(2))?.pool == "gpus")
    }

    @Test func aMembersOwnPacerSendsTheNextJobToAnotherMemberOrWaitsForItsWindow() {
        var s = Self.pooled(count: 3, slots: ["gpu1": 2, "gpu2": 2])
        s.backends[0].pace = RateLimitPacer(limit: 1, window: .seconds(60))
        #expect(Self.submits(reduce(&s, .key(.enter))) == ["#1 gpu1", "#2 gpu2", "#3 gpu2"])   // gpu1 paced after one
        var alone = Self.pooled(["gpu1"], count: 2, slots: ["gpu1": 2])
        alone.backends[0].pace = RateLimitPacer(limit: 1, window: .seconds(60))
        let effects = reduce(&alone, .key(.enter))
        #expect(Self.submits(effects) == ["#1 gpu1"])
        #expect(effects.contains(.timer(after: .seconds(63))), "the window plus its 5 % margin: \(effects)")
        #expect(Self.submits(reduce(&alone, Self.at(63))) == ["#2 gpu1"])
    }

    /// `--concurrency N` (`queue.concurrency`) is each member's default, not the pool's total: a total of 1
    /// (the default) would leave every member but one idle. A member's own `concurrency` wins.
    @Test func concurrencyIsEachMembersDefaultSoThePoolRunsTheSumOfItsMembersSlots() {
        var s = Self.pooled(count: 6)
        s.queue.concurrency = 2
        #expect(Self.submits(reduce(&s, .key(.enter))) == ["#1 gpu1", "#2 gpu2", "#3 gpu1", "#4 gpu2"])
        var own = Self.pooled(count: 6, slots: ["gpu1": 1])
        own.queue.concurrency = 3
        #expect(Self.submits(reduce(&own, .key(.enter))) == ["#1 gpu1", "#2 gpu2", "#3 gpu2", "#4 gpu2"])
    }
}
