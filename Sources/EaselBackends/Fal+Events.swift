import EaselCore
import EaselHTTP
import Foundation

/// fal's status stream: `GET {status_url}/stream?logs=1` answers `text/event-stream` whose events carry
/// the same status objects as a poll (`IN_QUEUE` with `queue_position`, `IN_PROGRESS` with `logs`,
/// `COMPLETED`), ending at `COMPLETED`. reference/backends.md §4.2; https://docs.fal.ai/model-endpoints/queue
extension FalBackend {
    /// Longest silence on fal's status stream before the job is polled instead.
    static let streamIdleTimeout = StatusStream.defaultIdleTimeout

    /// Follows the request's status stream; on `COMPLETED` the result is read from `response_url`, as a
    /// poll does. nil for a request canceled from here (its status is known without asking).
    /// - Throws (from the sequence): see `GenerationBackend.statusEvents(of:)`; `.unauthorized` without a key.
    public func statusEvents(of job: RemoteJobID) -> StatusEvents? {
        let l = links.withLock { $0[job.rawValue] } ?? fallbackLinks(job.rawValue)
        guard !l.canceled else { return nil }
        let base = l.status.split(separator: "?", maxSplits: 1).first.map(String.init) ?? l.status
        let key = self.key
        return StatusStream.open(HTTPRequest(.get, base + "/stream?logs=1"), http: http, idleTimeout: Self.streamIdleTimeout,
                                 authorize: { [("Authorization", try await key.resolve().falKey)] }) {
            [self] event in
            let o = try StatusStream.object(event)
            guard let state = o["status"] as? String else { return nil }      // a keep-alive or other object
            let logs = ((o["logs"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }
            switch state {
            case "IN_QUEUE": return .queued(position: (o["queue_position"] as? Int).flatMap { (0..<1_000_000).contains($0) ? $0 + 1 : nil })
            case "IN_PROGRESS": return .running(progress: Hosted.progress(fromLogs: logs))
            case "COMPLETED", "FAILED", "ERROR":
                do throws(JobError) { return await key.clean(try await result(l.response, auth: try await key.resolve().falKey, logs: logs)) }
                catch { throw await key.clean(error) }
            case "CANCELED", "CANCELLED": return .failed("canceled on fal")
            default: throw JobError.badResponse("unknown fal status \"\(Sanitize.line(String(state.prefix(40))))\"")
            }
        }
    }
}
