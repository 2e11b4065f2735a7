import EaselCore
import Testing
import TestSupport

/// A pool job no member can take: every member down (it waits for a probe, and `--deadline` counts from
/// when it was queued), or a member refusing it (429, 503: it moves to another member, the refuser is paused).
@Suite("Backend pool: jobs waiting on down or refusing members (reducer)")
struct PoolWaitTests {
    typealias P = PoolReducerTests

    /// Both members refuse the connection: job 1 is tried on each, then waits on the pool.
    static func allDown(deadline: Duration?) -> AppState {
        var s = P.pooled(count: 1)
        s.pollPolicy.refusalDeadline = deadline
        #expect(P.submits(reduce(&s, .key(.enter))) == ["#1 gpu1"])
        #expect(P.submits(reduce(&s, .failed(JobID(1), P.refused, during: .submit))) == ["#1 gpu2"])
        _ = reduce(&s, .failed(JobID(1), P.refused, during: .submit))
        return s
    }

    @Test func withEveryMemberDownTheDeadlineCountsFromWhenTheJobWasQueuedAndItFailsAsUnreachable() {
        var s = Self.allDown(deadline: .seconds(10))
        #expect(s.jobs[0].state == .pending && s.jobs[0].backend == "gpus")
        #expect(s.poolWaitNote(s.jobs[0]) == "waiting: all members down, next probe in 2s")
        #expect(reduce(&s, P.at(2)).filter { if case .probe = $0 { true } else { false } }.count == 2)
        #expect(s.poolWaitNote(s.jobs[0]) == "waiting: all members down, probing now")
        _ = reduce(&s, .probed(member: "gpu1", reachable: false, detail: "refused"))
        _ = reduce(&s, .probed(member: "gpu2", reachable: false, detail: "refused"))
        // The next probes are due at 14 s: the one timer wakes the loop at the deadline, 10 s after queueing.
        let timers = reduce(&s, P.at(6)) + reduce(&s, .probed(member: "gpu1", reachable: false, detail: "refused"))
            + reduce(&s, .probed(member: "gpu2", reachable: false, detail: "refused"))
        #expect(timers.filter { if case .timer = $0 { true } else { false } } == [.timer(after: .seconds(4))])
        #expect(reduce(&s, P.at(9)).isEmpty && s.jobs[0].state == .pending)
        #expect(reduce(&s, P.at(10)).contains(.terminal(.notify(JobID(1)))))
        guard case .failed(let error) = s.jobs[0].state else { Issue.record("\(s.jobs[0].state)"); return }
        #expect(error.kind == "network")
        #expect(error.message.contains("no member of pool gpus can be reached, all are down (gpu1, gpu2: refused)"))
        #expect(!error.neverReachedTheService, "a give-up is not a refused connection to move")
        #expect(s.hint == .jobFailed(JobID(1), error))
    }

    @Test func withoutADeadlineTheStudioWaitsForAMemberAndSaysSo() {
        var s = Self.allDown(deadline: nil)
        _ = reduce(&s, P.at(600))
        #expect(s.jobs[0].state == .pending)
        #expect(s.poolWaitNote(s.jobs[0])?.hasPrefix("waiting: all members down") == true)
        // A member answers: the job starts there and the note is gone.
        _ = reduce(&s, P.at(700))
        #expect(P.submits(reduce(&s, .probed(member: "gpu2", reachable: true, detail: "ok"))) == ["#1 gpu2"])
        #expect(s.poolWaitNote(s.jobs[0]) == nil && s.downMembers.map(\.name) == ["gpu1"])
    }

    @Test func aMemberThatStaysDownIsProbedAtLeastEveryEightSeconds() {
        var s = Self.allDown(deadline: nil)
        var now = 0
        for _ in 0..<10 {                                             // ten failed probes: the backoff stays capped
            let due = s.queue.health["gpu1"]!.nextProbe! - t0
            now = Int(due.components.seconds)
            _ = reduce(&s, P.at(now))
            _ = reduce(&s, .probed(member: "gpu1", reachable: false, detail: "refused"))
            #expect(s.queue.health["gpu1"]!.nextProbe! - (t0 + .seconds(now)) <= .seconds(8))
        }
        // It answers at the next probe: up again, the status bar's list is empty of it.
        _ = reduce(&s, P.at(now + 8))
        _ = reduce(&s, .probed(member: "gpu1", reachable: true, detail: "ok"))
        #expect(s.queue.health["gpu1"] == nil && !s.downMembers.contains { $0.name == "gpu1" })
    }

    @Test func aJobAMemberRefusedWith429MovesToAnIdleMemberAndTheRefuserIsPacedByItsRetryAfter() {
        var s = P.pooled(count: 1)
        #expect(P.submits(reduce(&s, .key(.enter))) == ["#1 gpu1"])
        #expect(P.submits(reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: .seconds(30)), during: .submit))) == ["#1 gpu2"])
        #expect(s.queue.paused["gpu1"]?.until == t0 + .seconds(30))
        // gpu1 is paced: the next job waits on the pool (gpu2 is full), not on gpu1, until its Retry-After ends.
        s.editor.prompt = PromptEditor("more")
        #expect(P.submits(reduce(&s, .key(.enter))).isEmpty)
        #expect(s.jobs[1].state == .pending && s.jobs[1].backend == "gpus")
        #expect(P.submits(reduce(&s, P.at(29))).isEmpty)
        #expect(P.submits(reduce(&s, P.at(30))) == ["#2 gpu1"])
    }

    @Test func a503IsAMoveAndABackoffNotAFailure() {
        var s = P.pooled(count: 1)
        _ = reduce(&s, .key(.enter))
        #expect(P.submits(reduce(&s, .failed(JobID(1), .server(status: 503, message: "not ready"), during: .submit))) == ["#1 gpu2"])
        #expect(s.jobs[0].state == .submitting && s.jobs[0].backend == "gpu2")
        let pause = s.queue.paused["gpu1"]!
        #expect(pause.refusals == 1 && pause.until > t0 && pause.until - t0 <= PollPolicy.rateLimitBaseWait * 1.5)
        // Another 5xx is not a refusal: it fails as before.
        var other = P.pooled(count: 1)
        _ = reduce(&other, .key(.enter))
        _ = reduce(&other, .failed(JobID(1), .server(status: 500, message: "boom"), during: .submit))
        #expect(other.jobs[0].state == .failed(.server(status: 500, message: "boom")))
    }

    @Test func aLoneRefusingMemberKeepsTheJobOnThePoolUntilItsPauseEndsAndTheDeadlineStillHolds() {
        var s = P.pooled(["gpu1"], count: 1)
        s.pollPolicy.refusalDeadline = .seconds(10)
        _ = reduce(&s, .key(.enter))
        let effects = reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: .seconds(4)), during: .submit))
        #expect(P.submits(effects).isEmpty && effects.contains(.timer(after: .seconds(4))))
        #expect(P.submits(reduce(&s, P.at(4))) == ["#1 gpu1"])
        _ = reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: .seconds(4)), during: .submit))
        #expect(P.submits(reduce(&s, P.at(8))) == ["#1 gpu1"])
        #expect(s.jobs[0].attempts == 3)
        // Refused again at 11 s, past the 10 s since its first refusal: it fails with the usual category.
        _ = reduce(&s, P.at(11))
        _ = reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: .seconds(4)), during: .submit))
        #expect(s.jobs[0].state == .failed(.rateLimited(retryAfter: .seconds(4))))
    }
}
