import Foundation
import EaselCore

extension JobRecord {
    /// The record for `job` as of `now` (monotonic) / `wallNow` (seconds since 1970).
    public init(_ job: Job, backend: String, session: Int, now: ContinuousClock.Instant, wallNow: Double) {
        func wall(_ instant: ContinuousClock.Instant) -> Double {
            let d = now - instant
            return wallNow - d.inSeconds
        }
        var file: String?, iw: Int?, ih: Int?, kind: String?, message: String?, retryAt: Double?
        switch job.state {
        case .complete(let image): file = image.path; iw = image.width; ih = image.height
        case .failed(let error): kind = error.kind; message = error.message
        case .waiting(let until): retryAt = wall(until)
        default: break
        }
        self.init(id: job.id.rawValue, session: session, prompt: job.request.prompt, negativePrompt: job.request.negativePrompt,
                  width: job.request.width, height: job.request.height, seed: Int(job.request.seed), steps: job.request.steps,
                  backend: job.backend ?? backend, state: job.state.key, remoteID: job.remoteID?.rawValue, imageURL: job.imageRef?.url,
                  file: file, imageWidth: iw, imageHeight: ih, errorKind: kind, errorMessage: message, attempts: job.attempts,
                  createdAt: job.createdWallTime, finishedAt: job.finishedAt.map(wall), updatedAt: wallNow, starred: job.starred,
                  gallery: job.gallery, imageURLs: Self.encode(job.imageRefs.count > 1 ? job.imageRefs.map(\.url) : nil),
                  files: Self.encode(job.imageRefs.count > 1 ? job.savedImages.map { [$0.path, String($0.width), String($0.height)] } : nil),
                  retryAt: retryAt, model: job.request.model, pool: job.pool)
    }

    /// The job this record describes, with instants placed relative to `now` / `wallNow`.
    /// Failed jobs come back with their category and the recorded message as the payload.
    public func job(now: ContinuousClock.Instant, wallNow: Double) -> Job {
        func instant(_ wall: Double) -> ContinuousClock.Instant { now - .seconds(milliseconds: wallNow - wall) }
        let state: JobState
        switch self.state {
        case "complete":
            state = .complete(SavedImage(path: file ?? "", width: imageWidth ?? width, height: imageHeight ?? height))
        case "failed": state = .failed(JobError(kind: errorKind ?? "", message: errorMessage ?? ""))
        case "canceled", "canceling": state = .canceled     // canceling: its submit's answer died with that process
        case "running", "queued": state = .running(progress: nil)
        case "downloading": state = .downloading
        case "saving": state = .saving
        case "submitting": state = .submitting
        case "waiting": state = retryAt.map { .waiting(until: instant($0)) } ?? .pending
        case "pending": state = .pending
        default:
            // Never guess: a state this release does not know may mean the job was sent (and paid for).
            state = .failed(.journal("the job's state \"\(Sanitize.line(self.state))\" is not one this Easel knows "
                                     + "(written by another version?); it was not sent again"))
        }
        var job = Job(id: JobID(id), request: request, state: state, remoteID: remoteID.map(RemoteJobID.init),
                      createdAt: instant(createdAt), finishedAt: finishedAt.map(instant), createdWallTime: createdAt)
        job.attempts = attempts
        job.imageRef = imageURL.map { ImageRef(url: $0) }
        job.starred = starred
        job.backend = backend
        job.pool = pool
        job.gallery = gallery
        if let urls: [String] = Self.decode(imageURLs) { job.imageRefs = urls.map(ImageRef.init(url:)) }
        if let saved: [[String]] = Self.decode(files) {
            job.savedImages = saved.compactMap { f in
                f.count == 3 ? Int(f[1]).flatMap { w in Int(f[2]).map { SavedImage(path: f[0], width: w, height: $0) } } : nil
            }
        }
        if !state.isActive, finishedAt == nil { job.finishedAt = now }   // failed or canceled here, not by the service
        return job
    }

    private static func encode<T: Encodable>(_ value: T?) -> String? {
        value.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    private static func decode<T: Decodable>(_ text: String?) -> T? {
        text.flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }
}
