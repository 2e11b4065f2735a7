import EaselCore
import EaselHTTP
import Foundation

/// A text-to-image service driven with the job pattern: submit → remote id → poll → download.
/// One file per service implements it; synchronous services keep their own job ids.
public protocol GenerationBackend: Sendable {
    /// Shown in the status bar, e.g. "demo backend — procedural, offline".
    var displayName: String { get }

    /// Jobs the service really runs at once for this client, when it runs fewer than it is sent (A1111's
    /// txt2img holds the web UI: 1); nil when only the configured concurrency limits it. The reducer's
    /// slots use it (`BackendChoice.slots`), so no job waits inside an adapter where the queue pane cannot show it.
    var maxConcurrentJobs: Int? { get }

    /// Sends the request and returns the service's job id at once, with what it said about the job.
    /// - Throws: `JobError.invalidPrompt`, `.rateLimited`, `.unauthorized`, `.server`, `.network`, `.badResponse`.
    func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus)

    /// One status request.
    /// - Throws: `JobError.notFound` when the service no longer knows the id; otherwise as `submit`.
    func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus

    /// Fetches the finished image's bytes, checked to be PNG, JPEG or WebP by their magic bytes.
    /// - Throws: `JobError.badResponse` for non-image bytes; `.network`, `.server` as usual.
    func download(_ image: ImageRef) async throws(JobError) -> ImageData

    /// Asks the service to stop the job (best effort).
    /// - Throws: `JobError` from the call; services without a cancel call do nothing.
    func cancel(_ job: RemoteJobID) async throws(JobError)

    /// Checks that the service answers (ComfyUI `/system_stats`, A1111 `/sdapi/v1/options`, …) and lists
    /// its models and samplers where it exposes them. Never throws: failures are `ok: false` with the reason.
    func health() async -> BackendHealth

    /// The service's latest in-progress preview of a running job (A1111 `current_image`), when it
    /// sends one; nil otherwise. Called after a status poll reported the job running.
    func livePreview(of job: RemoteJobID) async -> ImageData?

    /// True when `error`, thrown by `status(of: job)`, is the job's final outcome rather than a failed
    /// poll: synchronous services (A1111, OpenAI) hold the generation request open, and once it failed
    /// every later poll repeats the same error. The caller then fails the job at once instead of polling
    /// again with backoff.
    func isFinal(_ error: JobError, for job: RemoteJobID) async -> Bool

    /// The job's status pushed as it changes (server-sent events), when the service offers a stream for
    /// this job; nil means poll `status(of:)`. The sequence yields each new status and finishes after a
    /// final one (`.completed`, `.failed`). It throws a `JobError` when the stream is refused (any answer
    /// but `200 text/event-stream`), breaks before a final status, or stalls (no byte, heartbeats
    /// included, within the adapter's bound): the caller then polls the same job, never submits again.
    func statusEvents(of job: RemoteJobID) -> StatusEvents?

    /// Something the service said about `job` that is not a failure but should be shown (ComfyUI: the part
    /// of the workflow a `200` from `POST /prompt` dropped; outputs Easel cannot show, such as video or
    /// audio), handed out once; nil when there is nothing. Asked after the submit and after completion.
    func takeNotice(for job: RemoteJobID) -> String?

    /// What the service ran for `job`, read from what it was sent, for the saved metadata; nil when the
    /// service cannot tell (then the request and the config are written).
    func ranParameters(of job: RemoteJobID) async -> RanParameters?

    /// The models `GenerationRequest.model` may name, as the service lists them (ComfyUI's checkpoints,
    /// A1111 `sd-models` titles, an OpenAI-compatible `/v1/models`), sanitized, in the service's order;
    /// nil when the service has no call that lists them (fal, Replicate, sd.cpp, the seed API).
    /// - Throws: `JobError` when the list request fails.
    func models() async throws(JobError) -> [String]?
}

/// Statuses pushed by a service, in order; errors are `JobError`s (see `GenerationBackend.statusEvents(of:)`).
public typealias StatusEvents = AsyncThrowingStream<RemoteStatus, any Error>

extension GenerationBackend {
    public var maxConcurrentJobs: Int? { nil }
    public func cancel(_ job: RemoteJobID) async throws(JobError) {}
    public func health() async -> BackendHealth { BackendHealth(ok: true, detail: "no health check for this service") }
    public func livePreview(of job: RemoteJobID) async -> ImageData? { nil }
    public func isFinal(_ error: JobError, for job: RemoteJobID) async -> Bool { false }
    public func statusEvents(of job: RemoteJobID) -> StatusEvents? { nil }
    public func takeNotice(for job: RemoteJobID) -> String? { nil }
    public func ranParameters(of job: RemoteJobID) async -> RanParameters? { nil }
    public func models() async throws(JobError) -> [String]? { nil }
}

/// Maps transport failures and HTTP statuses to `JobError`s, in one place.
enum ErrorMapping {
    static func transport(_ error: HTTPError) -> JobError {
        switch error {
        // A connection that was never made keeps libcurl's code ("… (curl 7)"): a pool moves such a job
        // to another member (`JobError.neverReachedTheService`), since no byte reached the service.
        case .transport(let code, _) where [5, 6, 7].contains(code): .network(error.message)
        case .transport(_, let message): .network(message)
        case .timedOut(let what): .network("timed out: \(what)")
        case .tooLarge, .tooManyRedirects: .badResponse(error.message)
        case .canceled: .canceled
        }
    }

    /// The error for a non-success status; `message` is the server's own text (sanitized later). Without
    /// one, `ErrorBody.summary` reads the body: the innermost JSON message, an HTML page's `<title>`
    /// (never its markup), or the start of a plain-text body.
    ///
    /// A moderation or content-policy block (`ErrorBody.isPolicyBlock`) answered as 401/403 or 5xx, as
    /// gateways do, is `.invalidPrompt` with the same text: only the key's own problems are `.unauthorized`.
    /// A 404 from a route that names no job (a submit, a listing): the route is not on this server, so the
    /// backend's `url` (or `kind`) is wrong — not "the server no longer knows this job".
    /// - Parameters: `route`, e.g. "POST /prompt"; `service`, what the table says is there ("a ComfyUI server").
    static func missingRoute(_ response: HTTPResponse, route: String, service: String) -> JobError {
        let said = ErrorBody.summary(response).map { " (\($0))" } ?? ""
        return .badResponse("\(route) is 404 here\(said): is this \(service)? Check the backend's url and kind")
    }

    static func status(_ response: HTTPResponse, message: String?) -> JobError {
        let text = message ?? ErrorBody.summary(response) ?? ""
        if [401, 403].contains(response.status) || response.status >= 500, ErrorBody.isPolicyBlock(ErrorBody.read(response.body)) {
            return .invalidPrompt(reason: text)
        }
        switch response.status {
        case 400, 422: return .invalidPrompt(reason: text)
        case 401, 403: return .unauthorized(text)
        case 404: return .notFound
        case 429: return .rateLimited(retryAfter: response.retryAfter())
        case 500...599: return .server(status: response.status, message: message ?? ErrorBody.read(response.body).message ?? "")
        default: return .badResponse("unexpected HTTP \(response.status): \(text)")
        }
    }
}

/// Image download shared by every backend: `data:` URIs are decoded locally, URLs are fetched.
enum ImageFetch {
    static func fetch(_ ref: ImageRef, relativeTo base: String, http: HTTPClient) async throws(JobError) -> ImageData {
        let bytes: [UInt8]
        if ref.url.hasPrefix("data:") {
            guard let comma = ref.url.firstIndex(of: ","),
                  ref.url[..<comma].hasSuffix(";base64"),
                  let data = Data(base64Encoded: String(ref.url[ref.url.index(after: comma)...]), options: .ignoreUnknownCharacters) else {
                throw .badResponse("the data: URI is not base64")
            }
            bytes = [UInt8](data)
        } else {
            let url = ref.url.hasPrefix("/") ? base + ref.url : ref.url
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw .badResponse("unsupported image URL scheme")
            }
            let response: HTTPResponse
            do { response = try await http.send(HTTPRequest(.get, url, headers: [("Accept", "image/*")])) }
            catch { throw ErrorMapping.transport(error) }
            guard response.status == 200 else { throw ErrorMapping.status(response, message: nil) }
            bytes = response.body
        }
        guard isImage(bytes) else {
            throw .badResponse("the download is not a PNG, JPEG or WebP image (\(bytes.count) bytes)")
        }
        return ImageData(bytes)
    }

    private static func isImage(_ b: [UInt8]) -> Bool {
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return true }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return true }
        return b.count >= 12 && b.starts(with: Array("RIFF".utf8)) && Array(b[8..<12]) == Array("WEBP".utf8)
    }
}
