/// Why a job failed, by category. Each category has its own message and recovery.
public enum JobError: Error, Equatable, Hashable, Sendable {
    /// 400/422, validation or content policy; the reason is the server's text, sanitized.
    case invalidPrompt(reason: String)
    /// 429; `retryAfter` is the server's `Retry-After`, when it sent one.
    case rateLimited(retryAfter: Duration?)
    /// 401/403, or a missing key.
    case unauthorized(String)
    /// The server does not know the job id (e.g. after a restart).
    case notFound
    /// The poll deadline passed; the remote id is kept so polling can resume.
    case timedOut(after: Duration)
    /// DNS, connection refused, reset, TLS, transfer timeouts.
    case network(String)
    /// 5xx.
    case server(status: Int, message: String)
    /// The service finished the job and reported failure.
    case inferenceFailed(String)
    /// Malformed JSON, not an image, too large.
    case badResponse(String)
    /// Disk full, permission, read-only file system.
    case storage(String)
    /// The user canceled it.
    case canceled

    /// Safe to send the same request again unchanged.
    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .timedOut, .network, .server: true
        case .invalidPrompt, .unauthorized, .notFound, .inferenceFailed, .badResponse, .storage, .canceled: false
        }
    }

    /// A stable, payload-free label for logs, the journal and `--json` output: `"rate_limited"`.
    public var kind: String {
        switch self {
        case .invalidPrompt: "invalid_prompt"
        case .rateLimited: "rate_limited"
        case .unauthorized: "unauthorized"
        case .notFound: "not_found"
        case .timedOut: "timed_out"
        case .network: "network"
        case .server: "server"
        case .inferenceFailed: "inference_failed"
        case .badResponse: "bad_response"
        case .storage: "storage"
        case .canceled: "canceled"
        }
    }

    /// What the user can do about it, one line.
    public var recovery: String {
        switch self {
        case .invalidPrompt: "Edit the prompt or its parameters and press Enter again."
        case .rateLimited: "Easel waits and sends it again by itself; the pacer keeps later jobs under the limit."
        case .unauthorized: "Check the API key for this backend."
        case .notFound: "The server forgot the job (restarted?): t sends it again."
        case .timedOut: "It may still finish: t resumes polling the same job."
        case .network: "Check the server address and the connection; t retries."
        case .server: "The service had an error; t retries."
        case .inferenceFailed: "The service could not generate it; t sends it again."
        case .badResponse: "The service answered something unexpected; t retries."
        case .storage: "Image kept: fix the folder, then t saves it."
        case .canceled: "t sends it again."
        }
    }

    /// One line for the user, sanitized: what happened and what to do.
    public var message: String {
        switch self {
        case .invalidPrompt(let reason): "invalid prompt: \(Sanitize.line(reason))"
        case .rateLimited(let after):
            if let after { "rate limited: retry in \(Int(after.components.seconds.clamped(to: 0...86_400)))s" }
            else { "rate limited: retry later" }
        case .unauthorized(let why): "unauthorized: \(Sanitize.line(why))"
        case .notFound: "not found: the server no longer knows this job"
        case .timedOut(let after): "timed out after \(Int(after.components.seconds))s: the job may still finish on the server"
        case .network(let why): "network error: \(Sanitize.line(why))"
        case .server(let status, let msg):
            msg.isEmpty ? "server error \(status)" : "server error \(status): \(Sanitize.line(msg))"
        case .inferenceFailed(let why): "generation failed: \(Sanitize.line(why))"
        case .badResponse(let why): "bad response: \(Sanitize.line(why))"
        case .storage(let why): "could not save: \(Sanitize.line(why))"
        case .canceled: "canceled"
        }
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
