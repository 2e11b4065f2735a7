import EaselCore
import Testing
import TestSupport

/// Types `prompt` (or keeps what is typed) and presses Enter; queue mode clears the editor after each.
// No @discardableResult: every caller states the effects Enter gives.
func enter(_ s: inout AppState, _ prompt: String? = nil) -> [Effect] {
    if let prompt { s.editor.prompt = PromptEditor(prompt) } else if s.editor.prompt.isEmpty { s.editor.prompt = PromptEditor(s.editor.promptHistory.last?.prompt ?? "sea") }
    return reduce(&s, .key(.enter))
}

@Suite("The generation queue")
struct QueueTests {
    let r1 = RemoteJobID("r1"), r2 = RemoteJobID("r2")

    func queueState(_ prompt: String = "sea", concurrency: Int = 1, pacer: RateLimitPacer = RateLimitPacer(limit: 100, window: .seconds(1))) -> AppState {
        var s = AppState.fixture(prompt: prompt, mode: .queue)
        s.queue.concurrency = concurrency
        s.queue.pacer = pacer
        return s
    }

    @Test func inQueueModeEnterAppendsWhileAJobRunsAndPendingJobsStartInOrder() {
        var s = queueState()
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(enter(&s) == [])
        #expect(enter(&s) == [])
        #expect(s.jobs.map(\.state) == [.submitting, .pending, .pending])
        #expect(!s.isEditorLocked)
        #expect(reduce(&s, .submitted(JobID(1), r1, status: .running(progress: nil))) == [.poll(JobID(1), r1, after: .seconds(2), backend: "demo")])
        #expect(reduce(&s, .failed(JobID(1), .inferenceFailed("x"), during: .poll)) == [.terminal(.notify(JobID(1))), .submit(JobID(2), .fixture(prompt: "sea"), backend: "demo")])
        #expect(s.jobs.map(\.state.label) == ["failed", "submitting", "pending"])
        #expect(reduce(&s, .failed(JobID(2), .invalidPrompt(reason: "y"), during: .submit)) == [.terminal(.notify(JobID(2))), .submit(JobID(3), .fixture(prompt: "sea"), backend: "demo")])
        #expect(s.jobs[2].state == .submitting)
    }

    @Test func theConcurrencyLimitCapsJobsInFlight() {
        var s = queueState(concurrency: 2)
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(enter(&s) == [.submit(JobID(2), .fixture(prompt: "sea"), backend: "demo")])
        #expect(enter(&s) == [])
        #expect(s.jobs.filter { $0.state.holdsSlot }.count == 2)
        #expect(s.jobs[2].state == .pending)
        #expect(reduce(&s, .submitted(JobID(1), r1, status: .completed(ImageRef(url: "u")))) == [.download(JobID(1), ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&s, .downloaded(JobID(1), ImageData([1]))) == [.save(JobID(1), ImageData([1]), .fixture(prompt: "sea"), remote: r1, backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        let effects = reduce(&s, .saved(JobID(1), SavedImage(path: "/p", width: 1, height: 1)))
        #expect(effects == [.terminal(.notify(JobID(1))), .submit(JobID(3), .fixture(prompt: "sea"), backend: "demo")])
    }

    @Test func aBatchMakesCountJobsWithASeedSeries() {
        var s = queueState()
        s.editor.parameters.count = 3
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea", seed: 42), backend: "demo")])   // one slot: 43 and 44 wait
        #expect(s.jobs.map(\.request.seed) == [42, 43, 44])
        #expect(s.jobs.allSatisfy { $0.request.prompt == "sea" })
    }

    @Test func queuedRequestsStayFrozenWhenTheEditorChanges() {
        var s = queueState("first")
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "first"), backend: "demo")])
        #expect(s.editor.prompt.isEmpty, "queue mode clears the editor for the next prompt")
        #expect(reduce(&s, .paste("second")) == [])
        s.editor.parameters.width = 512
        #expect(enter(&s) == [])
        #expect(s.jobs.map(\.request.prompt) == ["first", "second"])
        #expect(s.jobs.map(\.request.width) == [768, 512])
    }

    @Test func cancelInEachState() {
        var s = queueState(concurrency: 2)
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(enter(&s) == [.submit(JobID(2), .fixture(prompt: "sea"), backend: "demo")])
        #expect(enter(&s) == [])          // 1, 2 submitting; 3 pending
        s.focus = .queue
        // pending: dropped, no call to the service
        s.queue.selection = JobID(3)
        #expect(reduce(&s, .key(.char("x"))) == [.terminal(.notify(JobID(3)))])
        #expect(s.job(JobID(3))?.state == .canceled)
        // submitting: remembered, canceled on the service once it answers with an id
        s.queue.selection = JobID(1)
        #expect(reduce(&s, .key(.char("x"))).isEmpty)
        #expect(s.job(JobID(1))?.state == .canceling)
        #expect(reduce(&s, .submitted(JobID(1), r1, status: .running(progress: nil))) == [.terminal(.notify(JobID(1))), .cancel(JobID(1), r1, backend: "demo")])
        #expect(s.job(JobID(1))?.state == .canceled)
        // running: the backend's cancel call
        #expect(reduce(&s, .submitted(JobID(2), r2, status: .running(progress: 0.1))) == [.poll(JobID(2), r2, after: .seconds(2), backend: "demo")])
        s.queue.selection = JobID(2)
        #expect(reduce(&s, .key(.delete)) == [.terminal(.notify(JobID(2))), .cancel(JobID(2), r2, backend: "demo")])
        #expect(s.job(JobID(2))?.state == .canceled)
        #expect(reduce(&s, .statusPolled(JobID(2), .completed(ImageRef(url: "u")))).isEmpty)
    }

    @Test func clearPendingAndReorderPending() {
        var s = queueState()
        #expect(enter(&s, "a") == [.submit(JobID(1), .fixture(prompt: "a"), backend: "demo")])
        #expect(enter(&s, "b") == [])
        #expect(enter(&s, "c") == [])
        s.focus = .queue
        s.queue.selection = JobID(3)
        #expect(reduce(&s, .key(.char("K"))) == [])
        #expect(s.jobs.map(\.request.prompt) == ["a", "c", "b"])
        #expect(reduce(&s, .key(.char("K"))) == [])                          // the running job is not passed
        #expect(s.jobs.map(\.request.prompt) == ["a", "c", "b"])
        #expect(reduce(&s, .key(.char("J"))) == [])
        #expect(s.jobs.map(\.request.prompt) == ["a", "b", "c"])
        #expect(reduce(&s, .key(.char("X"))) == [.terminal(.notify(JobID(2))), .terminal(.notify(JobID(3)))])
        #expect(s.jobs.map(\.state.label) == ["submitting", "canceled", "canceled"])
    }

    @Test func retryAfterADownloadFailureOnlyDownloadsAgain() {
        var s = queueState()
        let ref = ImageRef(url: "http://x/images/r1.png")
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(reduce(&s, .submitted(JobID(1), r1, status: .completed(ref))) == [.download(JobID(1), ref, backend: "demo")])
        #expect(reduce(&s, .failed(JobID(1), .network("reset"), during: .download)) == [.terminal(.notify(JobID(1)))])
        #expect(s.jobs[0].state == .failed(.network("reset")))
        s.focus = .history
        #expect(reduce(&s, .key(.char("t"))) == [.download(JobID(1), ref, backend: "demo")])
        #expect(s.jobs[0].state == .downloading && s.jobs[0].attempts == 1)
        #expect(reduce(&s, .downloaded(JobID(1), ImageData([1]))) == [.save(JobID(1), ImageData([1]), .fixture(prompt: "sea"), remote: r1, backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(reduce(&s, .failed(JobID(1), .storage("disk full"), during: .save)) == [.terminal(.notify(JobID(1)))])
        // A failed save kept the image: t saves it again (downloading only if the kept copy is gone).
        #expect(reduce(&s, .key(.char("t"))) == [.loadPending(JobID(1), fallback: ref, backend: "demo")])
    }

    @Test func retryOfAJobThatNeverReachedTheServiceSendsTheSameRequest() {
        var s = queueState()
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(reduce(&s, .failed(JobID(1), .network("refused"), during: .submit)) == [.terminal(.notify(JobID(1)))])
        s.focus = .history
        #expect(reduce(&s, .key(.char("t"))) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(s.jobs[0].attempts == 2 && s.jobs.count == 1)
    }

    @Test func a429OnSubmitCountsDownThenSendsAgainByItself() {
        var s = queueState()
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        let effects = reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: .seconds(2)), during: .submit))
        #expect(s.jobs[0].state == .waiting(until: t0 + .seconds(2)))
        #expect(effects == [.timer(after: .seconds(2))])
        #expect(reduce(&s, .tick(t0 + .seconds(1), wallTime: 1)).isEmpty)
        #expect(reduce(&s, .tick(t0 + .seconds(2), wallTime: 2)) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(s.jobs[0].attempts == 2)
    }

    @Test func thePacerKeepsSubmissionsUnderTheLimit() {
        var s = queueState(concurrency: 5, pacer: RateLimitPacer(limit: 2, window: .seconds(10)))
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(enter(&s) == [.submit(JobID(2), .fixture(prompt: "sea"), backend: "demo")])
        #expect(enter(&s) == [.timer(after: .milliseconds(10_500))])      // the window plus a 5 % margin
        #expect(reduce(&s, .tick(t0 + .seconds(10), wallTime: 10)) == [])   // the timer is out already
        #expect(reduce(&s, .tick(t0 + .milliseconds(10_500), wallTime: 10.5)) == [.submit(JobID(3), .fixture(prompt: "sea"), backend: "demo")])
    }

    @Test func transientPollErrorsBackOffWithJitterThenFail() {
        var s = queueState()
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(reduce(&s, .submitted(JobID(1), r1, status: .running(progress: nil))) == [.poll(JobID(1), r1, after: .seconds(2), backend: "demo")])
        var delays: [Duration] = []
        for _ in 0..<PollPolicy.maxConsecutiveFailures {
            let e = reduce(&s, .failed(JobID(1), .server(status: 503, message: ""), during: .poll))
            guard case .poll(_, _, let after, _)? = e.first else { Issue.record("no poll: \(e)"); return }
            delays.append(after)
        }
        #expect(delays[0] >= .milliseconds(1600) && delays[0] <= .milliseconds(2400))
        #expect(delays[2] >= .milliseconds(6400) && delays[2] <= .milliseconds(9600))
        #expect(delays.last! <= .seconds(36))
        #expect(reduce(&s, .failed(JobID(1), .server(status: 503, message: ""), during: .poll)) == [.terminal(.notify(JobID(1)))])
        #expect(s.jobs[0].state == .failed(.server(status: 503, message: "")))
        var ok = queueState()
        #expect(enter(&ok) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        var seeds = SeedSource(seed: 7)
        let backoff = ok.pollPolicy.backoff(failures: 1, jitter: Double(seeds.next()) / Double(UInt32.max))
        #expect(reduce(&ok, .submitted(JobID(1), r1, status: .running(progress: nil))) == [.poll(JobID(1), r1, after: .seconds(2), backend: "demo")])
        #expect(reduce(&ok, .failed(JobID(1), .network("reset"), during: .poll)) == [.poll(JobID(1), r1, after: backoff, backend: "demo")])
        #expect(reduce(&ok, .statusPolled(JobID(1), .running(progress: 0.5))) == [.poll(JobID(1), r1, after: .seconds(2), backend: "demo")])
        #expect(ok.jobs[0].pollFailures == 0)
    }

    @Test func ctrlTTogglesTheModeAndTheLockFollows() {
        var s = AppState.fixture(prompt: "a")
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "a"), backend: "demo")])
        #expect(s.isEditorLocked)
        #expect(reduce(&s, .key(.ctrl("t"))) == [])
        #expect(s.mode == .queue && !s.isEditorLocked)
    }
}

@Suite("Mouse")
struct MouseTests {
    @Test func aClickFocusesThePaneAndSelectsTheRowUnderIt() {
        var s = AppState.fixture(prompt: "a", mode: .queue)
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "a"), backend: "demo")])
        #expect(enter(&s) == [])
        #expect(enter(&s) == [])
        #expect(reduce(&s, .failed(JobID(1), .network("x"), during: .submit)) == [.terminal(.notify(JobID(1))), .submit(JobID(2), .fixture(prompt: "a"), backend: "demo")])
        #expect(reduce(&s, .failed(JobID(2), .network("x"), during: .submit)) == [.terminal(.notify(JobID(2))), .submit(JobID(3), .fixture(prompt: "a"), backend: "demo")])
        #expect(reduce(&s, .failed(JobID(3), .network("x"), during: .submit)) == [.terminal(.notify(JobID(3)))])
        // history, newest first: #3, #2, #1
        #expect(reduce(&s, .clicked(.history, job: JobID(2))) == [])
        #expect(s.focus == .history && s.history.selection == JobID(2))
        #expect(reduce(&s, .clicked(.history, job: nil)) == [])          // below the rows: selection stays
        #expect(s.history.selection == JobID(2))
        #expect(reduce(&s, .scrolled(.history, by: 1)) == [])
        #expect(s.history.selection == JobID(1))
        #expect(reduce(&s, .clicked(.prompt, job: nil)) == [])
        #expect(s.focus == .prompt)
    }
}

@Suite("Queue details from a user test")
struct QueueUserTestFixes {
    @Test func afterCancelTheCursorStaysOnTheSameRowSoASecondXHitsTheNextJob() {
        var s = AppState.fixture(prompt: "", mode: .queue)
        s.queue.pacer = RateLimitPacer(limit: 1, window: .seconds(60))
        #expect(enter(&s, "one") == [.submit(JobID(1), .fixture(prompt: "one"), backend: "demo")])
        #expect(enter(&s, "two") == [])                                // one slot, taken: they wait
        #expect(enter(&s, "three") == [])
        #expect(enter(&s, "four") == [])
        s.focus = .queue
        s.queue.selection = JobID(3)
        #expect(reduce(&s, .key(.char("x"))) == [.terminal(.notify(JobID(3)))])
        #expect(s.queue.selection == JobID(4))
        #expect(reduce(&s, .key(.char("x"))) == [.terminal(.notify(JobID(4)))])
        #expect(s.jobs.map(\.state.label) == ["submitting", "pending", "canceled", "canceled"])
    }

    @Test func pendingJobsSayWhenThePacerLetsThemGo() {
        var s = AppState.fixture(prompt: "", mode: .queue)
        s.queue.pacer = RateLimitPacer(limit: 1, window: .seconds(20))
        s.queue.concurrency = 2
        #expect(enter(&s, "a") == [.submit(JobID(1), .fixture(prompt: "a"), backend: "demo")])
        #expect(enter(&s, "b") == [.timer(after: .seconds(21))])
        #expect(s.queue.pacerReadyAt == t0 + .seconds(21))
    }

    @Test func noneInAContextAlsoHidesTheGlobalBinding() throws {
        let keymap = try Keymap.default.overriding([.prompt: [("C-t", "none")]])
        #expect(keymap.command(for: .ctrl("t"), in: .prompt) == nil)
        #expect(keymap.command(for: .ctrl("t"), in: .queue) == .toggleMode)
    }
}
