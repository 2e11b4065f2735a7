import EaselCore
import Testing
import TestSupport

@Suite("Jobs sent ahead into a service's own queue")
struct QueueAheadTests {
    let sea = GenerationRequest.fixture(prompt: "sea")

    /// ComfyUI runs its own queue: with `queue_ahead = 2` two more jobs wait on the server while one runs, so
    /// it never idles between jobs; the rest stay in Easel's queue, not sent, and can still be canceled.
    @Test func twoJobsWaitOnTheServerWhileOneRunsAndTheRestStayInEaselsQueue() {
        var s = AppState.fixture(prompt: "sea", mode: .queue)
        s.queue.pacer = RateLimitPacer(limit: 100, window: .seconds(1))
        s.backends = [BackendChoice(name: "gpu", summary: "gpu — comfyui", queueAhead: 2), BackendChoice(name: "demo", summary: "demo")]
        s.backendKey = "gpu"
        for id in 1...3 { #expect(enter(&s) == [.submit(JobID(id), sea, backend: "gpu")]) }      // one slot + two sent ahead
        for _ in 4...5 { #expect(enter(&s) == []) }
        #expect(s.jobs.map(\.state.label) == ["submitting", "submitting", "submitting", "pending", "pending"])
        #expect(reduce(&s, .submitted(JobID(1), RemoteJobID("r1"), status: .running(progress: nil))) == [.poll(JobID(1), RemoteJobID("r1"), after: .seconds(2), backend: "gpu")])
        #expect(reduce(&s, .submitted(JobID(2), RemoteJobID("r2"), status: .queued(position: 1))) == [.poll(JobID(2), RemoteJobID("r2"), after: .seconds(2), backend: "gpu")])
        #expect(reduce(&s, .submitted(JobID(3), RemoteJobID("r3"), status: .queued(position: 2))) == [.poll(JobID(3), RemoteJobID("r3"), after: .seconds(2), backend: "gpu")])
        // The server is done with job 1 at its completion: job 4 goes then, not after the image is fetched and saved,
        // so two jobs still wait on the server while Easel downloads, decodes and writes.
        #expect(reduce(&s, .statusPolled(JobID(1), .completed(ImageRef(url: "u")))) == [.download(JobID(1), ImageRef(url: "u"), backend: "gpu"),
                                                                                         .submit(JobID(4), sea, backend: "gpu")])
        #expect(reduce(&s, .downloaded(JobID(1), ImageData([1]))) == [.save(JobID(1), ImageData([1]), sea, remote: RemoteJobID("r1"), backend: "gpu", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(reduce(&s, .saved(JobID(1), SavedImage(path: "/p", width: 1, height: 1))) == [.terminal(.notify(JobID(1)))])
        #expect(s.jobs[4].state == .pending, "the fifth is still Easel's to cancel or reorder")
        // A backend without a queue of its own gets one job at a time.
        var d = AppState.fixture(prompt: "sea", mode: .queue)
        d.queue.pacer = RateLimitPacer(limit: 100, window: .seconds(1))
        d.backends = s.backends
        d.backendKey = "demo"
        #expect(enter(&d) == [.submit(JobID(1), sea, backend: "demo")])
        #expect(enter(&d) == [])
        #expect(enter(&d) == [])
        // And there a job holds its slot until its image is saved.
        #expect(reduce(&d, .submitted(JobID(1), RemoteJobID("d1"), status: .running(progress: nil))).count == 1)
        #expect(reduce(&d, .statusPolled(JobID(1), .completed(ImageRef(url: "u")))) == [.download(JobID(1), ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&d, .downloaded(JobID(1), ImageData([1]))).count == 1)
        #expect(reduce(&d, .saved(JobID(1), SavedImage(path: "/p", width: 1, height: 1))) == [.terminal(.notify(JobID(1))), .submit(JobID(2), sea, backend: "demo")])
    }
}
