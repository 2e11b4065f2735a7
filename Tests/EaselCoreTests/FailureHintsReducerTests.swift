import EaselCore
import Testing
import TestSupport

/// Each error category, reported by the effect runner, ends the job with its own status-line message
/// (and recovery): what the user reads after `.failed(…)`.
@Suite("Error categories become their own messages")
struct FailureHintsReducerTests {
    let id = JobID(1)

    /// Job 1 sent, then failed with `error` at `stage`; returns the status line.
    func failed(_ error: JobError, during stage: Stage, sourceLocation: SourceLocation = #_sourceLocation) -> AppState {
        var s = AppState.fixture()
        Drive.submit(&s, "sea", id: 1, sourceLocation: sourceLocation)
        switch stage {
        case .submit, .cancel: break
        case .poll: Drive.running(&s, id: 1, sourceLocation: sourceLocation)
        case .download, .save:
            #expect(reduce(&s, .submitted(id, Drive.remote(1), status: .completed(Drive.ref))) == [.download(id, Drive.ref, backend: "demo")],
                    sourceLocation: sourceLocation)
            if stage == .save {
                #expect(reduce(&s, .downloaded(id, Drive.png)) == [.save(id, Drive.png, Drive.request("sea"), remote: Drive.remote(1), backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))],
                        sourceLocation: sourceLocation)
            }
        }
        #expect(reduce(&s, .failed(id, error, during: stage)) == [.terminal(.notify(id))], sourceLocation: sourceLocation)
        #expect(s.job(id)?.state == .failed(error) && s.hint == .jobFailed(id, error) && s.hint?.isError == true,
                sourceLocation: sourceLocation)
        return s
    }

    @Test func anInvalidPromptSaysWhyAndIsNotRetriedByItself() {
        let s = failed(.invalidPrompt(reason: "prompt too long"), during: .submit)
        #expect(s.hint?.message == "Job #1 invalid prompt: prompt too long")
        #expect(JobError.invalidPrompt(reason: "").isRetryable == false)
    }

    @Test func unauthorizedPointsAtTheKey() {
        let s = failed(.unauthorized("401 from api.openai.com"), during: .submit)
        #expect(s.hint?.message == "Job #1 unauthorized: 401 from api.openai.com")
        #expect(JobError.unauthorized("").recovery == "Check the API key for this backend.")
    }

    @Test func aNetworkErrorOnSubmitFailsAtOnceWithTheCause() {
        let s = failed(.network("connection refused"), during: .submit)
        #expect(s.hint?.message == "Job #1 network error: connection refused")
    }

    @Test func aServerErrorGivesTheStatusWithOrWithoutItsMessage() {
        let s = failed(.server(status: 500, message: "boom"), during: .submit)
        #expect(s.hint?.message == "Job #1 server error 500: boom")
        #expect(JobError.server(status: 503, message: "").message == "server error 503")
    }

    @Test func aBadResponseAfterTheServiceFinishedKeepsNoImageToRetry() {
        let s = failed(.badResponse("not a PNG"), during: .download)
        #expect(s.hint?.message == "Job #1 bad response: not a PNG")
    }

    @Test func aGraphErrorNamesWhatTheServerLacks() {
        let s = failed(.graph("ckpt_name: sd_xl.safetensors not in the list"), during: .submit)
        #expect(s.hint?.message == "Job #1 graph error: ckpt_name: sd_xl.safetensors not in the list")
    }

    @Test func aRateLimitWithoutRetryAfterOnThePollSaysLaterAndWaitsWithBackoff() {
        var s = AppState.fixture()
        Drive.submit(&s, "sea", id: 1)
        Drive.running(&s, id: 1)
        var seeds = SeedSource(seed: 7)
        let backoff = PollPolicy().backoff(failures: 1, jitter: Double(seeds.next()) / Double(UInt32.max))
        #expect(reduce(&s, .failed(id, .rateLimited(retryAfter: nil), during: .poll)) == [.poll(id, Drive.remote(1), after: backoff, backend: "demo")])
        #expect(s.hint == nil && s.job(id)?.state == .running(progress: nil))    // not a failure: polled again later
        #expect(JobError.rateLimited(retryAfter: nil).message == "rate limited: retry later")
        // What a job that ended rate limited says to do: it is not waiting any more.
        #expect(JobError.rateLimited(retryAfter: nil).recovery.hasPrefix("Refused (HTTP 429) until its deadline ran out: t sends it again"))
    }

    @Test func textFromTheServiceIsSanitizedInTheMessage() {
        let s = failed(.inferenceFailed("bad\u{1B}[2J\u{1B}]0;pwned\u{07} node"), during: .poll)
        #expect(s.hint?.message == "Job #1 generation failed: bad node")
    }

    @Test func aFailedSaveSaysWhyAndThatTheImageIsKept() {
        let s = failed(.storage("Permission denied: /g"), during: .save)
        #expect(s.hint?.message == "Job #1 could not save: Permission denied: /g")
        #expect(JobError.storage("").recovery == "Image kept: fix the folder, then t saves it.")
    }

    @Test func everyCategoryHasItsOwnKindAndAKindRoundTripsThroughTheJournal() {
        let all: [JobError] = [
            .invalidPrompt(reason: "r"), .graph("g"), .rateLimited(retryAfter: .seconds(40)), .unauthorized("u"), .notFound,
            .timedOut(after: .seconds(120)), .network("n"), .server(status: 502, message: "m"), .inferenceFailed("i"),
            .badResponse("b"), .storage("s"), .canceled, .journal("j"),
        ]
        #expect(Set(all.map(\.kind)).count == all.count)
        for error in all { #expect(JobError(kind: error.kind, message: error.message) == error) }
    }
}
