import EaselApp
@testable import EaselBackends
import EaselCore
import EaselImaging
import EaselStore
import FakeServices
import Foundation
import Testing

/// Every output of a ComfyUI job: each batch item of each SaveImage saved; media Easel cannot show named.
@Suite("ComfyUI outputs: every image saved, other media named")
struct ComfyUIOutputsTests {
    /// Two SaveImage nodes, one after a batch of 3: four images; a video and an audio file named, not an error.
    static let twoSaves = #"""
        {"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 48, "batch_size": 3, "color": 0, "p": "{{prompt}}", "s": "{{seed}}"}},
         "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "easel/batch"}},
         "3": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 48, "batch_size": 1, "color": 255}},
         "4": {"class_type": "ImageInvert", "inputs": {"image": ["3", 0]}},
         "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "easel/single"}}}
        """#

    func state() -> AppState {
        AppState(backendName: "gpu", pollPolicy: PollPolicy(interval: .milliseconds(50), deadline: .seconds(60)),
                 parameters: GenerationParameters(width: 64, height: 48, seed: 5, steps: 2), seeds: SeedSource(seed: 1), now: .now)
    }

    @Test func everyBatchItemOfEverySaveImageIsSavedAndOtherMediaAreNamed() async throws {
        try await withComfy({ $0.workflow = workflowFile(Self.twoSaves) }) { backend, fake in
            await fake.setExtraMedia(true)
            let (id, _) = try await backend.submit(GenerationRequest(prompt: "four", width: 64, height: 48, seed: 3, steps: 2))
            guard case .success(.completedBatch(let refs)) = await poll(backend, id) else { Issue.record("not a batch"); return }
            #expect(refs.count == 4)
            #expect(refs.prefix(3).allSatisfy { $0.url.contains("subfolder=easel") && $0.url.contains("batch_") })
            #expect(refs[3].url.contains("single_"))
            for ref in refs { #expect(try await backend.download(ref).bytes.starts(with: [0x89, 0x50])) }
            let note = try #require(backend.takeNotice(for: id))
            #expect(note.contains("easel_00001.mp4 (video)") && note.contains("easel_00001_.flac (audio)"), "\(note)")
        }
        // Through the runner: all four saved, the job complete, the video named as a warning.
        try await withComfy({ $0.workflow = workflowFile(Self.twoSaves) }) { backend, fake in
            await fake.setExtraMedia(true)
            let dir = tempDir()
            let outcome = await Headless.run(prompts: ["four"], state: state(),
                                             makeRunner: { EffectRunner(backend: backend, gallery: Gallery(directory: dir), send: $0) })
            let job = try #require(outcome.jobs.first)
            guard case .complete = job.state else { Issue.record("\(job.state)"); return }
            #expect(job.savedImages.count == 4)
            #expect(Set(job.savedImages.map(\.path)).count == 4)
            #expect(job.savedImages.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
        }
    }

    @Test func aJobWithOnlyAVideoFailsNamingIt() throws {
        let entry: [String: Any] = ["status": ["status_str": "success", "completed": true, "messages": []],
                                    "outputs": ["9": ["gifs": [["filename": "clip_00001.mp4", "subfolder": "", "type": "output"]]]]]
        #expect(throws: JobError.inferenceFailed("the workflow made no image, only clip_00001.mp4 (video), which Easel cannot show")) {
            try ComfyUIBackend.status(fromHistory: entry)
        }
        // SaveVideo puts its file under `images` (with `animated`): still not an image.
        let video: [String: Any] = ["outputs": ["9": ["images": [["filename": "v.mp4", "subfolder": "video", "type": "output"]], "animated": [true]],
                                                "3": ["images": [["filename": "a.png", "subfolder": "", "type": "output"]]]]]
        var notes: [String] = []
        #expect(try ComfyUIBackend.status(fromHistory: video) { notes.append($0) } == .completed(ImageRef(url: "/view?filename=a.png&subfolder=&type=output")))
        #expect(notes == ["the workflow also made v.mp4 (video), which Easel cannot show; they are in ComfyUI's output folder"])
    }
}

/// The saved metadata is what the graph ran, read from the graph that was sent.
@Suite("ComfyUI metadata as run")
struct ComfyUIMetadataTests {
    func savedText(_ backend: ComfyUIBackend, prompt: String = "ran") async throws -> (text: String, job: Job) {
        let dir = tempDir()
        let state = AppState(backendName: "gpu", pollPolicy: PollPolicy(interval: .milliseconds(50), deadline: .seconds(60)),
                             parameters: GenerationParameters(width: 64, height: 48, seed: 5, steps: 2), seeds: SeedSource(seed: 1), now: .now)
        let outcome = await Headless.run(prompts: [prompt], state: state,
                                         makeRunner: { EffectRunner(backend: backend, gallery: Gallery(directory: dir), send: $0) })
        let job = try #require(outcome.jobs.first)
        let path = try #require(job.savedImages.first?.path, "\(job.state)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return (try #require(ImageCodec.pngText(bytes, key: "parameters")), job)
    }

    @Test func theBuiltInGraphWritesItsSamplerSchedulerCFGCheckpointStepsAndSeed() async throws {
        try await withComfy { backend, _ in
            let (text, job) = try await savedText(backend)
            #expect(text.contains("Steps: 2, Sampler: euler, Schedule type: normal, CFG scale: 7, Seed: \(job.request.seed), Size: 64x48"), "\(text)")
            #expect(text.contains("Model: v1-5-pruned-emaonly.safetensors"), "\(text)")
        }
    }

    @Test func aGraphWithoutSamplerOrLoaderLeavesThoseFieldsOut() async throws {
        try await withComfy({ $0.workflow = workflowFile(ComfyUIOutputsTests.twoSaves) }) { backend, _ in
            let (text, _) = try await savedText(backend)
            for field in ["Steps:", "Sampler:", "Schedule type:", "CFG scale:", "Seed:", "Model:"] {
                #expect(!text.contains(field), "\(field) in \(text)")
            }
            #expect(text.contains("Size: 64x48"), "\(text)")
        }
    }

    @Test func anExportedWorkflowsOwnValuesAreWrittenNotTheConfigDefaults() {
        let graph = Array(#"""
            {"3": {"class_type": "KSamplerAdvanced", "inputs": {"noise_seed": 77, "steps": 25, "cfg": 4.5, "sampler_name": "dpmpp_2m",
                   "scheduler": "karras", "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
             "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
             "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
             "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a", "clip": ["4", 1]}},
             "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}}}
            """#.utf8)
        #expect(ComfyUIBackend.ranParameters(inGraph: graph) == RanParameters(seed: 77, steps: 25, sampler: "dpmpp_2m", scheduler: "karras",
                                                                             cfgScale: 4.5, model: "sd_xl_base_1.0.safetensors"))
    }
}
