import EaselCore
import EaselHTTP
import Foundation
import Synchronization

/// Replicate predictions: create (`POST /v1/models/{owner}/{name}/predictions`, or `POST /v1/predictions`
/// with a `version`), poll `urls.get`, cancel through `urls.cancel`, download the output file(s).
///
/// - Creates send `Prefer: wait=5`, so a fast model may finish within the create call (one round trip
///   saved); otherwise the prediction comes back `starting`/`processing` and is polled.
/// - A create is **never sent twice**: when it times out after the request went out, the prediction may
///   exist (and cost money), so the timeout is reported as it is. A 429 is `.rateLimited` with `Retry-After`.
/// - A poll whose body cannot be read (or a `succeeded` prediction without a readable output) is fetched
///   again, up to 3 times, before `.badResponse`: re-reading is free, creating again is not.
/// - `starting` → queued, `processing` → running (progress from the last ` 45%|` or `n/total` in `logs`),
///   `succeeded` → completed with the first URL in `output` (a string, a list, or an object holding one),
///   `failed` → the prediction's `error`, `canceled` → failed("canceled …").
/// - Auth: `Authorization: Bearer <key>` (`REPLICATE_API_TOKEN`); output files are fetched without it.
/// - Protocol: https://replicate.com/docs/reference/http; shapes and failure cases: reference/backends.md §3, §9.
public final class ReplicateBackend: GenerationBackend {
    public let displayName: String
    /// e.g. `https://api.replicate.com`, without a trailing slash.
    public let baseURL: String
    /// `owner/name` for official models (`/v1/models/{owner}/{name}/predictions`); nil with a version.
    public let model: String?
    /// A version id (64 hex, or `owner/name:version`) for `POST /v1/predictions`.
    public let version: String?
    /// Seconds sent in `Prefer: wait=N`.
    public let preferWait = 5
    /// Pause before re-reading a prediction whose JSON could not be parsed, times the attempt (1, 2).
    public let rereadPause: Duration
    let cfgScale: Double?
    let http: HTTPClient
    let key: CachedKey
    /// `urls.get` / `urls.cancel` per prediction id, as the service returned them.
    private let links = Mutex<[String: Links]>([:])

    private struct Links {
        var get: String?
        var cancel: String?
    }

    /// - Parameter options: `model = "owner/name"` (or `owner/name:version`) or `version`, `url`
    ///   (default `https://api.replicate.com`), `apiKey`, `cfgScale` (sent as `guidance_scale`).
    /// - Throws: `BackendSetupError` when neither a model `owner/name` nor a version is given.
    /// - Parameter rereadPause: see `rereadPause` (tests set it to zero).
    public init(options: BackendOptions, http: HTTPClient, rereadPause: Duration = .milliseconds(250)) throws(BackendSetupError) {
        self.rereadPause = rereadPause
        var base = options.url
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        if let v = options.version {
            version = v
            model = nil
        } else if let m = options.model, m.contains(":") {
            version = m
            model = nil
        } else if let m = options.model, m.split(separator: "/").count == 2, !m.hasPrefix("/"), !m.hasSuffix("/") {
            model = m
            version = nil
        } else {
            throw BackendSetupError("\(options.name): replicate needs model = \"owner/name\" or version = \"<64-hex id>\"")
        }
        cfgScale = options.cfgScale
        self.http = http
        displayName = options.summary
        key = CachedKey(source: options.apiKey, backendName: options.name, environment: options.environment)
    }

    /// Creates the prediction (once; never resent).
    /// - Returns: the prediction id and its status: `.queued`/`.running`, or `.completed` when it finished
    ///   within `Prefer: wait`.
    /// - Throws: `.unauthorized` (no key, 401/403, naming the key's source), `.invalidPrompt` (422 with the
    ///   problem's `detail`), `.rateLimited` (429 + `Retry-After`), `.server` (5xx), `.network` (a timeout
    ///   says the prediction may exist), `.badResponse`.
    public func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        do throws(JobError) {
            let auth = try await key.resolve().bearer
            let url: String, body: CreateBody
            let input = Input(prompt: request.prompt,
                              negative_prompt: request.negativePrompt.isEmpty ? nil : request.negativePrompt,
                              width: request.width, height: request.height, seed: request.seed,
                              num_inference_steps: request.steps, guidance_scale: cfgScale, num_outputs: 1)
            if let model {
                let parts = model.split(separator: "/").map { Hosted.segment(String($0)) }
                url = "\(baseURL)/v1/models/\(parts[0])/\(parts[1])/predictions"
                body = CreateBody(version: nil, input: input)
            } else {
                url = baseURL + "/v1/predictions"
                body = CreateBody(version: version, input: input)
            }
            let json = (try? JSONEncoder().encode(body)).map { [UInt8]($0) } ?? []
            let response: HTTPResponse
            do {
                response = try await http.send(.postJSON(url, json, headers: [("Authorization", auth), ("Prefer", "wait=\(preferWait)")]))
            } catch {
                if case .timedOut = error {
                    throw .network("\(error.message) — the prediction may have been created on Replicate, so it was not sent again")
                }
                throw ErrorMapping.transport(error)
            }
            guard (200..<300).contains(response.status) else { throw Self.failure(response) }
            guard let p = Prediction(response.body), let id = p.id, !id.isEmpty else {
                throw .badResponse("no prediction id in the reply to POST \(model == nil ? "/v1/predictions" : "/v1/models/…/predictions")")
            }
            remember(p, id: id)
            // A create that finished within the wait but whose output cannot be read is settled by a poll.
            let status = (try? p.status.get()) ?? .running(progress: nil)
            return (RemoteJobID(id), await key.clean(status))
        } catch { throw await key.clean(error) }
    }

    /// `GET urls.get` (or `/v1/predictions/{id}` for a prediction from an earlier run), re-read up to 3
    /// times when the body cannot be parsed.
    /// - Throws: `.notFound` (404), `.unauthorized`, `.rateLimited`, `.server`, `.network`; `.badResponse`
    ///   after 3 unreadable answers.
    public func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus {
        do throws(JobError) {
            let auth = try await key.resolve().bearer
            let url = links.withLock { $0[job.rawValue]?.get } ?? "\(baseURL)/v1/predictions/\(Hosted.segment(job.rawValue))"
            var lastProblem = JobError.badResponse("malformed JSON from GET /v1/predictions")
            for attempt in 0..<3 {
                if attempt > 0, rereadPause > .zero { try? await Task.sleep(for: rereadPause * attempt) }
                let response = try await send(HTTPRequest(.get, url, headers: [("Authorization", auth), ("Accept", "application/json")]))
                guard response.status == 200 else { throw Self.failure(response) }
                guard let p = Prediction(response.body) else { continue }
                switch p.status {
                case .success(let s): return await key.clean(s)
                case .failure(let problem): lastProblem = problem
                }
            }
            throw lastProblem
        } catch { throw await key.clean(error) }
    }

    /// `POST urls.cancel`. Canceling a finished prediction is harmless (Replicate answers with it).
    /// - Throws: `.unauthorized`, `.server`, `.network`; a 404 (unknown id) is ignored.
    public func cancel(_ job: RemoteJobID) async throws(JobError) {
        do throws(JobError) {
            let auth = try await key.resolve().bearer
            let url = links.withLock { $0[job.rawValue]?.cancel } ?? "\(baseURL)/v1/predictions/\(Hosted.segment(job.rawValue))/cancel"
            let response = try await send(HTTPRequest(.post, url, headers: [("Authorization", auth), ("Accept", "application/json")]))
            guard (200..<300).contains(response.status) || response.status == 404 else { throw Self.failure(response) }
        } catch { throw await key.clean(error) }
    }

    /// Fetches the output file (on `replicate.delivery`, deleted about an hour after the prediction), or
    /// decodes a `data:` URI. The key is not sent.
    public func download(_ image: ImageRef) async throws(JobError) -> ImageData {
        do { return try await ImageFetch.fetch(image, relativeTo: baseURL, http: http) }
        catch { throw await key.clean(error) }
    }

    /// `GET /v1/account`: proves the address and the key.
    public func health() async -> BackendHealth {
        do throws(JobError) {
            let auth = try await key.resolve().bearer
            let r = try await send(HTTPRequest(.get, baseURL + "/v1/account", headers: [("Authorization", auth), ("Accept", "application/json")]))
            guard r.status == 200 else { throw Self.failure(r) }
            let object = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any]
            let who = (object?["username"] as? String).map { " as \(Sanitize.line(String($0.prefix(60))))" } ?? ""
            let target = model ?? version.map { String($0.prefix(20)) } ?? ""
            return BackendHealth(ok: true, detail: "Replicate answers\(await key.redact(who)), model \(Sanitize.line(target))")
        } catch { return BackendHealth(ok: false, detail: await key.clean(error).message) }
    }

    // MARK: - Wire format

    private struct CreateBody: Encodable {
        let version: String?
        let input: Input
    }

    private struct Input: Encodable {
        let prompt: String
        let negative_prompt: String?
        let width: Int, height: Int
        let seed: UInt32
        let num_inference_steps: Int
        let guidance_scale: Double?
        let num_outputs: Int
    }

    /// A prediction object, read loosely: `output` may have any shape.
    struct Prediction {
        let id: String?
        let state: String
        let output: Any?
        let error: String?
        let logs: String
        let get: String?
        let cancel: String?

        init?(_ body: [UInt8]) {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
                  let state = o["status"] as? String else { return nil }
            id = o["id"] as? String
            self.state = state
            output = o["output"]
            error = (o["error"] as? String) ?? (o["error"].flatMap { $0 is NSNull ? nil : "\($0)" })
            logs = o["logs"] as? String ?? ""
            let urls = o["urls"] as? [String: Any]
            get = urls?["get"] as? String
            cancel = urls?["cancel"] as? String
        }

        /// The normalised status, or the parse problem (retryable by reading again).
        var status: Result<RemoteStatus, JobError> {
            switch state {
            case "starting": .success(.queued(position: nil))
            case "processing":
                .success(.running(progress: Hosted.progress(fromLogs: logs.split(whereSeparator: \.isNewline).map(String.init))))
            case "succeeded":
                Result { () throws(JobError) -> RemoteStatus in
                    let urls = Outputs.imageURLs(in: output)
                    let kept = try (output as? [String: Any]).map { o throws(JobError) in try Outputs.unfiltered(urls, object: o) } ?? urls
                    return try Outputs.status(kept, emptyReason: "the prediction succeeded but its output holds no image URL")
                }
            case "failed": .success(.failed(error ?? "the model failed without a message"))
            case "canceled", "cancelled": .success(.failed("canceled on Replicate"))
            default: .failure(.badResponse("unknown prediction status \"\(Sanitize.line(String(state.prefix(40))))\""))
            }
        }
    }

    private func remember(_ p: Prediction, id: String) {
        let get = p.get.flatMap { Hosted.sameOrigin($0, as: baseURL) ? $0 : nil }
        let cancel = p.cancel.flatMap { Hosted.sameOrigin($0, as: baseURL) ? $0 : nil }
        links.withLock { table in
            if table.count > 512 { table.removeAll() }
            table[id] = Links(get: get, cancel: cancel)
        }
    }

    // MARK: - Error mapping

    /// RFC 7807 problem details `{title, detail, status}` (or `{detail}` on a 429) → `JobError`.
    static func failure(_ response: HTTPResponse) -> JobError {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let detail = object?["detail"] as? String, title = object?["title"] as? String
        let text: String? = switch (title, detail) {
        case let (t?, d?) where !d.isEmpty: "\(t): \(d)"
        case let (t, d): d ?? t
        }
        return ErrorMapping.status(response, message: text.map { String($0.prefix(300)) })
    }

    private func send(_ request: HTTPRequest) async throws(JobError) -> HTTPResponse {
        do { return try await http.send(request) } catch { throw ErrorMapping.transport(error) }
    }
}
