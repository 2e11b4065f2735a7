import EaselCore
import Testing
import TestSupport

/// The `queue` pane's keys. The states are reached with keys in queue mode: job 1 is sent, jobs 2…
/// wait behind it in Easel's queue (one slot).
@Suite("Queue pane keys do what the help says")
struct QueueKeysReducerTests {
    /// `prompts` entered in queue mode; job 1 sent, the rest pending; focus on the queue pane.
    func queued(_ prompts: [String]) -> AppState {
        var s = AppState.fixture(mode: .queue)
        Drive.submit(&s, prompts[0], id: 1)
        for p in prompts.dropFirst() {
            Drive.type(&s, p)
            #expect(reduce(&s, .key(.enter)) == [])
        }
        Drive.press(&s, .tab)
        return s
    }

    @Test(arguments: [Key.char("q"), .ctrl("d")])
    func qAndCtrlDQuit(key: Key) {
        var s = queued(["sea"])
        #expect(reduce(&s, .key(key)) == [.terminal(.quit)])
    }

    @Test func questionMarkOpensTheHelp() {
        var s = queued(["sea"])
        Drive.press(&s, .char("?"))
        #expect(s.showHelp)
    }

    @Test(arguments: [Key.char("i"), .escape])
    func iAndEscGoBackToThePrompt(key: Key) {
        var s = queued(["sea"])
        Drive.press(&s, key)
        #expect(s.focus == .prompt)
    }

    @Test func endAndHomeJumpToTheLastAndFirstJobWithoutOverflow() {
        var s = queued(["a", "b", "c"])
        Drive.press(&s, .end)
        #expect(s.selectedQueueJob?.id == JobID(3))
        Drive.press(&s, .home)
        #expect(s.selectedQueueJob?.id == JobID(1))
        Drive.press(&s, .pageDown)
        #expect(s.selectedQueueJob?.id == JobID(3))
    }

    @Test func lettersInTheQueuePaneNeverReachThePrompt() {
        var s = queued(["sea"])
        Drive.press(&s, .char("a"), .char("b"), .char("z"))
        #expect(s.editor.prompt.text.isEmpty && s.focus == .queue)
    }

    @Test func upDownAndKJMoveTheCursorWithinTheQueue() {
        var s = queued(["sea", "fog", "rain"])
        #expect(s.selectedQueueJob?.id == JobID(1))
        Drive.press(&s, .down, .char("j"), .char("j"))
        #expect(s.selectedQueueJob?.id == JobID(3))
        Drive.press(&s, .up)
        #expect(s.selectedQueueJob?.id == JobID(2))
        Drive.press(&s, .char("k"), .char("k"))
        #expect(s.selectedQueueJob?.id == JobID(1))
    }

    @Test(arguments: [Key.char("x"), .delete])
    func xAndDelCancelAPendingJobWithoutCallingTheService(key: Key) {
        var s = queued(["sea", "fog"])
        Drive.press(&s, .down)
        #expect(reduce(&s, .key(key)) == [.terminal(.notify(JobID(2)))])
        #expect(s.job(JobID(2))?.state == .canceled && s.selectedQueueJob?.id == JobID(1))
    }

    @Test func xOnAJobTheServiceRunsCancelsThereAndStartsTheNext() {
        var s = queued(["sea", "fog"])
        Drive.running(&s, id: 1, progress: 0.4)
        #expect(reduce(&s, .key(.char("x"))) == [
            .terminal(.notify(JobID(1))), .cancel(JobID(1), Drive.remote(1), backend: "demo"), .submit(JobID(2), Drive.request("fog"), backend: "demo"),
        ])
        #expect(s.job(JobID(1))?.state == .canceled)
    }

    @Test func xWhileTheSubmitIsOutCancelsWhenTheServiceAnswers() {
        var s = queued(["sea"])
        #expect(reduce(&s, .key(.char("x"))) == [])
        #expect(s.job(JobID(1))?.state == .canceling)
        #expect(reduce(&s, .submitted(JobID(1), Drive.remote(1), status: .queued(position: 3)))
                == [.terminal(.notify(JobID(1))), .cancel(JobID(1), Drive.remote(1), backend: "demo")])
        #expect(s.job(JobID(1))?.state == .canceled)
    }

    @Test func aJobCanceledWhileItsSubmitIsOutReadsCancelingKeepsItsSlotAndIgnoresASecondX() {
        var store = ReducerHarness(state: queued(["sea", "fog"]))
        store.send(.key(.char("x"))) {
            $0.queue.jobs[0].state = .canceling
            $0.queue.selection = JobID(1)                          // the cursor stays on its row
        }
        #expect(store.state.jobs[0].state.label == "canceling" && store.state.jobs[0].state.key == "canceling")
        store.send(.key(.char("x")))                               // nothing more to do: no effect, no change
        // Its submit fails: it is not sent again, and the slot it held goes to the next job.
        store.send(.failed(JobID(1), .network("reset"), during: .submit),
                   effects: [.terminal(.notify(JobID(1))), .submit(JobID(2), Drive.request("fog"), backend: "demo")]) {
            $0.queue.jobs[0].state = .canceled
            $0.queue.jobs[0].finishedAt = $0.now
            $0.queue.jobs[1].state = .submitting
            $0.queue.jobs[1].attempts = 1
            $0.queue.jobs[1].startedAt = $0.now
            $0.queue.pacer.record(now: $0.now)
        }
    }

    @Test func capitalXCancelsEveryJobNotYetSentAndLeavesTheRunningOne() {
        var s = queued(["sea", "fog", "rain"])
        #expect(reduce(&s, .key(.char("X"))) == [.terminal(.notify(JobID(2))), .terminal(.notify(JobID(3)))])
        #expect(s.jobs.map(\.state) == [.submitting, .canceled, .canceled])
    }

    @Test func capitalKAndJReorderPendingJobsAndTheSentOneStaysFirst() {
        var s = queued(["sea", "fog", "rain"])
        Drive.press(&s, .down, .down, .char("K"))                  // rain before fog
        #expect(s.jobs.map(\.id.rawValue) == [1, 3, 2])
        Drive.press(&s, .char("K"))                                // job 1 is sent: nothing above to swap with
        #expect(s.jobs.map(\.id.rawValue) == [1, 3, 2])
        Drive.press(&s, .char("J"))
        #expect(s.jobs.map(\.id.rawValue) == [1, 2, 3])
        Drive.complete(&s, id: 1, next: [.submit(JobID(2), Drive.request("fog"), backend: "demo")])
    }

    @Test func capitalJOnTheSentJobMovesNothing() {
        var s = queued(["sea", "fog"])
        Drive.press(&s, .char("J"))
        #expect(s.jobs.map(\.id.rawValue) == [1, 2])
    }

    @Test func tOnACanceledJobInTheQueueIsNotPossibleButInTheHistoryResends() {
        var s = queued(["sea", "fog"])
        Drive.press(&s, .down)
        #expect(reduce(&s, .key(.char("x"))) == [.terminal(.notify(JobID(2)))])
        #expect(reduce(&s, .key(.char("t"))) == [])               // the queue holds job 1 only: still in flight
        Drive.press(&s, .tab)                                      // history: job 2, canceled
        #expect(reduce(&s, .key(.char("t"))) == [])               // reopened as pending behind job 1
        #expect(s.job(JobID(2))?.state == .pending)
        Drive.complete(&s, id: 1, next: [.submit(JobID(2), Drive.request("fog"), backend: "demo")])
    }
}
