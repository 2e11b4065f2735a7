/// A job's id on this client: unique within one run, assigned in submission order.
public struct JobID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public static func < (a: JobID, b: JobID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "#\(rawValue)" }
}

/// The job's id on the service (the seed API's `jobId`, ComfyUI's `prompt_id`, Replicate's prediction id).
public struct RemoteJobID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// Where a finished image can be fetched: an `http(s)` URL or a `data:` URI.
public struct ImageRef: Hashable, Sendable {
    public let url: String
    public init(url: String) { self.url = url }
}

/// Where a job's image is saved: the gallery folder it was made for and the time it was made, so a
/// retry in a later run (another `--gallery`, another day for a `{date}` template) writes where the
/// first attempt would have.
public struct GalleryTarget: Hashable, Sendable {
    /// Absolute path of the gallery folder; nil: the runner's own gallery.
    public var directory: String?
    /// When the job was made, in seconds since 1970 (the template's `{date}`/`{time}`); nil: now.
    public var wallTime: Double?
    public init(directory: String? = nil, wallTime: Double? = nil) {
        self.directory = directory
        self.wallTime = wallTime
    }
}

/// What a status poll learned, normalised across services.
public enum RemoteStatus: Equatable, Sendable {
    /// Waiting on the service; `position` counts from 1 when the service reports it.
    case queued(position: Int?)
    /// Generating; `progress` is 0...1 when the service reports it; `step`, the running node's step
    /// count, when the service reports one (ComfyUI's `progress` event).
    case running(progress: Double?, step: StepProgress? = nil)
    /// Done; the image is ready to download.
    case completed(ImageRef)
    /// Done with several images for the one request (OpenAI `n`, a list of output URLs, batch outputs):
    /// every one is downloaded and saved, in this order. `.completedBatch([r])` is `.completed(r)`; an
    /// empty list is a bad response.
    case completedBatch([ImageRef])
    /// The service reports failure; the message is the service's own text (unsanitized).
    case failed(String)
}

/// Where a running job is, in the service's own steps: `step` of `total` of the node now running, e.g.
/// ComfyUI's `progress` event `{value: 12, max: 30, node: "3"}` with node 3's `class_type` "KSampler".
public struct StepProgress: Equatable, Sendable {
    /// Steps done, 0...`total`.
    public var step: Int
    /// The node's step count (> 0).
    public var total: Int
    /// The running node's class (`KSampler`, `VAEDecode`), when known; the service's text, unsanitized.
    public var node: String?
    public init(step: Int, total: Int, node: String? = nil) {
        self.step = step
        self.total = total
        self.node = node
    }
    /// `step / total`, 0...1.
    public var fraction: Double { total > 0 ? min(1, max(0, Double(step) / Double(total))) : 0 }
}

/// The encoded bytes of a downloaded image, exactly as the service sent them.
public struct ImageData: Equatable, Sendable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// A finished image in the gallery.
public struct SavedImage: Equatable, Sendable {
    /// Absolute path of the saved file.
    public let path: String
    /// Pixel size of the image as decoded.
    public let width: Int
    public let height: Int
    public init(path: String, width: Int, height: Int) {
        self.path = path
        self.width = width
        self.height = height
    }
}

/// A job's lifecycle:
/// `submitting → queued → running → downloading → saving → complete`, or `failed` / `canceled` from any of them;
/// `submitting → canceling → canceled` when the user cancels while the submit is out.
public enum JobState: Equatable, Sendable {
    /// In the client's queue, not yet sent (waiting for a free slot or the rate-limit pacer).
    case pending
    /// Refused with 429: sent again by itself at `until` (a countdown is shown).
    case waiting(until: ContinuousClock.Instant)
    case submitting
    /// Canceled while its submit was out: once the service answers with an id the job is canceled there
    /// too (`.cancel`); if the submit fails it is not sent again. Holds its slot until the submit answers.
    case canceling
    case queued(position: Int?)
    /// Generating. `progress` is 0...1 when the service reports it; `step`, the running node's step count,
    /// when it reports one (nil when it reports only a fraction); `preview`, the latest in-progress preview
    /// the service sent (a file path), shown in place of the placeholder.
    case running(progress: Double?, step: StepProgress? = nil, preview: String? = nil)
    case downloading
    case saving
    case complete(SavedImage)
    case failed(JobError)
    case canceled

    /// True while the job occupies the backend or the client (everything before a terminal state).
    public var isActive: Bool {
        switch self {
        case .pending, .waiting, .submitting, .canceling, .queued, .running, .downloading, .saving: true
        case .complete, .failed, .canceled: false
        }
    }

    /// True while the job holds one of the backend's concurrency slots.
    public var holdsSlot: Bool {
        switch self {
        case .submitting, .canceling, .queued, .running, .downloading, .saving: true
        case .pending, .waiting, .complete, .failed, .canceled: false
        }
    }

    /// The state's stable machine key, as the journal stores it and `--json` prints it: `"running"`.
    /// Never shown as UI text and never renamed (a journal written today is read by every later release).
    public var key: String {
        switch self {
        case .pending: "pending"
        case .waiting: "waiting"
        case .submitting: "submitting"
        case .canceling: "canceling"
        case .queued: "queued"
        case .running: "running"
        case .downloading: "downloading"
        case .saving: "saving"
        case .complete: "complete"
        case .failed: "failed"
        case .canceled: "canceled"
        }
    }

    /// Every machine key `key` can return; the journal's in-flight keys are those of active states.
    public static let activeKeys = ["pending", "waiting", "submitting", "canceling", "queued", "running", "downloading", "saving"]
    public static let finishedKeys = ["complete", "failed", "canceled"]

    /// The word the UI uses for the state; one vocabulary everywhere.
    public var label: String {
        switch self {
        case .pending: "pending"
        case .waiting: "rate limited"
        case .submitting: "submitting"
        case .canceling: "canceling"
        case .queued: "queued"
        case .running: "processing"
        case .downloading: "downloading"
        case .saving: "saving"
        case .complete: "complete"
        case .failed: "failed"
        case .canceled: "canceled"
        }
    }
}

/// One generation: the frozen request, where it is, and when things happened.
public struct Job: Equatable, Sendable, Identifiable {
    public let id: JobID
    public let request: GenerationRequest
    public var state: JobState
    public var remoteID: RemoteJobID?
    /// When Enter was pressed.
    public let createdAt: ContinuousClock.Instant
    /// When the job reached a terminal state.
    public var finishedAt: ContinuousClock.Instant?
    /// Wall-clock time of creation, for display ("14:02"); seconds since 1970.
    public let createdWallTime: Double
    /// When the current submission (or resumed polling) started.
    public var startedAt: ContinuousClock.Instant?
    /// When the download of the image now downloading started, for its `download_s` timing.
    public var downloadStartedAt: ContinuousClock.Instant?
    /// When the service last began reporting the job running (nil while it reports it queued), for the
    /// ETA and the poll deadline (`PollPolicy.deadline`).
    public var runningSince: ContinuousClock.Instant?
    /// 429s in a row on submit, for the back-off; 0 once the service accepts the job.
    public var refusals = 0
    /// When the first submission of the current run of 429s was sent (`PollPolicy.refusalDeadline`).
    public var refusedSince: ContinuousClock.Instant?
    /// Submissions made so far.
    public var attempts = 0
    /// Consecutive failed status polls (transient errors), for the backoff.
    public var pollFailures = 0
    /// The location of the image being downloaded or saved, kept so a failed download or save retries
    /// only the download.
    public var imageRef: ImageRef?
    /// Every image the service made for this job, in its order (one for most services); the job is
    /// complete once each is saved.
    public var imageRefs: [ImageRef] = []
    /// The images saved so far, in `imageRefs` order; `.complete` holds the first.
    public var savedImages: [SavedImage] = []
    /// Starred in the history pane (`*`).
    public var starred = false
    /// The name of the backend it runs on (`[backends.NAME]` or "demo"); nil for jobs made before names existed.
    public var backend: String?
    /// The pool it was queued on (`[backends.NAME] kind = "pool"`): `backend` names the pool until the job
    /// starts, then the member it was bound to (`PoolScheduler.pick`); nil for jobs not queued on a pool.
    public var pool: String?
    /// The gallery folder the job was made for (absolute path); its image is saved there, even by a
    /// retry in a later run with another `--gallery`. nil: the runner's gallery.
    public var gallery: String?

    public init(id: JobID, request: GenerationRequest, state: JobState = .submitting, remoteID: RemoteJobID? = nil,
                createdAt: ContinuousClock.Instant, finishedAt: ContinuousClock.Instant? = nil, createdWallTime: Double = 0,
                backend: String? = nil, gallery: String? = nil) {
        self.backend = backend
        self.gallery = gallery
        self.id = id
        self.request = request
        self.state = state
        self.remoteID = remoteID
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.createdWallTime = createdWallTime
    }

    /// Where its image goes: its own gallery folder and creation time (a `createdWallTime` of 0, as in
    /// tests, means "now").
    public var galleryTarget: GalleryTarget {
        GalleryTarget(directory: gallery, wallTime: createdWallTime > 0 ? createdWallTime : nil)
    }

    /// The running node's step count, as the service last reported it (`JobState.running`); nil otherwise.
    public var step: StepProgress? { if case .running(_, let step, _) = state { step } else { nil } }
    /// The latest in-progress preview file while running (`JobState.running`); nil otherwise.
    public var livePreview: String? { if case .running(_, _, let preview) = state { preview } else { nil } }

    /// True while the job waits out a 429.
    public var isWaiting: Bool {
        if case .waiting = state { return true }
        return false
    }

    /// True once the service has been running the job for `policy.deadline`: counted from the later of
    /// `runningSince` and `startedAt` (a resumed job gets a fresh deadline); never while it is queued.
    public func pastDeadline(_ policy: PollPolicy, now: ContinuousClock.Instant) -> Bool {
        guard let since = runningSince else { return false }
        return now - max(since, startedAt ?? since) >= policy.deadline
    }

    /// Time since creation, frozen at `finishedAt` once the job is done.
    public func elapsed(now: ContinuousClock.Instant) -> Duration {
        (finishedAt ?? now) - createdAt
    }
}
