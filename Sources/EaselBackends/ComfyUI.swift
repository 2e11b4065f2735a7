import EaselCore
import EaselHTTP
import Foundation

/// ComfyUI: queue an API-format workflow graph (`POST /prompt`), poll its history and queue, fetch the
/// output image (`GET /view`).
/// Protocol: https://docs.comfy.org/development/comfyui-server/comms_routes
/// Shapes and failure cases: reference/backends.md §1 and §9 rows 1–6. User docs: docs/backends/comfyui.md.
///
/// Progress is polled, not streamed: the WebSocket `/ws` would need libcurl with `ws://` support, and the
/// libcurl here (7.88, which FoundationNetworking's `URLSessionWebSocketTask` also rides on) is built without
/// it. So a running job reports `.running(progress: nil)`, and there is no live preview.
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
    private let template: [UInt8]
    private let model: String, sampler: String, cfgScale: Double

    /// The checkpoint the built-in graph (and `{{model}}`) uses when the config names none.
    public static let defaultModel = "v1-5-pruned-emaonly.safetensors"
    /// The sampler for `{{sampler}}` when the config names none.
    public static let defaultSampler = "euler"
    /// The CFG scale for `{{cfg_scale}}` when the config gives none.
    public static let defaultCFGScale = 7.0

    /// Reads and checks the workflow file, if `options.workflow` names one (a relative path is taken from
    /// the config file's folder; `~/` is the home folder).
    /// - Throws: `BackendSetupError` naming the file and the reason when it cannot be read, is not JSON, is
    ///   the UI format instead of the API format, has a node without `class_type`, has no `"{{prompt}}"`
    ///   placeholder, or has an unknown `{{placeholder}}`.
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
        guard let path = options.workflow else {
            workflowPath = nil
            template = Array(Self.builtInWorkflow.utf8)
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
    }

    // MARK: - Workflow

    /// The placeholders a workflow may use, as whole JSON string values (`"seed": "{{seed}}"`) or inside text
    /// (`"text": "{{prompt}}, oil painting"`). A value that is exactly a numeric placeholder becomes a JSON number.
    public enum Placeholder: String, CaseIterable, Sendable {
        case prompt, negativePrompt = "negative_prompt", seed, width, height, steps, cfgScale = "cfg_scale", sampler, model
        /// `{{name}}`, as written in the workflow file.
        public var token: String { "{{\(rawValue)}}" }
        public var isNumeric: Bool {
            switch self {
            case .seed, .width, .height, .steps, .cfgScale: true
            case .prompt, .negativePrompt, .sampler, .model: false
            }
        }
    }

    /// The built-in text-to-image graph: CheckpointLoaderSimple (4) → CLIPTextEncode positive (6) and negative
    /// (7) → EmptyLatentImage (5) → KSampler (3, scheduler "normal") → VAEDecode (8) → SaveImage (9, prefix
    /// "easel"). Node ids follow ComfyUI's own default workflow. Also in docs/backends/comfyui-workflow.json.
    public static let builtInWorkflow = """
        {
          "3": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": "{{steps}}", "cfg": "{{cfg_scale}}",
                "sampler_name": "{{sampler}}", "scheduler": "normal", "denoise": 1,
                "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
          "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "{{model}}"}},
          "5": {"class_type": "EmptyLatentImage", "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": 1}},
          "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}", "clip": ["4", 1]}},
          "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{negative_prompt}}", "clip": ["4", 1]}},
          "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
          "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "easel", "images": ["8", 0]}}
        }
        """

    /// The graph sent for `request`: the workflow with every placeholder replaced.
    /// - Returns: the API-format graph as JSON bytes (an object keyed by node id).
    /// - Throws: `JobError.badResponse` only if the checked template stops parsing (it cannot, short of memory corruption).
    public func workflowJSON(for request: GenerationRequest) throws(JobError) -> [UInt8] {
        guard let graph = try? JSONSerialization.jsonObject(with: Data(template)) else {
            throw .badResponse("the workflow template no longer parses")
        }
        let values: [Placeholder: Any] = [
            .prompt: request.prompt, .negativePrompt: request.negativePrompt, .seed: Int(request.seed),
            .width: request.width, .height: request.height, .steps: request.steps, .cfgScale: cfgScale,
            .sampler: sampler, .model: model,
        ]
        let filled = Self.fill(graph, values)
        guard let data = try? JSONSerialization.data(withJSONObject: filled, options: [.sortedKeys]) else {
            throw .badResponse("the filled workflow is not valid JSON")
        }
        return [UInt8](data)
    }

    private static func fill(_ value: Any, _ values: [Placeholder: Any]) -> Any {
        switch value {
        case let s as String:
            guard s.contains("{{") else { return s }
            if let p = Placeholder.allCases.first(where: { $0.token == s }) { return values[p] ?? s }
            var out = s
            for p in Placeholder.allCases where out.contains(p.token) {
                let v = values[p]
                let text = (v as? Double).map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String($0) } ?? "\(v ?? "")"
                out = out.replacingOccurrences(of: p.token, with: text)
            }
            return out
        case let a as [Any]: return a.map { fill($0, values) }
        case let o as [String: Any]: return o.mapValues { fill($0, values) }
        default: return value
        }
    }

    /// Why `bytes` cannot be used as a workflow, or nil when it can.
    static func problem(inWorkflow bytes: [UInt8]) -> String? {
        guard let any = try? JSONSerialization.jsonObject(with: Data(bytes)) else { return "not valid JSON" }
        guard let graph = any as? [String: Any] else { return "not a JSON object of nodes keyed by id" }
        if graph["nodes"] is [Any], graph["links"] != nil {
            return "this is ComfyUI's UI format (it has \"nodes\" and \"links\"); export it with Workflow → Export (API)"
        }
        if graph.isEmpty { return "it has no nodes" }
        for (id, node) in graph.sorted(by: { $0.key < $1.key }) {
            guard let n = node as? [String: Any], n["class_type"] is String else { return "node \(id) has no class_type" }
        }
        var tokens: Set<String> = []
        collectTokens(any, into: &tokens)
        let known = Set(Placeholder.allCases.map(\.token))
        if let unknown = tokens.subtracting(known).sorted().first {
            return "unknown placeholder \(unknown) (known: \(Placeholder.allCases.map(\.token).joined(separator: " ")))"
        }
        if !tokens.contains(Placeholder.prompt.token) { return "it has no \"{{prompt}}\" placeholder" }
        return nil
    }

    private static func collectTokens(_ value: Any, into tokens: inout Set<String>) {
        switch value {
        case let s as String:
            var rest = s[...]
            while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
                tokens.insert(String(rest[open.lowerBound..<close.upperBound]))
                rest = rest[close.upperBound...]
            }
        case let a as [Any]: a.forEach { collectTokens($0, into: &tokens) }
        case let o as [String: Any]: o.values.forEach { collectTokens($0, into: &tokens) }
        default: break
        }
    }

    private static func resolve(_ path: String, configFile: String) -> String {
        if path.hasPrefix("~/") { return NSHomeDirectory() + path.dropFirst() }
        if path.hasPrefix("/") || configFile.isEmpty { return path }
        return (configFile as NSString).deletingLastPathComponent + "/" + path
    }

    // MARK: - API

    /// `POST /prompt` with the filled graph and this adapter's `client_id`.
    /// - Returns: ComfyUI's `prompt_id`, and `.queued(position: nil)` (the first poll places it).
    /// - Throws: `.invalidPrompt` (400) naming node and reason, e.g. "CheckpointLoaderSimple (node 4): ckpt_name
    ///   'x.safetensors' not in list", or the prompt-level error ("Prompt has no outputs"), whether `error` is an
    ///   object or (old builds) a string; `.unauthorized` (403, the origin check); `.server` (5xx); `.network`;
    ///   `.badResponse` (no `prompt_id`).
    public func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        let graph = try workflowJSON(for: request)
        let body = Array("{\"client_id\":\"\(clientID)\",\"prompt\":".utf8) + graph + Array("}".utf8)
        let response = try await send(.postJSON(baseURL + "/prompt", body))
        guard response.status == 200 else { throw Self.submitError(response) }
        guard let reply = Self.object(response.body), let id = reply["prompt_id"] as? String, !id.isEmpty else {
            throw .badResponse("no prompt_id in the reply to POST /prompt")
        }
        return (RemoteJobID(id), .queued(position: nil))
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
    /// else `/models/checkpoints`) and samplers (`/object_info/KSampler`). Warns when the configured checkpoint
    /// is not on the server.
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
        if !models.isEmpty, !models.contains(model), workflowPath == nil || template.containsToken(Placeholder.model.token) {
            parts.append("checkpoint \(Sanitize.line(model)) is not on the server")
        }
        return BackendHealth(ok: true, detail: parts.joined(separator: ", "),
                             models: models.map { Sanitize.line($0) }, samplers: samplers.map { Sanitize.line($0) })
    }

    // MARK: - Wire format

    /// The `GET /history/{id}` entry mapped to a status, or nil while it is `{}` (queued, running or unknown).
    private func history(_ job: RemoteJobID) async throws(JobError) -> RemoteStatus? {
        let response = try await send(HTTPRequest(.get, baseURL + "/history/" + Self.encode(job.rawValue),
                                                  headers: [("Accept", "application/json")]))
        guard response.status == 200 else { throw ErrorMapping.status(response, message: Self.reason(response.body)) }
        guard let all = Self.object(response.body) else { throw .badResponse("malformed JSON from GET /history") }
        guard let entry = all[job.rawValue] as? [String: Any] else { return nil }
        return try Self.status(fromHistory: entry)
    }

    /// One history entry: `{prompt, outputs: {node: {images: [{filename, subfolder, type}]}}, status: {status_str,
    /// completed, messages: [[event, data]]}}`.
    static func status(fromHistory entry: [String: Any]) throws(JobError) -> RemoteStatus {
        let status = entry["status"] as? [String: Any]
        let events: [(String, [String: Any])] = (status?["messages"] as? [[Any]] ?? []).compactMap {
            guard $0.count == 2, let name = $0[0] as? String else { return nil }
            return (name, $0[1] as? [String: Any] ?? [:])
        }
        if status?["status_str"] as? String == "error" {
            if let e = events.first(where: { $0.0 == "execution_error" })?.1 {
                let node = [e["node_type"] as? String, (e["node_id"] as? String).map { "(node \($0))" }].compactMap { $0 }
                let text = (e["exception_message"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let what = text.isEmpty ? (e["exception_type"] as? String ?? "execution error") : text
                return .failed(node.isEmpty ? what : node.joined(separator: " ") + ": " + what)
            }
            if events.contains(where: { $0.0 == "execution_interrupted" }) { return .failed("interrupted on the server") }
            return .failed("ComfyUI reported an error without details")
        }
        var found: [(node: String, key: String, type: String, ref: ImageRef)] = []   // `key`: "images", "gifs", …
        for (node, output) in entry["outputs"] as? [String: Any] ?? [:] {
            for (key, list) in output as? [String: Any] ?? [:] {
                for case let item as [String: Any] in list as? [Any] ?? [] {
                    guard let name = item["filename"] as? String, !name.isEmpty else { continue }
                    let sub = item["subfolder"] as? String ?? "", type = item["type"] as? String ?? "output"
                    let url = "/view?filename=\(encode(name))&subfolder=\(encode(sub))&type=\(encode(type))"
                    found.append((node, key, type, ImageRef(url: url)))
                }
            }
        }
        // Saved images before previews, `images` before other media, then by node id.
        func rank(_ f: (node: String, key: String, type: String, ref: ImageRef)) -> (Int, Int, Int, String) {
            (f.type == "output" ? 0 : 1, f.key == "images" ? 0 : 1, f.node.count, f.node)
        }
        if let first = found.min(by: { rank($0) < rank($1) }) { return .completed(first.ref) }
        if events.contains(where: { $0.0 == "execution_cached" && !(($0.1["nodes"] as? [Any]) ?? []).isEmpty }) {
            throw .inferenceFailed("ComfyUI served the workflow from its cache and returned no images; "
                + "vary an input (use {{seed}} in the workflow) or start ComfyUI with --cache-none")
        }
        throw .inferenceFailed("the workflow finished without an image output (add a SaveImage or PreviewImage node)")
    }

    /// `GET /queue` → `{queue_running: [[number, prompt_id, graph, extra, outputs]], queue_pending: [...]}`;
    /// pending comes in heap order, so it is sorted by `number`.
    private func fetchQueue() async throws(JobError) -> (running: [String], pending: [String]) {
        let response = try await send(HTTPRequest(.get, baseURL + "/queue", headers: [("Accept", "application/json")]))
        guard response.status == 200 else { throw ErrorMapping.status(response, message: Self.reason(response.body)) }
        guard let q = Self.object(response.body) else { throw .badResponse("malformed JSON from GET /queue") }
        func items(_ key: String) -> [(Double, String)] {
            (q[key] as? [[Any]] ?? []).compactMap { item in
                guard item.count >= 2, let id = item[1] as? String else { return nil }
                return ((item[0] as? NSNumber)?.doubleValue ?? 0, id)
            }
        }
        return (items("queue_running").map(\.1), items("queue_pending").sorted { $0.0 < $1.0 }.map(\.1))
    }

    /// The choices of an enum input in `GET /object_info/{node}`: `[["a", "b"], {…}]`, or newer `["COMBO", {options}]`.
    private func choices(_ path: String, node: String, input: String) async -> [String] {
        guard let info = try? await get(path) as? [String: Any],
              let spec = ((info[node] as? [String: Any])?["input"] as? [String: Any])?["required"] as? [String: Any],
              let entry = spec[input] as? [Any], let first = entry.first else { return [] }
        if let list = first as? [String] { return list }
        return ((entry.count > 1 ? entry[1] : nil) as? [String: Any])?["options"] as? [String] ?? []
    }

    private func get(_ path: String) async throws(JobError) -> Any? {
        let response = try await send(HTTPRequest(.get, baseURL + path, headers: [("Accept", "application/json")]))
        guard response.status == 200 else { throw ErrorMapping.status(response, message: nil) }
        return try? JSONSerialization.jsonObject(with: Data(response.body))
    }

    /// A POST whose success is `200` with an empty body (`/queue`, `/interrupt`).
    private func post(_ path: String, _ json: [String: Any]) async throws(JobError) {
        let body = (try? JSONSerialization.data(withJSONObject: json)).map { [UInt8]($0) } ?? []
        let response = try await send(.postJSON(baseURL + path, body))
        guard (200..<300).contains(response.status) else { throw ErrorMapping.status(response, message: Self.reason(response.body)) }
    }

    private func send(_ request: HTTPRequest) async throws(JobError) -> HTTPResponse {
        do { return try await http.send(request) } catch { throw ErrorMapping.transport(error) }
    }

    // MARK: - Error mapping

    /// A non-200 reply to `POST /prompt` (or `/system_stats`) as a `JobError`.
    static func submitError(_ response: HTTPResponse) -> JobError {
        let text = reason(response.body)
        switch response.status {
        case 400: return .invalidPrompt(reason: text ?? "ComfyUI refused the workflow (HTTP 400)")
        case 403: return .unauthorized(text ?? "HTTP 403: ComfyUI's origin check refused the request, or a proxy in front of it wants credentials")
        default: return ErrorMapping.status(response, message: text)
        }
    }

    /// The server's reason in an error body: per-node `node_errors` ("KSampler (node 3): steps: Value 0 smaller
    /// than min of 1"), else `error` as an object (`message: details`) or a string (old builds), else plain text
    /// (aiohttp's "500 Internal Server Error\n\nServer got itself in trouble"). At most 400 characters.
    static func reason(_ body: [UInt8]) -> String? {
        guard let o = object(body) else {
            var lines = String(decoding: body.prefix(2_000), as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if lines.count > 1, let code = lines[0].split(separator: " ").first, Int(code) != nil { lines.removeFirst() }
            return lines.isEmpty ? nil : String(lines.joined(separator: " ").prefix(400))
        }
        var found: [String] = []
        let nodes = (o["node_errors"] as? [String: Any] ?? [:]).sorted { ($0.key.count, $0.key) < ($1.key.count, $1.key) }
        for (id, value) in nodes {
            guard let node = value as? [String: Any] else { continue }
            let name = "\(node["class_type"] as? String ?? "node") (node \(id))"
            for case let e as [String: Any] in node["errors"] as? [Any] ?? [] {
                let info = e["extra_info"] as? [String: Any]
                if e["type"] as? String == "value_not_in_list", let input = info?["input_name"] as? String {
                    found.append("\(name): \(input) '\(info?["received_value"].map { "\($0)" } ?? "?")' not in list")
                } else if let d = e["details"] as? String, !d.isEmpty, d != info?["input_name"] as? String {
                    found.append("\(name): \(d)")
                } else {
                    // `value_smaller_than_min` and friends put only the input's name in `details`.
                    let input = (info?["input_name"] as? String).map { "\($0): " } ?? ""
                    found.append("\(name): \(input)\(e["message"] as? String ?? "invalid")")
                }
            }
        }
        if found.isEmpty {
            if let e = o["error"] as? String, !e.isEmpty { found.append(e) }
            if let e = o["error"] as? [String: Any] {
                let message = e["message"] as? String ?? e["type"] as? String ?? "error"
                let details = e["details"] as? String ?? ""
                found.append(details.isEmpty || details == message ? message : "\(message): \(details)")
            }
        }
        return found.isEmpty ? nil : String(found.joined(separator: "; ").prefix(400))
    }

    private static func object(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters, for query values and path segments.
    private static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn:
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? s
    }
}

private extension Array where Element == UInt8 {
    func containsToken(_ token: String) -> Bool { String(decoding: self, as: UTF8.self).contains(token) }
}
