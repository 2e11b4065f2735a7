import EaselApp
@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import EaselStore
import FakeServices
import Foundation
import Testing

/// Runs `body` with a started `FakeComfyUI` and an adapter built from `configure`d options.
func withComfy(_ configure: (inout BackendOptions) -> Void = { _ in },
                       _ body: (ComfyUIBackend, FakeComfyUI) async throws -> Void) async throws {
    let fake = FakeComfyUI()
    try await fake.start()
    var options = BackendOptions(name: "gpu", kind: .comfyui, url: await fake.baseURL)
    configure(&options)
    var config = HTTPClient.Configuration()
    config.totalTimeout = .seconds(30)
    do { try await body(try ComfyUIBackend(options: options, http: HTTPClient(configuration: config)), fake) }
    catch { await fake.stop(); throw error }
    await fake.stop()
}

/// Writes `text` to a fresh temporary file and returns its path.
func workflowFile(_ text: String, name: String = "workflow_api.json") -> String {
    let dir = NSTemporaryDirectory() + "easel-comfy-\(UInt32.random(in: .min ... .max))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = dir + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

/// The setup error for `options`, or nil when the adapter was built.
private func setupError(_ options: BackendOptions) -> String? {
    do { _ = try ComfyUIBackend(options: options); return nil } catch { return error.message }
}

func graph(_ bytes: [UInt8]) throws -> [String: [String: Any]] {
    let nodes = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    return nodes.compactMapValues { ($0 as? [String: Any])?["inputs"] as? [String: Any] }
}

/// Polls every 50 ms until the status is terminal or `polls` run out; the last status or the error.
func poll(_ backend: ComfyUIBackend, _ id: RemoteJobID, polls: Int = 40) async -> Result<RemoteStatus, JobError> {
    var last = RemoteStatus.queued(position: nil)
    for _ in 0..<polls {
        do { last = try await backend.status(of: id) } catch { return .failure(error) }
        switch last {
        case .completed, .completedBatch, .failed: return .success(last)
        case .queued, .running: try? await Task.sleep(for: .milliseconds(50))
        }
    }
    return .success(last)
}

private let lighthouse = GenerationRequest(prompt: "a lighthouse", negativePrompt: "blurry", width: 320, height: 192, seed: 1234, steps: 6)

@Suite("ComfyUI adapter: workflow placeholders, the §9 failure cases, queue and cancel, health")
struct ComfyUITests {
    // MARK: - Workflow placeholders

    @Test func theBuiltInGraphGetsNumbersAsJSONNumbersAndTextAsStrings() throws {
        let backend = try ComfyUIBackend(options: BackendOptions(name: "gpu", kind: .comfyui))
        let nodes = try graph(try backend.workflowJSON(for: lighthouse))
        let sampler = try #require(nodes["3"])
        #expect(sampler["seed"] as? Int == 1234 && !(sampler["seed"] is String))
        #expect(sampler["steps"] as? Int == 6)
        #expect(sampler["cfg"] as? Double == 7)
        #expect(sampler["sampler_name"] as? String == "euler")
        #expect(nodes["4"]?["ckpt_name"] as? String == "v1-5-pruned-emaonly.safetensors")
        #expect(nodes["5"]?["width"] as? Int == 320 && nodes["5"]?["height"] as? Int == 192)
        #expect(nodes["6"]?["text"] as? String == "a lighthouse")
        #expect(nodes["7"]?["text"] as? String == "blurry")
        #expect(backend.displayName == "gpu — comfyui at http://127.0.0.1:8188")
    }

    @Test func aWorkflowFileFillsWholeValuesAsNumbersAndPlaceholdersInsideTextAsText() throws {
        let path = workflowFile("""
            {"1": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}, oil painting \\"quoted\\"", "clip": ["2", 1]}},
             "2": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "{{model}}"}},
             "3": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "cfg": "{{cfg_scale}}", "sampler_name": "{{sampler}}",
                   "label": "seed {{seed}} at cfg {{cfg_scale}}, {{width}}x{{height}}"}}}
            """)
        var options = BackendOptions(name: "gpu", kind: .comfyui)
        options.workflow = path
        options.model = "sd_xl_base_1.0.safetensors"
        options.sampler = "dpmpp_2m"
        options.cfgScale = 5.5
        let backend = try ComfyUIBackend(options: options)
        let nodes = try graph(try backend.workflowJSON(for: GenerationRequest(prompt: "a \"harbour\" {x}", seed: 7, steps: 3)))
        #expect(nodes["1"]?["text"] as? String == "a \"harbour\" {x}, oil painting \"quoted\"")
        #expect(nodes["2"]?["ckpt_name"] as? String == "sd_xl_base_1.0.safetensors")
        #expect(nodes["3"]?["seed"] as? Int == 7)
        #expect(nodes["3"]?["cfg"] as? Double == 5.5)
        #expect(nodes["3"]?["sampler_name"] as? String == "dpmpp_2m")
        #expect(nodes["3"]?["label"] as? String == "seed 7 at cfg 5.5, 768x768")
        #expect(backend.workflowPath == path)
    }

    @Test func aWorkflowWithPlaceholdersButNoPromptPlaceholderFailsAtSetupNamingTheFile() {
        let path = workflowFile(#"{"1": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}"}}}"#)
        var options = BackendOptions(name: "gpu", kind: .comfyui)
        options.workflow = path
        #expect(setupError(options) == "gpu: workflow file \(path): it has no \"{{prompt}}\" placeholder")
    }

    @Test func unreadableOrMalformedWorkflowFilesFailAtSetupWithTheReason() {
        var options = BackendOptions(name: "gpu", kind: .comfyui)
        let cases: [(String, String)] = [
            (#"{"1": {"class_type": "#, "not valid JSON"),
            (#"[1, 2]"#, "not a JSON object of nodes keyed by id"),
            (#"{"nodes": [], "links": [], "version": 0.4}"#, "this is ComfyUI's UI format (it has \"nodes\" and \"links\"); export it with Workflow → Export (API)"),
            (#"{"1": {"inputs": {"text": "{{prompt}}"}}}"#, "node 1 has no class_type"),
            (#"{"1": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}} {{negative}}"}}}"#,
             "unknown placeholder {{negative}} (known: {{prompt}} {{negative_prompt}} {{seed}} {{width}} {{height}} {{steps}} {{cfg_scale}} {{sampler}} {{model}})"),
            ("{}", "it has no nodes"),
        ]
        for (text, reason) in cases {
            let path = workflowFile(text)
            options.workflow = path
            #expect(setupError(options) == "gpu: workflow file \(path): \(reason)")
        }
        options.workflow = "/nonexistent/easel/workflow.json"
        #expect(setupError(options) == "gpu: workflow file /nonexistent/easel/workflow.json: no such file")
        let dir = NSTemporaryDirectory()
        options.workflow = dir
        #expect(setupError(options)?.hasSuffix(": is a folder") == true)
    }

    @Test func aRelativeWorkflowPathIsTakenFromTheConfigFilesFolder() throws {
        let path = workflowFile(#"{"1": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}}}"#, name: "wf.json")
        var options = BackendOptions(name: "gpu", kind: .comfyui, file: (path as NSString).deletingLastPathComponent + "/config.toml")
        options.workflow = "wf.json"
        #expect(try ComfyUIBackend(options: options).workflowPath == path)
    }

    @Test func theFactoryBuildsTheComfyUIAdapterAndReportsSetupErrors() throws {
        var options = BackendOptions(name: "gpu", kind: .comfyui)
        #expect(try BackendFactory.make(options) is ComfyUIBackend)
        options.workflow = "/nonexistent/wf.json"
        #expect(throws: BackendSetupError("gpu: workflow file /nonexistent/wf.json: no such file")) { _ = try BackendFactory.make(options) }
    }

    @Test func theSampleWorkflowInTheDocsIsTheBuiltInGraph() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/backends/comfyui-workflow.json")
        // The same graph; the file also carries `_meta` titles, which ComfyUI ignores.
        let nodes = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: docs)) as? [String: Any])
        let sample = NSDictionary(dictionary: nodes.mapValues { node -> NSDictionary in
            var n = node as? [String: Any] ?? [:]
            n["_meta"] = nil
            return NSDictionary(dictionary: n)
        })
        let builtIn = try JSONSerialization.jsonObject(with: Data(ComfyUIBackend.builtInWorkflow.utf8)) as? NSDictionary
        #expect(sample == builtIn)
        var options = BackendOptions(name: "gpu", kind: .comfyui)
        options.workflow = docs.path
        #expect(setupError(options) == nil)
    }

    // MARK: - §9 failure cases over loopback

    /// A graph error of its own category: the server's message and details in full, and what it has instead.
    @Test func aMissingCheckpointIsAGraphErrorNamingNodeReasonAndTheServersCheckpoints() async throws {
        try await withComfy({ $0.model = "x.safetensors" }) { backend, _ in
            await #expect(throws: JobError.graph("Prompt outputs failed validation; CheckpointLoaderSimple (node 4): Value not in list: "
                + "ckpt_name: 'x.safetensors' not in ['v1-5-pruned-emaonly.safetensors', 'sd_xl_base_1.0.safetensors'] — the server has "
                + "no checkpoint 'x.safetensors'; it has: v1-5-pruned-emaonly.safetensors, sd_xl_base_1.0.safetensors")) {
                _ = try await backend.submit(lighthouse)
            }
        }
    }

    @Test func submitErrorsAreReadWhetherErrorIsAnObjectOrAString() async throws {
        let unknownNode = workflowFile(#"""
            {"1": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}}, "10": {"class_type": "FancyUpscaler", "inputs": {}}}
            """#)
        let noOutputs = workflowFile(#"{"1": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}}}"#)
        for legacy in [false, true] {
            try await withComfy({ $0.workflow = unknownNode }) { backend, fake in
                await fake.setLegacyErrors(legacy)
                let reason = legacy ? "Cannot execute because node FancyUpscaler does not exist."
                    : "Cannot execute because node FancyUpscaler does not exist.: Node ID '#10'"
                await #expect(throws: JobError.graph(reason)) { _ = try await backend.submit(lighthouse) }
            }
            try await withComfy({ $0.workflow = noOutputs }) { backend, fake in
                await fake.setLegacyErrors(legacy)
                await #expect(throws: JobError.graph("Prompt has no outputs")) { _ = try await backend.submit(lighthouse) }
            }
            // Old builds still list node errors; the node's reason wins over the string.
            try await withComfy { backend, fake in
                await fake.setLegacyErrors(legacy)
                await fake.setCheckpoints([])
                let steps0 = GenerationRequest(prompt: "p", seed: 1, steps: 0)
                await #expect(throws: JobError.graph("Prompt outputs failed validation; KSampler (node 3): steps: Value 0 smaller than min of 1; "
                    + "CheckpointLoaderSimple (node 4): Value not in list: ckpt_name: 'v1-5-pruned-emaonly.safetensors' not in [] — the server has no checkpoint at all (put one in ComfyUI's models/checkpoints)")) {
                    _ = try await backend.submit(steps0)
                }
            }
        }
        // The shapes read directly, including garbage.
        #expect(ComfyUIBackend.reason(Array(#"{"error": "no prompt", "node_errors": []}"#.utf8)) == "no prompt")
        #expect(ComfyUIBackend.reason(Array(#"{"error": {"type": "x", "message": "Bad", "details": ""}, "node_errors": {}}"#.utf8)) == "Bad")
        #expect(ComfyUIBackend.reason(Array("500 Internal Server Error\n\nServer got itself in trouble".utf8)) == "Server got itself in trouble")
        #expect(ComfyUIBackend.reason([]) == nil)
        // ComfyUI's origin check answers 403 with an empty body.
        #expect(ComfyUIBackend.submitError(HTTPResponse(status: 403, headers: [:], body: [])) == .unauthorized(
            "HTTP 403: ComfyUI's origin check refused the request, or a proxy in front of it wants credentials"))
        #expect(ComfyUIBackend.reason(Array(#"{"node_errors": {"4": {"errors": [{}]}}}"#.utf8)) == "node (node 4): invalid")
    }

    @Test func aServerErrorKeepsAiohttpsText() async throws {
        try await withComfy { backend, _ in
            await #expect(throws: JobError.server(status: 500, message: "Server got itself in trouble")) {
                _ = try await backend.submit(GenerationRequest(prompt: "boom [[500]]"))
            }
        }
    }

    @Test func emptyOutputsFromTheCacheAreAnInferenceFailureThatSaysWhy() async throws {
        try await withComfy { backend, fake in
            await fake.setCacheDropsOutputs(true)
            let (first, _) = try await backend.submit(lighthouse)
            guard case .success(.completed) = await poll(backend, first) else { Issue.record("the first run did not complete"); return }
            let (second, _) = try await backend.submit(lighthouse)
            guard case .failure(let error) = await poll(backend, second) else { Issue.record("the cached run did not fail"); return }
            #expect(error.kind == "inference_failed")
            #expect(error.message.contains("from its cache and returned no images") && error.message.contains("--cache-none"), "\(error)")
        }
    }

    @Test func anEmptyHistoryAndNoQueueEntryIsNotFoundEvenAfterACancel() async throws {
        try await withComfy { backend, fake in
            await #expect(throws: JobError.notFound) { _ = try await backend.status(of: RemoteJobID("0f6d3f0e-8d1e-4c55-9a0c-3b1a5a2c9e11")) }
            let (id, _) = try await backend.submit(GenerationRequest(prompt: "waits [[queued]]"))
            #expect(try await backend.status(of: id) == .queued(position: 1))
            try await backend.cancel(id)
            await #expect(throws: JobError.notFound) { _ = try await backend.status(of: id) }
            let posts = await fake.log.filter { $0.method == "POST" }.map(\.path)
            #expect(posts == ["/prompt", "/queue"])
            let delete = try #require(await fake.log.last { $0.path == "/queue" && $0.method == "POST" })
            #expect(Fake.object(delete.body)?["delete"] as? [String] == [id.rawValue])
        }
    }

    @Test func historyEntriesMapToStatusesAndOddShapesAreCategorized() throws {
        func entry(_ json: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        }
        // A saved image wins over a preview and over other media; names are percent-encoded.
        let done = try entry(#"""
            {"outputs": {"2": {"images": [{"filename": "t_00001_.png", "subfolder": "", "type": "temp"}]},
                         "10": {"gifs": [{"filename": "a.gif", "subfolder": "", "type": "output", "format": "image/gif"}],
                                "images": [{"filename": "a&b c_00001_.png", "subfolder": "my pics", "type": "output"}]},
                         "11": {"text": ["hello"], "animated": [false]}},
             "status": {"status_str": "success", "completed": true, "messages": []}}
            """#)
        #expect(try ComfyUIBackend.status(fromHistory: done) == .completed(ImageRef(url: "/view?filename=a%26b%20c_00001_.png&subfolder=my%20pics&type=output")))
        let error = try entry(#"""
            {"outputs": {}, "status": {"status_str": "error", "completed": false, "messages": [["execution_start", {}],
             ["execution_error", {"node_id": "8", "node_type": "VAEDecode", "exception_type": "torch.OutOfMemoryError",
              "exception_message": "CUDA out of memory. Tried to allocate 1.11 GiB\n"}]]}}
            """#)
        #expect(try ComfyUIBackend.status(fromHistory: error) == .failed("VAEDecode (node 8): CUDA out of memory. Tried to allocate 1.11 GiB"))
        let interrupted = try entry(#"{"outputs": {}, "status": {"status_str": "error", "messages": [["execution_interrupted", {"node_id": "3"}]]}}"#)
        #expect(try ComfyUIBackend.status(fromHistory: interrupted) == .failed("interrupted on the server"))
        let bare = try entry(#"{"status": {"status_str": "error", "messages": "garbage"}}"#)
        #expect(try ComfyUIBackend.status(fromHistory: bare) == .failed("ComfyUI reported an error without details"))
        // Older builds have no `status`; a finished graph with no image output is categorized, not a crash.
        #expect(throws: JobError.inferenceFailed("the workflow finished without an image output (add a SaveImage or PreviewImage node)")) {
            try ComfyUIBackend.status(fromHistory: try entry(#"{"outputs": {"3": {"images": "nope"}, "4": []}}"#))
        }
    }

    // MARK: - Queue, cancel, client id

    @Test func queuePositionsFollowTheQueueNumberNotTheHeapOrder() async throws {
        try await withComfy { backend, fake in
            var ids: [RemoteJobID] = []
            for n in 1...3 { ids.append(try await backend.submit(GenerationRequest(prompt: "job \(n) [[queued]]", seed: UInt32(n))).0) }
            for (i, id) in ids.enumerated() { #expect(try await backend.status(of: id) == .queued(position: i + 1)) }
            let queue = try #require(await fake.log.last { $0.path == "/queue" })
            #expect(queue.method == "GET")
        }
    }

    @Test func everySubmitCarriesThisAdaptersStableClientID() async throws {
        try await withComfy { backend, fake in
            _ = try await backend.submit(lighthouse)
            _ = try await backend.submit(GenerationRequest(prompt: "another", seed: 2))
            #expect(await fake.clientIDs == [backend.clientID, backend.clientID])
            #expect(backend.clientID.count == 32 && backend.clientID.allSatisfy(\.isHexDigit))
            let other = try ComfyUIBackend(options: BackendOptions(name: "b", kind: .comfyui))
            #expect(other.clientID != backend.clientID)
        }
    }

    @Test func cancelInterruptsOnlyOurRunningJobAndNothingAfterCompletion() async throws {
        try await withComfy { backend, fake in
            let (running, _) = try await backend.submit(GenerationRequest(prompt: "works [[running]]"))
            #expect(try await backend.status(of: running) == .running(progress: nil))
            try await backend.cancel(running)
            #expect(await fake.interrupts == [running.rawValue])
            #expect(try await backend.status(of: running) == .failed("interrupted on the server"))
            // Finished: no queue delete, no interrupt.
            let (done, _) = try await backend.submit(lighthouse)
            guard case .success(.completed(let ref)) = await poll(backend, done) else { Issue.record("did not complete"); return }
            let before = await fake.log.filter { $0.method == "POST" }.count
            try await backend.cancel(done)
            #expect(await fake.log.filter { $0.method == "POST" }.count == before)
            #expect(await fake.cancels == 1)
            // And the download is the requested size.
            let image = try await backend.download(ref)
            let size = try ImageCodec.dimensions(of: image.bytes)
            #expect(size.width == 320 && size.height == 192)
        }
    }

    @Test func aSubfolderPrefixAndOddCharactersSurviveTheViewRoundTrip() async throws {
        let path = workflowFile(#"""
            {"1": {"class_type": "EmptyImage", "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": 1, "color": 0}},
             "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}", "clip": ["1", 0]}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "my pics/a&b"}}}
            """#)
        try await withComfy({ $0.workflow = path }) { backend, _ in
            let (id, _) = try await backend.submit(GenerationRequest(prompt: "flat", width: 64, height: 48))
            guard case .success(.completed(let ref)) = await poll(backend, id) else { Issue.record("did not complete"); return }
            #expect(ref.url == "/view?filename=a%26b_00001_.png&subfolder=my%20pics&type=output")
            let raw = try await HTTPClient().send(HTTPRequest(.get, backend.baseURL + ref.url))
            #expect(raw.headers["content-disposition"] == "filename=\"a&b_00001_.png\"" && raw.contentType == "image/png")
            let size = try ImageCodec.dimensions(of: try await backend.download(ref).bytes)
            #expect(size.width == 64 && size.height == 48)
            await #expect(throws: JobError.notFound) { _ = try await backend.download(ImageRef(url: "/view?filename=gone.png&subfolder=&type=output")) }
        }
    }

    // MARK: - The whole queue

    @Test func theHeadlessQueueRunsComfyUIJobsToTheGalleryOrToCategorizedFailures() async throws {
        try await withComfy { backend, _ in
            var state = AppState(backendName: "gpu", pollPolicy: PollPolicy(interval: .milliseconds(50), deadline: .seconds(60)),
                                 parameters: GenerationParameters(width: 96, height: 64, seed: 5, steps: 2),
                                 seeds: SeedSource(seed: 1), now: .now)
            state.queue.concurrency = 2
            let outcome = await Headless.run(prompts: ["a lighthouse", "nan [[fail]]", "bad [[invalid]]"], state: state,
                                             makeRunner: { EffectRunner(backend: backend, gallery: Gallery(directory: tempDir()), send: $0) })
            let states = outcome.jobs.map(\.state)
            guard states.count == 3, case .complete(let saved) = states[0] else { Issue.record("\(states)"); return }
            #expect(saved.width == 96 && saved.height == 64 && FileManager.default.fileExists(atPath: saved.path))
            #expect(states[1] == .failed(.inferenceFailed("KSampler (node 3): the sampler produced NaNs")))
            #expect(states[2] == .failed(.graph("Prompt outputs failed validation; CheckpointLoaderSimple (node 4): Value not in list: "
                + "ckpt_name: 'v1-5-pruned-emaonly.safetensors' not in [] — the server has no checkpoint at all (put one in ComfyUI's models/checkpoints)")))
        }
    }

    // MARK: - Health

    @Test func healthNamesVersionDeviceVRAMAndListsCheckpointsAndSamplers() async throws {
        try await withComfy { backend, _ in
            let h = await backend.health()
            #expect(h.ok)
            #expect(h.detail == "ComfyUI v0.3.60, cpu, 46.6 GiB VRAM free, 2 checkpoints")
            #expect(h.models == ["v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors"])
            #expect(h.samplers.contains("euler") && h.samplers.contains("dpmpp_2m"))
            #expect(h.warnings.isEmpty)
        }
        try await withComfy({ $0.model = "missing.safetensors" }) { backend, _ in
            let h = await backend.health()
            #expect(h.ok)
            #expect(h.detail.hasSuffix(", 2 checkpoints"), "\(h.detail)")
            #expect(h.warnings == ["checkpoint missing.safetensors is not on the server; it has: v1-5-pruned-emaonly.safetensors, "
                                   + "sd_xl_base_1.0.safetensors (set model in the config)"])
        }
    }

    @Test func checkpointsAndSamplersAreReadFromComboInputsOrFromModelsCheckpoints() async throws {
        try await withComfy { backend, fake in
            await fake.setEnumShape(.combo)
            let combo = await backend.health()
            #expect(combo.models == ["v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors"])
            #expect(combo.samplers == ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde"])
            await fake.setEnumShape(.absent)
            await fake.setCheckpoints(["only.safetensors"])
            let fallback = await backend.health()
            #expect(fallback.models == ["only.safetensors"] && fallback.samplers.isEmpty)
            #expect(fallback.detail.hasSuffix(", 1 checkpoint"), "\(fallback.detail)")
            #expect(fallback.warnings == ["checkpoint v1-5-pruned-emaonly.safetensors is not on the server; it has: only.safetensors (set model in the config)"])
            #expect(await fake.log.contains { $0.path == "/models/checkpoints" })
        }
    }

    @Test func aServiceThatIsNotComfyUIIsNotHealthy() async throws {
        let fake = FakeJobAPI()
        try await fake.start()
        let backend = try ComfyUIBackend(options: BackendOptions(name: "x", kind: .comfyui, url: await fake.baseURL))
        let h = await backend.health()
        await fake.stop()
        #expect(!h.ok)
        #expect(h.detail == "GET /system_stats answered HTTP 404: no such endpoint (is this ComfyUI?)", "\(h.detail)")
    }
}
