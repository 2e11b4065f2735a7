import FlyingFox
import FlyingSocks
import Foundation

/// `GET /api/events/{jobId}`: the job's status pushed as server-sent events, an extension of the seed API
/// (docs/events.md). The submit and status answers name the stream in `events` beside `jobId`.
///
/// - Events, in order, each with a per-job `id` (1, 2, …): `status` `{"status": "queued", "queue_position": n}`
///   or `{"status": "processing"}`; `progress` `{"progress": 0…1, "step": s, "steps": n}`; then one final
///   `completed` `{"status": "completed", "image": URL}` or `failed` `{"status": "failed", "category":
///   "inference_failed"|"canceled"|"shutdown"|… (ServerGenerationError.Category), "message"}`, after which the server ends the response.
/// - A `: heartbeat` comment every `Configuration.eventHeartbeat` (default 15 s) keeps proxies and the
///   client's stall detector quiet while nothing happens.
/// - `Last-Event-ID: n` replays every event after `n` first, so a reconnect loses nothing.
/// - `404` for an unknown id (as status); `503` with `Retry-After` past `Configuration.maxOpenStreams`.
///   A stream is one request: like status polls it is never counted against the submit rate limit,
///   and its events are not requests at all.
/// - Faults (`Fault.Endpoint.events`): `reset` closes the stream after its first event, `slow-body` stalls
///   it there (no heartbeats) for `faultStall`; the others answer as for any endpoint.
/// - SeeAlso: https://html.spec.whatwg.org/multipage/server-sent-events.html
extension ReferenceServer {
    /// The stream's path for job `id`, as the submit and status answers give it.
    static func eventsPath(_ id: String) -> String { "/api/events/\(id)" }

    func events(_ req: HTTPRequest, cut: EventHub.Cut? = nil) -> HTTPResponse {
        let id = String(req.path.split(separator: "/").last ?? "")
        guard hub.logs[id] != nil else { return Self.json(.notFound, ["error": "unknown job id: \(id)"]) }
        guard hub.open < configuration.maxOpenStreams else {
            var r = Self.json(.serviceUnavailable, ["error": "too many open event streams (\(configuration.maxOpenStreams)); poll /api/status/\(id) instead"])
            r.headers[HTTPHeader("Retry-After")] = "5"
            return r
        }
        let after = req.headers[HTTPHeader("Last-Event-ID")].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let key = hub.reserve()
        continuation.onTermination = { [weak self] _ in Task { await self?.unsubscribe(id, key) } }
        hub.subscribe(id, key, continuation, after: after, cut: cut, heartbeat: configuration.eventHeartbeat,
                      stall: configuration.faultStall)
        log("stream_opened", job: id, ["open": String(hub.open)])
        return HTTPResponse(statusCode: .ok,
                            headers: [.contentType: "text/event-stream", HTTPHeader("Cache-Control"): "no-cache",
                                      HTTPHeader("X-Accel-Buffering"): "no"],
                            body: HTTPBodySequence(from: EventBody(chunks: chunks)))
    }

    private func unsubscribe(_ id: String, _ key: Int) { hub.unsubscribe(id, key) }

    /// Appends an event to job `id`'s log and sends it to the job's open streams; a final one ends them.
    func publish(_ id: String, _ name: String, _ data: [String: Any]) {
        let json = (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        hub.publish(id, name, String(decoding: json, as: UTF8.self), final: name == "completed" || name == "failed")
    }

    /// `status queued` with the new positions of every waiting job (after a submit or when one starts).
    func publishQueuePositions() {
        for (index, waiting) in pending.enumerated() where hub.lastQueuePosition(waiting) != index + 1 {
            publish(waiting, "status", ["status": "queued", "queue_position": index + 1])
        }
    }
}

/// The reference server's event logs and open streams (state of the `ReferenceServer` actor).
struct EventHub {
    /// What the `reset` and `slow-body` faults do to a stream after its first event.
    enum Cut: Sendable { case close, stall }
    struct Event { let id: Int; let name: String; let data: String; let final: Bool }
    private struct Subscriber {
        let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation
        let heartbeat: Task<Void, Never>?
        /// False for a stream a fault cut short: it gets no live events.
        let live: Bool
    }
    struct Closed: Error {}

    private(set) var logs: [String: [Event]] = [:]
    private var subscribers: [String: [Int: Subscriber]] = [:]
    private var nextKey = 0
    /// Streams open now (each `subscribe` until its `unsubscribe`).
    private(set) var open = 0

    mutating func create(_ id: String) { logs[id] = [] }
    mutating func drop(_ id: String) { logs[id] = nil }

    func lastQueuePosition(_ id: String) -> Int? {
        guard let last = logs[id]?.last(where: { $0.name == "status" }), last.data.contains("\"queued\"") else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(last.data.utf8)) as? [String: Any])?["queue_position"] as? Int
    }

    mutating func publish(_ id: String, _ name: String, _ data: String, final: Bool) {
        guard var log = logs[id], log.last?.final != true else { return }
        let event = Event(id: log.count + 1, name: name, data: data, final: final)
        log.append(event)
        logs[id] = log
        for s in (subscribers[id] ?? [:]).values where s.live {
            s.continuation.yield(Self.encode(event))
            if final { s.continuation.finish() }
        }
    }

    /// Counts a stream as open and returns its key for `subscribe` and `unsubscribe`.
    mutating func reserve() -> Int {
        nextKey += 1
        open += 1
        return nextKey
    }

    /// Starts stream `key` on job `id`: the log after event `after` first, then live events and heartbeats.
    mutating func subscribe(_ id: String, _ key: Int, _ c: AsyncThrowingStream<[UInt8], any Error>.Continuation, after: Int,
                            cut: Cut?, heartbeat: Duration, stall: Duration) {
        let backlog = (logs[id] ?? []).filter { $0.id > after }
        if let cut {
            // A fault: the first event, then a closed connection or silence.
            if let first = backlog.first { c.yield(Self.encode(first)) }
            let wait = Task {
                if cut == .stall { try? await Task.sleep(for: stall) }
                c.finish(throwing: Closed())
            }
            subscribers[id, default: [:]][key] = Subscriber(continuation: c, heartbeat: wait, live: false)
            return
        }
        for event in backlog { c.yield(Self.encode(event)) }
        if backlog.last?.final == true || logs[id]?.last?.final == true {
            c.finish()
        } else {
            let beat = Task {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: heartbeat) } catch { return }
                    c.yield(Array(": heartbeat\n\n".utf8))
                }
            }
            subscribers[id, default: [:]][key] = Subscriber(continuation: c, heartbeat: beat, live: true)
        }
    }

    mutating func unsubscribe(_ id: String, _ key: Int) {
        open -= 1
        subscribers[id]?.removeValue(forKey: key)?.heartbeat?.cancel()
        if subscribers[id]?.isEmpty == true { subscribers[id] = nil }
    }

    /// `id: n`, `event: name`, one `data:` line (the JSON has no newline), and the blank line.
    static func encode(_ e: Event) -> [UInt8] { Array("id: \(e.id)\nevent: \(e.name)\ndata: \(e.data)\n\n".utf8) }
}

/// The body of an event stream: chunks as the hub yields them, handed to FlyingFox's chunked encoder
/// one at a time, so each event is written as soon as it is published.
struct EventBody: AsyncBufferedSequence, Sendable {
    typealias Element = UInt8
    let chunks: AsyncThrowingStream<[UInt8], any Error>

    func makeAsyncIterator() -> Iterator { Iterator(base: chunks.makeAsyncIterator()) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        var pending: [UInt8] = []

        mutating func next() async throws -> UInt8? { try await nextBuffer(suggested: 1)?.first }

        mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? {
            if pending.isEmpty { guard let chunk = try await base.next() else { return nil }; pending = chunk }
            let n = Swift.min(Swift.max(1, count), pending.count)
            defer { pending.removeFirst(n) }
            return Array(pending[..<n])
        }
    }
}
