import EaselCore
import EaselHTTP
import Foundation

/// stable-diffusion.cpp's `sd-server`, through its native async job API:
/// `POST /sdcpp/v1/img_gen` → `202 {id, kind, status, created, poll_url}`;
/// `GET /sdcpp/v1/jobs/{id}` → `{id, kind, status: queued|generating|completed|failed|cancelled, created, started,
/// completed, queue_position, result: {output_format, images: [{index, b64_json}]} | null, error: {code, message} | null}`;
/// `POST /sdcpp/v1/jobs/{id}/cancel`; `GET /sdcpp/v1/capabilities`.
///
/// Quirks, from the server's source: cancel works only while a job is queued (a generating job answers
/// `409 {"error":"job is currently generating and cannot be interrupted yet"}`, `features.cancel_generating`
/// is false); finished jobs expire after a TTL and then answer `410 {"error":"job expired"}`; the server
/// loads one model at start, so `model` is not sent; no progress is reported while generating.
/// Error bodies are `{"error":"…"}` strings, sometimes with a `message` (§9 row 23).
///
/// - Protocol: https://github.com/leejet/stable-diffusion.cpp/blob/master/examples/server/api.md (section
///   "sdcpp API"), routes and JSON as implemented in `examples/server/routes_sdcpp.cpp` and
///   `examples/server/async_jobs.cpp` (commit 97d29908, 2026-08-19).
/// - Shapes and failure cases: reference/backends.md §5.5, §9 row 23.
public struct SDCppBackend: GenerationBackend {
    /// e.g. `http://127.0.0.1:1234`, without a trailing slash.
    public let baseURL: String
    public let displayName: String
    let http: HTTPClient
    let options: BackendOptions
    let local: SDCppJobs

    /// - Parameter options: `url`, `sampler` (`sample_params.sample_method`, e.g. `euler_a`), `cfgScale`
    ///   (`sample_params.guidance.txt_cfg`). `model` is ignored: sd-server serves the model it was started with.
    public init(options: BackendOptions, http: HTTPClient) {
        var base = options.url
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        displayName = options.summary
        self.options = options
        self.http = http
        local = SDCppJobs()
    }

    /// `POST /sdcpp/v1/img_gen` with one PNG.
    /// - Returns: sd-server's job id (`job_<hex time>_<n>`) and `.queued(position: nil)`.
    /// - Throws: `.invalidPrompt` (400 `{"error":"invalid generation parameters"}`), `.rateLimited` (429
    ///   `job queue is full`), `.server` (500 `{"error":"server_error","message":…}`), `.network`,
    ///   `.badResponse` (no `id`).
    public func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        let response = try await send(.postJSON(baseURL + "/sdcpp/v1/img_gen", Self.body(request, options: options)))
        guard response.status != 404 else {
            throw ErrorMapping.missingRoute(response, route: "POST /sdcpp/v1/img_gen", service: "sd-server from stable-diffusion.cpp (2026 or later)")
        }
        guard (200..<300).contains(response.status) else { throw Self.error(response) }
        guard let o = Self.object(response.body), let id = o["id"] as? String, !id.isEmpty else {
            throw .badResponse("no job id in the reply to POST /sdcpp/v1/img_gen")
        }
        var status = RemoteStatus.queued(position: nil)
        if let word = o["status"] as? String, word == "generating" { status = .running(progress: nil) }
        return (RemoteJobID(id), status)
    }

    /// `GET /sdcpp/v1/jobs/{id}`.
    /// - Returns: `queued` → `.queued(position: queue_position)`; `generating` → `.running(progress: nil)`;
    ///   `completed` → `.completed` (the image is kept in memory for `download`); `failed` / `cancelled` →
    ///   `.failed(error.message)`. A job this client canceled while it was generating reports `.failed`.
    /// - Throws: `.notFound` (404 `job not found`, 410 `job expired`), `.badResponse` (unknown status,
    ///   completed without an image), others as `submit`.
    public func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus {
        if await local.isAbandoned(job.rawValue) {
            return .failed("canceled in Easel: sd-server cannot interrupt a generating job, so it finishes there unseen")
        }
        let response = try await send(HTTPRequest(.get, jobURL(job), headers: [("Accept", "application/json")]))
        guard response.status == 200 else { throw Self.error(response) }
        guard let o = Self.object(response.body), let word = o["status"] as? String else {
            throw .badResponse("malformed JSON from GET /sdcpp/v1/jobs/{id}")
        }
        switch word {
        case "queued":
            let position = (o["queue_position"] as? NSNumber)?.intValue
            return .queued(position: position.flatMap { $0 > 0 ? $0 : nil })
        case "generating":
            return .running(progress: nil)
        case "completed":
            let result = o["result"] as? [String: Any]
            let images = (result?["images"] as? [[String: Any]] ?? []).sorted { ($0["index"] as? Int ?? 0) < ($1["index"] as? Int ?? 0) }
            guard let b64 = images.first?["b64_json"] as? String, !b64.isEmpty else {
                throw .badResponse("job completed without an image")
            }
            await local.keep(job.rawValue, image: b64)
            return .completed(ImageRef(url: Self.refScheme + job.rawValue))
        case "failed", "cancelled":
            let error = o["error"] as? [String: Any]
            let message = error?["message"] as? String ?? error?["code"] as? String ?? "sd-server reported \(word)"
            return .failed(word == "cancelled" && !message.lowercased().contains("cancel") ? "cancelled: \(message)" : message)
        default:
            throw .badResponse("unknown job status \"\(Sanitize.line(String(word.prefix(40))))\"")
        }
    }

    /// The image of a completed job, kept from the last status poll or fetched again with
    /// `GET /sdcpp/v1/jobs/{id}` (until sd-server's TTL expires), decoded from base64 and checked to be
    /// PNG, JPEG or WebP. Other refs (`data:` URIs, URLs) are fetched as usual.
    /// - Throws: `.notFound` once the job expired; `.badResponse` for non-image bytes.
    public func download(_ image: ImageRef) async throws(JobError) -> ImageData {
        guard image.url.hasPrefix(Self.refScheme) else { return try await ImageFetch.fetch(image, relativeTo: baseURL, http: http) }
        let id = RemoteJobID(String(image.url.dropFirst(Self.refScheme.count)))
        var b64 = await local.image(id.rawValue)
        if b64 == nil, case .completed = try await status(of: id) { b64 = await local.image(id.rawValue) }
        guard let b64 else { throw .badResponse("job \(Sanitize.line(id.rawValue)) has no image") }
        return try await ImageFetch.fetch(A1111Backend.dataURI(b64), relativeTo: baseURL, http: http)
    }

    /// `POST /sdcpp/v1/jobs/{id}/cancel`. A queued job is cancelled on the server. A generating one cannot
    /// be (409): this adapter then stops reporting it and its `status` is `.failed("canceled in Easel…")`.
    /// Unknown or expired ids (404/410) are ignored.
    /// - Throws: `.server`, `.network` from the call.
    public func cancel(_ job: RemoteJobID) async throws(JobError) {
        let response = try await send(.postJSON(jobURL(job) + "/cancel", Array("{}".utf8)))
        switch response.status {
        case 200..<300, 404, 410: return
        case 409: await local.abandon(job.rawValue)
        default: throw Self.error(response)
        }
    }

    /// `GET /sdcpp/v1/capabilities`: the loaded model's file name and the sample methods.
    public func health() async -> BackendHealth {
        do {
            let r = try await http.send(HTTPRequest(.get, baseURL + "/sdcpp/v1/capabilities", headers: [("Accept", "application/json")]))
            guard r.status == 200 else {
                if r.status == 404 { return BackendHealth(ok: false, detail: "no /sdcpp/v1 API here: is this sd-server from stable-diffusion.cpp (2026 or later)?") }
                return BackendHealth(ok: false, detail: Self.error(r).message)
            }
            guard let o = Self.object(r.body) else { return BackendHealth(ok: false, detail: "malformed JSON from GET /sdcpp/v1/capabilities") }
            let model = ((o["model"] as? [String: Any])?["name"] as? String).map(Sanitize.line) ?? ""
            let samplers = (o["samplers"] as? [String] ?? []).map(Sanitize.line)
            let modes = (o["supported_modes"] as? [String] ?? []).map(Sanitize.line)
            if !modes.isEmpty && !modes.contains("img_gen") {
                return BackendHealth(ok: false, detail: "sd-server runs a model that cannot generate images (modes: \(modes.joined(separator: ", ")))",
                                     models: model.isEmpty ? [] : [model], samplers: samplers)
            }
            let detail = "sd-server answers" + (model.isEmpty ? "" : ", model \(model)") + ", \(samplers.count) samplers"
            return BackendHealth(ok: true, detail: detail, models: model.isEmpty ? [] : [model], samplers: samplers)
        } catch {
            return BackendHealth(ok: false, detail: ErrorMapping.transport(error).message)
        }
    }

    // MARK: - Wire format

    static let refScheme = "sdcpp-image:"

    /// The `img_gen` body in sd-server's native schema; unset fields take the server's defaults.
    static func body(_ r: GenerationRequest, options: BackendOptions) -> [UInt8] {
        struct Guidance: Encodable { let txt_cfg: Double }
        struct SampleParams: Encodable {
            let sample_steps: Int
            let sample_method: String?
            let guidance: Guidance?
        }
        struct Body: Encodable {
            let prompt: String
            let negative_prompt: String
            let width: Int, height: Int
            let seed: Int64
            let batch_count: Int
            let sample_params: SampleParams
            let output_format: String
        }
        let body = Body(prompt: r.prompt, negative_prompt: r.negativePrompt, width: r.width, height: r.height,
                        seed: Int64(r.seed), batch_count: 1,
                        sample_params: SampleParams(sample_steps: r.steps, sample_method: options.sampler,
                                                    guidance: options.cfgScale.map(Guidance.init)),
                        output_format: "png")
        return (try? JSONEncoder().encode(body)).map { [UInt8]($0) } ?? []
    }

    /// sd-server's error bodies: `{"error":"job not found"}`, `{"error":"invalid json","message":"…"}`,
    /// `{"error":{"code":"…","message":"…"}}`; anything else is shown raw (first 200 bytes).
    static func errorText(_ body: [UInt8]) -> String? {
        guard let o = object(body) else { return nil }
        let message = o["message"] as? String
        if let error = o["error"] as? String { return message.map { "\(error): \($0)" } ?? error }
        if let error = o["error"] as? [String: Any] { return error["message"] as? String ?? error["code"] as? String }
        return message
    }

    /// HTTP status + body → `JobError`: 404 and 410 (expired) are `.notFound`; the rest as `ErrorMapping.status`
    /// (400 → `.invalidPrompt`, 429 → `.rateLimited`, 5xx → `.server`) with sd-server's own text.
    static func error(_ r: HTTPResponse) -> JobError {
        let text = errorText(r.body)
        switch r.status {
        case 404, 410: return .notFound
        default: return ErrorMapping.status(r, message: text)
        }
    }

    private static func object(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    private func jobURL(_ job: RemoteJobID) -> String {
        let id = job.rawValue.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? job.rawValue
        return baseURL + "/sdcpp/v1/jobs/" + id
    }

    private func send(_ request: HTTPRequest) async throws(JobError) -> HTTPResponse {
        do { return try await http.send(request) } catch { throw ErrorMapping.transport(error) }
    }
}

/// What the sd-server adapter remembers: the last completed images (so `download` needs no second fetch)
/// and the jobs the user canceled while they were generating.
actor SDCppJobs {
    private var images: [String: String] = [:]
    private var order: [String] = []
    private var abandoned: Set<String> = []
    /// Completed images kept in memory.
    static let capacity = 16

    func keep(_ id: String, image: String) {
        if images.updateValue(image, forKey: id) == nil { order.append(id) }
        while order.count > Self.capacity { images[order.removeFirst()] = nil }
    }

    func image(_ id: String) -> String? { images[id] }
    func abandon(_ id: String) { abandoned.insert(id) }
    func isAbandoned(_ id: String) -> Bool { abandoned.contains(id) }
}
