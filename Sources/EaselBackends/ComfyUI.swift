import EaselCore
import EaselHTTP
import Foundation

/// ComfyUI: queue an API-format workflow graph (`POST /prompt`), poll its history and queue, fetch the
/// output image (`GET /view`).
/// Protocol: https://docs.comfy.org/development/comfyui-server/comms_routes
/// Shapes and failure cases: reference/backends.md §1 and §9 rows 1–6. User docs: docs/backends/comfyui.md.
///
/// Step progress, completion and live previews come over the WebSocket `/ws?clientId=` (`ComfyUI+Events.swift`,
/// `ComfyUISocket`); polling (`status(of:)`) follows jobs when the socket cannot be opened or is lost.
public struct ComfyUIBackend: GenerationBackend {
    /// e.g. `http://127.0.0.1:8188`, without a trailing slash.
    public let baseURL: String
    public let http: HTTPClient
    public let displayName: String
    /// This adapter's `client_id` (32 lower-case hex digits), sent with every `POST /prompt`. Stable for the
    /// adapter's life, so the server files all of its jobs under one client.
    public let clientID: String
    /// The workflow file, or nil for the built-in graph.
    public let workflowPath: String?
    /// The API-format graph with placeholders, as JSON bytes (validated at `init`).
    let template: [UInt8]
    let model: String, sampler: String, cfgScale: Double
    /// The adapter's WebSocket, shared by every copy of this value; opened at the first `statusEvents(of:)`.
    let socket: ComfyUISocket
    /// What the config itself names (written into an exported workflow; nil keeps the workflow's own value).
    let configured: (model: String?, sampler: String?, cfgScale: Double?)
    /// For a workflow without placeholders ("Export (API)" as it is): where each parameter goes.
    let map: WorkflowMap?
    /// Warnings per prompt, handed out by `takeNotice(for:)`.
    let notices: ComfyUINotices

    /// The checkpoint the built-in graph (and `{{model}}`) uses when the config names none.
    public static let defaultModel = "v1-5-pruned-emaonly.safetensors"
    /// The sampler for `{{sampler}}` when the config names none.
    public static let defaultSampler = "euler"
    /// The CFG scale for `{{cfg_scale}}` when the config gives none.
    public static let defaultCFGScale = 7.0

    /// Reads and checks the workflow file, if `options.workflow` names one (a relative path is taken from
    /// the config file's folder; `~/` is the home folder).
    /// A workflow with `{{placeholders}}` is filled in by them; one without (saved with "Export (API)" as it
    /// is) is mapped by following the sampler's links (`WorkflowMap`).
    /// - Throws: `BackendSetupError` naming the file and the reason when it cannot be read, is not JSON, is
    ///   the UI format instead of the API format, has a node without `class_type`, has placeholders but no
    ///   `"{{prompt}}"`, has an unknown `{{placeholder}}`, or has none and cannot be mapped (naming what
    ///   was not found).
    public init(options: BackendOptions, http: HTTPClient = HTTPClient()) throws(BackendSetupError) {
        var base = options.url.isEmpty ? (BackendKind.comfyui.defaultURL ?? "") : options.url
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        self.http = http
        displayName = options.summary
        clientID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        model = options.model ?? Self.defaultModel
        sampler = options.sampler ?? Self.defaultSampler
        cfgScale = options.cfgScale ?? Self.defaultCFGScale
        let (historyBase, historyHTTP, notes) = (base, http, ComfyUINotices())
        notices = notes
        socket = ComfyUISocket(url: ComfyUISocket.address(base: base, clientID: clientID)) { job throws(JobError) in
            try await Self.history(job, base: historyBase, http: historyHTTP, notices: notes)
        }
        configured = (options.model, options.sampler, options.cfgScale)
        guard let path = options.workflow else {
            workflowPath = nil
            template = Array(Self.builtInWorkflow.utf8)
            map = nil
            return
        }
        let full = Self.resolve(path, configFile: options.file)
        workflowPath = full
        let bytes: [UInt8]
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: full, isDirectory: &isDir) {
            throw BackendSetupError("\(options.name): workflow file \(full): no such file")
        }
        if isDir.boolValue { throw BackendSetupError("\(options.name): workflow file \(full): is a folder") }
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: full))) } catch {
            throw BackendSetupError("\(options.name): workflow file \(full): cannot be read (permission denied?)")
        }
        if let reason = Self.problem(inWorkflow: bytes) {
            throw BackendSetupError("\(options.name): workflow file \(full): \(reason)")
        }
        template = bytes
        map = Self.exportedMap(bytes)
    }

    // MARK: - API

    /// `POST /prompt` with the filled graph and this adapter's `client_id`.
    /// - Returns: ComfyUI's `prompt_id`, and `.queued(position: nil)` (the first poll places it).
    /// - Throws: `.graph` (400) with the prompt-level message and each node's class, id, message and details,
    ///   e.g. "Prompt outputs failed validation; CheckpointLoaderSimple (node 4): Value not in list: ckpt_name:
    ///   'x' not in ['a'] — the server has no checkpoint 'x'; it has: a", whether `error` is an object or (old
    ///   builds) a string (`graphReason`); `.unauthorized` (403, the origin check); `.server` (5xx); `.network`;
    ///   `.badResponse` (no `prompt_id`).
    ///
    /// The `prompt_id` is chosen here (a UUID, as newer ComfyUI builds accept): when the reply is lost (a
    /// network error or timeout after the request went out), `/history` and `/queue` are asked for that id, so
    /// a job the server did queue is followed, not reported as failed (and never sent twice).
    public func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        let graph = try workflowJSON(for: request)
        let promptID = UUID().uuidString.lowercased()
        let body = Array("{\"client_id\":\"\(clientID)\",\"prompt_id\":\"\(promptID)\",\"prompt\":".utf8) + graph + Array("}".utf8)
        socket.sent(promptID, graph: graph)
        let ran = Self.ranParameters(inGraph: graph)
        let response: HTTPResponse
        do { response = try await send(.postJSON(baseURL + "/prompt", body)) } catch {
            guard case .network = error, let found = await lookUp(RemoteJobID(promptID)) else { throw error }
            notices.sent(promptID, ran)
            return (RemoteJobID(promptID), found)
        }
        guard response.status == 200 else { throw Self.submitError(response) }
        guard let reply = Self.object(response.body), let id = reply["prompt_id"] as? String, !id.isEmpty else {
            throw .badResponse("no prompt_id in the reply to POST /prompt")
        }
        if id != promptID { socket.sent(id, graph: graph) }   // old builds ignore ours and answer their own
        if let dropped = Self.droppedPart(reply) { notices.add(id, dropped) }   // a 200 that left outputs out
        notices.sent(id, ran)
        return (RemoteJobID(id), .queued(position: nil))
    }

    /// Where the server has `job`, if anywhere: its history entry, else its place in the queue; nil when it
    /// has no trace of it (or cannot be asked).
    private func lookUp(_ job: RemoteJobID) async -> RemoteStatus? {
        if let finished = try? await history(job) { return finished }
        guard let queue = try? await fetchQueue() else { return nil }
        if queue.running.contains(job.rawValue) { return .running(progress: nil) }
        if let i = queue.pending.firstIndex(of: job.rawValue) { return .queued(position: i + 1) }
        return nil
    }

    /// `GET /history/{prompt_id}`; while that is `{}`, `GET /queue` tells queued from running from unknown.
    /// - Returns: `.queued(position:)` (1 = next to run, by queue `number`), `.running(progress: nil)`,
    ///   `.completed` with a `/view` reference, or `.failed` with the `execution_error` message or "interrupted".
    /// - Throws: `.notFound` when the id is in neither history nor queue; `.inferenceFailed` when the job finished
    ///   without an image (every node cached, or no image output); `.badResponse` for malformed JSON.
    public func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus {
        if let finished = try await history(job) { return finished }
        let queue = try await fetchQueue()
        if queue.running.contains(job.rawValue) { return .running(progress: nil) }
        if let i = queue.pending.firstIndex(of: job.rawValue) { return .queued(position: i + 1) }
        // It may have finished between the two requests.
        if let finished = try await history(job) { return finished }
        throw .notFound
    }

    /// The part of the graph the server dropped at submit (a `200` with `node_errors`), and outputs Easel cannot
    /// show (video, audio) once the job finished; each once.
    public func takeNotice(for job: RemoteJobID) -> String? { notices.take(job.rawValue) }

    /// The sampler's seed, steps, CFG, sampler and scheduler and the loader's checkpoint, read from the graph that
    /// was sent (kept from the submit; after a restart from `/history`'s copy of it, `prompt[2]`). nil when
    /// neither is at hand.
    public func ranParameters(of job: RemoteJobID) async -> RanParameters? {
        if let kept = notices.ran(job.rawValue) { return kept }
        guard let all = try? await get("/history/" + Self.encode(job.rawValue)) as? [String: Any],
              let prompt = (all[job.rawValue] as? [String: Any])?["prompt"] as? [Any], prompt.count > 2,
              let graph = prompt[2] as? [String: Any],
              let bytes = try? JSONSerialization.data(withJSONObject: graph) else { return nil }
        return Self.ranParameters(inGraph: [UInt8](bytes))
    }

    /// Fetches `GET /view?filename=&subfolder=&type=` and checks the magic bytes.
    public func download(_ image: ImageRef) async throws(JobError) -> ImageData {
        try await ImageFetch.fetch(image, relativeTo: baseURL, http: http)
    }

    /// Pending: `POST /queue {"delete":[id]}`. Running (ours, per `/queue`): `POST /interrupt {"prompt_id": id}`
    /// (builds that ignore the body interrupt whatever runs, which `/queue` has just shown to be this job).
    /// Finished or unknown: nothing.
    public func cancel(_ job: RemoteJobID) async throws(JobError) {
        let id = job.rawValue
        let queue = try await fetchQueue()
        if queue.pending.contains(id) {
            try await post("/queue", ["delete": [id]])
            guard try await fetchQueue().running.contains(id) else { return }   // started meanwhile?
        } else if !queue.running.contains(id) {
            return
        }
        try await post("/interrupt", ["prompt_id": id])
    }

    /// `GET /system_stats` (version, device, free VRAM), then the checkpoints (`/object_info/CheckpointLoaderSimple`,
    /// else `/models/checkpoints`) and samplers (`/object_info/KSampler`). Warns when the server has no checkpoint
    /// (only graphs without a checkpoint loader can run), or lacks the checkpoint or sampler the graph will use
    /// (the config's, else the built-in default for `{{model}}` / `{{sampler}}`; an exported workflow's own
    /// values are not checked).
    public func health() async -> BackendHealth {
        let r: HTTPResponse
        do { r = try await http.send(HTTPRequest(.get, baseURL + "/system_stats", headers: [("Accept", "application/json")])) }
        catch { return BackendHealth(ok: false, detail: ErrorMapping.transport(error).message) }
        guard r.status == 200 else {
            if r.status == 403 { return BackendHealth(ok: false, detail: Self.submitError(r).message) }
            let why = Self.reason(r.body).map { ": " + Sanitize.line($0) } ?? ""
            return BackendHealth(ok: false, detail: "GET /system_stats answered HTTP \(r.status)\(why) (is this ComfyUI?)")
        }
        guard let stats = Self.object(r.body), let system = stats["system"] as? [String: Any] else {
            return BackendHealth(ok: false, detail: "GET /system_stats did not answer like ComfyUI (no \"system\")")
        }
        var parts = ["ComfyUI " + Sanitize.line(String((system["comfyui_version"] as? String ?? "(version unknown)").prefix(40)))]
        if let device = (stats["devices"] as? [[String: Any]])?.first {
            let name = (device["name"] as? String ?? "?").components(separatedBy: " : ").first ?? "?"
            parts.append(Sanitize.line(String(name.prefix(60))))
            if let free = (device["vram_free"] as? NSNumber)?.doubleValue {
                parts.append(String(format: "%.1f GiB VRAM free", free / 1_073_741_824))
            }
        }
        var models = await choices("/object_info/CheckpointLoaderSimple", node: "CheckpointLoaderSimple", input: "ckpt_name")
        if models.isEmpty, let listed = try? await get("/models/checkpoints") as? [String] { models = listed }
        let samplers = await choices("/object_info/KSampler", node: "KSampler", input: "sampler_name")
        parts.append("\(models.count) checkpoint\(models.count == 1 ? "" : "s")")
        var warnings: [String] = []
        let usesModel = workflowPath == nil || template.containsToken(Placeholder.model.token) || (configured.model != nil && map?.model != nil)
        let usesSampler = workflowPath == nil || template.containsToken(Placeholder.sampler.token) || (configured.sampler != nil && map?.sampler != nil)
        if models.isEmpty {
            warnings.append("the server has no checkpoints (ComfyUI's models/checkpoints is empty): only workflows without a checkpoint loader can run")
        } else if usesModel, !models.contains(model) {
            warnings.append("checkpoint \(Sanitize.line(model)) is not on the server; it has: \(models.prefix(8).map { Sanitize.line($0) }.joined(separator: ", "))"
                            + (models.count > 8 ? ", …" : "") + " (set model in the config)")
        }
        if usesSampler, !samplers.isEmpty, !samplers.contains(sampler) {
            warnings.append("sampler \(Sanitize.line(sampler)) is not on the server; it has: \(samplers.prefix(8).map { Sanitize.line($0) }.joined(separator: ", "))"
                            + (samplers.count > 8 ? ", …" : ""))
        }
        return BackendHealth(ok: true, detail: parts.joined(separator: ", "),
                             models: models.map { Sanitize.line($0) }, samplers: samplers.map { Sanitize.line($0) }, warnings: warnings)
    }

}

extension Array where Element == UInt8 {
    func containsToken(_ token: String) -> Bool { String(decoding: self, as: UTF8.self).contains(token) }
}
