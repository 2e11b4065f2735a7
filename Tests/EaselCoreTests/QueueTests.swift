import EaselCore
import Testing
import TestSupport

/// Types `prompt` (or keeps what is typed) and presses Enter; queue mode clears the editor after each.
@discardableResult
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

    func submits(_ effects: [Effect]) -> [JobID] {
        effects.compactMap { if case .submit(let id, _, _) = $0 { id } else { nil } }
    }

    @Test func inQueueModeEnterAppendsWhileAJobRunsAndPendingJobsStartInOrder() {
        var s = queueState()
        #expect(submits(enter(&s)) == [JobID(1)])
        #expect(submits(enter(&s)).isEmpty)
        #expect(submits(enter(&s)).isEmpty)
        #expect(s.queue.jobs.map(\.state) == [.submitting, .pending, .pending])
        #expect(!s.isEditorLocked)
        _ = reduce(&s, .submitted(JobID(1), r1, status: .running(progress: nil)))
        _ = reduce(&s, .failed(JobID(1), .inferenceFailed("x"), during: .poll))
        #expect(s.queue.jobs.map(\.state.label) == ["failed", "submitting", "pending"])
        _ = reduce(&s, .failed(JobID(2), .invalidPrompt(reason: "y"), during: .submit))
        #expect(s.queue.jobs[2].state == .submitting)
    }

    @Test func theConcurrencyLimitCapsJobsInFlight() {
        var s = queueState(concurrency: 2)
        for _ in 0..<3 { _ = enter(&s) }
        #expect(s.queue.jobs.filter { $0.state.holdsSlot }.count == 2)
        #expect(s.queue.jobs[2].state == .pending)
        _ = reduce(&s, .submitted(JobID(1), r1, status: .completed(ImageRef(url: "u"))))
        _ = reduce(&s, .downloaded(JobID(1), ImageData([1])))
        let effects = reduce(&s, .saved(JobID(1), SavedImage(path: "/p", width: 1, height: 1)))
        #expect(submits(effects) == [JobID(3)])
    }

    @Test func aBatchMakesCountJobsWithASeedSeries() {
        var s = queueState()
        s.editor.parameters.count = 3
        _ = enter(&s)
        #expect(s.queue.jobs.map(\.request.seed) == [42, 43, 44])
        #expect(s.queue.jobs.allSatisfy { $0.request.prompt == "sea" })
    }

    @Test func queuedRequestsStayFrozenWhenTheEditorChanges() {
        var s = queueState("first")
        enter(&s)
        #expect(s.editor.prompt.isEmpty, "queue mode clears the editor for the next prompt")
        _ = reduce(&s, .paste("second"))
        s.editor.parameters.width = 512
        enter(&s)
        #expect(s.queue.jobs.map(\.request.prompt) == ["first", "second"])
        #expect(s.queue.jobs.map(\.request.width) == [768, 512])
    }

    @Test func cancelInEachState() {
        var s = queueState(concurrency: 2)
        for _ in 0..<3 { _ = enter(&s) }          // 1, 2 submitting; 3 pending
        s.focus = .queue
        // pending: dropped, no call to the service
        s.queue.selection = JobID(3)
        #expect(reduce(&s, .key(.char("x"))) == [.terminal(.notify(JobID(3)))])
        #expect(s.job(JobID(3))?.state == .canceled)
        // submitting: remembered, canceled on the service once it answers with an id
        s.queue.selection = JobID(1)
        #expect(reduce(&s, .key(.char("x"))).isEmpty)
        #expect(s.job(JobID(1))?.cancelRequested == true)
        #expect(reduce(&s, .submitted(JobID(1), r1, status: .running(progress: nil))) == [.terminal(.notify(JobID(1))), .cancel(JobID(1), r1, backend: "demo")])
        #expect(s.job(JobID(1))?.state == .canceled)
        // running: the backend's cancel call
        _ = reduce(&s, .submitted(JobID(2), r2, status: .running(progress: 0.1)))
        s.queue.selection = JobID(2)
        #expect(reduce(&s, .key(.delete)) == [.terminal(.notify(JobID(2))), .cancel(JobID(2), r2, backend: "demo")])
        #expect(s.job(JobID(2))?.state == .canceled)
        #expect(reduce(&s, .statusPolled(JobID(2), .completed(ImageRef(url: "u")))).isEmpty)
    }

    @Test func clearPendingAndReorderPending() {
        var s = queueState()
        enter(&s, "a"); enter(&s, "b"); enter(&s, "c")
        s.focus = .queue
        s.queue.selection = JobID(3)
        _ = reduce(&s, .key(.char("K")))
        #expect(s.queue.jobs.map(\.request.prompt) == ["a", "c", "b"])
        _ = reduce(&s, .key(.char("K")))                          // the running job is not passed
        #expect(s.queue.jobs.map(\.request.prompt) == ["a", "c", "b"])
        _ = reduce(&s, .key(.char("J")))
        #expect(s.queue.jobs.map(\.request.prompt) == ["a", "b", "c"])
        _ = reduce(&s, .key(.char("X")))
        #expect(s.queue.jobs.map(\.state.label) == ["submitting", "canceled", "canceled"])
    }

    @Test func retryAfterADownloadFailureOnlyDownloadsAgain() {
        var s = queueState()
        let ref = ImageRef(url: "http://x/images/r1.png")
        _ = enter(&s)
        _ = reduce(&s, .submitted(JobID(1), r1, status: .completed(ref)))
        _ = reduce(&s, .failed(JobID(1), .network("reset"), during: .download))
        #expect(s.queue.jobs[0].state == .failed(.network("reset")))
        s.focus = .history
        #expect(reduce(&s, .key(.char("t"))) == [.download(JobID(1), ref, backend: "demo")])
        #expect(s.queue.jobs[0].state == .downloading && s.queue.jobs[0].attempts == 1)
        _ = reduce(&s, .downloaded(JobID(1), ImageData([1])))
        #expect(reduce(&s, .failed(JobID(1), .storage("disk full"), during: .save)) == [.terminal(.notify(JobID(1)))])
        // A failed save kept the image: t saves it again (downloading only if the kept copy is gone).
        #expect(reduce(&s, .key(.char("t"))) == [.loadPending(JobID(1), fallback: ref, backend: "demo")])
    }

    @Test func retryOfAJobThatNeverReachedTheServiceSendsTheSameRequest() {
        var s = queueState()
        _ = enter(&s)
        _ = reduce(&s, .failed(JobID(1), .network("refused"), during: .submit))
        s.focus = .history
        #expect(submits(reduce(&s, .key(.char("t")))) == [JobID(1)])
        #expect(s.queue.jobs[0].attempts == 2 && s.queue.jobs.count == 1)
    }

    @Test func a429OnSubmitCountsDownThenSendsAgainByItself() {
        var s = queueState()
        _ = enter(&s)
        let effects = reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: .seconds(2)), during: .submit))
        #expect(s.queue.jobs[0].state == .waiting(until: t0 + .seconds(2)))
        #expect(effects == [.timer(after: .seconds(2))])
        #expect(reduce(&s, .tick(t0 + .seconds(1), wallTime: 1)).isEmpty)
        #expect(submits(reduce(&s, .tick(t0 + .seconds(2), wallTime: 2))) == [JobID(1)])
        #expect(s.queue.jobs[0].attempts == 2)
    }

    @Test func thePacerKeepsSubmissionsUnderTheLimit() {
        var s = queueState(concurrency: 5, pacer: RateLimitPacer(limit: 2, window: .seconds(10)))
        var effects: [Effect] = []
        for _ in 0..<3 { effects += enter(&s) }
        #expect(submits(effects) == [JobID(1), JobID(2)])
        #expect(effects.contains(.timer(after: .milliseconds(10_500))))      // the window plus a 5 % margin
        #expect(submits(reduce(&s, .tick(t0 + .seconds(10), wallTime: 10))).isEmpty)
        #expect(submits(reduce(&s, .tick(t0 + .milliseconds(10_500), wallTime: 10.5))) == [JobID(3)])
    }

    @Test func transientPollErrorsBackOffWithJitterThenFail() {
        var s = queueState()
        _ = enter(&s)
        _ = reduce(&s, .submitted(JobID(1), r1, status: .running(progress: nil)))
        var delays: [Duration] = []
        for _ in 0..<PollPolicy.maxConsecutiveFailures {
            let e = reduce(&s, .failed(JobID(1), .server(status: 503, message: ""), during: .poll))
            guard case .poll(_, _, let after, backend: "demo")? = e.first else { Issue.record("no poll: \(e)"); return }
            delays.append(after)
        }
        #expect(delays[0] >= .milliseconds(1600) && delays[0] <= .milliseconds(2400))
        #expect(delays[2] >= .milliseconds(6400) && delays[2] <= .milliseconds(9600))
        #expect(delays.last! <= .seconds(36))
        _ = reduce(&s, .failed(JobID(1), .server(status: 503, message: ""), during: .poll))
        #expect(s.queue.jobs[0].state == .failed(.server(status: 503, message: "")))
        var ok = queueState()
        _ = enter(&ok)
        _ = reduce(&ok, .submitted(JobID(1), r1, status: .running(progress: nil)))
        _ = reduce(&ok, .failed(JobID(1), .network("reset"), during: .poll))
        _ = reduce(&ok, .statusPolled(JobID(1), .running(progress: 0.5)))
        #expect(ok.jobs[0].pollFailures == 0)
    }

    @Test func ctrlTTogglesTheModeAndTheLockFollows() {
        var s = AppState.fixture(prompt: "a")
        _ = enter(&s)
        #expect(s.isEditorLocked)
        _ = reduce(&s, .key(.ctrl("t")))
        #expect(s.mode == .queue && !s.isEditorLocked)
    }
}

@Suite("Mouse")
struct MouseTests {
    @Test func aClickFocusesThePaneAndSelectsTheRowUnderIt() {
        var s = AppState.fixture(prompt: "a", mode: .queue)
        for _ in 0..<3 { _ = enter(&s) }
        for id in 1...3 { _ = reduce(&s, .failed(JobID(id), .network("x"), during: .submit)) }
        // history, newest first: #3, #2, #1
        _ = reduce(&s, .clicked(.history, job: JobID(2)))               // the row's job, from PaneRows (EaselUI)
        #expect(s.focus == .history && s.history.selection == JobID(2))
        _ = reduce(&s, .clicked(.history, job: nil))                     // below the rows: selection stays
        #expect(s.history.selection == JobID(2))
        _ = reduce(&s, .scrolled(.history, by: 1))
        #expect(s.history.selection == JobID(1))
        _ = reduce(&s, .clicked(.prompt, job: nil))
        #expect(s.focus == .prompt)
    }
}

@Suite("Queue details from a user test")
struct QueueUserTestFixes {
    @Test func afterCancelTheCursorStaysOnTheSameRowSoASecondXHitsTheNextJob() {
        var s = AppState.fixture(prompt: "", mode: .queue)
        s.queue.pacer = RateLimitPacer(limit: 1, window: .seconds(60))
        for p in ["one", "two", "three", "four"] { enter(&s, p) }   // one submitting, the rest pending
        s.focus = .queue
        s.queue.selection = JobID(3)
        _ = reduce(&s, .key(.char("x")))
        #expect(s.queue.selection == JobID(4))
        _ = reduce(&s, .key(.char("x")))
        #expect(s.queue.jobs.map(\.state.label) == ["submitting", "pending", "canceled", "canceled"])
    }

    @Test func pendingJobsSayWhenThePacerLetsThemGo() {
        var s = AppState.fixture(prompt: "", mode: .queue)
        s.queue.pacer = RateLimitPacer(limit: 1, window: .seconds(20))
        s.queue.concurrency = 2
        enter(&s, "a"); enter(&s, "b")
        #expect(s.queue.pacerReadyAt == t0 + .seconds(21))
    }

    @Test func noneInAContextAlsoHidesTheGlobalBinding() throws {
        let keymap = try Keymap.default.overriding([.prompt: [("C-t", "none")]])
        #expect(keymap.command(for: .ctrl("t"), in: .prompt) == nil)
        #expect(keymap.command(for: .ctrl("t"), in: .queue) == .toggleMode)
    }
}
