import EaselCore
import Testing
import TestSupport

/// A job's way through its states as the effect runner reports it: accepted, queued, running with
/// progress, done, downloaded, saved, or failed / canceled / retried / timed out, with the exact
/// orders each report gives.
@Suite("Job stages: each report moves the job and orders the next step")
struct JobStagesReducerTests {
    let id = JobID(1)
    let r1 = Drive.remote(1)

    func sent(_ prompt: String = "sea", mode: GenerationMode = .exclusive) -> AppState {
        var s = AppState.fixture(mode: mode)
        Drive.submit(&s, prompt, id: 1)
        return s
    }

    @Test func acceptedAsQueuedShowsThePositionAndPolls() {
        var s = sent()
        #expect(reduce(&s, .submitted(id, r1, status: .queued(position: 3))) == [.poll(id, r1, after: .seconds(2), backend: "demo")])
        #expect(s.job(id)?.state == .queued(position: 3) && s.job(id)?.remoteID == r1)
    }

    @Test func runningReportsCarryProgressAndStepsAndStartTheRunningClockOnce() {
        var s = sent()
        Drive.tick(&s, 1)
        Drive.running(&s, id: 1, progress: 0.1)
        Drive.tick(&s, 3)
        let step = StepProgress(step: 19, total: 30, node: "KSampler")
        #expect(reduce(&s, .statusPolled(id, .running(progress: 0.63, step: step))) == [.poll(id, r1, after: .seconds(2), backend: "demo")])
        #expect(s.job(id)?.state == .running(progress: 0.63, step: step) && s.job(id)?.step == step)
        #expect(s.job(id)?.runningSince == t0 + .seconds(1))
    }

    @Test func backToQueuedClearsTheRunningClockAndTheStep() {
        var s = sent()
        Drive.running(&s, id: 1, progress: 0.5)
        #expect(reduce(&s, .statusPolled(id, .queued(position: 1))) == [.poll(id, r1, after: .seconds(2), backend: "demo")])
        #expect(s.job(id)?.runningSince == nil && s.job(id)?.step == nil)
    }

    @Test func doneOrdersTheDownloadThenTheSaveThenAnnouncesTheEnd() {
        var s = sent()
        Drive.running(&s, id: 1)
        #expect(reduce(&s, .statusPolled(id, .completed(Drive.ref))) == [.download(id, Drive.ref, backend: "demo")])
        #expect(s.job(id)?.state == .downloading)
        #expect(reduce(&s, .downloaded(id, Drive.png)) == [.save(id, Drive.png, Drive.request("sea"), remote: r1, backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(s.job(id)?.state == .saving)
        #expect(reduce(&s, .saved(id, Drive.saved(1))) == [.terminal(.notify(id))])
        #expect(s.job(id)?.state == .complete(Drive.saved(1)) && s.hint == .saved(id, path: "/g/1.png"))
        #expect(!s.isEditorLocked)
    }

    @Test func aBatchOfImagesIsDownloadedAndSavedOneByOneWithTheirNumbers() {
        var s = sent()
        let refs = [ImageRef(url: "a"), ImageRef(url: "b")]
        #expect(reduce(&s, .submitted(id, r1, status: .completedBatch(refs))) == [.download(id, refs[0], backend: "demo")])
        #expect(reduce(&s, .downloaded(id, Drive.png)) == [.save(id, Drive.png, Drive.request("sea"), remote: r1, index: 1, backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(reduce(&s, .saved(id, Drive.saved(1))) == [.download(id, refs[1], backend: "demo")])
        #expect(reduce(&s, .downloaded(id, Drive.png)) == [.save(id, Drive.png, Drive.request("sea"), remote: r1, index: 2, backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        let second = SavedImage(path: "/g/1-2.png", width: 768, height: 768)
        #expect(reduce(&s, .saved(id, second)) == [.terminal(.notify(id))])
        #expect(s.job(id)?.state == .complete(Drive.saved(1)))
        #expect(s.hint == .info("Job #1 made 2 images: saved /g/1.png and 1 more beside it"))
    }

    @Test func successWithNoImageIsABadResponse() {
        var s = sent()
        #expect(reduce(&s, .submitted(id, r1, status: .completedBatch([]))) == [.terminal(.notify(id))])
        #expect(s.job(id)?.state == .failed(.badResponse("the service reported success with no image")))
    }

    @Test func theServiceSayingFailedIsAnInferenceFailureShownInTheStatusLine() {
        var s = sent()
        Drive.running(&s, id: 1)
        #expect(reduce(&s, .statusPolled(id, .failed("CUDA out of memory"))) == [.terminal(.notify(id))])
        #expect(s.hint == .jobFailed(id, .inferenceFailed("CUDA out of memory")))
        #expect(s.hint?.message == "Job #1 generation failed: CUDA out of memory")
    }

    @Test func reportsForAJobInAnotherStageAreIgnored() {
        var s = sent()
        let before = s
        #expect(reduce(&s, .statusPolled(id, .running(progress: 0.5))) == [])     // no remote id yet
        #expect(reduce(&s, .downloaded(id, Drive.png)) == [])                       // not downloading
        #expect(reduce(&s, .saved(id, Drive.saved(1))) == [])
        #expect(reduce(&s, .livePreview(id, path: "/tmp/p.png")) == [])
        #expect(reduce(&s, .submitted(JobID(9), r1, status: .queued(position: nil))) == [])
        #expect(s == before)
    }

    @Test func aLivePreviewIsKeptWhileTheJobRuns() {
        var s = sent()
        Drive.running(&s, id: 1, progress: 0.2)
        #expect(reduce(&s, .livePreview(id, path: "/tmp/live.png")) == [])
        #expect(s.job(id)?.livePreview == "/tmp/live.png")
    }

    @Test func aTransientPollErrorBacksOffAndTheNextGoodAnswerResetsTheCount() {
        var s = sent()
        Drive.running(&s, id: 1)
        var seeds = SeedSource(seed: 7)
        let delay = PollPolicy().backoff(failures: 1, jitter: Double(seeds.next()) / Double(UInt32.max))
        #expect(reduce(&s, .failed(id, .server(status: 502, message: ""), during: .poll)) == [.poll(id, r1, after: delay, backend: "demo")])
        #expect(s.job(id)?.pollFailures == 1 && s.job(id)?.state == .running(progress: nil))
        #expect(reduce(&s, .statusPolled(id, .running(progress: 0.3))) == [.poll(id, r1, after: .seconds(2), backend: "demo")])
        #expect(s.job(id)?.pollFailures == 0)
    }

    @Test func aRetryAfterOnAPollIsWaitedAtLeast() {
        var s = sent()
        Drive.running(&s, id: 1)
        #expect(reduce(&s, .failed(id, .rateLimited(retryAfter: .seconds(90)), during: .poll)) == [.poll(id, r1, after: .seconds(90), backend: "demo")])
    }

    @Test func tooManyPollErrorsInARowFailTheJob() {
        var s = sent()
        Drive.running(&s, id: 1)
        for _ in 0..<PollPolicy.maxConsecutiveFailures {
            let effects = reduce(&s, .failed(id, .network("reset"), during: .poll))
            guard effects.count == 1, case .poll(let job, let remote, _, _) = effects[0] else {
                Issue.record("expected one poll, got \(effects)")
                return
            }
            #expect(job == id && remote == r1)
        }
        #expect(reduce(&s, .failed(id, .network("reset"), during: .poll)) == [.terminal(.notify(id))])
        #expect(s.job(id)?.state == .failed(.network("reset")))
    }

    @Test func aPermanentPollErrorFailsAtOnce() {
        var s = sent()
        Drive.running(&s, id: 1)
        #expect(reduce(&s, .failed(id, .notFound, during: .poll)) == [.terminal(.notify(id))])
        #expect(s.hint?.message == "Job #1 not found: the server no longer knows this job")
    }

    @Test func runningPastTheDeadlineTimesOutButQueueTimeDoesNotCount() {
        var s = sent()
        s.pollPolicy = PollPolicy(interval: .seconds(2), deadline: .seconds(60))
        #expect(reduce(&s, .submitted(id, r1, status: .queued(position: 1))) == [.poll(id, r1, after: .seconds(2), backend: "demo")])
        Drive.tick(&s, 100)                                               // queued for 100 s: fine
        #expect(reduce(&s, .statusPolled(id, .running(progress: 0.1))) == [.poll(id, r1, after: .seconds(2), backend: "demo")])
        Drive.tick(&s, 159)
        #expect(reduce(&s, .statusPolled(id, .running(progress: 0.9))) == [.poll(id, r1, after: .seconds(2), backend: "demo")])
        Drive.tick(&s, 160)
        #expect(reduce(&s, .statusPolled(id, .running(progress: 0.95))) == [.terminal(.notify(id))])
        #expect(s.job(id)?.state == .failed(.timedOut(after: .seconds(60))) && s.job(id)?.remoteID == r1)
    }

    @Test func tOnATimedOutJobResumesPollingTheSameRemoteJob() {
        var s = sent()
        s.pollPolicy = PollPolicy(interval: .seconds(2), deadline: .seconds(10))
        Drive.running(&s, id: 1)
        Drive.tick(&s, 10)
        #expect(reduce(&s, .statusPolled(id, .running(progress: 0.9))) == [.terminal(.notify(id))])
        Drive.press(&s, .backTab)
        #expect(reduce(&s, .key(.char("t"))) == [.poll(id, r1, after: .zero, backend: "demo")])
        #expect(s.job(id)?.state == .running(progress: nil) && s.job(id)?.startedAt == t0 + .seconds(10))
        #expect(s.job(id)?.attempts == 1)                                     // not sent again
    }

    @Test func tAfterAFailedDownloadOnlyDownloadsAgain() {
        var s = sent()
        #expect(reduce(&s, .submitted(id, r1, status: .completed(Drive.ref))) == [.download(id, Drive.ref, backend: "demo")])
        #expect(reduce(&s, .failed(id, .network("reset"), during: .download)) == [.terminal(.notify(id))])
        Drive.press(&s, .backTab)
        #expect(reduce(&s, .key(.char("t"))) == [.download(id, Drive.ref, backend: "demo")])
        #expect(s.job(id)?.state == .downloading && s.job(id)?.attempts == 1)
    }

    @Test func tAfterAFailedSaveSavesTheKeptImageAgain() {
        var s = sent()
        #expect(reduce(&s, .submitted(id, r1, status: .completed(Drive.ref))) == [.download(id, Drive.ref, backend: "demo")])
        #expect(reduce(&s, .downloaded(id, Drive.png)) == [.save(id, Drive.png, Drive.request("sea"), remote: r1, backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(reduce(&s, .failed(id, .storage("disk full"), during: .save)) == [.terminal(.notify(id))])
        #expect(s.hint?.message == "Job #1 could not save: disk full")
        Drive.press(&s, .backTab)
        #expect(reduce(&s, .key(.char("t"))) == [.loadPending(id, fallback: Drive.ref, backend: "demo")])
    }

    @Test func tAfterARefusedSubmitSendsTheSameFrozenRequestAgain() {
        var s = sent()
        #expect(reduce(&s, .failed(id, .invalidPrompt(reason: "nsfw"), during: .submit)) == [.terminal(.notify(id))])
        Drive.press(&s, .backTab)
        #expect(reduce(&s, .key(.char("t"))) == [.submit(id, Drive.request("sea"), backend: "demo")])
        #expect(s.job(id)?.attempts == 2)
    }

    @Test func aTooManyRequestsOnSubmitWaitsTheRetryAfterWithATimerAndTheTickResends() {
        var s = sent()
        #expect(reduce(&s, .failed(id, .rateLimited(retryAfter: .seconds(4)), during: .submit)) == [.timer(after: .seconds(4))])
        #expect(s.job(id)?.state == .waiting(until: t0 + .seconds(4)))
        Drive.tick(&s, 3)
        Drive.tick(&s, 4, effects: [.submit(id, Drive.request("sea"), backend: "demo")])
        #expect(s.job(id)?.attempts == 2)
    }

    @Test func aTooManyRequestsPastTheRefusalDeadlineFails() {
        var s = sent()
        s.pollPolicy = PollPolicy(refusalDeadline: .seconds(3))
        #expect(reduce(&s, .failed(id, .rateLimited(retryAfter: .seconds(4)), during: .submit)) == [.terminal(.notify(id))])
        #expect(s.job(id)?.state == .failed(.rateLimited(retryAfter: .seconds(4))))
        #expect(s.hint?.message == "Job #1 rate limited: retry in 4s")
    }

    @Test func aFailedCancelIsIgnoredSinceTheJobIsAlreadyCanceled() {
        var s = sent(mode: .queue)
        Drive.running(&s, id: 1)
        Drive.press(&s, .tab)
        #expect(reduce(&s, .key(.char("x"))) == [.terminal(.notify(id)), .cancel(id, r1, backend: "demo")])
        let before = s
        #expect(reduce(&s, .failed(id, .network("refused"), during: .cancel)) == [])
        #expect(s == before)
    }

    @Test func aSubmitThatFailsAfterCancelIsNotSentAgain() {
        var s = sent(mode: .queue)
        Drive.press(&s, .tab)
        #expect(reduce(&s, .key(.char("x"))) == [])
        #expect(reduce(&s, .failed(id, .rateLimited(retryAfter: nil), during: .submit)) == [.terminal(.notify(id))])
        #expect(s.job(id)?.state == .canceled)
    }
}
