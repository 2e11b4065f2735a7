import EaselBackends
import EaselCore
import EaselHTTP
import EaselServer
import Foundation
import Testing

/// Starts a reference server configured by `configure` on an ephemeral loopback port for one test.
func withEventServer<T>(_ configure: (inout ReferenceServer.Configuration) -> Void = { _ in },
                        _ body: (ReferenceServer, String) async throws -> T) async throws -> T {
    var config = ReferenceServer.Configuration()
    config.latency = .milliseconds(400)
    config.rateLimit = RateLimitSpec(requests: 1000, window: .seconds(60))
    configure(&config)
    let server = ReferenceServer(configuration: config)
    try await server.start()
    do {
        let result = try await body(server, await server.baseURL)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// What one `GET /api/events/{id}` gave: the head, the events, and the comments (heartbeats) seen.
struct ReadStream {
    var status = 0
    var headers: [String: String] = [:]
    var events: [ServerSentEvent] = []
    var comments = 0
    var body: [UInt8] = []

    /// Reads the stream until it ends, or until `stop` says so.
    static func read(_ url: String, lastEventID: String? = nil,
                     stop: (ReadStream) -> Bool = { _ in false }) async throws -> ReadStream {
        var r = ReadStream()
        var parser = EventStreamParser()
        let headers = [("Accept", "text/event-stream")] + (lastEventID.map { [("Last-Event-ID", $0)] } ?? [])
        for try await part in HTTPClient().stream(HTTPRequest(.get, url, headers: headers), idleTimeout: .seconds(10)) {
            switch part {
            case .head(let status, let headers): (r.status, r.headers) = (status, headers)
            case .bytes(let bytes):
                r.body += bytes
                r.events += parser.feed(bytes)
                r.comments = parser.comments
            }
            if stop(r) { break }
        }
        return r
    }

    var names: [String] { events.map(\.type) }
    func object(_ i: Int) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(events[i].data.utf8))) as? [String: Any] ?? [:]
    }
}

@Suite("The reference server's event stream (GET /api/events/{jobId}) on loopback")
struct ServerEventsTests {
    /// Submits a job with a raw POST and returns its id and the `events` path the answer names.
    func submit(_ base: String, steps: Int = 4) async throws -> (id: String, events: String) {
        let body = Array(#"{"prompt": "a lighthouse", "width": 64, "height": 64, "seed": 1, "steps": \#(steps)}"#.utf8)
        let r = try await HTTPClient().send(.postJSON(base + "/api/generate", body))
        let o = try #require((try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any])
        return (try #require(o["jobId"] as? String), try #require(o["events"] as? String))
    }

    @Test func theSubmitAnswerNamesTheStreamAndItsEventsArriveInOrderThenTheStreamEnds() async throws {
        try await withEventServer { _, base in
            let (id, path) = try await submit(base)
            #expect(path == "/api/events/\(id)")
            let r = try await ReadStream.read(base + path)
            #expect(r.status == 200)
            #expect(r.headers["content-type"] == "text/event-stream")
            #expect(r.names.first == "status" && r.object(0)["status"] as? String == "queued" && r.object(0)["queue_position"] as? Int == 1)
            #expect(r.names == ["status", "status"] + Array(repeating: "progress", count: 3) + ["completed"], "\(r.names)")
            #expect(r.object(1)["status"] as? String == "processing")
            #expect(r.events.map(\.lastEventID) == (1...r.events.count).map(String.init))
            let progress = r.events.indices.filter { r.names[$0] == "progress" }.map { r.object($0) }
            #expect(progress.map { $0["progress"] as? Double } == [0.25, 0.5, 0.75])
            #expect(progress.map { $0["step"] as? Int } == [1, 2, 3] && progress.allSatisfy { $0["steps"] as? Int == 4 })
            #expect(r.object(r.events.count - 1)["image"] as? String == "\(base)/images/\(id).png")
        }
    }

    @Test func aJobThatEndsBeforeItsProgressTimerStillStreamsEveryStepBeforeCompleted() async throws {
        // The worker's wait is a manual clock moved at once, so the job ends before the progress ticker (on
        // wall time) publishes anything: the steps it missed go out in order before `completed`.
        let clock = ManualClock()
        try await withEventServer({ $0.latency = .seconds(4); $0.clock = clock }) { _, base in
            let (_, path) = try await submit(base)
            #expect(await clock.until { clock.sleepsStarted >= 1 })
            clock.advance(by: .seconds(4))
            let r = try await ReadStream.read(base + path)
            #expect(r.names == ["status", "status"] + Array(repeating: "progress", count: 3) + ["completed"], "\(r.names)")
            let progress = r.events.indices.filter { r.names[$0] == "progress" }.map { r.object($0) }
            #expect(progress.map { $0["step"] as? Int } == [1, 2, 3])
        }
    }

    @Test func aQuietStreamCarriesHeartbeatCommentsAtTheConfiguredInterval() async throws {
        try await withEventServer({ $0.latency = .seconds(20); $0.eventHeartbeat = .milliseconds(50) }) { _, base in
            let (_, path) = try await submit(base, steps: 1)       // one step: no progress events, however slow the read
            let r = try await ReadStream.read(base + path) { $0.comments >= 3 }
            #expect(r.comments >= 3)
            #expect(String(decoding: r.body, as: UTF8.self).contains(": heartbeat\n\n"))
            #expect(r.names.allSatisfy { $0 == "status" })          // nothing else happened meanwhile
        }
    }

    @Test func lastEventIDResumesAfterThatEventWithNothingLostOrRepeated() async throws {
        try await withEventServer { _, base in
            let (_, path) = try await submit(base)
            let first = try await ReadStream.read(base + path) { $0.events.count == 2 }      // drop after two events
            #expect(first.events.count == 2)
            let rest = try await ReadStream.read(base + path, lastEventID: first.events[1].lastEventID)
            let all = first.events + rest.events
            #expect(all.map(\.lastEventID) == (1...all.count).map(String.init), "\(all.map(\.lastEventID))")
            #expect(rest.names.last == "completed")
            // After the end, a resume from the last id is an empty stream that closes at once.
            let after = try await ReadStream.read(base + path, lastEventID: String(all.count))
            #expect(after.status == 200 && after.events.isEmpty)
        }
    }

    @Test func anUnknownJobIsA404AsForStatus() async throws {
        try await withEventServer { _, base in
            let r = try await ReadStream.read(base + "/api/events/nope")
            #expect(r.status == 404)
            #expect(String(decoding: r.body, as: UTF8.self).contains("unknown job id: nope"))
        }
    }

    @Test func streamsPastTheBoundAreRefusedWith503AndRetryAfter() async throws {
        try await withEventServer({ $0.latency = .seconds(20); $0.maxOpenStreams = 1 }) { _, base in
            let (_, path) = try await submit(base)
            // Hold one stream open in a task, and ask for another once it has its first event.
            let (opened, open) = AsyncStream<Void>.makeStream()
            let holder = Task { try await ReadStream.read(base + path) { r in if !r.events.isEmpty { open.yield() }; return false } }
            for await _ in opened { break }
            let second = try await ReadStream.read(base + path)
            holder.cancel()
            _ = await holder.result
            #expect(second.status == 503)
            #expect(second.headers["retry-after"] == "5")
            #expect(String(decoding: second.body, as: UTF8.self).contains("too many open event streams"))
        }
    }

    @Test func theStatusAnswerAlsoNamesTheStreamForAClientThatResumes() async throws {
        try await withEventServer { _, base in
            let (id, path) = try await submit(base)
            let r = try await HTTPClient().send(HTTPRequest(.get, base + "/api/status/" + id))
            let o = try #require((try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any])
            #expect(o["events"] as? String == path)
        }
    }
}
