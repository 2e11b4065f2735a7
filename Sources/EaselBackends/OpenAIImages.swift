import EaselCore
import EaselHTTP
import Foundation
import Synchronization

/// Any OpenAI-compatible image API: `POST {url}/v1/images/generations` (OpenAI, LocalAI, sd-server, proxies).
/// The call is synchronous (it answers when the image exists), so the adapter makes its own job ids and
/// runs the request in a background task: `submit` returns at once, `status` says running until the
/// response arrives, and `cancel` aborts the open request (the API has no cancel call).
///
/// - `size` is sent as `WxH`. `response_format: "b64_json"` is sent only to `dall-e-*` models; `gpt-image-*`
///   always answer base64 and reject the field. Other models (local servers) also get `negative_prompt`,
///   `seed` and `step`; OpenAI's own models get neither (it rejects unknown parameters).
/// - `size`: a model with a fixed list (`ModelSizes`: gpt-image-*, dall-e-2/3) gets the nearest accepted
///   size of the same orientation; unknown models (local servers) get the request's own size.
/// - Results may be `b64_json` (turned into a `data:` URI) or a `url` (fetched at download, valid ~60 min);
///   every item of `data` is a job's image. A 200 with a filter finish reason or flagged items is refused.
/// - Errors: `{"error": {message, type, param, code}}` or `{"error": "text"}` (sd-server), also escaped
///   inside a proxy's JSON string; a `content_policy_violation` / `moderation_blocked` block is
///   `.invalidPrompt` whatever the status; HTML error pages give their `<title>`.
/// - Auth: `Authorization: Bearer <key>` from `options.apiKey`; servers without auth ignore it.
/// - Protocol: https://platform.openai.com/docs/api-reference/images/create; shapes: reference/backends.md §5.
public final class OpenAIImagesBackend: GenerationBackend {
    public let displayName: String
    /// Base URL without a trailing slash or `/v1`, e.g. `https://api.openai.com`.
    public let baseURL: String
    public let model: String?
    let http: HTTPClient
    let key: CachedKey
    private let jobs = Mutex<[String: Entry]>([:])

    private struct Entry {
        var task: Task<Void, Never>?
        var outcome: Result<[ImageRef], JobError>?
        var canceled = false
        var created: ContinuousClock.Instant
    }

    /// - Parameter options: `url` (default `https://api.openai.com`; a trailing `/v1` is accepted), `model`,
    ///   `apiKey`; `requestTimeout` should cover a whole generation (a request stays open while it runs).
    public init(options: BackendOptions, http: HTTPClient) {
        var base = options.url
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        baseURL = base
        model = options.model
        self.http = http
        displayName = options.summary
        key = CachedKey(source: options.apiKey, backendName: options.name, environment: options.environment)
    }

    /// Starts `POST /v1/images/generations` in the background.
    /// - Returns: a local job id (`openai-<uuid>`) and `.running(progress: nil)`.
    /// - Throws: `JobError.unauthorized` when the key cannot be resolved; everything else arrives from `status`.
    public func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        let apiKey: APIKey?
        do { apiKey = key.source == nil ? nil : try await key.resolve() } catch { throw await key.clean(error) }
        let id = "openai-" + UUID().uuidString.lowercased()
        let body = Self.body(for: request, model: request.model ?? model)
        let url = baseURL + "/v1/images/generations"
        var headers: [(name: String, value: String)] = []
        if let apiKey { headers.append(("Authorization", apiKey.bearer)) }
        let httpRequest = HTTPRequest.postJSON(url, body, headers: headers)
        prune()
        jobs.withLock { $0[id] = Entry(created: .now) }
        let task = Task { [http, key] in
            let outcome: Result<[ImageRef], JobError>
            do throws(JobError) { outcome = .success(try await Self.generate(httpRequest, http: http)) }
            catch { outcome = .failure(await key.clean(error)) }
            self.jobs.withLock { if $0[id]?.canceled == false { $0[id]?.outcome = outcome } }
        }
        jobs.withLock { $0[id]?.task = task }
        return (RemoteJobID(id), .running(progress: nil))
    }

    /// What the background request has come to.
    /// - Returns: `.running` while the request is open, `.completed` with a `data:` URI or URL
    ///   (`.completedBatch` when the service answered several images), or `.failed("canceled …")` after `cancel`.
    /// - Throws: `.notFound` for an id this adapter did not make (e.g. after a restart: the request is
    ///   gone); the request's own error (`.invalidPrompt`, `.unauthorized`, `.rateLimited`, `.server`,
    ///   `.network("timed out…")`, `.badResponse`) once it failed.
    public func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus {
        guard let entry = jobs.withLock({ $0[job.rawValue] }) else { throw .notFound }
        if entry.canceled { return .failed("canceled: the request was aborted") }
        switch entry.outcome {
        case nil: return .running(progress: nil)
        case .success(let refs)?: return refs.count == 1 ? .completed(refs[0]) : .completedBatch(refs)
        case .failure(let error)?: throw error
        }
    }

    /// True once the generation request itself failed: polling again would only repeat its error.
    public func isFinal(_ error: JobError, for job: RemoteJobID) async -> Bool {
        guard case .failure? = jobs.withLock({ $0[job.rawValue]?.outcome }) else { return false }
        return true
    }

    /// Aborts the open request. The service may still finish the image (and bill it); nothing is fetched.
    public func cancel(_ job: RemoteJobID) async throws(JobError) {
        let task = jobs.withLock { table -> Task<Void, Never>? in
            guard let e = table[job.rawValue], e.outcome == nil else { return nil }
            table[job.rawValue]?.canceled = true
            return e.task
        }
        task?.cancel()
    }

    public func download(_ image: ImageRef) async throws(JobError) -> ImageData {
        do { return try await ImageFetch.fetch(image, relativeTo: baseURL, http: http) }
        catch { throw await key.clean(error) }
    }

    /// `GET /v1/models` with the key: proves the address and the key, and lists the models.
    public func health() async -> BackendHealth {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if key.source != nil {
            do { headers.append(("Authorization", try await key.resolve().bearer)) }
            catch { return BackendHealth(ok: false, detail: await key.clean(error).message) }
        }
        do {
            let r = try await http.send(HTTPRequest(.get, baseURL + "/v1/models", headers: headers))
            guard r.status == 200 else {
                let error = r.status == 404 ? ErrorMapping.missingRoute(r, route: "GET /v1/models", service: "an OpenAI-compatible API")
                    : Self.failure(r)
                return BackendHealth(ok: false, detail: await key.clean(error).message)
            }
            let object = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any]
            let ids = ((object?["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            let models = ids.prefix(100).map { Sanitize.line(String($0.prefix(80))) }
            return BackendHealth(ok: true, detail: "OpenAI-compatible images API answers, \(models.count) models", models: models)
        } catch { return BackendHealth(ok: false, detail: await key.clean(ErrorMapping.transport(error)).message) }
    }

    /// `GET /v1/models` with the key: the image models among the ids. OpenAI's own list holds every model it
    /// has (chat, audio, …), so when it names image models (`dall-e-*`, `gpt-image-*`) only those are kept;
    /// a list without any (a local server, which lists what it serves) is kept whole.
    /// - Throws: `JobError` for a failed request (`.unauthorized` for a bad key).
    public func models() async throws(JobError) -> [String]? {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        do { if key.source != nil { headers.append(("Authorization", try await key.resolve().bearer)) } }
        catch { throw await key.clean(error) }
        let r: HTTPResponse
        do { r = try await http.send(HTTPRequest(.get, baseURL + "/v1/models", headers: headers)) }
        catch { throw await key.clean(ErrorMapping.transport(error)) }
        guard r.status == 200 else { throw await key.clean(Self.failure(r)) }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any],
              let data = object["data"] as? [[String: Any]] else { throw .badResponse("GET /v1/models has no \"data\" list") }
        let ids = data.compactMap { $0["id"] as? String }.map { Sanitize.line(String($0.prefix(120))) }
        let images = ids.filter { Self.isOpenAIModel($0) }
        return images.isEmpty ? ids : images
    }

    // MARK: - Request

    /// True for models that take `response_format` (dall-e-2, dall-e-3).
    static func takesResponseFormat(_ model: String?) -> Bool { model?.lowercased().hasPrefix("dall-e") == true }

    /// True for OpenAI's own models, which reject parameters they do not know.
    static func isOpenAIModel(_ model: String?) -> Bool {
        guard let m = model?.lowercased() else { return false }
        return m.hasPrefix("dall-e") || m.hasPrefix("gpt-image")
    }

    /// The size sent for `request`: for a model with a fixed list (`ModelSizes`), the nearest one of the
    /// same orientation; any other model gets the request's own size.
    static func size(for request: GenerationRequest, model: String?) -> OutputSize {
        let asked = OutputSize(request.width, request.height)
        guard let sizes = ModelSizes.fixed(for: model) else { return asked }
        return ModelSizes.nearest(to: asked, in: sizes)
    }

    static func body(for request: GenerationRequest, model: String?) -> [UInt8] {
        let local = !isOpenAIModel(model)
        let body = GenerationsBody(
            model: model, prompt: request.prompt, n: 1, size: size(for: request, model: model).description,
            response_format: takesResponseFormat(model) ? "b64_json" : nil,
            negative_prompt: local && !request.negativePrompt.isEmpty ? request.negativePrompt : nil,
            seed: local ? request.seed : nil, step: local ? request.steps : nil)
        return (try? JSONEncoder().encode(body)).map { [UInt8]($0) } ?? []
    }

    /// Sends the request and reads every image of the answer, in order.
    /// - Throws: `.invalidPrompt("rejected by the content policy: …")` for a 200 that carries a refusal
    ///   (a filter finish reason, every image flagged); `.inferenceFailed` when `data` is empty;
    ///   `.badResponse` for malformed JSON or an item with neither `b64_json` nor `url`.
    private static func generate(_ request: HTTPRequest, http: HTTPClient) async throws(JobError) -> [ImageRef] {
        let response: HTTPResponse
        do { response = try await http.send(request) } catch { throw ErrorMapping.transport(error) }
        guard response.status != 404 else {
            throw ErrorMapping.missingRoute(response, route: "POST /v1/images/generations", service: "an OpenAI-compatible images API with this model")
        }
        guard response.status == 200 else { throw failure(response) }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            throw .badResponse("malformed JSON from POST /v1/images/generations")
        }
        let items = object["data"] as? [Any] ?? []
        if let words = Outputs.refusal(in: object, items: items) { throw Outputs.policyError(words) }
        guard !items.isEmpty else {
            if let error = object["error"], !(error is NSNull) { throw failure(response) }   // a 200 that is an error
            throw .inferenceFailed("the service returned no image")
        }
        let format = (object["output_format"] as? String ?? "png").lowercased()
        let mime = format == "jpg" ? "jpeg" : format
        let urls = try items.map { item throws(JobError) -> String in
            let image = item as? [String: Any]
            if let b64 = image?["b64_json"] as? String, !b64.isEmpty {
                return b64.hasPrefix("data:") ? b64 : "data:image/\(mime);base64,\(b64)"
            }
            if let url = image?["url"] as? String, !url.isEmpty { return url }
            if image?["content_filter_results"] != nil { return "" }      // filtered: Outputs.unfiltered drops it
            throw .badResponse("the image has neither b64_json nor url")
        }
        let kept = try Outputs.unfiltered(urls, object: object, items: items).filter { !$0.isEmpty }
        guard !kept.isEmpty else { throw Outputs.policyError("the service left out every image") }
        return kept.prefix(Outputs.maxImages).map { ImageRef(url: $0) }
    }

    // MARK: - Wire format

    private struct GenerationsBody: Encodable {
        let model: String?
        let prompt: String
        let n: Int
        let size: String
        let response_format: String?
        let negative_prompt: String?
        let seed: UInt32?
        let step: Int?
    }

    // MARK: - Error mapping

    /// `{"error": {message, type, param, code}}`, `{"error": "text"}`, either escaped inside a proxy's JSON
    /// string (any depth), an HTML error page, or anything else → `JobError`. The innermost message is
    /// the one shown. A moderation or content-policy block is `.invalidPrompt` whatever the status (proxies
    /// answer 403 or 500 for it); a 401/403 is `.unauthorized` only when nothing says the prompt was blocked.
    static func failure(_ response: HTTPResponse) -> JobError {
        let reading = ErrorBody.read(response.body)
        let text = reading.message.map { String($0.prefix(300)) }
        if ErrorBody.isPolicyBlock(reading), response.status != 429 {
            return .invalidPrompt(reason: "rejected by the content policy: \(text ?? "HTTP \(response.status)")")
        }
        switch (response.status, reading.codes.first { ["insufficient_quota", "billing_hard_limit_reached"].contains($0) }) {
        case (429, _?), (400, _?):
            return .unauthorized("the account has no quota left: \(text ?? "")")
        case (429, _):
            if let ms = response.headers["retry-after-ms"].flatMap(Int.init), ms >= 0 {
                return .rateLimited(retryAfter: .milliseconds(ms))
            }
            return .rateLimited(retryAfter: response.retryAfter())
        default:
            return ErrorMapping.status(response, message: text)
        }
    }

    /// Drops finished jobs beyond the newest 32, so a long session does not keep every image in memory.
    private func prune() {
        jobs.withLock { table in
            let done = table.filter { $0.value.outcome != nil || $0.value.canceled }.sorted { $0.value.created < $1.value.created }
            for (id, _) in done.dropLast(32) { table[id] = nil }
        }
    }
}
