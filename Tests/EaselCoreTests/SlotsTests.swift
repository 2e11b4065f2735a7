import EaselCore
import Testing
import TestSupport

/// Slots are counted per backend and capped by what the service really runs at once
/// (`BackendChoice.slots`, from `GenerationBackend.maxConcurrentJobs`).
@Suite("Slots per backend (reducer)")
struct SlotsTests {
    /// `concurrency = 3` in the config, on A1111 (one txt2img at a time), in queue mode with 3 images per Enter.
    static func a1111(concurrency: Int = 3) -> AppState {
        var s = AppState.fixture(prompt: "lighthouse", mode: .queue)
        s.queue.concurrency = concurrency
        s.editor.parameters.count = 3
        s.backends = [BackendChoice(name: "a1111", summary: "a1111 at http://127.0.0.1:7860", slots: 1)]
        s.backendKey = "a1111"
        return s
    }

    @Test func aSynchronousBackendWithConcurrencyThreeRunsOneJobAtATimeAndTheRestWaitInEaselsQueue() {
        var store = ReducerHarness(state: Self.a1111())
        let requests = (0..<3).map { GenerationRequest.fixture(seed: 42 + UInt32($0)) }
        store.send(.key(.enter), effects: [.submit(JobID(1), requests[0], backend: "a1111")]) {
            $0.queue.jobs = requests.enumerated().map { i, r in
                var job = Job(id: JobID(i + 1), request: r, state: i == 0 ? .submitting : .pending, createdAt: t0, backend: "a1111")
                if i == 0 { job.attempts = 1; job.startedAt = t0 }
                return job
            }
            $0.queue.nextJobID = 4
            $0.queue.pacer.record(now: t0)
            $0.editor.promptHistory = [PromptHistoryEntry(prompt: "lighthouse", parameters: $0.editor.parameters)]
            $0.editor.prompt.replace(with: "")               // queue mode: ready for the next prompt
            $0.hint = .info("3 jobs queued; 3 waiting or running")
        }
        #expect(store.state.slots(on: "a1111") == 1 && store.state.busySlots(on: "a1111") == 1)
        // The job ends; only then does the next one go, to the same backend.
        let remote = RemoteJobID("a1111-1")
        var s = store.state
        #expect(reduce(&s, .submitted(JobID(1), remote, status: .running(progress: 0.1))) == [.poll(JobID(1), remote, after: .seconds(2), backend: "a1111")])
        #expect(s.queue.jobs.map(\.state.label) == ["processing", "pending", "pending"])
        #expect(reduce(&s, .failed(JobID(1), .inferenceFailed("oom"), during: .poll))
            == [.terminal(.notify(JobID(1))), .submit(JobID(2), requests[1], backend: "a1111")])
        #expect(s.queue.jobs.map(\.state.label) == ["failed", "submitting", "pending"])
    }

    @Test func withoutADeclaredLimitTheConfiguredConcurrencyHolds() {
        var s = Self.a1111()
        s.backends = [BackendChoice(name: "a1111", summary: "a service without a limit of its own")]
        let effects = reduce(&s, .key(.enter))
        #expect(effects.count == 3 && s.queue.jobs.allSatisfy { $0.state == .submitting })
    }

    @Test func slotsAreKeyedByBackendSoAFullOneHoldsBackOnlyItsOwnJobs() {
        var s = AppState.fixture(prompt: "sea", mode: .queue)
        s.backends = [BackendChoice(name: "gpu", summary: "gpu", slots: 1), BackendChoice(name: "demo", summary: "demo")]
        s.backendKey = "gpu"
        #expect(reduce(&s, .key(.enter)).contains(.submit(JobID(1), .fixture(prompt: "sea"), backend: "gpu")))
        s.editor.prompt = PromptEditor("sea")
        #expect(reduce(&s, .key(.enter)).isEmpty, "gpu is busy: its second job waits")
        #expect(reduce(&s, .key(.function(3))) == [])             // new jobs go to the demo
        s.editor.prompt = PromptEditor("sea")
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(3), .fixture(prompt: "sea"), backend: "demo")])
        #expect(s.queue.jobs.map(\.state.label) == ["submitting", "pending", "submitting"])
    }
}
