import EaselCore
import Testing
import TestSupport

/// Exclusive mode against queue mode, slots and the pacer, bracketed paste, and jobs restored from
/// the journal at start.
@Suite("Modes, slots, paste and restore")
struct ModesAndPasteReducerTests {
    @Test func exclusiveModeLocksEnterTypingAndEditingWhileAJobRuns() {
        var s = AppState.fixture()
        Drive.submit(&s, "sea", id: 1)
        for key in [Key.enter, .char("x"), .backspace, .ctrl("w"), .up, .alt("n")] {
            #expect(reduce(&s, .key(key)) == [])
            #expect(s.hint == .locked)
        }
        #expect(s.editor.prompt.text == "sea" && s.jobs.count == 1)
        #expect(s.hint?.message == "A job is processing: the editor is locked until it finishes; C-t switches to queue mode")
    }

    @Test func exclusiveModeStillMovesTheCursorAndChangesPanesWhileLocked() {
        var s = AppState.fixture()
        Drive.submit(&s, "sea", id: 1)
        Drive.press(&s, .left)
        #expect(s.hint == nil)
        Drive.press(&s, .tab)
        #expect(s.focus == .queue)
    }

    @Test func theLockLiftsWhenTheJobEndsAndEnterSendsAgain() {
        var s = AppState.fixture()
        Drive.submit(&s, "sea", id: 1)
        Drive.complete(&s, id: 1)
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(2), Drive.request("sea"), backend: "demo")])
    }

    @Test func queueModeTakesEnterWhileAJobRunsClearsTheEditorAndSaysHowManyWait() {
        var s = AppState.fixture(mode: .queue)
        Drive.submit(&s, "sea", id: 1)
        #expect(s.editor.prompt.text.isEmpty)
        Drive.type(&s, "fog")
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.job(JobID(2))?.state == .pending && s.hint == .info("1 job queued; 2 waiting or running"))
    }

    @Test func switchingToQueueModeWhileLockedUnlocksAtOnce() {
        var s = AppState.fixture()
        Drive.submit(&s, "sea", id: 1)
        Drive.press(&s, .ctrl("t"))
        Drive.type(&s, "!")
        #expect(s.editor.prompt.text == "sea!" && !s.isEditorLocked)
    }

    @Test func twoSlotsSendTwoJobsAndTheThirdWhenOneEnds() {
        var s = AppState.fixture(mode: .queue)
        s.queue.concurrency = 2
        Drive.submit(&s, "a", id: 1)
        Drive.submit(&s, "b", id: 2)
        Drive.type(&s, "c")
        #expect(reduce(&s, .key(.enter)) == [])
        Drive.complete(&s, id: 2, next: [.submit(JobID(3), Drive.request("c"), backend: "demo")])
    }

    @Test func aServiceQueueAheadTakesMoreJobsThanTheSlots() {
        var s = AppState.fixture(mode: .queue)
        s.queue.queueAhead = 1
        Drive.submit(&s, "a", id: 1)
        Drive.submit(&s, "b", id: 2)
        Drive.type(&s, "c")
        #expect(reduce(&s, .key(.enter)) == [])
    }

    @Test func thePacerHoldsTheNinthJobInAMinuteAndATimerWakesIt() {
        var s = AppState.fixture(mode: .queue)
        s.queue.concurrency = 16
        for n in 1...8 { Drive.submit(&s, "p\(n)", id: n) }
        Drive.type(&s, "p9")
        let effects = reduce(&s, .key(.enter))
        guard effects.count == 1, case .timer(let after) = effects[0] else { Issue.record("\(effects)"); return }
        #expect(after == .seconds(63))                        // the 60 s window and its 5 % margin
        #expect(s.job(JobID(9))?.state == .pending && s.queue.pacerReadyAt == t0 + after)
        Drive.tick(&s, 62)                                     // the timer is out already: no second one
        Drive.tick(&s, 63, effects: [.submit(JobID(9), Drive.request("p9"), backend: "demo")])
    }

    @Test func aPasteGoesIntoThePromptWithNewlinesKeptAndNeverSends() {
        var s = AppState.fixture()
        #expect(reduce(&s, .paste("sea\nfog\r\n")) == [])
        #expect(s.editor.prompt.text == "sea\nfog\n" && s.jobs.isEmpty)
    }

    @Test func aPasteLosesEscapeSequencesAndControls() {
        var s = AppState.fixture()
        #expect(reduce(&s, .paste("red\u{1B}]52;c;aGk=\u{07}\u{1B}[31m sun\u{08}")) == [])
        #expect(s.editor.prompt.text == "red sun")                    // OSC 52 and SGR dropped whole, BS dropped
    }

    @Test func aPasteOutsideThePromptOrWhileLockedChangesNoText() {
        var s = AppState.fixture()
        Drive.press(&s, .tab)
        #expect(reduce(&s, .paste("fog")) == [])
        #expect(s.editor.prompt.text.isEmpty)
        Drive.press(&s, .escape)
        Drive.submit(&s, "sea", id: 1)
        #expect(reduce(&s, .paste("fog")) == [])
        #expect(s.editor.prompt.text == "sea" && s.hint == .locked)
    }

    @Test func aPasteDuringCtrlRGoesIntoTheQueryOnOneLine() {
        var s = Drive.finished(["blue moon"])
        Drive.press(&s, .ctrl("r"))
        #expect(reduce(&s, .paste("moon")) == [])
        #expect(s.search?.query == "moon")
    }

    @Test func restoredJobsInFlightResumePollingOrDownloadingAndTheHintSaysSo() {
        var s = AppState.fixture()
        var running = Job(id: JobID(5), request: Drive.request("sea"), state: .running(progress: 0.5), remoteID: RemoteJobID("x"),
                          createdAt: t0, createdWallTime: 1)
        running.startedAt = t0
        var downloading = Job(id: JobID(6), request: Drive.request("fog"), state: .saving, remoteID: RemoteJobID("y"),
                              createdAt: t0, createdWallTime: 2)
        downloading.imageRef = Drive.ref
        #expect(reduce(&s, .restored([running, downloading]))
                == [.poll(JobID(5), RemoteJobID("x"), after: .zero, backend: "demo"), .download(JobID(6), Drive.ref, backend: "demo")])
        #expect(s.job(JobID(6))?.state == .downloading && s.hint == .info("Resumed 2 jobs left in flight"))
    }

    @Test func aRestoredSubmitWithoutARemoteIdIsNotResentAndPendingJobsStart() {
        var s = AppState.fixture()
        let lost = Job(id: JobID(5), request: Drive.request("sea"), state: .submitting, createdAt: t0, createdWallTime: 1)
        let waiting = Job(id: JobID(6), request: Drive.request("fog"), state: .waiting(until: t0), createdAt: t0, createdWallTime: 2)
        #expect(reduce(&s, .restored([lost, waiting])) == [.submit(JobID(6), Drive.request("fog"), backend: "demo")])
        #expect(s.job(JobID(5))?.state.key == "failed" && s.job(JobID(6))?.state == .submitting)
    }

    @Test func restoringTheSameJobsTwiceAddsNothing() {
        var s = AppState.fixture()
        let done = Job(id: JobID(5), request: Drive.request("sea"), state: .canceled, createdAt: t0)
        #expect(reduce(&s, .restored([done])) == [])
        #expect(reduce(&s, .restored([done])) == [])
        #expect(s.jobs.count == 1)
    }

    @Test func aNoticeAndAWarningAreShownAsInfoAndAsError() {
        var s = AppState.fixture()
        #expect(reduce(&s, .notice("Opened /g/1.png")) == [])
        #expect(s.hint == .info("Opened /g/1.png") && s.hint?.isError == false)
        #expect(reduce(&s, .warning("the workflow's VAE node was dropped")) == [])
        #expect(s.hint?.isError == true && s.hint?.message == "the workflow's VAE node was dropped")
    }
}
