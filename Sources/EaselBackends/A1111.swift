import EaselCore
import EaselHTTP
import Foundation

/// AUTOMATIC1111 stable-diffusion-webui or Forge, through the API that `--api` turns on.
///
/// `POST /sdapi/v1/txt2img` blocks until the images are done, so this adapter keeps its own job ids
/// (`a1111-<session>-<n>`, unknown after a restart) and runs each txt2img in a background task, sent as
/// soon as the reducer submits the job. The reducer gives A1111 one slot (`maxConcurrentJobs`), so a
/// second request of ours is only out while one the reducer already ended (canceled, timed out) still
/// runs: the web UI's `queue_lock` holds the new one, which reports `.queued(position:)` (requests of
/// ours ahead of it), and the global `GET /sdapi/v1/progress` is read as the oldest one's. Other clients
/// of the same web UI (a browser tab) are not seen: their progress would show as ours.
///
/// - Protocol: https://github.com/AUTOMATIC1111/stable-diffusion-webui/wiki/API and
///   https://github.com/AUTOMATIC1111/stable-diffusion-webui/blob/master/modules/api/api.py
///   (Forge serves the same `modules/api`: https://github.com/lllyasviel/stable-diffusion-webui-forge).
/// - Shapes and failure cases: reference/backends.md §2 and §9 rows 8–11.
public struct A1111Backend: GenerationBackend {
    /// e.g. `http://127.0.0.1:7860`, without a trailing slash.
    public let baseURL: String
    public let displayName: String
    /// One: txt2img holds the web UI until its images are done (behind its `queue_lock`), and
    /// `/sdapi/v1/progress` describes only the job that holds it. The reducer gives A1111 one slot.
    public var maxConcurrentJobs: Int? { 1 }
    /// Progress, interrupt and health: short requests with the caller's timeouts. A server that stops
    /// answering these (hung, or a dead SSH tunnel) ends a status poll as `.network("timed out: …")`.
    let http: HTTPClient
    /// The blocking txt2img: whole-transfer and first-byte timeouts are `options.requestTimeout`, else
    /// 600 s, because the web UI sends nothing until the image is done.
    let generationHTTP: HTTPClient
    let options: BackendOptions
    /// `Authorization: Basic …` from `options.basicAuth` (`--api-auth user:pass`); never shown.
    let authorization: String?
    let jobs: A1111Requests

    /// The default for `requestTimeout`: a txt2img may hold its connection this long.
    public static let defaultGenerationTimeout: Duration = .seconds(600)

    /// - Parameter options: `url`, `model` (a checkpoint title for `override_settings.sd_model_checkpoint`),
    ///   `sampler` (`sampler_name`), `cfgScale` (`cfg_scale`), `requestTimeout` (seconds), `basicAuth`.
    /// - Parameter http: the client for the short requests; the txt2img client copies its connect timeout,
    ///   size cap and user agent.
    /// - Throws: `BackendSetupError` when `api_auth` is not `user:password`.
    public init(options: BackendOptions, http: HTTPClient) throws(BackendSetupError) {
        var base = options.url
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        displayName = options.summary
        self.options = options
        self.http = http
        var config = http.configuration
        let timeout = options.requestTimeout.map { Duration.seconds(milliseconds: max(1, $0)) } ?? Self.defaultGenerationTimeout
        config.totalTimeout = timeout
        config.stallTimeout = timeout
        config.firstByteTimeout = timeout      // txt2img answers only when the image is done
        generationHTTP = HTTPClient(configuration: config)
        if let credentials = options.basicAuth {
            guard let colon = credentials.firstIndex(of: ":"), colon != credentials.startIndex else {
                throw BackendSetupError("\(options.name): api_auth must be \"user:password\" (as given to --api-auth)")
            }
            authorization = "Basic " + Data(credentials.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        jobs = A1111Requests()
    }

    // MARK: - GenerationBackend

    /// Starts `POST /sdapi/v1/txt2img` in the background and gives it up to `submitGrace` to be refused,
    /// so set-up mistakes (no `--api`, a wrong login, an unknown sampler, a validation error) fail the
    /// submit itself instead of surfacing through polls, which the queue retries with backoff.
    /// - Returns: the local id, `.queued(position: n)` when n requests of this adapter that the reducer
    ///   already ended still hold the web UI ahead of it, else `.queued(position: nil)` (the web UI has
    ///   not started it yet), or `.completed` when it was that quick.
    /// - Throws: the txt2img request's error when it failed within `submitGrace` (see `A1111Errors`);
    ///   later failures arrive through `status(of:)`.
    public func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        let body = Self.txt2imgBody(request, options: options)
        let (id, ahead) = await jobs.add()
        Task { await run(id, body: body) }
        let deadline = ContinuousClock.now + Self.submitGrace
        while ContinuousClock.now < deadline {
            if case .finished(let result) = await jobs.snapshot(id) {
                return (RemoteJobID(id), try result.map { _ in RemoteStatus.completed(Self.imageRef(id)) }.get())
            }
            do { try await Task.sleep(for: .milliseconds(10)) } catch { break }
        }
        return (RemoteJobID(id), .queued(position: ahead > 0 ? ahead : nil))
    }

    /// How long `submit` waits for a quick refusal of a job it sends at once.
    public static let submitGrace: Duration = .milliseconds(300)

    /// The finished request's outcome, or while it runs one `GET /sdapi/v1/progress?skip_current_image=false`:
    /// `.running(progress:)` (0...1) once the web UI reports a job, `.queued(position: nil)` before that;
    /// `.queued(position: n)`, without a call, while n earlier requests of ours still hold the web UI.
    /// Keeps `current_image` for `livePreview(of:)`.
    /// - Throws: `.notFound` for an id this adapter does not know (e.g. after a restart); the txt2img
    ///   request's own error once it failed (see `A1111Errors`); `.network("timed out: …")` when the
    ///   progress route does not answer within the caller's timeout.
    public func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus {
        switch await jobs.snapshot(job.rawValue) {
        case .unknown: throw .notFound
        case .sent(let ahead) where ahead > 0: return .queued(position: ahead)
        case .canceled: return .failed("canceled: interrupted on the web UI")
        case .finished(let result): return try result.map { _ in RemoteStatus.completed(Self.imageRef(job.rawValue)) }.get()
        case .sent: break
        }
        let response = try await send(HTTPRequest(.get, baseURL + "/sdapi/v1/progress?skip_current_image=false",
                                                  headers: headers(accept: "application/json")))
        let reply: A1111Progress?
        switch response.status {
        case 200:
            guard let r = try? JSONDecoder().decode(A1111Progress.self, from: Data(response.body)) else {
                throw .badResponse("malformed JSON from GET /sdapi/v1/progress")
            }
            reply = r
        case 404 where A1111Errors.isMissingRoute(response):
            reply = nil                   // sd-server's A1111 stand-in has txt2img but no progress route
        default:
            throw A1111Errors.map(response, route: "GET /sdapi/v1/progress", basicAuth: options.basicAuth)
        }
        var preview: ImageData? = nil
        if let b64 = reply?.current_image, !b64.isEmpty {
            preview = try? await ImageFetch.fetch(Self.dataURI(b64), relativeTo: baseURL, http: http)
        }
        let status = await jobs.observe(job.rawValue, busy: reply.map(\.isBusy), progress: reply?.fraction, preview: preview)
        // The request may have ended while the progress call was out: report that instead.
        if case .finished(let result) = await jobs.snapshot(job.rawValue) {
            return try result.map { _ in RemoteStatus.completed(Self.imageRef(job.rawValue)) }.get()
        }
        return status
    }

    /// True once the txt2img request itself failed: polling again would only repeat its error.
    public func isFinal(_ error: JobError, for job: RemoteJobID) async -> Bool {
        if case .finished(.failure) = await jobs.snapshot(job.rawValue) { return true }
        return false
    }

    /// The image kept from the txt2img reply (`images[index_of_first_image]`), decoded from base64
    /// (a `data:` prefix is accepted) and checked to be PNG, JPEG or WebP by its magic bytes.
    /// Other refs (`data:` URIs, URLs) are fetched as usual.
    /// - Throws: `.notFound` when the image is no longer held (evicted, or Easel restarted);
    ///   `.badResponse` when the bytes are not an image.
    public func download(_ image: ImageRef) async throws(JobError) -> ImageData {
        guard image.url.hasPrefix(Self.refScheme) else { return try await ImageFetch.fetch(image, relativeTo: baseURL, http: http) }
        guard let finished = await jobs.result(String(image.url.dropFirst(Self.refScheme.count))) else { throw .notFound }
        return try await ImageFetch.fetch(Self.dataURI(finished.image), relativeTo: baseURL, http: http)
    }

    /// `POST /sdapi/v1/interrupt` is global on the web UI, so it is sent only for the request that holds
    /// it (none of ours ahead): at once, and if the web UI had not begun it yet, again by a watcher as soon
    /// as `/progress` shows it running. A request queued behind an earlier one of ours (ended by the
    /// reducer, still running) is left queued and interrupted by the watcher once it begins, so the
    /// earlier one is not cut short. A finished job is left alone.
    /// - Throws: `.unauthorized`, `.network`, `.server` from the interrupt call.
    public func cancel(_ job: RemoteJobID) async throws(JobError) {
        guard case .sent(let holdsWebUI, let begun) = await jobs.cancel(job.rawValue) else { return }
        if holdsWebUI { try await interrupt() }
        if !begun { Task { await interruptWhenBegun(job.rawValue) } }
    }

    /// `GET /sdapi/v1/options` (the current checkpoint), then `/sdapi/v1/sd-models` and `/sdapi/v1/samplers`.
    /// A 404 there means the web UI runs without `--api`.
    public func health() async -> BackendHealth {
        let reply: HTTPResponse
        do { reply = try await http.send(HTTPRequest(.get, baseURL + "/sdapi/v1/options", headers: headers(accept: "application/json"))) }
        catch { return BackendHealth(ok: false, detail: ErrorMapping.transport(error).message) }
        guard reply.status == 200 else {
            return BackendHealth(ok: false, detail: A1111Errors.map(reply, route: "GET /sdapi/v1/options", basicAuth: options.basicAuth).message)
        }
        let settings = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any]
        let models = await list("/sdapi/v1/sd-models", key: "title")
        let samplers = await list("/sdapi/v1/samplers", key: "name")
        var detail = "A1111 API answers"
        if let checkpoint = settings?["sd_model_checkpoint"] as? String { detail += ", model \(Sanitize.line(checkpoint))" }
        detail += ", \(models.count) models, \(samplers.count) samplers"
        return BackendHealth(ok: true, detail: detail, models: models, samplers: samplers)
    }

    /// The latest `current_image` a status poll saw for this job while it ran (needs live previews on in
    /// the web UI's settings); nil once it finished or when the web UI sends none.
    public func livePreview(of job: RemoteJobID) async -> ImageData? {
        await jobs.preview(job.rawValue)
    }

    /// The seed the web UI reports it used (`info` → `seed`), once the job finished; nil before, or when
    /// `info` is not JSON (sd-server's stand-in sends `""`).
    public func reportedSeed(of job: RemoteJobID) async -> Int? {
        await jobs.result(job.rawValue)?.seed
    }

    // MARK: - Background request

    /// Sends txt2img and records the outcome.
    private func run(_ id: String, body: [UInt8]) async {
        let outcome: Result<A1111Requests.Finished, JobError>
        do throws(JobError) {
            outcome = .success(try await txt2img(body))
        } catch {
            outcome = .failure(error)
        }
        await jobs.finish(id, outcome)
    }

    /// `POST /sdapi/v1/txt2img`; parses `images` and the `info` JSON string.
    private func txt2img(_ body: [UInt8]) async throws(JobError) -> A1111Requests.Finished {
        let response: HTTPResponse
        do { response = try await generationHTTP.send(.postJSON(baseURL + "/sdapi/v1/txt2img", body, headers: auth)) }
        catch { throw ErrorMapping.transport(error) }
        guard response.status == 200 else {
            throw A1111Errors.map(response, route: "POST /sdapi/v1/txt2img", basicAuth: options.basicAuth)
        }
        return try Self.parseTxt2img(response.body)
    }

    /// Parses a txt2img reply: `{images: [base64…], parameters: {…}, info: "<JSON string>"}`.
    /// - Throws: `.badResponse` when it is not JSON or has no image.
    static func parseTxt2img(_ body: [UInt8]) throws(JobError) -> A1111Requests.Finished {
        guard let reply = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw .badResponse("malformed JSON from POST /sdapi/v1/txt2img")
        }
        let images = (reply["images"] as? [Any])?.compactMap { $0 as? String } ?? []
        var seed: Int? = nil
        var first = 0
        if let text = reply["info"] as? String,
           let info = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] {
            seed = (info["seed"] as? NSNumber)?.intValue
            first = (info["index_of_first_image"] as? NSNumber)?.intValue ?? 0
        }
        // With several images the first ones may be grids; `index_of_first_image` points past them.
        let index = images.indices.contains(first) ? first : 0
        guard images.indices.contains(index), !images[index].isEmpty else {
            throw .badResponse("txt2img returned no images (is send_images off, or was it interrupted at once?)")
        }
        return A1111Requests.Finished(image: images[index], seed: seed)
    }

    /// `POST /sdapi/v1/interrupt` → `{}`.
    private func interrupt() async throws(JobError) {
        let response = try await send(.postJSON(baseURL + "/sdapi/v1/interrupt", Array("{}".utf8), headers: auth))
        guard (200..<300).contains(response.status) else {
            throw A1111Errors.map(response, route: "POST /sdapi/v1/interrupt", basicAuth: options.basicAuth)
        }
    }

    /// After a cancel that came before the web UI began the job: polls `/progress` every 0.5 s until the
    /// request returns, and interrupts once it holds the web UI (no request of ours ahead) and `/progress`
    /// shows a job running. Stops at the first error.
    private func interruptWhenBegun(_ id: String) async {
        while await jobs.isInFlight(id) {
            do { try await Task.sleep(for: .milliseconds(500)) } catch { return }
            guard await jobs.holdsWebUI(id) else { continue }
            guard let r = try? await http.send(HTTPRequest(.get, baseURL + "/sdapi/v1/progress?skip_current_image=true",
                                                           headers: headers(accept: "application/json"))),
                  r.status == 200, let p = try? JSONDecoder().decode(A1111Progress.self, from: Data(r.body)) else { return }
            if p.isBusy {
                try? await interrupt()
                return
            }
        }
    }

    // MARK: - Helpers

    static let refScheme = "a1111-image:"
    static func imageRef(_ id: String) -> ImageRef { ImageRef(url: refScheme + id) }

    /// A1111 sends bare base64; the web UI's own previews and some forks use `data:image/…;base64,`.
    static func dataURI(_ b64: String) -> ImageRef {
        ImageRef(url: b64.hasPrefix("data:") ? b64 : "data:application/octet-stream;base64," + b64)
    }

    private var auth: [(name: String, value: String)] { authorization.map { [("Authorization", $0)] } ?? [] }

    private func headers(accept: String) -> [(name: String, value: String)] { auth + [("Accept", accept)] }

    private func send(_ request: HTTPRequest) async throws(JobError) -> HTTPResponse {
        do { return try await http.send(request) } catch { throw ErrorMapping.transport(error) }
    }

    /// `GET /sdapi/v1/sd-models`: each checkpoint's `title` ("v1-5-pruned-emaonly.safetensors [6ce0161689]"),
    /// what `override_settings.sd_model_checkpoint` takes (`model_name` when a build sends no title).
    /// - Throws: `JobError` for a failed request (`.unauthorized` for a 401, `.notFound` without `--api`).
    public func models() async throws(JobError) -> [String]? {
        let r: HTTPResponse
        do { r = try await http.send(HTTPRequest(.get, baseURL + "/sdapi/v1/sd-models", headers: headers(accept: "application/json"))) }
        catch { throw ErrorMapping.transport(error) }
        guard r.status == 200 else { throw A1111Errors.map(r, route: "GET /sdapi/v1/sd-models", basicAuth: options.basicAuth) }
        guard let items = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [[String: Any]] else {
            throw .badResponse("GET /sdapi/v1/sd-models did not answer a JSON list")
        }
        return items.compactMap { (($0["title"] as? String) ?? ($0["model_name"] as? String)).map(Sanitize.line) }
    }

    private func list(_ path: String, key: String) async -> [String] {
        guard let r = try? await http.send(HTTPRequest(.get, baseURL + path, headers: headers(accept: "application/json"))),
              r.status == 200, let items = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [[String: Any]] else { return [] }
        return items.compactMap { ($0[key] as? String).map(Sanitize.line) }
    }

    // MARK: - Wire format

    /// The txt2img body: one image, sent back, not saved on the server. Sampler, CFG scale and the
    /// checkpoint go along only when configured (the web UI's own defaults apply otherwise).
    static func txt2imgBody(_ r: GenerationRequest, options: BackendOptions) -> [UInt8] {
        struct Body: Encodable {
            let prompt: String
            let negative_prompt: String
            let seed: Int64
            let width: Int, height: Int, steps: Int
            let batch_size: Int, n_iter: Int
            let sampler_name: String?
            let cfg_scale: Double?
            let override_settings: [String: String]?
            let override_settings_restore_afterwards: Bool?
            let send_images: Bool, save_images: Bool
        }
        let model = (r.model ?? options.model).flatMap { $0.isEmpty ? nil : $0 }
        let body = Body(prompt: r.prompt, negative_prompt: r.negativePrompt, seed: Int64(r.seed),
                        width: r.width, height: r.height, steps: r.steps, batch_size: 1, n_iter: 1,
                        sampler_name: options.sampler, cfg_scale: options.cfgScale,
                        override_settings: model.map { ["sd_model_checkpoint": $0] },
                        override_settings_restore_afterwards: model.map { _ in true },
                        send_images: true, save_images: false)
        return (try? JSONEncoder().encode(body)).map { [UInt8]($0) } ?? []
    }
}

/// `GET /sdapi/v1/progress`: `{progress, eta_relative, state: {job_count, sampling_step, sampling_steps, …},
/// current_image, textinfo}`. Idle when `state.job_count == 0`.
struct A1111Progress: Decodable {
    struct State: Decodable {
        var job_count: Int?
        var sampling_step: Int?
        var sampling_steps: Int?
    }
    var progress: Double?
    /// Seconds left, as the web UI estimates it.
    var eta_relative: Double?
    var state: State?
    var current_image: String?

    /// The web UI is running a job (the oldest of ours in flight).
    var isBusy: Bool { state?.job_count.map { $0 != 0 } ?? ((progress ?? 0) > 0) }
    /// `progress` clamped to 0...1.
    var fraction: Double? { progress.map { min(1, max(0, $0)) } }
}
