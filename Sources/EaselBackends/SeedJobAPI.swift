import EaselCore
import EaselHTTP
import Foundation

/// The seed design's job API (also served by `easel serve`):
/// `POST /api/generate` → `{jobId, status}`; `GET /api/status/{jobId}` → `{status, image, error?, progress?}`;
/// the image by URL or `data:` URI. Rate-limited per IP with `429` + `Retry-After`.
/// - Auth: `Authorization: Bearer <key>` on every `/api/` request when the `[backends.NAME]` table names a
///   key source (`api_key_env`, `api_key_cmd`, `api_key`); servers without auth ignore it. Images are
///   fetched without it. Every server text is redacted, and a 401/403 names the key's source.
/// When a submit or status answer names an `events` stream (the reference server's extension,
/// docs/events.md), `statusEvents(of:)` follows it instead of polling (SeedJobAPI+Events.swift).
public struct SeedJobAPI: GenerationBackend {
    /// e.g. `http://127.0.0.1:8787`, without a trailing slash.
    public let baseURL: String
    public let http: HTTPClient
    public let displayName: String
    /// Longest silence on a job's event stream (heartbeats count) before it is dropped for polling;
    /// default 45 s, three of the reference server's 15 s heartbeats.
    public let streamIdleTimeout: Duration
    /// Each job's event-stream URL, as the server named it.
    let streams = StreamLinks()
    /// The API key, when the table names a source; nil sends no `Authorization`.
    let key: CachedKey?

    /// - Parameters:
    ///   - apiKey: where the key comes from (nil: none is sent); `backendName` is the table, for messages.
    public init(baseURL: String, http: HTTPClient = HTTPClient(), displayName: String? = nil,
                streamIdleTimeout: Duration = .seconds(45), apiKey: KeySource? = nil, backendName: String = "jobapi") {
        self.streamIdleTimeout = streamIdleTimeout
        key = apiKey.map { CachedKey(source: $0, backendName: backendName) }
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.http = http
        self.displayName = displayName ?? "job API at \(base)"
    }

    /// `POST /api/generate`.
    /// - Throws: `.invalidPrompt` (400, with the server's `error`), `.rateLimited` (429, with `Retry-After`),
    ///   `.server` (5xx), `.network`, `.badResponse` (no `jobId` in the body).
    public func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        let body = SubmitBody(prompt: request.prompt,
                              negative_prompt: request.negativePrompt.isEmpty ? nil : request.negativePrompt,
                              width: request.width, height: request.height, seed: request.seed, steps: request.steps)
        let json = (try? JSONEncoder().encode(body)).map { [UInt8]($0) } ?? []
        let response = try await send(.postJSON(baseURL + "/api/generate", json, headers: try await authorization()))
        guard response.status != 404 else {
            throw await clean(ErrorMapping.missingRoute(response, route: "POST /api/generate", service: "a server with the seed job API"))
        }
        guard response.status == 200 || response.status == 201 || response.status == 202 else {
            throw await clean(ErrorMapping.status(response, message: Self.errorText(response.body)))
        }
        guard let reply = try? JSONDecoder().decode(SubmitReply.self, from: Data(response.body)), !reply.jobId.isEmpty else {
            throw .badResponse("no jobId in the reply to POST /api/generate")
        }
        // A fresh job is "processing" in the seed API; anything unreadable here is settled by the first poll.
        var status = RemoteStatus.running(progress: nil)
        if let word = reply.status, case .success(let s) = Self.status(from: StatusReply(status: word)) { status = s }
        learnStream(reply.events, for: reply.jobId)
        return (RemoteJobID(reply.jobId), status)
    }

    /// `GET /api/status/{jobId}`.
    /// - Throws: `.notFound` (404), `.badResponse` (malformed JSON or unknown status), others as `submit`.
    public func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus {
        let id = job.rawValue.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? job.rawValue
        let response = try await send(HTTPRequest(.get, baseURL + "/api/status/" + id,
                                                  headers: [("Accept", "application/json")] + (try await authorization())))
        guard response.status == 200 else { throw await clean(ErrorMapping.status(response, message: Self.errorText(response.body))) }
        guard let reply = try? JSONDecoder().decode(StatusReply.self, from: Data(response.body)) else {
            throw .badResponse("malformed JSON from GET /api/status")
        }
        learnStream(reply.events, for: job.rawValue)
        switch Self.status(from: reply) {
        case .success(let status): return await key?.clean(status) ?? status
        case .failure(let error): throw await clean(error)
        }
    }

    /// `POST /api/cancel/{jobId}` (the reference server's extension of the seed API). A server without
    /// it answers 404/405, which is ignored: the client has already stopped polling.
    public func cancel(_ job: RemoteJobID) async throws(JobError) {
        let id = job.rawValue.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? job.rawValue
        let response = try await send(.postJSON(baseURL + "/api/cancel/" + id, Array("{}".utf8), headers: try await authorization()))
        guard (200..<300).contains(response.status) || response.status == 404 || response.status == 405 else {
            throw await clean(ErrorMapping.status(response, message: Self.errorText(response.body)))
        }
    }

    /// `GET /api/health` (the reference server's); a server without it answers 404, which still proves
    /// it is reachable.
    public func health() async -> BackendHealth {
        let auth: [(name: String, value: String)]
        do throws(JobError) { auth = try await authorization() } catch { return BackendHealth(ok: false, detail: error.message) }
        do {
            let r = try await http.send(HTTPRequest(.get, baseURL + "/api/health", headers: [("Accept", "application/json")] + auth))
            switch r.status {
            case 200:
                let obj = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any]
                let generator = (obj?["generator"] as? String).map { ", \(Sanitize.line($0))" } ?? ""
                return BackendHealth(ok: true, detail: "job API answers\(generator)")
            case 404: return BackendHealth(ok: true, detail: "reachable (no /api/health route)")
            default: return BackendHealth(ok: false, detail: await clean(ErrorMapping.status(r, message: Self.errorText(r.body))).message)
            }
        } catch { return BackendHealth(ok: false, detail: await clean(ErrorMapping.transport(error)).message) }
    }

    public func download(_ image: ImageRef) async throws(JobError) -> ImageData {
        do { return try await ImageFetch.fetch(image, relativeTo: baseURL, http: http) } catch { throw await clean(error) }
    }

    // MARK: - Wire format

    private struct SubmitBody: Encodable {
        let prompt: String
        let negative_prompt: String?
        let width: Int, height: Int
        let seed: UInt32
        let steps: Int
    }

    private struct SubmitReply: Decodable {
        let jobId: String
        let status: String?
        let events: String?
    }

    struct StatusReply: Decodable {
        var status: String
        var image: String?
        var error: String?
        var progress: Double?
        var queue_position: Int?
        var events: String?
    }

    private struct ErrorReply: Decodable { let error: String }

    // MARK: - Mapping

    static func status(from reply: StatusReply) -> Result<RemoteStatus, JobError> {
        // Positions count from 1; a zero or negative one (found by FuzzTests) is treated as not sent.
        let position = reply.queue_position.flatMap { $0 >= 1 ? $0 : nil }
        return switch reply.status {
        case "queued", "pending": .success(.queued(position: position))
        case "processing", "running":
            .success(position != nil ? .queued(position: position) : .running(progress: reply.progress.map { min(1, max(0, $0)) }))
        case "completed", "succeeded":
            if let url = reply.image, !url.isEmpty { .success(.completed(ImageRef(url: url))) }
            else { .failure(.badResponse("status is completed but there is no image")) }
        case "failed", "error": .success(.failed(reply.error ?? "the server reported failure"))
        case "canceled", "cancelled": .success(.failed("canceled on the server"))
        default: .failure(.badResponse("unknown job status \"\(Sanitize.line(String(reply.status.prefix(40))))\""))
        }
    }

    private static func errorText(_ body: [UInt8]) -> String? {
        (try? JSONDecoder().decode(ErrorReply.self, from: Data(body)))?.error
    }

    private func send(_ request: HTTPRequest) async throws(JobError) -> HTTPResponse {
        do { return try await http.send(request) } catch { throw await clean(ErrorMapping.transport(error)) }
    }

    /// `[("Authorization", "Bearer <key>")]`, or nothing when no key source is configured.
    /// - Throws: `.unauthorized` naming the source when the key cannot be resolved.
    func authorization() async throws(JobError) -> [(name: String, value: String)] {
        guard let key else { return [] }
        do {
            let resolved = try await key.resolve()
            streams.key = resolved
            return [("Authorization", resolved.bearer)]
        } catch { throw await key.clean(error) }
    }

    /// `error` with the key redacted and, for 401/403, its source named; unchanged without a key.
    func clean(_ error: JobError) async -> JobError {
        guard let key else { return error }
        return await key.clean(error)
    }
}
