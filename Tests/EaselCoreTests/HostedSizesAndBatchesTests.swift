import EaselCore
import Testing
import TestSupport

/// Issue 19 in the reducer: a backend whose model makes only fixed sizes gets the nearest one of the same
/// orientation, said once in the status line, and M-s / M-e offer its sizes; a job whose service made
/// several images downloads and saves each, numbered, and completes once all are saved.
@Suite("Fixed model sizes and several images per job, in the reducer")
struct HostedSizesAndBatchesTests {
    static let gptImage = BackendChoice(name: "openai", summary: "openai — openai at https://api.openai.com", model: "gpt-image-1",
                                        sizes: ModelSizes.fixed(for: "gpt-image-1"))

    private func onGptImage(_ prompt: String = "lighthouse", mode: GenerationMode = .exclusive) -> AppState {
        var s = AppState.fixture(prompt: prompt, mode: mode)
        s.backends = [Self.gptImage, BackendChoice(name: "demo", summary: "demo backend — procedural, offline")]
        s.backendKey = "openai"
        return s
    }

    @Test func theNearestSizeKeepsTheOrientationThenTheAspectThenTheArea() {
        let gpt = ModelSizes.fixed(for: "GPT-Image-1")!
        #expect(ModelSizes.nearest(to: OutputSize(768, 768), in: gpt) == OutputSize(1024, 1024))
        #expect(ModelSizes.nearest(to: OutputSize(1024, 576), in: gpt) == OutputSize(1536, 1024))
        #expect(ModelSizes.nearest(to: OutputSize(512, 768), in: gpt) == OutputSize(1024, 1536))
        #expect(ModelSizes.nearest(to: OutputSize(1536, 1024), in: gpt) == OutputSize(1536, 1024))
        let dalle3 = ModelSizes.fixed(for: "dall-e-3")!
        #expect(ModelSizes.nearest(to: OutputSize(640, 2000), in: dalle3) == OutputSize(1024, 1792))
        let dalle2 = ModelSizes.fixed(for: "dall-e-2")!
        #expect(ModelSizes.nearest(to: OutputSize(1024, 576), in: dalle2) == OutputSize(1024, 1024))   // squares only: the closest area
        #expect(ModelSizes.nearest(to: OutputSize(640, 360), in: dalle2) == OutputSize(512, 512))
        #expect(ModelSizes.nearest(to: OutputSize(2048, 2048), in: dalle2) == OutputSize(1024, 1024))
        #expect(ModelSizes.fixed(for: "sd-cpp-local") == nil && ModelSizes.fixed(for: nil) == nil && ModelSizes.fixed(for: "") == nil)
        #expect(ModelSizes.nearest(to: OutputSize(0, 0), in: gpt) == OutputSize(0, 0))
    }

    @Test func enterOnAFixedSizeModelSendsTheNearestSizeAndSaysSoOnce() {
        var store = ReducerHarness(state: onGptImage(mode: .queue))
        let request = GenerationRequest(prompt: "lighthouse", width: 1024, height: 1024, seed: 42, steps: 30)
        let note = "gpt-image-1 does not make 768x768: sending 1024x1024, its nearest size (it makes 1024x1024, 1536x1024 or 1024x1536)"
        store.send(.key(.enter), effects: [.submit(JobID(1), request, backend: "openai")]) {
            var job = Job(id: JobID(1), request: request, state: .submitting, createdAt: t0, backend: "openai")
            job.attempts = 1
            job.startedAt = t0
            $0.queue.jobs = [job]
            $0.queue.nextJobID = 2
            $0.queue.pacer.record(now: t0)
            $0.editor.parameters.width = 1024
            $0.editor.parameters.height = 1024
            $0.editor.promptHistory = [PromptHistoryEntry(prompt: "lighthouse", parameters: $0.editor.parameters)]
            $0.editor.prompt.replace(with: "")            // queue mode: ready for the next prompt
            $0.hint = .info(note)
        }
        #expect(store.state.hint?.message == note)
        // The editor now holds an accepted size: the next job says nothing more.
        var state = store.state
        state.hint = nil
        state.editor.prompt = PromptEditor("harbour")
        #expect(reduce(&state, .key(.enter)) == [])
        #expect(state.jobs.last?.request.width == 1024)
        #expect(state.hint?.message.contains("does not make") != true, "\(String(describing: state.hint))")
    }

    @Test func anUnknownModelKeepsTheEditorsSize() {
        var state = AppState.fixture(prompt: "lighthouse")
        state.backends = [BackendChoice(name: "local", summary: "local", model: "sd-cpp-local", sizes: ModelSizes.fixed(for: "sd-cpp-local"))]
        state.backendKey = "local"
        #expect(reduce(&state, .key(.enter)) == [.submit(JobID(1), .fixture(prompt: "lighthouse"), backend: "local")])
        #expect(state.jobs.first?.request.width == 768 && state.jobs.first?.request.height == 768)
        #expect(state.hint == nil)
    }

    @Test func altSCyclesThroughTheSizesTheModelMakes() {
        var state = onGptImage()
        var seen: [String] = []
        for _ in 0..<4 {
            #expect(reduce(&state, .key(.alt("s"))) == [])
            seen.append("\(state.editor.parameters.width)x\(state.editor.parameters.height)")
        }
        #expect(seen == ["1024x1024", "1536x1024", "1024x1536", "1024x1024"])
    }

    @Test func altENamesTheSizesAndRefusesOneTheModelDoesNotMake() {
        var state = onGptImage()
        #expect(reduce(&state, .key(.alt("e"))) == [])
        #expect(state.fieldEdit == .parameters)
        #expect(state.hint == .info("gpt-image-1 makes 1024x1024, 1536x1024 or 1024x1536"))
        state.editor.prompt = PromptEditor("seed=42 size=800x600 steps=30")
        #expect(reduce(&state, .key(.enter)) == [])
        #expect(state.fieldEdit == .parameters, "still editing")
        #expect(state.hint == .warning("gpt-image-1 makes only 1024x1024, 1536x1024 or 1024x1536; nearest: 1536x1024"))
        state.editor.prompt = PromptEditor("seed=42 size=1536x1024 steps=30")
        #expect(reduce(&state, .key(.enter)) == [])
        #expect(state.fieldEdit == nil)
        #expect(state.editor.parameters.width == 1536 && state.editor.parameters.height == 1024)
    }

    @Test func aJobWithThreeImagesSavesEachNumberedAndCompletesOnceAllAreSaved() {
        var store = ReducerHarness(state: .fixture(prompt: "lighthouse"))
        submitted(&store)
        let remote = RemoteJobID("openai-1")
        let refs = (1...3).map { ImageRef(url: "data:image/png;base64,\($0)") }
        let saved = (1...3).map { SavedImage(path: "/g/lighthouse-\($0).png", width: 1024, height: 1024) }
        store.send(.submitted(JobID(1), remote, status: .completedBatch(refs)), effects: [.download(JobID(1), refs[0], backend: "demo")]) {
            $0.queue.jobs[0].remoteID = remote
            $0.queue.jobs[0].state = .downloading
            $0.queue.jobs[0].imageRef = refs[0]
            $0.queue.jobs[0].imageRefs = refs
            $0.queue.jobs[0].downloadStartedAt = t0
        }
        for k in 0..<3 {
            let bytes = ImageData([UInt8(k)])
            store.send(.downloaded(JobID(1), bytes), effects: [.save(JobID(1), bytes, .fixture(), remote: remote, index: k + 1, backend: "demo",
                                                                      timings: JobTimings(elapsed: .zero, download: .zero))]) {
                $0.queue.jobs[0].state = .saving
            }
            if k < 2 {
                store.send(.saved(JobID(1), saved[k]), effects: [.download(JobID(1), refs[k + 1], backend: "demo")]) {
                    $0.queue.jobs[0].savedImages.append(saved[k])
                    $0.queue.jobs[0].state = .downloading
                    $0.queue.jobs[0].imageRef = refs[k + 1]
                }
                #expect(store.state.jobs[0].state.isActive)
            }
        }
        store.send(.saved(JobID(1), saved[2]), effects: [.terminal(.notify(JobID(1)))]) {
            $0.queue.jobs[0].savedImages = saved
            $0.queue.jobs[0].state = .complete(saved[0])
            $0.queue.jobs[0].finishedAt = t0
            $0.hint = .info("Job #1 made 3 images: saved /g/lighthouse-1.png and 2 more beside it")
        }
    }

    @Test func aBatchWithNoImageIsABadResponse() {
        var state = AppState.fixture(prompt: "lighthouse")
        #expect(reduce(&state, .key(.enter)) == [.submit(JobID(1), .fixture(prompt: "lighthouse"), backend: "demo")])
        #expect(reduce(&state, .submitted(JobID(1), RemoteJobID("r"), status: .completedBatch([]))) == [.terminal(.notify(JobID(1)))])
        #expect(state.jobs[0].state == .failed(.badResponse("the service reported success with no image")))
    }
}
