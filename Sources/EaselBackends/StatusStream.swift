import EaselCore
import EaselHTTP
import Foundation

/// A job's status stream over server-sent events, shared by the adapters that offer one (the seed job
/// API's `/api/events/{jobId}`, fal's `status/stream`): libcurl's body goes through `EventStreamParser`,
/// and each event through the adapter's `map`.
enum StatusStream {
    /// The default bound on silence: the reference server sends a heartbeat every 15 s, so three missed
    /// ones mean the stream is dead and the job is polled instead.
    static let defaultIdleTimeout: Duration = .seconds(45)

    /// Opens `request` as an event stream.
    /// - Parameters:
    ///   - idleTimeout: longest gap between two bytes (heartbeats count) before the stream counts as stalled.
    ///   - authorize: headers added when the stream opens (an API key resolved on first use).
    ///   - map: the status an event reports, or nil to skip it (unknown event types); throwing a `JobError`
    ///     ends the stream with it.
    /// - Returns: statuses in order, finishing after the first final one. Throws `JobError`: the answer's
    ///   category for a non-200 (`.notFound`, `.server`, `.rateLimited`, …), `.badResponse` for a 200 that is
    ///   not `text/event-stream`, `.network` when the stream ends early, breaks or stalls.
    static func open(_ request: HTTPRequest, http: HTTPClient, idleTimeout: Duration,
                     authorize: (@Sendable () async throws -> [(name: String, value: String)])? = nil,
                     map: @escaping @Sendable (ServerSentEvent) async throws -> RemoteStatus?) -> StatusEvents {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var request = request
                    if let authorize { request.headers += try await authorize() }
                    request.headers += [("Accept", "text/event-stream"), ("Cache-Control", "no-cache")]
                    try await follow(request, http: http, idleTimeout: idleTimeout, map: map) { continuation.yield($0) }
                    continuation.finish()
                } catch let error as JobError {
                    continuation.finish(throwing: error)
                } catch let error as HTTPError {
                    continuation.finish(throwing: ErrorMapping.transport(error))
                } catch {
                    continuation.finish(throwing: JobError.network("the event stream failed: \(error)"))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private static func follow(_ request: HTTPRequest, http: HTTPClient, idleTimeout: Duration,
                               map: @Sendable (ServerSentEvent) async throws -> RemoteStatus?,
                               yield: (RemoteStatus) -> Void) async throws {
        var parser = EventStreamParser()
        var head: (status: Int, headers: [String: String])?
        var refusal: [UInt8] = []
        for try await part in http.stream(request, idleTimeout: idleTimeout) {
            switch part {
            case .head(let status, let headers):
                head = (status, headers)
            case .bytes(let bytes):
                guard let head, isEventStream(head) else {
                    if refusal.count < 4096 { refusal += bytes.prefix(4096 - refusal.count) }
                    continue
                }
                for event in parser.feed(bytes) {
                    guard let status = try await map(event) else { continue }
                    yield(status)
                    switch status {
                    case .completed, .completedBatch, .failed: return
                    case .queued, .running: break
                    }
                }
            }
        }
        if Task.isCancelled { throw JobError.canceled }
        guard let head else { throw JobError.network("the event stream closed before any answer") }
        guard isEventStream(head) else {
            guard head.status == 200 else {
                throw ErrorMapping.status(HTTPResponse(status: head.status, headers: head.headers, body: refusal),
                                          message: errorText(refusal))
            }
            throw JobError.badResponse("the event stream answered \(head.headers["content-type"] ?? "no Content-Type"), not text/event-stream")
        }
        throw JobError.network("the event stream ended before the job finished")
    }

    private static func isEventStream(_ head: (status: Int, headers: [String: String])) -> Bool {
        head.status == 200 && (head.headers["content-type"] ?? "").lowercased().hasPrefix("text/event-stream")
    }

    /// `error`, `message` or a string `detail` from a JSON error body.
    private static func errorText(_ body: [UInt8]) -> String? {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return nil }
        return (o["error"] as? String) ?? (o["message"] as? String) ?? (o["detail"] as? String)
    }

    /// The JSON object in an event's `data`.
    /// - Throws: `JobError.badResponse` when it is not one.
    static func object(_ event: ServerSentEvent) throws(JobError) -> [String: Any] {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: Any] else {
            throw .badResponse("a \(Sanitize.line(String(event.type.prefix(40)))) event whose data is not a JSON object")
        }
        return o
    }
}
