import EaselCore
import Testing
import TestSupport

@Suite("Jobs sent ahead into a service's own queue")
struct QueueAheadTests {
    func submits(_ effects: [Effect]) -> [JobID] {
        effects.compactMap { if case .submit(let id, _, _) = $0 { id } else { nil } }
    }

    /// ComfyUI runs its own queue: with `queue_ahead = 2` two more jobs wait on the server while one runs, so
    /// it never idles between jobs; the rest stay in Easel's queue, not sent, and can still be canceled.
    @Test func twoJobsWaitOnTheServerWhileOneRunsAndTheRestStayInEaselsQueue() {
        var s = AppState.fixture(prompt: "sea", mode: .queue)
        s.queue.pacer = RateLimitPacer(limit: 100, window: .seconds(1))
        s.backends = [BackendChoice(name: "gpu", summary: "gpu — comfyui", queueAhead: 2), BackendChoice(name: "demo", summary: "demo")]
        s.backendKey = "gpu"
        var sent: [JobID] = []
        for _ in 0..<5 { sent += submits(enter(&s)) }
        #expect(sent == [JobID(1), JobID(2), JobID(3)])
        #expect(s.queue.jobs.map(\.state.label) == ["submitting", "submitting", "submitting", "pending", "pending"])
        _ = reduce(&s, .submitted(JobID(1), RemoteJobID("r1"), status: .running(progress: nil)))
        _ = reduce(&s, .submitted(JobID(2), RemoteJobID("r2"), status: .queued(position: 1)))
        _ = reduce(&s, .submitted(JobID(3), RemoteJobID("r3"), status: .queued(position: 2)))
        _ = reduce(&s, .statusPolled(JobID(1), .completed(ImageRef(url: "u"))))
        _ = reduce(&s, .downloaded(JobID(1), ImageData([1])))
        #expect(submits(reduce(&s, .saved(JobID(1), SavedImage(path: "/p", width: 1, height: 1)))) == [JobID(4)])
        #expect(s.queue.jobs[4].state == .pending, "the fifth is still Easel's to cancel or reorder")
        // A backend without a queue of its own gets one job at a time.
        var d = AppState.fixture(prompt: "sea", mode: .queue)
        d.queue.pacer = RateLimitPacer(limit: 100, window: .seconds(1))
        d.backends = s.backends
        d.backendKey = "demo"
        var one: [JobID] = []
        for _ in 0..<3 { one += submits(enter(&d)) }
        #expect(one == [JobID(1)])
    }
}
