import EaselCore
import FlyingFox
import Foundation

/// ComfyUI's HTTP API as a fake, with the shapes of reference/backends.md §1: `POST /prompt` (200, and 400 with
/// `error` + `node_errors`), `GET /history/{id}` (`{}` until done), `GET /queue` (`[number, prompt_id, graph,
/// extra_data, outputs]` items, pending in heap order), `POST /queue` delete, `POST /interrupt`, `GET /view`
/// (PNG bytes + `Content-Disposition`), `/system_stats`, `/object_info`, `/models/checkpoints`. Every route also
/// answers under `/api/`. A loopback `Host` with a different `Origin` gets ComfyUI's empty 403.
///
/// Scenarios: a normal job is pending at its first history poll, running at its second, then finished;
/// `[[queued]]` stays pending; `[[running]]` stays running until interrupted; `[[invalid]]` is a 400 for a missing
/// checkpoint; `[[500]]` is aiohttp's 500 page; `[[fail]]` ends with `status_str: "error"` and an
/// `execution_error` ("the sampler produced NaNs"); `[[stall]]` answers `POST /prompt` after 30 s;
/// `[[lost-reply]]` queues the job, then answers after 30 s (a reply lost on the way).
public actor FakeComfyUI: FakeService {
    private var server: HTTPServer?
    private var task: Task<Void, Error>?
    private var port: UInt16 = 0
    public private(set) var received: [GenerationRequest] = []
    public private(set) var cancels = 0
    public private(set) var log: [FakeRequest] = []
    /// The `client_id` of every `POST /prompt`, in order ("" when absent).
    public private(set) var clientIDs: [String] = []
    /// The `prompt_id` in each `POST /interrupt` body (nil when the body had none).
    public private(set) var interrupts: [String?] = []
    /// Checkpoints `CheckpointLoaderSimple` accepts.
    public private(set) var checkpoints = ["v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors"]
    /// Old builds: `error` is a plain string and an empty `node_errors` is `[]`.
    public private(set) var legacyErrors = false
    /// Old builds without `client_id`: a graph identical to one already run comes back with `outputs: {}`
    /// and every node in `execution_cached` (§9 row 2).
    public private(set) var cacheDropsOutputs = false
    /// How `/object_info` spells enum inputs: `[["a", "b"], {…}]` (classic nodes), `["COMBO", {"options": […]}]`
    /// (newer schema), or not at all (`{}` for every class, so clients fall back to `/models/checkpoints`).
    public enum EnumShape: Sendable { case list, combo, absent }
    public private(set) var enumShape = EnumShape.list
    /// Each finished job also lists a video (`gifs`, VideoHelperSuite's VHS_VideoCombine) and a `SaveAudio` file.
    public private(set) var extraMedia = false

    enum Phase { case pending, running, finished, deleted }
    struct Job {
        let number: Int, id: String, request: GenerationRequest, scenario: Scenario
        let graph: [String: Any], clientID: String, outputs: [String]
        var phase: Phase = .pending, polls = 0
        /// Run by the fake itself with events on the WebSocket (FakeComfyUI+WebSocket.swift), not by polls.
        var live = false
        /// The node executing now (re-sent as `executing` to a socket that reconnects).
        var node: String?
        var stepsSent = 0
    }
    var jobs: [String: Job] = [:]
    /// Every `prompt_id` the fake has queued.
    public var jobIDs: [String] { Array(jobs.keys) }
    var history: [String: [String: Any]] = [:]
    private var files: [String: GenerationRequest] = [:]     // "type/subfolder/filename" → what it shows
    private var executedGraphs: Set<String> = []
    private var counter = 0
    // The WebSocket side (FakeComfyUI+WebSocket.swift).
    var wsSockets: [String: (continuation: AsyncStream<WSMessage>.Continuation, token: Int, metadata: Bool)] = [:]
    var wsTokens = 0, wsPreviews = 0, wsDropAtStep = 0, wsMidRunHistoryReads = 0
    var wsConnects: [String] = []
    var wsEvents: [(String, String)] = []
    var wsRefuse = false, wsRefuseReconnect = false, wsDropped = false, wsIgnoreFlags = false
    var wsStepTime: Duration = .milliseconds(5)
    var wsConnectWaiters: [(Int, CheckedContinuation<Void, Never>)] = []
    // One GPU on the fake's own clock (`setOwnClock`): prompts waiting for it, in queue order, and each run.
    var ownClock = false, gpuQueue: [String] = []
    /// Each prompt's run on the GPU (`setOwnClock`), start to completion, in seconds since 1970, in order.
    public internal(set) var gpuRuns: [ClosedRange<Double>] = []

    public init() {}
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func setCheckpoints(_ names: [String]) { checkpoints = names }
    public func setLegacyErrors(_ on: Bool) { legacyErrors = on }
    public func setCacheDropsOutputs(_ on: Bool) { cacheDropsOutputs = on }
    public func setEnumShape(_ shape: EnumShape) { enumShape = shape }
    public func setExtraMedia(_ on: Bool) { extraMedia = on }

    public func start() async throws {
        let (s, t, p) = try await Fake.listen { server in
            await server.appendRoute("*") { [weak self] req in
                guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
                let body = [UInt8](try await req.bodyData)
                return await self.handle(req, body: body)
            }
        }
        (server, task, port) = (s, t, p)
    }

    public func stop() async {
        await server?.stop(timeout: 1)
        task?.cancel()
    }

    private func handle(_ req: FlyingFox.HTTPRequest, body: [UInt8]) async -> FlyingFox.HTTPResponse {
        log.append(FakeRequest(req, body: body))
        if let origin = req.headers[HTTPHeader("Origin")], let host = req.headers[.host], !Self.sameOrigin(origin, host: host) {
            return HTTPResponse(statusCode: .forbidden)
        }
        var parts = req.path.split(separator: "/").map(String.init)
        if parts.first == "api" { parts.removeFirst() }
        if req.method == .GET, parts == ["ws"] { return await upgrade(req) }
        switch (req.method, parts.first ?? "", parts.count) {
        case (.POST, "prompt", 1): return await submit(body)
        case (.GET, "prompt", 1): return Fake.json(.ok, ["exec_info": ["queue_remaining": jobs.values.filter { $0.phase == .pending || $0.phase == .running }.count]])
        case (.GET, "history", 2): return historyReply(parts[1])
        case (.GET, "history", 1): return Fake.json(.ok, history)
        case (.GET, "queue", 1): return queueReply()
        case (.POST, "queue", 1):
            cancels += 1
            let o = Fake.object(body) ?? [:]
            let doomed = (o["delete"] as? [String] ?? []) + (o["clear"] as? Bool == true ? Array(jobs.keys) : [])
            for id in doomed where jobs[id]?.phase == .pending { jobs[id]?.phase = .deleted }
            return HTTPResponse(statusCode: .ok)
        case (.POST, "interrupt", 1):
            cancels += 1
            let target = Fake.object(body)?["prompt_id"] as? String
            interrupts.append(target)
            for (id, job) in jobs where job.phase == .running && (target == nil || target == id) {
                interrupted(job)
                finish(id, status: ["status_str": "error", "completed": false, "messages": [
                    ["execution_start", ["prompt_id": id]],
                    ["execution_interrupted", ["prompt_id": id, "node_id": "3", "node_type": "KSampler", "executed": ["4", "5", "6", "7"]]],
                ]], outputs: [:])
            }
            return HTTPResponse(statusCode: .ok)
        case (.GET, "view", 1): return view(req.query)
        case (.GET, "system_stats", 1):
            return Fake.json(.ok, [
                "system": ["os": "posix", "ram_total": 67_108_864_000, "ram_free": 50_000_000_000, "comfyui_version": "v0.3.60",
                           "python_version": "3.12.3", "pytorch_version": "2.7.1+cpu", "embedded_python": false, "argv": ["main.py", "--cpu"]],
                "devices": [["name": "cpu", "type": "cpu", "index": NSNull(), "vram_total": 67_108_864_000, "vram_free": 50_000_000_000,
                             "torch_vram_total": 67_108_864_000, "torch_vram_free": 50_000_000_000]],
            ])
        case (.GET, "object_info", 1): return Fake.json(.ok, enumShape == .absent ? [:] : Self.nodeInfo(checkpoints, combo: enumShape == .combo))
        case (.GET, "object_info", 2):
            return Fake.json(.ok, enumShape == .absent ? [:] : Self.nodeInfo(checkpoints, combo: enumShape == .combo).filter { $0.key == parts[1] })
        case (.GET, "models", 2) where parts[1] == "checkpoints": return Fake.json(.ok, checkpoints)
        default: return HTTPResponse(statusCode: .notFound, headers: [.contentType: "text/plain"], body: Data("404: Not Found".utf8))
        }
    }

    /// server.py `create_origin_only_middleware`: Origin's `host[:port]` must equal Host's; a side without a
    /// port is compared by host name only (browsers, and WebSocket clients that send `Origin: ws://127.0.0.1`).
    static func sameOrigin(_ origin: String, host: String) -> Bool {
        let o = origin.lowercased().components(separatedBy: "//").last?.split(separator: "/").first.map(String.init) ?? ""
        let h = host.lowercased()
        func name(_ s: String) -> String { s.split(separator: ":").first.map(String.init) ?? s }
        return o.contains(":") && h.contains(":") ? o == h : name(o) == name(h)
    }

    // MARK: - POST /prompt

    private func submit(_ body: [UInt8]) async -> FlyingFox.HTTPResponse {
        let o = Fake.object(body) ?? [:]
        guard let graph = o["prompt"] as? [String: Any] else {
            return legacyErrors ? Fake.json(.badRequest, ["error": "no prompt", "node_errors": [Any]()])
                : Fake.json(.badRequest, ["error": ["type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": [:]],
                                          "node_errors": [:]])
        }
        let request = Self.understand(graph)
        received.append(request)
        let clientID = o["client_id"] as? String ?? ""
        clientIDs.append(clientID)
        let scenario = Scenario.of(request.prompt)
        switch scenario {
        case .serverError:
            return HTTPResponse(statusCode: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: Data("500 Internal Server Error\n\nServer got itself in trouble".utf8))
        case .stall:
            try? await Task.sleep(for: .seconds(30))
            return Fake.json(.ok, ["prompt_id": UUID().uuidString.lowercased(), "number": 0, "node_errors": [:]])
        default: break
        }
        for (id, node) in graph {
            guard let n = node as? [String: Any], let cls = n["class_type"] as? String else {
                return promptError("invalid_prompt", "Cannot execute because a node is missing the class_type property.", "Node ID '#\(id)'")
            }
            if Self.nodeInfo([])[cls] == nil {
                return promptError("invalid_prompt", "Cannot execute because node \(cls) does not exist.", "Node ID '#\(id)'")
            }
        }
        let outputs = graph.filter { ["SaveImage", "PreviewImage"].contains(($0.value as? [String: Any])?["class_type"] as? String) }.map(\.key).sorted()
        if outputs.isEmpty { return promptError("prompt_no_outputs", "Prompt has no outputs", "") }
        // Only what the outputs need is validated; an output is run when nothing upstream of it failed, and the
        // prompt is refused only when no output is left (execution.py `validate_prompt`).
        var nodeErrors: [String: Any] = [:]
        let needs = Dictionary(uniqueKeysWithValues: outputs.map { ($0, Self.upstream($0, graph)) })
        for (id, node) in graph where needs.values.contains(where: { $0.contains(id) }) {
            let n = node as? [String: Any] ?? [:], inputs = n["inputs"] as? [String: Any] ?? [:]
            var errors = validate(n["class_type"] as? String ?? "", inputs, known: scenario == .invalid ? [] : checkpoints)
            // A link to a node the graph lacks: `prompt[o_id]` raises a KeyError inside validate_inputs.
            if let missing = inputs.values.compactMap({ ($0 as? [Any])?.first as? String }).first(where: { graph[$0] == nil }) {
                errors = [["type": "exception_during_validation", "message": "Exception when validating node", "details": "'\(missing)'",
                           "extra_info": ["exception_type": "KeyError", "traceback": ["  File \"execution.py\", line 788\n"]]]]
            }
            let dependents = outputs.filter { needs[$0]?.contains(id) == true }
            if !errors.isEmpty { nodeErrors[id] = ["errors": errors, "dependent_outputs": dependents, "class_type": n["class_type"] ?? ""] }
        }
        let good = outputs.filter { needs[$0]?.allSatisfy { nodeErrors[$0] == nil } ?? true }
        if good.isEmpty {
            let lines = nodeErrors.values.flatMap { (($0 as? [String: Any])?["errors"] as? [[String: Any]]) ?? [] }
                .map { "\($0["message"] ?? ""): \($0["details"] ?? "")" }
            let error: Any = legacyErrors ? "Prompt outputs failed validation"
                : ["type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                   "details": lines.joined(separator: "\n"), "extra_info": [:]]
            return Fake.json(.badRequest, ["error": error, "node_errors": nodeErrors])
        }
        counter += 1
        let id = (o["prompt_id"] as? String) ?? UUID().uuidString.lowercased()
        jobs[id] = Job(number: counter, id: id, request: request, scenario: scenario, graph: graph, clientID: clientID, outputs: good)
        queued(id)
        // `[[lost-reply]]`: the job is queued, but the answer never reaches the client (it times out first).
        if request.prompt.contains("[[lost-reply]]") { try? await Task.sleep(for: .seconds(30)) }
        return Fake.json(.ok, ["prompt_id": id, "number": counter, "node_errors": nodeErrors])
    }

    /// `id` and every node it links to, transitively.
    static func upstream(_ id: String, _ graph: [String: Any]) -> Set<String> {
        var seen: Set<String> = [], stack = [id]
        while let n = stack.popLast() {
            guard seen.insert(n).inserted else { continue }
            for value in ((graph[n] as? [String: Any])?["inputs"] as? [String: Any] ?? [:]).values {
                if let to = (value as? [Any])?.first as? String, graph[to] != nil { stack.append(to) }
            }
        }
        return seen
    }

    private func promptError(_ type: String, _ message: String, _ details: String) -> FlyingFox.HTTPResponse {
        if legacyErrors { return Fake.json(.badRequest, ["error": message, "node_errors": [Any]()]) }
        return Fake.json(.badRequest, ["error": ["type": type, "message": message, "details": details, "extra_info": [:]], "node_errors": [:]])
    }

    /// `execution.validate_inputs`, for the inputs the built-in graph uses.
    private func validate(_ cls: String, _ inputs: [String: Any], known: [String]) -> [[String: Any]] {
        var errors: [[String: Any]] = []
        if cls == "CheckpointLoaderSimple" {
            let name = inputs["ckpt_name"] as? String ?? ""
            if !known.contains(name) {
                let list = "[" + known.map { "'\($0)'" }.joined(separator: ", ") + "]"
                errors.append(["type": "value_not_in_list", "message": "Value not in list", "details": "ckpt_name: '\(name)' not in \(list)",
                               "extra_info": ["input_name": "ckpt_name", "input_config": [known, [:]], "received_value": name]])
            }
        }
        let ints: [String: Int] = ["seed": 0, "steps": 1, "width": 16, "height": 16, "batch_size": 1]
        for (input, min) in ints.sorted(by: { $0.key < $1.key }) {
            guard let v = inputs[input], !(v is [Any]) else { continue }
            guard let n = (v as? NSNumber)?.intValue ?? (v as? String).flatMap({ Int($0) }) else {
                errors.append(["type": "invalid_input_type", "message": "Failed to convert an input value to a INT value",
                               "details": "\(input), \(v), invalid literal for int() with base 10: '\(v)'", "extra_info": ["input_name": input]])
                continue
            }
            if n < min {
                errors.append(["type": "value_smaller_than_min", "message": "Value \(n) smaller than min of \(min)",
                               "details": input, "extra_info": ["input_name": input, "received_value": n]])
            }
        }
        return errors
    }

    // MARK: - History and queue

    private func historyReply(_ id: String) -> FlyingFox.HTTPResponse {
        if let job = jobs[id], job.live, job.phase == .running, job.stepsSent > 0 { wsMidRunHistoryReads += 1 }
        if var job = jobs[id], !job.live, job.phase == .pending || job.phase == .running {
            job.polls += 1
            jobs[id] = job
            switch (job.scenario, job.polls) {
            case (.queued, _): break
            case (.running, _), (.fail, 1), (_, 2): jobs[id]?.phase = .running
            case (.fail, _):
                finish(id, status: ["status_str": "error", "completed": false, "messages": [
                    ["execution_start", ["prompt_id": id, "timestamp": 1_735_689_600_123]],
                    ["execution_error", ["prompt_id": id, "node_id": "3", "node_type": "KSampler", "executed": ["4", "5", "6", "7"],
                                         "exception_message": "the sampler produced NaNs\n", "exception_type": "RuntimeError",
                                         "traceback": ["Traceback (most recent call last):\n"], "current_inputs": [:], "current_outputs": [:]]],
                ]], outputs: [:])
            case (_, 1): break
            default: complete(job)
            }
        }
        return Fake.json(.ok, history[id].map { [id: $0] } ?? [:])
    }

    private func complete(_ job: Job) {
        let (outputs, nodes) = run(job)
        finish(job.id, status: ["status_str": "success", "completed": true, "messages": [
            ["execution_start", ["prompt_id": job.id, "timestamp": 1_735_689_600_123]],
            ["execution_cached", ["nodes": nodes, "prompt_id": job.id, "timestamp": 1_735_689_600_125]],
            ["execution_success", ["prompt_id": job.id, "timestamp": 1_735_689_600_400]],
        ]], outputs: outputs)
    }

    /// Runs the graph: the output files it writes (`{node: {images: […]}}`) and the nodes served from cache.
    func run(_ job: Job) -> (outputs: [String: Any], cached: [String]) {
        let key = String(decoding: (try? JSONSerialization.data(withJSONObject: job.graph, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
        let cached = executedGraphs.contains(key)
        executedGraphs.insert(key)
        var outputs: [String: Any] = [:]
        if !(cached && cacheDropsOutputs) {
            for node in job.outputs {
                let n = job.graph[node] as? [String: Any] ?? [:]
                let temp = n["class_type"] as? String == "PreviewImage"
                let prefix = temp ? "ComfyUI_temp_abcde" : ((n["inputs"] as? [String: Any])?["filename_prefix"] as? String ?? "ComfyUI")
                let slash = prefix.lastIndex(of: "/")
                let sub = slash.map { String(prefix[..<$0]) } ?? "", stem = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
                // One file per batch item: the batch_size of the node that made the latent or image upstream.
                let batch = Self.upstream(node, job.graph).compactMap { ((job.graph[$0] as? [String: Any])?["inputs"] as? [String: Any])?["batch_size"] as? NSNumber }.first?.intValue ?? 1
                var images: [[String: Any]] = []
                for _ in 0..<max(1, batch) {
                    let counter = String(files.count + 1), type = temp ? "temp" : "output"
                    let name = stem + "_" + String(repeating: "0", count: max(0, 5 - counter.count)) + counter + "_.png"
                    files["\(type)/\(sub)/\(name)"] = job.request
                    images.append(["filename": name, "subfolder": sub, "type": type])
                }
                outputs[node] = ["images": images]
            }
            if extraMedia {
                outputs["90"] = ["gifs": [["filename": "easel_00001.mp4", "subfolder": "", "type": "output", "format": "video/h264-mp4", "frame_rate": 8]]]
                outputs["91"] = ["audio": [["filename": "easel_00001_.flac", "subfolder": "audio", "type": "output"]]]
            }
        }
        return (outputs, cached ? job.graph.keys.sorted() : [])
    }

    func finish(_ id: String, status: [String: Any], outputs: [String: Any]) {
        guard let job = jobs[id] else { return }
        jobs[id]?.phase = .finished
        history[id] = ["prompt": [job.number, id, job.graph, ["client_id": job.clientID], job.outputs],
                       "outputs": outputs, "status": status,
                       "meta": Dictionary(uniqueKeysWithValues: outputs.keys.map { ($0, ["node_id": $0, "display_node": $0, "parent_node": NSNull(), "real_node_id": $0]) })]
    }

    private func queueReply() -> FlyingFox.HTTPResponse {
        func item(_ j: Job) -> [Any] { [j.number, j.id, j.graph, ["client_id": j.clientID], j.outputs] }
        let running = jobs.values.filter { $0.phase == .running }.sorted { $0.number < $1.number }.map(item)
        // Heap order, not sorted: newest first here, so clients must sort by number themselves.
        let pending = jobs.values.filter { $0.phase == .pending }.sorted { $0.number > $1.number }.map(item)
        return Fake.json(.ok, ["queue_running": running, "queue_pending": pending])
    }

    private func view(_ query: [FlyingFox.HTTPRequest.QueryItem]) -> FlyingFox.HTTPResponse {
        let name = query["filename"] ?? "", sub = query["subfolder"] ?? "", type = query["type"] ?? "output"
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains(".."), ["output", "temp", "input"].contains(type) else {
            return HTTPResponse(statusCode: .badRequest)
        }
        if sub.contains("..") || sub.hasPrefix("/") { return HTTPResponse(statusCode: .forbidden) }
        guard let r = files["\(type)/\(sub)/\(name)"] else { return HTTPResponse(statusCode: .notFound) }
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png", HTTPHeader("Content-Disposition"): "filename=\"\(name)\""],
                            body: Data(Fake.png(width: r.width, height: r.height, seed: r.seed)))
    }

    // MARK: - The graph as ComfyUI would run it

    /// Reads prompt, negative prompt, seed, steps and size back out of an API-format graph: KSampler's inputs and
    /// the CLIPTextEncode / EmptyLatentImage nodes it links to (else any EmptyImage / CLIPTextEncode).
    static func understand(_ graph: [String: Any]) -> GenerationRequest {
        func node(_ link: Any?) -> [String: Any]? {
            guard let l = link as? [Any], let id = l.first as? String else { return nil }
            return (graph[id] as? [String: Any])?["inputs"] as? [String: Any]
        }
        func int(_ v: Any?) -> Int? { (v as? NSNumber)?.intValue ?? (v as? String).flatMap { Int($0) } }
        let nodes = graph.sorted { ($0.key.count, $0.key) < ($1.key.count, $1.key) }.compactMap { $0.value as? [String: Any] }
        let sampler = nodes.first { ($0["class_type"] as? String ?? "").hasPrefix("KSampler") }?["inputs"] as? [String: Any] ?? [:]
        let texts = nodes.filter { $0["class_type"] as? String == "CLIPTextEncode" }.compactMap { ($0["inputs"] as? [String: Any])?["text"] as? String }
        let size = node(sampler["latent_image"]) ?? nodes.first { $0["class_type"] as? String == "EmptyImage" }?["inputs"] as? [String: Any] ?? [:]
        return GenerationRequest(prompt: node(sampler["positive"])?["text"] as? String ?? texts.first ?? "",
                                 negativePrompt: node(sampler["negative"])?["text"] as? String ?? "",
                                 width: int(size["width"]) ?? 512, height: int(size["height"]) ?? 512,
                                 seed: UInt32(truncatingIfNeeded: int(sampler["seed"]) ?? 0), steps: int(sampler["steps"]) ?? 20)
    }

    /// `/object_info` for the node classes the fake knows, with the enum inputs clients list.
    static func nodeInfo(_ checkpoints: [String], combo: Bool = false) -> [String: Any] {
        func choice(_ options: [String]) -> [Any] { combo ? ["COMBO", ["options": options, "multiselect": false]] : [options, [:]] }
        func info(_ name: String, _ required: [String: Any], output: [String], outputNode: Bool = false) -> [String: Any] {
            ["input": ["required": required, "optional": [:], "hidden": [:]], "input_order": ["required": required.keys.sorted()],
             "output": output, "output_is_list": output.map { _ in false }, "output_name": output, "name": name, "display_name": name,
             "description": "", "python_module": "nodes", "category": "fake", "output_node": outputNode]
        }
        let int: [Any] = ["INT", ["default": 512, "min": 1, "max": 16384]]
        return [
            "CheckpointLoaderSimple": info("CheckpointLoaderSimple", ["ckpt_name": choice(checkpoints)], output: ["MODEL", "CLIP", "VAE"]),
            "CLIPTextEncode": info("CLIPTextEncode", ["text": ["STRING", ["multiline": true]], "clip": ["CLIP"]], output: ["CONDITIONING"]),
            "EmptyLatentImage": info("EmptyLatentImage", ["width": int, "height": int, "batch_size": int], output: ["LATENT"]),
            "KSampler": info("KSampler", ["seed": int, "steps": int, "cfg": ["FLOAT", [:]],
                                          "sampler_name": choice(["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde"]),
                                          "scheduler": choice(["normal", "karras", "simple"]), "denoise": ["FLOAT", [:]]], output: ["LATENT"]),
            "VAEDecode": info("VAEDecode", ["samples": ["LATENT"], "vae": ["VAE"]], output: ["IMAGE"]),
            "EmptyImage": info("EmptyImage", ["width": int, "height": int, "batch_size": int, "color": int], output: ["IMAGE"]),
            "ImageInvert": info("ImageInvert", ["image": ["IMAGE"]], output: ["IMAGE"]),
            "SaveImage": info("SaveImage", ["images": ["IMAGE"], "filename_prefix": ["STRING", ["default": "ComfyUI"]]], output: [], outputNode: true),
            "PreviewImage": info("PreviewImage", ["images": ["IMAGE"]], output: [], outputNode: true),
        ]
    }
}
