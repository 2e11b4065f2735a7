import EaselCore

/// What makes a job's picture behind `easel serve`: the procedural demo (`SketchServerGenerator`, the
/// default) or an upstream service driven through a client adapter (EaselApp's `UpstreamGenerator`).
/// `ReferenceServer.produce` calls `generate` once per job, on a task that a cancel or `stop` cancels.
public protocol ServerGenerator: Sendable {
    /// How the generator is shown in the start-up line and `GET /api/health`, e.g. SketchGenerator.label.
    var label: String { get }

    /// Jobs the generator runs at once (the server starts this many workers); default 1.
    var concurrency: Int { get }

    /// How long a job takes when that is known in advance (the demo's fixed latency): `GET /api/status`
    /// then reports progress measured on the continuous clock between the generator's own progress events.
    /// nil (default): only the events move the status's `progress`.
    var expectedDuration: Duration? { get }

    /// Runs one job to its PNG bytes.
    /// - Parameters:
    ///   - job: the validated request.
    ///   - upstreamID: an upstream job id recorded earlier from `.accepted` (a job taken over after a restart):
    ///     the generator follows that job and never submits again. nil: submit.
    ///   - events: called in order as the job moves (`.accepted` first when there is an upstream id).
    /// - Returns: the image as PNG bytes.
    /// - Throws: `ServerGenerationError`; `.canceled` when the task was cancelled (the upstream job is
    ///   cancelled too, best effort).
    func generate(_ job: ServerGenerationRequest, resume upstreamID: String?,
                  events: @escaping @Sendable (ServerGenerationEvent) async -> Void) async throws(ServerGenerationError) -> [UInt8]
}

extension ServerGenerator {
    public var concurrency: Int { 1 }
    public var expectedDuration: Duration? { nil }
}

/// One job as the server hands it to a generator: the validated body of `POST /api/generate` and the
/// server's job id (for logs).
public struct ServerGenerationRequest: Equatable, Sendable {
    /// The server's `jobId`.
    public var id: String
    public var prompt: String
    public var negativePrompt: String
    /// Pixels, `Limits.size`.
    public var width: Int
    public var height: Int
    public var seed: UInt32
    /// Sampling steps, `Limits.steps`.
    public var steps: Int

    public init(id: String, prompt: String, negativePrompt: String = "", width: Int = 768, height: Int = 768,
                seed: UInt32 = 0, steps: Int = 30) {
        (self.id, self.prompt, self.negativePrompt) = (id, prompt, negativePrompt)
        (self.width, self.height, self.seed, self.steps) = (width, height, seed, steps)
    }

    /// The same request as the client adapters take it (the backend's configured model).
    public var generation: GenerationRequest {
        GenerationRequest(prompt: prompt, negativePrompt: negativePrompt, width: width, height: height, seed: seed, steps: steps)
    }
}

/// What a generator reports while a job runs.
public enum ServerGenerationEvent: Equatable, Sendable {
    /// The upstream service took the job under this id (record it: a take-over resumes it, never resubmits).
    case accepted(upstreamID: String)
    /// `step` of `of` sampling steps done (`of` > 0); becomes a `progress` event and the status's `progress`.
    case progress(step: Int, of: Int)
}

/// Why a job failed behind the server: a category (Easel's `JobError.kind` names, plus `shutdown`) and one
/// sanitized line. It becomes `{"status": "failed", "error": message, "category": category}` in the
/// status and the `failed` event.
public struct ServerGenerationError: Error, Equatable, Sendable {
    public enum Category: String, Sendable, CaseIterable {
        case invalidPrompt = "invalid_prompt", graph, rateLimited = "rate_limited", unauthorized, notFound = "not_found"
        case timedOut = "timed_out", network, server, inferenceFailed = "inference_failed", badResponse = "bad_response"
        case canceled
        /// The server shut down before the job started (memory mode: nothing else will run it).
        case shutdown
    }

    public let category: Category
    /// One line, free of control and escape characters (`Sanitize.line`), whatever upstream sent.
    public let message: String

    public init(_ category: Category, _ message: String) {
        self.category = category
        self.message = Sanitize.line(message)
    }

    /// The client adapter's error: its `kind` as the category (an unknown one is `inference_failed`), its
    /// `message` as the text.
    public init(_ error: JobError) {
        self.init(Category(rawValue: error.kind) ?? .inferenceFailed, error.message)
    }

    public static let canceled = ServerGenerationError(.canceled, "canceled")
}
