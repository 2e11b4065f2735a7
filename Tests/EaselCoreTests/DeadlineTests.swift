import EaselCore
import Testing
import TestSupport

/// The poll deadline counts only the time the service runs a job; a 429 without `Retry-After` backs
/// off exponentially with seeded jitter; `refusalDeadline` bounds a job that is always refused.
/// Time is the `.tick` the test sends.
@Suite("Deadlines and 429 back-off")
struct DeadlineTests {
    let remote = RemoteJobID("r1")

    func state(deadline: Duration = .seconds(15), refusalDeadline: Duration? = nil, seed: UInt64 = 7,
               mode: GenerationMode = .queue) -> AppState {
        var s = AppState.fixture(prompt: "harbour", mode: mode)
        s.pollPolicy = PollPolicy(interval: .seconds(2), deadline: deadline, refusalDeadline: refusalDeadline)
        s.queue.pacer = RateLimitPacer(limit: 1000, window: .seconds(1))
        s.queue.concurrency = 16
        s.editor.seeds = SeedSource(seed: seed)
        return s
    }

    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .milliseconds(Int(seconds * 1000)) }

    @Test func timeQueuedOnTheServiceIsShownButNotHeldAgainstTheDeadline() {
        var store = ReducerHarness(state: state(mode: .exclusive))
        submitted(&store, request: .fixture(prompt: "harbour"))
        store.send(.submitted(JobID(1), remote, status: .queued(position: 1)), effects: [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")]) {
            $0.queue.jobs[0].remoteID = remote
            $0.queue.jobs[0].state = .queued(position: 1)
        }
        // Five minutes in the service's queue, far past the 15 s deadline: still polled, still queued.
        store.send(.tick(at(300), wallTime: 300)) { $0.now = at(300); $0.wallTime = 300 }
        store.send(.statusPolled(JobID(1), .queued(position: 1)), effects: [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")])
        store.send(.statusPolled(JobID(1), .running(progress: 0.1)), effects: [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")]) {
            $0.queue.jobs[0].state = .running(progress: 0.1)
            $0.queue.jobs[0].runningSince = at(300)
        }
        store.send(.tick(at(314.9), wallTime: 314.9)) { $0.now = at(314.9); $0.wallTime = 314.9 }
        store.send(.statusPolled(JobID(1), .running(progress: 0.9)), effects: [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")]) {
            $0.queue.jobs[0].state = .running(progress: 0.9)
        }
        // 15 s of running: now it times out, with the remote id kept.
        store.send(.tick(at(315), wallTime: 315)) { $0.now = at(315); $0.wallTime = 315 }
        store.send(.statusPolled(JobID(1), .running(progress: 0.95)), effects: [.terminal(.notify(JobID(1)))]) {
            $0.queue.jobs[0].state = .failed(.timedOut(after: .seconds(15)))
            $0.queue.jobs[0].finishedAt = at(315)
            $0.hint = .jobFailed(JobID(1), .timedOut(after: .seconds(15)))
        }
        #expect(store.state.jobs[0].remoteID == remote)
    }

    /// The seed API calls a fresh job "processing" before the first poll finds it queued: the deadline
    /// restarts when the service really starts it.
    @Test func aRunningStatusAtSubmitThenQueuedRestartsTheDeadlineWhenTheJobReallyRuns() {
        var s = state()
        #expect(enter(&s, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        #expect(reduce(&s, .submitted(JobID(1), remote, status: .running(progress: nil))) == [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")])
        #expect(s.jobs[0].runningSince == t0)
        #expect(reduce(&s, .tick(at(2), wallTime: 2)) == [])
        #expect(reduce(&s, .statusPolled(JobID(1), .queued(position: 3))) == [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")])
        #expect(s.jobs[0].runningSince == nil)
        #expect(reduce(&s, .tick(at(60), wallTime: 60)) == [])
        #expect(reduce(&s, .statusPolled(JobID(1), .running(progress: 0))) == [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")])
        #expect(reduce(&s, .tick(at(74), wallTime: 74)) == [])
        #expect(reduce(&s, .statusPolled(JobID(1), .running(progress: 0.8))) == [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")])
        #expect(reduce(&s, .tick(at(75), wallTime: 75)) == [])
        #expect(reduce(&s, .statusPolled(JobID(1), .running(progress: 0.9))) == [.terminal(.notify(JobID(1)))])
        #expect(s.jobs[0].state == .failed(.timedOut(after: .seconds(15))))
    }

    @Test func pollErrorsWhileQueuedBackOffInsteadOfTimingOut() {
        var s = state()
        #expect(enter(&s, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        #expect(reduce(&s, .submitted(JobID(1), remote, status: .queued(position: 2))) == [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")])
        #expect(reduce(&s, .tick(at(200), wallTime: 200)) == [])
        let effects = reduce(&s, .failed(JobID(1), .server(status: 503, message: ""), during: .poll))
        #expect(effects.count == 1)
        guard case .poll(JobID(1), remote, _, "demo")? = effects.first else { Issue.record("not polled again: \(effects)"); return }
        #expect(s.jobs[0].state == .queued(position: 2))
    }

    /// Answers every submit of job 1 with a 429 without `Retry-After`, moving the clock to each retry,
    /// until the job stops waiting or `until` passes. Returns the waits, and the instants of the submits.
    func refuseAlways(_ s: inout AppState, until end: Double) -> (waits: [Duration], submits: [ContinuousClock.Instant]) {
        var waits: [Duration] = [], submits: [ContinuousClock.Instant] = [s.now]
        while s.now < at(end) {
            let refused = reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: nil), during: .submit))
            guard case .waiting(let until) = s.jobs[0].state else {
                #expect(refused == [.terminal(.notify(JobID(1)))])     // given up: announced
                break
            }
            #expect(refused == [.timer(after: until - s.now)])        // one timer, to the end of the wait
            waits.append(until - s.now)
            let effects = reduce(&s, .tick(until, wallTime: 0))
            #expect(effects == [.submit(JobID(1), s.jobs[0].request, backend: "demo")])
            guard effects.contains(where: { if case .submit(JobID(1), _, _) = $0 { true } else { false } }) else { break }
            submits.append(until)
        }
        return (waits, submits)
    }

    @Test func a429WithoutRetryAfterBacksOffExponentiallyWithSeededJitter() {
        var s = state()
        #expect(enter(&s, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        let (waits, _) = refuseAlways(&s, until: 600)
        #expect(waits.count >= 6)
        for (i, wait) in waits.enumerated() {
            let nominal = min(PollPolicy.rateLimitBaseWait * (1 << min(i, 5)), PollPolicy.rateLimitMaxWait)
            #expect(wait >= nominal * 0.5 && wait <= nominal * 1.5, "wait \(i + 1) was \(wait)")
        }
        #expect(s.jobs[0].refusals == waits.count)

        var same = state()
        #expect(enter(&same, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        #expect(refuseAlways(&same, until: 600).waits == waits, "the same seed must give the same waits")
        var other = state(seed: 99)
        #expect(enter(&other, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        #expect(refuseAlways(&other, until: 600).waits != waits, "the jitter must depend on the seed")
    }

    /// The issue's case: 12 jobs refused for two minutes sent 136 requests at a flat 5 s.
    @Test func twelveRefusedJobsSendFarFewerRequestsInTwoMinutesAndNotInStep() {
        var s = state()
        for i in 0..<12 { #expect(enter(&s, "harbour \(i)") == [.submit(JobID(i + 1), .fixture(prompt: "harbour \(i)"), backend: "demo")]) }
        var sent = 12
        var firstRetries: Set<ContinuousClock.Instant> = []
        var pending: [Effect] = s.jobs.map { .submit($0.id, $0.request, backend: "demo") }
        while s.now <= at(120) {
            for case .submit(let id, _, _) in pending {
                let refused = reduce(&s, .failed(id, .rateLimited(retryAfter: nil), during: .submit))
                let soonest = s.jobs.compactMap { if case .waiting(let until) = $0.state { until } else { nil } }.min()!
                // One timer at a time: a new one only when this wait ends before the one already out.
                #expect(refused == [] || refused == [.timer(after: soonest - s.now)], "\(refused)")
                let job = s.jobs.first { $0.id == id }!
                if case .waiting(let until) = job.state, job.refusals == 1 { firstRetries.insert(until) }
            }
            let next = s.jobs.compactMap { if case .waiting(let until) = $0.state { until } else { nil } }.min()!
            let ticked = reduce(&s, .tick(next, wallTime: 0))
            pending = ticked.filter { if case .submit = $0 { true } else { false } }
            // The jobs whose wait ended are sent; after them, at most one timer for the next wait.
            #expect(ticked.count - pending.count <= 1 && ticked.dropFirst(pending.count).allSatisfy { if case .timer = $0 { true } else { false } })
            if s.now <= at(120) { sent += pending.count }
        }
        #expect(sent <= 12 * 6, "\(sent) requests in two minutes")
        #expect(firstRetries.count == 12, "the first retries must not come back together")
    }

    @Test func aRefusalDeadlineFailsAJobThatIsAlwaysRefusedBeforeItsNextTryWouldPassIt() {
        var s = state(refusalDeadline: .seconds(15))
        #expect(enter(&s, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        let (waits, submits) = refuseAlways(&s, until: 600)
        #expect(s.jobs[0].state == .failed(.rateLimited(retryAfter: nil)))
        #expect(submits.allSatisfy { $0 - t0 <= .seconds(15) })
        #expect(s.now - t0 <= .seconds(15))
        #expect(waits.count == submits.count - 1)
        #expect(s.activeJobs.isEmpty)
    }

    @Test func aRetryAfterPastTheRefusalDeadlineFailsAtOnce() {
        var s = state(refusalDeadline: .seconds(15))
        #expect(enter(&s, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        #expect(reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: .seconds(60)), during: .submit)) == [.terminal(.notify(JobID(1)))])
        #expect(s.jobs[0].state == .failed(.rateLimited(retryAfter: .seconds(60))))
    }

    @Test func withoutARefusalDeadlineTheStudioKeepsWaiting() {
        var s = state()
        #expect(enter(&s, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        let (waits, _) = refuseAlways(&s, until: 1800)
        #expect(s.now >= at(1800))
        #expect(s.jobs[0].state == .submitting, "gave up: \(s.jobs[0].state)")
        #expect(waits.count == s.jobs[0].refusals)
    }

    @Test func anAcceptedSubmitResetsTheBackOff() {
        var s = state()
        #expect(enter(&s, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        _ = refuseAlways(&s, until: 30)
        #expect(reduce(&s, .submitted(JobID(1), remote, status: .queued(position: nil))) == [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")])
        #expect(s.jobs[0].refusals == 0 && s.jobs[0].refusedSince == nil)
    }

    @Test func aJobCanceledWhileItsSubmitWasOutIsNotSentAgainAfterA429() {
        var s = state()
        #expect(enter(&s, "harbour") == [.submit(JobID(1), .fixture(prompt: "harbour"), backend: "demo")])
        #expect(cancelForExit(&s).isEmpty)
        #expect(s.jobs[0].state == .canceling)
        #expect(reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: nil), during: .submit)) == [.terminal(.notify(JobID(1)))])
        #expect(s.jobs[0].state == .canceled)
    }

    @Test func cancelForExitCancelsEveryUnfinishedJobHereAndOnTheService() {
        var s = state()
        s.queue.concurrency = 2
        #expect(enter(&s, "a") == [.submit(JobID(1), .fixture(prompt: "a"), backend: "demo")])
        #expect(enter(&s, "b") == [.submit(JobID(2), .fixture(prompt: "b"), backend: "demo")])
        #expect(enter(&s, "c") == [])                                  // two slots, both taken
        #expect(reduce(&s, .submitted(JobID(1), remote, status: .running(progress: 0.2))) == [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")])
        let effects = cancelForExit(&s)
        #expect(effects == [.terminal(.notify(JobID(1))), .cancel(JobID(1), remote, backend: "demo"), .terminal(.notify(JobID(3)))])
        #expect(s.jobs.map(\.state) == [.canceled, .canceling, .canceled])
        // The submit in flight answers: canceled on the service at once, nothing else starts.
        #expect(reduce(&s, .submitted(JobID(2), RemoteJobID("r2"), status: .queued(position: 1))) == [.terminal(.notify(JobID(2))), .cancel(JobID(2), RemoteJobID("r2"), backend: "demo")])
        #expect(s.activeJobs.isEmpty)
    }
}
