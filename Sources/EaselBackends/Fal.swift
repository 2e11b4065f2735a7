import EaselCore
import EaselHTTP
import Foundation
import Synchronization

/// fal.ai's queue API: `POST {url}/{model}` → `request_id` with `status_url`, `response_url` and
/// `cancel_url`; poll `status_url?logs=1`; on `COMPLETED` read `response_url` for `images[0].url`;
/// cancel with `PUT cancel_url`.
///
/// - The returned URLs are always used. For a request from an earlier run they are rebuilt from
///   `{owner}/{app}` only: `fal-ai/flux/dev` polls `fal-ai/flux/requests/{id}/status` (the sub-path is dropped).
/// - `IN_QUEUE` → queued (fal's 0-based `queue_position` + 1), `IN_PROGRESS` → running (progress from the
///   last "n/total" or "45%|" log line), `COMPLETED` → the result is fetched; a completed request whose
///   result is an error (fal reports failures that way) → failed with the body's message.
/// - A 4xx on a status poll fails at once with the body's message (401/403 unauthorized, 404 not found,
///   422 invalid prompt); only 429 and 5xx are retryable. (reference/backends.md §9 row 18)
/// - Auth: `Authorization: Key <key>` (`FAL_KEY`); image URLs on `fal.media` are fetched without it.
/// - Push: `statusEvents(of:)` follows `status_url/stream` (server-sent events) instead of polling (Fal+Events.swift).
/// - Protocol: https://docs.fal.ai/model-endpoints/queue; shapes: reference/backends.md §4.
public final class FalBackend: GenerationBackend {
    public let displayName: String
    /// e.g. `https://queue.fal.run`, without a trailing slash.
    public let baseURL: String
    /// The endpoint id, e.g. `fal-ai/flux/dev`.
    public let model: String
    let http: HTTPClient
    let key: CachedKey
    let links = Mutex<[String: Links]>([:])

    struct Links {
        var status: String
        var response: String
        var cancel: String
        var canceled = false
    }

    /// - Parameter options: `model` (the endpoint id, e.g. `fal-ai/flux/dev`; required), `url` (default
    ///   `https://queue.fal.run`), `apiKey`.
    /// - Throws: `BackendSetupError` without a model of at least `owner/app`.
    public init(options: BackendOptions, http: HTTPClient) throws(BackendSetupError) {
        var base = options.url
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        guard let m = options.model?.trimmingCharacters(in: CharacterSet(charactersIn: "/ ")),
              m.split(separator: "/").count >= 2 else {
            throw BackendSetupError("\(options.name): fal needs model = \"owner/app[/path]\", e.g. \"fal-ai/flux/dev\"")
        }
        model = m
        self.http = http
        displayName = options.summary
        key = CachedKey(source: options.apiKey, backendName: options.name, environment: options.environment)
    }

    /// `POST {url}/{model}` with the model input.
    /// - Returns: the `request_id` and `.queued(position:)`.
    /// - Throws: `.unauthorized` (no key, 401/403), `.invalidPrompt` (400/422 with the validation message),
    ///   `.rateLimited` (429), `.server` (5xx), `.network`, `.badResponse` (no `request_id`).
    public func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        do throws(JobError) {
            let auth = try await key.resolve().falKey
            let input = Input(prompt: request.prompt,
                              negative_prompt: request.negativePrompt.isEmpty ? nil : request.negativePrompt,
                              image_size: .init(width: request.width, height: request.height),
                              num_inference_steps: request.steps, seed: request.seed, num_images: 1)
            let json = (try? JSONEncoder().encode(input)).map { [UInt8]($0) } ?? []
            let path = model.split(separator: "/").map { Hosted.segment(String($0)) }.joined(separator: "/")
            let response: HTTPResponse
            do { response = try await http.send(.postJSON("\(baseURL)/\(path)", json, headers: [("Authorization", auth)])) }
            catch {
                if case .timedOut = error {
                    throw .network("\(error.message) — the request may have been queued on fal, so it was not sent again")
                }
                throw ErrorMapping.transport(error)
            }
            guard (200..<300).contains(response.status) else { throw Self.failure(response) }
            guard let o = Self.object(response.body), let id = o["request_id"] as? String, !id.isEmpty else {
                throw .badResponse("no request_id in the reply to POST /\(model)")
            }
            let fallback = fallbackLinks(id)
            func trusted(_ k: String, _ other: String) -> String {
                (o[k] as? String).flatMap { Hosted.sameOrigin($0, as: baseURL) ? $0 : nil } ?? other
            }
            links.withLock { table in
                if table.count > 512 { table.removeAll() }
                table[id] = Links(status: trusted("status_url", fallback.status), response: trusted("response_url", fallback.response),
                                  cancel: trusted("cancel_url", fallback.cancel))
            }
            return (RemoteJobID(id), .queued(position: (o["queue_position"] as? Int).flatMap { (0..<1_000_000).contains($0) ? $0 + 1 : nil }))
        } catch { throw await key.clean(error) }
    }

    /// `GET status_url?logs=1`, then `GET response_url` once it says `COMPLETED`.
    /// - Throws: at once on a 4xx: `.notFound` (404), `.unauthorized` (401/403), `.invalidPrompt`
    ///   (400/422); `.rateLimited` (429), `.server` (5xx), `.network`, `.badResponse` (unknown status,
    ///   a result without an image).
    public func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus {
        do throws(JobError) {
            let auth = try await key.resolve().falKey
            let l = links.withLock { $0[job.rawValue] } ?? fallbackLinks(job.rawValue)
            if l.canceled { return .failed("canceled on fal") }
            let url = l.status + (l.status.contains("?") ? "&" : "?") + "logs=1"
            let r = try await send(HTTPRequest(.get, url, headers: [("Authorization", auth), ("Accept", "application/json")]))
            guard (200..<300).contains(r.status) else { throw Self.failure(r) }
            guard let o = Self.object(r.body), let state = o["status"] as? String else {
                throw .badResponse("malformed JSON from GET status_url")
            }
            let logs = ((o["logs"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }
            switch state {
            case "IN_QUEUE": return .queued(position: (o["queue_position"] as? Int).flatMap { (0..<1_000_000).contains($0) ? $0 + 1 : nil })
            case "IN_PROGRESS": return .running(progress: Hosted.progress(fromLogs: logs))
            case "COMPLETED", "FAILED", "ERROR": return await key.clean(try await result(l.response, auth: auth, logs: logs))
            case "CANCELED", "CANCELLED": return .failed("canceled on fal")
            default: throw .badResponse("unknown fal status \"\(Sanitize.line(String(state.prefix(40))))\"")
            }
        } catch { throw await key.clean(error) }
    }

    /// `PUT cancel_url`. `ALREADY_COMPLETED` and `NOT_FOUND` are harmless; after an accepted cancel the
    /// job reports `.failed("canceled on fal")` without asking the service again.
    public func cancel(_ job: RemoteJobID) async throws(JobError) {
        do throws(JobError) {
            let auth = try await key.resolve().falKey
            let l = links.withLock { $0[job.rawValue] } ?? fallbackLinks(job.rawValue)
            let r = try await send(HTTPRequest(.put, l.cancel, headers: [("Authorization", auth), ("Accept", "application/json")]))
            let word = Self.object(r.body)?["status"] as? String
            if word == "ALREADY_COMPLETED" || r.status == 404 || word == "NOT_FOUND" { return }
            guard (200..<300).contains(r.status) else { throw Self.failure(r) }
            links.withLock { table in
                var entry = table[job.rawValue] ?? l
                entry.canceled = true
                table[job.rawValue] = entry
            }
        } catch { throw await key.clean(error) }
    }

    /// Fetches `images[0].url` (fal's CDN; no key sent) or decodes its `data:` URI (`sync_mode`).
    public func download(_ image: ImageRef) async throws(JobError) -> ImageData {
        do { return try await ImageFetch.fetch(image, relativeTo: baseURL, http: http) }
        catch { throw await key.clean(error) }
    }

    /// fal has no health route: this asks for the status of a request id that cannot exist. A 401/403 means
    /// the key is refused; a 404 (or any other answer) proves the queue answers.
    public func health() async -> BackendHealth {
        do throws(JobError) {
            let auth = try await key.resolve().falKey
            let l = fallbackLinks("00000000-0000-0000-0000-000000000000")
            let r = try await send(HTTPRequest(.get, l.status, headers: [("Authorization", auth), ("Accept", "application/json")]))
            if r.status == 401 || r.status == 403 || r.status >= 500 { throw Self.failure(r) }
            return BackendHealth(ok: true, detail: "fal queue answers, model \(Sanitize.line(model))")
        } catch { return BackendHealth(ok: false, detail: await key.clean(error).message) }
    }

    // MARK: - Result

    /// `GET response_url`: every image, or the error the result carries.
    /// - Throws: `.invalidPrompt` ("rejected by the content policy: …") when every image is flagged NSFW.
    func result(_ url: String, auth: String, logs: [String]) async throws(JobError) -> RemoteStatus {
        let r = try await send(HTTPRequest(.get, url, headers: [("Authorization", auth), ("Accept", "application/json")]))
        switch r.status {
        case 200..<300:
            guard let o = Self.object(r.body) else { throw .badResponse("malformed JSON from GET response_url") }
            // Every image, less those `has_nsfw_concepts` flags (fal sends a black placeholder for them).
            let urls = try Outputs.unfiltered(Outputs.imageURLs(in: o["images"] ?? o["image"]), object: o)
            return try Outputs.status(urls, emptyReason: "the fal result holds no image")
        case 400, 401, 403, 404, 422, 429:
            throw Self.failure(r)
        default:
            // The request ran and failed: the body says why.
            return .failed(Self.message(r.body) ?? logs.last ?? "fal reported HTTP \(r.status) for the result")
        }
    }

    /// The queue URLs for `id` built from `{owner}/{app}` only (§4: sub-paths are dropped).
    func fallbackLinks(_ id: String) -> Links {
        let app = model.split(separator: "/").prefix(2).map { Hosted.segment(String($0)) }.joined(separator: "/")
        let response = "\(baseURL)/\(app)/requests/\(Hosted.segment(id))"
        return Links(status: response + "/status", response: response, cancel: response + "/cancel")
    }

    // MARK: - Wire format

    private struct Input: Encodable {
        struct Size: Encodable { let width: Int, height: Int }
        let prompt: String
        let negative_prompt: String?
        let image_size: Size
        let num_inference_steps: Int
        let seed: UInt32
        let num_images: Int
    }

    private static func object(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    // MARK: - Error mapping

    /// The text of a fal error body: `message`, a string `detail`, or FastAPI's `detail[].msg` list.
    static func message(_ body: [UInt8]) -> String? {
        guard let o = object(body) else { return nil }
        if let m = o["message"] as? String { return m }
        if let d = o["detail"] as? String { return d }
        if let list = o["detail"] as? [[String: Any]] {
            let lines = list.compactMap { item -> String? in
                guard let msg = item["msg"] as? String else { return nil }
                let loc = (item["loc"] as? [Any])?.map { "\($0)" }.filter { $0 != "body" }.joined(separator: ".")
                return loc.map { $0.isEmpty ? msg : "\($0): \(msg)" } ?? msg
            }
            if !lines.isEmpty { return lines.joined(separator: "; ") }
        }
        return (o["error"] as? String) ?? (o["status"] as? String)
    }

    /// A non-2xx answer → `JobError`. A 504 marked `x-fal-request-timeout-type: user` ran past the
    /// request's own timeout: sending it again would only time out again, so it is not retryable.
    static func failure(_ response: HTTPResponse) -> JobError {
        let text = message(response.body).map { String($0.prefix(300)) }
        if response.status == 504, response.headers["x-fal-request-timeout-type"]?.lowercased() == "user" {
            return .inferenceFailed("the request ran past its time limit" + (text.map { ": \($0)" } ?? ""))
        }
        return ErrorMapping.status(response, message: text)
    }

    private func send(_ request: HTTPRequest) async throws(JobError) -> HTTPResponse {
        do { return try await http.send(request) } catch { throw ErrorMapping.transport(error) }
    }
}
