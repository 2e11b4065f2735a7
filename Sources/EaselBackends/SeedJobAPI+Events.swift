import EaselCore
import EaselHTTP
import Foundation
import Synchronization

/// Push instead of poll: the reference server's `GET /api/events/{jobId}` (docs/events.md), an extension
/// of the seed API. The submit (and status) answer names the stream in `events`, beside `jobId`; a server
/// without it never names one, and its jobs are polled as before.
///
/// Events, each with an `id`: `status` `{"status": "queued"|"processing", "queue_position"?}`,
/// `progress` `{"progress": 0…1, "step", "steps"}`, `completed` `{"image": URL}`, `failed`
/// `{"category", "message"}`; `:` comment heartbeats in between. The stream ends after the final event.
extension SeedJobAPI {
    /// Follows the job's event stream when the server named one for it; nil otherwise (poll).
    /// - Returns: statuses as `status(of:)` reports them (queued with position, running with progress,
    ///   completed with the image URL, failed with the server's message).
    /// - Throws (from the sequence): see `GenerationBackend.statusEvents(of:)`; a stall is `.network`
    ///   after `streamIdleTimeout` without a byte.
    public func statusEvents(of job: RemoteJobID) -> StatusEvents? {
        guard let url = streams.url(for: job.rawValue) else { return nil }
        let key = streams.key
        let headers: [(name: String, value: String)] = key.map { [("Authorization", $0.bearer)] } ?? []
        return StatusStream.open(HTTPRequest(.get, url, headers: headers), http: http, idleTimeout: streamIdleTimeout) { event in
            let status = try Self.status(from: event)
            if case .failed(let why)? = status, let key { return .failed(key.redact(why)) }
            return status
        }
    }

    /// Remembers the stream the server named for `job`: a path on this server, or an absolute URL with
    /// the same origin (a stream elsewhere is ignored, so a server cannot point the client at a third host).
    func learnStream(_ events: String?, for job: String) {
        guard let events, !events.isEmpty else { return }
        if events.hasPrefix("/") { streams.set(baseURL + events, for: job) }
        else if Hosted.sameOrigin(events, as: baseURL) { streams.set(events, for: job) }
    }

    /// One event → a status; nil for event types this client does not know (skipped, as the spec says).
    /// - Throws: `JobError.badResponse` for data that is not the event's JSON shape.
    static func status(from event: ServerSentEvent) throws(JobError) -> RemoteStatus? {
        switch event.type {
        case "status":
            let o = try StatusStream.object(event)
            guard let word = o["status"] as? String else { throw .badResponse("a status event without a status") }
            return try status(from: StatusReply(status: word, queue_position: o["queue_position"] as? Int)).get()
        case "progress":
            let o = try StatusStream.object(event)
            return .running(progress: (o["progress"] as? Double).map { min(1, max(0, $0)) })
        case "completed":
            guard let url = try StatusStream.object(event)["image"] as? String, !url.isEmpty else {
                throw .badResponse("a completed event without an image")
            }
            return .completed(ImageRef(url: url))
        case "failed":
            let o = try StatusStream.object(event)
            return .failed((o["message"] as? String) ?? (o["error"] as? String) ?? "the server reported failure")
        default:
            return nil
        }
    }
}

/// Job id → event-stream URL, shared by copies of one `SeedJobAPI`. Bounded: past 1024 jobs the table
/// starts over, and a forgotten job is polled (its next status answer names the stream again).
final class StreamLinks: Sendable {
    private let table = Mutex<[String: String]>([:])
    private let resolvedKey = Mutex<APIKey?>(nil)

    /// The API key once a request has resolved it, for the streams (opened synchronously).
    var key: APIKey? {
        get { resolvedKey.withLock { $0 } }
        set { resolvedKey.withLock { $0 = newValue } }
    }

    func url(for job: String) -> String? { table.withLock { $0[job] } }

    func set(_ url: String, for job: String) {
        table.withLock { t in
            if t.count >= 1024 { t.removeAll() }
            t[job] = url
        }
    }
}
