import EaselCore
import Testing
import TestSupport

/// Enter on a fixture state: the job is created pending and started at once (slot free, pacer open).
func submitted(_ store: inout ReducerHarness, id: Int = 1, request: GenerationRequest = .fixture(), at time: ContinuousClock.Instant = t0) {
    store.send(.key(.enter), effects: [.submit(JobID(id), request, backend: "demo")]) {
        var job = Job(id: JobID(id), request: request, state: .submitting, createdAt: time, backend: $0.backendKey)
        job.attempts = 1
        job.startedAt = time
        $0.queue.jobs.append(job)
        $0.queue.nextJobID = id + 1
        $0.queue.pacer.record(now: time)
        $0.editor.promptHistory.append(PromptHistoryEntry(prompt: request.prompt, parameters: $0.editor.parameters))
    }
}

@Suite("Job states and the exclusive lock")
struct JobLifecycleTests {
    let remote = RemoteJobID("abc-1")
    let ref = ImageRef(url: "http://127.0.0.1:1/images/abc-1.png")
    let saved = SavedImage(path: "/tmp/g/2026-11-29/120000_lighthouse_42.png", width: 768, height: 768)

    @Test func enterFreezesTheRequestAndShowsSubmittingBeforeTheCallReturns() {
        var store = ReducerHarness(state: .fixture(prompt: "  lighthouse  "))
        submitted(&store)
        #expect(store.state.isEditorLocked)
        #expect(store.state.activeJobs.first?.state.label == "submitting")
    }

    @Test func secondEnterInExclusiveModeShowsTheLockedHintAndSubmitsNothing() {
        var store = ReducerHarness(state: .fixture(prompt: "lighthouse"))
        submitted(&store)
        store.send(.key(.enter)) { $0.hint = .locked }
    }

    @Test func typingWhileLockedChangesNothingAndExplainsWhy() {
        var store = ReducerHarness(state: .fixture(prompt: "lighthouse"))
        submitted(&store)
        store.send(.key(.char("x"))) { $0.hint = .locked }
        store.send(.key(.backspace)) { $0.hint = .locked }
        store.send(.paste("more")) { $0.hint = .locked }
        #expect(store.state.editor.prompt.text == "lighthouse")
    }

    @Test func aJobGoesFromSubmittedThroughPollingToComplete() {
        var store = ReducerHarness(state: .fixture(prompt: "lighthouse"))
        submitted(&store)
        store.send(.submitted(JobID(1), remote, status: .running(progress: nil)),
                   effects: [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")]) {
            $0.queue.jobs[0].remoteID = remote
            $0.queue.jobs[0].state = .running(progress: nil)
            $0.queue.jobs[0].runningSince = t0
        }
        store.send(.tick(t0 + .seconds(2), wallTime: 2)) { $0.now = t0 + .seconds(2); $0.wallTime = 2 }
        store.send(.statusPolled(JobID(1), .running(progress: 0.5)), effects: [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")]) {
            $0.queue.jobs[0].state = .running(progress: 0.5)
        }
        store.send(.statusPolled(JobID(1), .completed(ref)), effects: [.download(JobID(1), ref, backend: "demo")]) {
            $0.queue.jobs[0].state = .downloading
            $0.queue.jobs[0].imageRef = ref
            $0.queue.jobs[0].imageRefs = [ref]
            $0.queue.jobs[0].downloadStartedAt = t0 + .seconds(2)
        }
        store.send(.tick(t0 + .seconds(3), wallTime: 3)) { $0.now = t0 + .seconds(3); $0.wallTime = 3 }
        // The image's timings come from the job's own timestamps: submitted at t0, download begun at t0 + 2 s.
        let timings = JobTimings(elapsed: .seconds(3), download: .seconds(1))
        store.send(.downloaded(JobID(1), ImageData([1, 2, 3])),
                   effects: [.save(JobID(1), ImageData([1, 2, 3]), .fixture(), remote: remote, backend: "demo", timings: timings)]) {
            $0.queue.jobs[0].state = .saving
        }
        store.send(.saved(JobID(1), saved), effects: [.terminal(.notify(JobID(1)))]) {
            $0.queue.jobs[0].state = .complete(saved)
            $0.queue.jobs[0].savedImages = [saved]
            $0.queue.jobs[0].finishedAt = t0 + .seconds(3)
            $0.hint = .saved(JobID(1), path: saved.path)
        }
        #expect(!store.state.isEditorLocked)
        #expect(Array(store.state.historyRows).map(\.id) == [JobID(1)])
    }

    @Test func pollingStopsAtTheDeadlineKeepsTheRemoteIDAndTResumesIt() {
        var state = AppState.fixture(prompt: "lighthouse")
        state.pollPolicy = PollPolicy(interval: .seconds(2), deadline: .seconds(10))
        var store = ReducerHarness(state: state)
        submitted(&store)
        store.send(.submitted(JobID(1), remote, status: .running(progress: nil)), effects: [.poll(JobID(1), remote, after: .seconds(2), backend: "demo")]) {
            $0.queue.jobs[0].remoteID = remote
            $0.queue.jobs[0].state = .running(progress: nil)
            $0.queue.jobs[0].runningSince = t0
        }
        store.send(.tick(t0 + .seconds(10), wallTime: 10)) { $0.now = t0 + .seconds(10); $0.wallTime = 10 }
        store.send(.statusPolled(JobID(1), .running(progress: 0.9)), effects: [.terminal(.notify(JobID(1)))]) {
            $0.queue.jobs[0].state = .failed(.timedOut(after: .seconds(10)))
            $0.queue.jobs[0].finishedAt = t0 + .seconds(10)
            $0.hint = .jobFailed(JobID(1), .timedOut(after: .seconds(10)))
        }
        #expect(store.state.jobs[0].remoteID == remote)
        store.send(.key(.tab)) { $0.focus = .queue; $0.hint = nil }
        store.send(.key(.tab)) { $0.focus = .history }
        store.send(.key(.char("t")), effects: [.poll(JobID(1), remote, after: .zero, backend: "demo")]) {
            $0.queue.jobs[0].state = .running(progress: nil)
            $0.queue.jobs[0].finishedAt = nil
            $0.queue.jobs[0].startedAt = t0 + .seconds(10)
            $0.history.selection = JobID(1)                 // the cursor stays with the job it resumed
        }
    }

    @Test(arguments: [
        (JobError.invalidPrompt(reason: "prompt is empty"), Stage.submit), (.network("refused"), .submit),
        (.server(status: 503, message: ""), .submit), (.inferenceFailed("oom"), .poll), (.notFound, .poll),
        (.unauthorized("401"), .poll),
    ])
    func aFailureEndsTheJobWithItsCategoryAndUnlocksTheEditor(error: JobError, stage: Stage) {
        var store = ReducerHarness(state: .fixture(prompt: "lighthouse"))
        submitted(&store)
        store.send(.failed(JobID(1), error, during: stage), effects: [.terminal(.notify(JobID(1)))]) {
            $0.queue.jobs[0].state = .failed(error)
            $0.queue.jobs[0].finishedAt = t0
            $0.hint = .jobFailed(JobID(1), error)
        }
        #expect(!store.state.isEditorLocked)
    }

    @Test func theServiceReportingFailureIsInferenceFailed() {
        var store = ReducerHarness(state: .fixture(prompt: "lighthouse"))
        submitted(&store)
        store.send(.submitted(JobID(1), remote, status: .failed("CUDA out of memory")), effects: [.terminal(.notify(JobID(1)))]) {
            $0.queue.jobs[0].remoteID = remote
            $0.queue.jobs[0].state = .failed(.inferenceFailed("CUDA out of memory"))
            $0.queue.jobs[0].finishedAt = t0
            $0.hint = .jobFailed(JobID(1), .inferenceFailed("CUDA out of memory"))
        }
    }

    @Test func emptyOrOverlongPromptsAreRefusedOnTheClient() {
        var store = ReducerHarness(state: .fixture(prompt: "   "))
        store.send(.key(.enter)) { $0.hint = .emptyPrompt }
        var long = ReducerHarness(state: .fixture(prompt: String(repeating: "a", count: 4_001)))
        long.send(.key(.enter)) { $0.hint = .promptTooLong(characters: 4_001) }
    }

    @Test func lateResultsForAFinishedJobAreIgnored() {
        var store = ReducerHarness(state: .fixture(prompt: "lighthouse"))
        submitted(&store)
        store.send(.failed(JobID(1), .network("reset"), during: .submit), effects: [.terminal(.notify(JobID(1)))]) {
            $0.queue.jobs[0].state = .failed(.network("reset"))
            $0.queue.jobs[0].finishedAt = t0
            $0.hint = .jobFailed(JobID(1), .network("reset"))
        }
        store.send(.statusPolled(JobID(1), .completed(ref)))
        store.send(.saved(JobID(1), saved))
    }

    @Test func randomSeedsAreResolvedOnTheClientAndDifferPerJob() {
        var state = AppState.fixture(prompt: "a", parameters: GenerationParameters(seed: nil))
        state.mode = .queue
        var seeds = SeedSource(seed: 7)                   // the fixture's seed source
        #expect(enter(&state, "a") == [.submit(JobID(1), .fixture(prompt: "a", seed: seeds.next()), backend: "demo")])
        #expect(enter(&state, "a") == [])                  // one slot: the second waits, its seed drawn already
        #expect(state.jobs.count == 2 && state.jobs[1].request.seed == seeds.next())
        #expect(state.jobs[0].request.seed != state.jobs[1].request.seed)
    }
}
