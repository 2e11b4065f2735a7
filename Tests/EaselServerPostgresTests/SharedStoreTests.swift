import EaselCore
import EaselHTTP
import EaselServer
@testable import EaselServerPostgres
import FakeServices
import Foundation
import PostgresNIO
import Testing

/// A fake paid upstream service: counts submits, and holds each job until the test finishes it.
/// The producers below report to it which instance runs which job, and when a run stops.
actor FakeUpstream {
    enum Report: Sendable, Equatable {
        case started(job: String, instance: String, attempt: Int, resumed: String?)
        case stopped(job: String, instance: String)
    }
    private(set) var submits = 0
    private var done: Set<String> = []
    private var waiters: [String: [AsyncStream<Void>.Continuation]] = [:]
    nonisolated let reports: AsyncStream<Report>
    private let sink: AsyncStream<Report>.Continuation

    init() { (reports, sink) = AsyncStream.makeStream() }

    func submit() -> String {
        submits += 1
        return "up-\(submits)"
    }

    func report(_ r: Report) { sink.yield(r) }

    func finish(_ id: String) {
        done.insert(id)
        for w in waiters.removeValue(forKey: id) ?? [] { w.yield(); w.finish() }
    }

    /// A stream that yields once when `id` is finished (at once if it is).
    func waiter(_ id: String) -> AsyncStream<Void> {
        let (stream, c) = AsyncStream<Void>.makeStream()
        if done.contains(id) { c.yield(); c.finish() } else { waiters[id, default: []].append(c) }
        return stream
    }

    /// A producer for instance `name`: submits upstream once (or resumes the recorded id), waits for the
    /// job to be finished, returns a PNG signature as the image.
    nonisolated func producer(_ name: String) -> SharedProducer {
        { job, resume, accepted in
            let upstream: String
            if let resume { upstream = resume } else {
                upstream = await self.submit()
                await accepted(upstream)
            }
            await self.report(.started(job: job.id, instance: name, attempt: job.attempt, resumed: resume))
            for await _ in await self.waiter(upstream) { return Data([0x89, 0x50, 0x4E, 0x47] + Array(upstream.utf8)) }
            await self.report(.stopped(job: job.id, instance: name))
            throw CancellationError()
        }
    }

    /// The first report matching `match`, waiting for it.
    nonisolated func next(_ match: (Report) -> Bool) async -> Report? {
        for await r in reports where match(r) { return r }
        return nil
    }
}

/// Two `ReferenceServer`s (port 0) on one database of a private cluster, each with its own `PostgresStore`.
func withTwoInstances<T>(_ cluster: PrivatePostgres, _ db: String,
                         _ configure: (inout ReferenceServer.Configuration) -> Void,
                         _ body: (ReferenceServer, ReferenceServer) async throws -> T) async throws -> T {
    try cluster.createDatabase(db)
    var servers: [ReferenceServer] = [], stores: [PostgresStore] = []
    for _ in 0..<2 {
        let store = try PostgresStore(url: cluster.url(db))
        try await store.start()
        var config = ReferenceServer.Configuration()
        config.store = store
        config.latency = .milliseconds(300)
        config.rateLimit = RateLimitSpec(requests: 1000, window: .seconds(60))
        configure(&config)
        let server = ReferenceServer(configuration: config)
        try await server.start()
        servers.append(server)
        stores.append(store)
    }
    func stop() async {
        for s in servers { await s.stop() }
        for s in stores { await s.close() }
    }
    do {
        let result = try await body(servers[0], servers[1])
        await stop()
        return result
    } catch {
        await stop()
        throw error
    }
}

func submit(_ base: String, prompt: String = "a lighthouse") async throws -> (status: Int, id: String?, headers: [String: String]) {
    let body = Array(#"{"prompt": "\#(prompt)", "width": 64, "height": 64, "seed": 7, "steps": 4}"#.utf8)
    let r = try await HTTPClient().send(.postJSON(base + "/api/generate", body))
    let o = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any]
    return (r.status, o?["jobId"] as? String, r.headers)
}

func getJSON(_ url: String) async throws -> [String: Any] {
    let r = try await HTTPClient().send(HTTPRequest(.get, url))
    return (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? ["http": r.status]
}

/// Every event of a stream until the server ends it.
func readEvents(_ url: String, lastEventID: String? = nil) async throws -> [ServerSentEvent] {
    var parser = EventStreamParser(), events: [ServerSentEvent] = []
    let headers = [("Accept", "text/event-stream")] + (lastEventID.map { [("Last-Event-ID", $0)] } ?? [])
    for try await part in HTTPClient().stream(HTTPRequest(.get, url, headers: headers), idleTimeout: .seconds(20)) {
        if case .bytes(let bytes) = part { events += parser.feed(bytes) }
    }
    return events
}

@Suite("easel serve --store postgres: two instances on one private PostgreSQL cluster")
struct SharedStoreTests {
    @Test func migrationsApplyFromAnEmptyDatabaseAndFromThePreviousVersion() async throws {
        try await PrivatePostgres.with { cluster in
            try cluster.createDatabase("fresh")
            let fresh = try PostgresStore(url: cluster.url("fresh"))
            defer { Task { await fresh.close() } }
            #expect(try await fresh.schemaVersion() == 0)
            try await fresh.start()
            #expect(try await fresh.schemaVersion() == PostgresStore.latestVersion)
            #expect(try await fresh.migrate() == PostgresStore.latestVersion)  // again: nothing to do

            try cluster.createDatabase("old")
            let old = try PostgresStore(url: cluster.url("old"))
            defer { Task { await old.close() } }
            #expect(try await old.migrate(to: 1) == 1)
            try await old.client.query("INSERT INTO jobs (seq, id, params) VALUES (nextval('job_ids'), 'job-v1', '{\"prompt\":\"x\"}')")
            try await old.start()  // v1 → latest, keeping the v1 job
            #expect(try await old.schemaVersion() == PostgresStore.latestVersion)
            var versions: [Int] = []
            for try await v in try await old.client.query("SELECT version::int8 FROM schema_migrations ORDER BY version").decode(Int.self) {
                versions.append(v)
            }
            #expect(versions == Array(1...PostgresStore.latestVersion))
            try await old.recordUpstreamID(job: "job-v1", id: "up-9")
            let claimed = try await old.claim(worker: "w", lease: .seconds(5))
            #expect(claimed == ClaimedJob(id: "job-v1", params: "{\"prompt\":\"x\"}", upstreamID: "up-9", attempt: 1))
            try await old.publish(job: "job-v1", event: StoreEvent(name: "status", data: "{}"))
            #expect(try await old.events(job: "job-v1", after: 0).map(\.seq) == [1])
        }
    }

    @Test func aJobSubmittedOnAIsPolledStreamedAndDownloadedOnB() async throws {
        try await PrivatePostgres.with { cluster in
            try await withTwoInstances(cluster, "cross", { _ in }) { a, b in
                let (baseA, baseB) = (await a.baseURL, await b.baseURL)
                let submitted = try await submit(baseA)
                let id = try #require(submitted.id)
                let events = try await readEvents(baseB + "/api/events/\(id)")
                #expect(events.first?.type == "status" && events.first?.data == #"{"queue_position":1,"status":"queued"}"#)
                #expect(events.last?.type == "completed", "\(events.map(\.type))")
                // 300 ms: 3 slices of 100 ms, so 2 progress events on a quiet machine; a slice that a loaded
                // machine runs late is merged into the next (a clean-clone run saw 1).
                #expect((1...2).contains(events.filter { $0.type == "progress" }.count), "\(events.map(\.type))")
                #expect(events.map(\.lastEventID) == (1...events.count).map(String.init))
                let resumed = try await readEvents(baseA + "/api/events/\(id)", lastEventID: "2")
                #expect(resumed.map(\.lastEventID) == (3...events.count).map(String.init))
                let status = try await getJSON(baseB + "/api/status/\(id)")
                #expect(status["status"] as? String == "completed")
                #expect(status["image"] as? String == "\(baseB)/images/\(id).png")
                let pngB = try await HTTPClient().send(HTTPRequest(.get, baseB + "/images/\(id).png"))
                let pngA = try await HTTPClient().send(HTTPRequest(.get, baseA + "/images/\(id).png"))
                #expect(pngB.status == 200 && Array(pngB.body.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
                #expect(pngA.body == pngB.body)
                #expect(try await getJSON(baseB + "/api/status/nope")["error"] as? String == "unknown job id: nope")
            }
        }
    }

    @Test func aCancelOnOneInstanceStopsTheJobRunningOnTheOther() async throws {
        let upstream = FakeUpstream()
        try await PrivatePostgres.with { cluster in
            try await withTwoInstances(cluster, "cancel", { $0.sharedProducer = upstream.producer("either") }) { a, b in
                let (baseA, baseB) = (await a.baseURL, await b.baseURL)
                let id = try #require(try await submit(baseA).id)
                _ = await upstream.next { if case .started(id, _, _, _) = $0 { true } else { false } }
                // Whichever instance claimed it, cancel it on the other.
                let runner = try await getJSON(baseA + "/api/status/\(id)")["status"] as? String
                #expect(runner == "processing")
                let aRuns = await a.runningJob == id
                let other = aRuns ? baseB : baseA
                let cancel = try await HTTPClient().send(HTTPRequest(.post, other + "/api/cancel/\(id)"))
                #expect(cancel.status == 200)
                _ = await upstream.next { if case .stopped(id, _) = $0 { true } else { false } }
                #expect(try await getJSON(baseA + "/api/status/\(id)")["status"] as? String == "canceled")
                #expect(try await getJSON(baseB + "/api/status/\(id)")["status"] as? String == "canceled")
                let events = try await readEvents(baseA + "/api/events/\(id)")
                #expect(events.last?.type == "failed" && events.last?.data.contains(#""category":"canceled""#) == true)
                let again = try await HTTPClient().send(HTTPRequest(.post, baseB + "/api/cancel/\(id)"))
                #expect(again.status == 409)
            }
        }
    }

    @Test func thePerIPLimitHoldsAcrossBothInstancesInTotal() async throws {
        let upstream = FakeUpstream()
        try await PrivatePostgres.with { cluster in
            try await withTwoInstances(cluster, "limit", {
                $0.rateLimit = RateLimitSpec(requests: 8, window: .seconds(60))
                $0.sharedProducer = upstream.producer("either")
            }) { a, b in
                let bases = [await a.baseURL, await b.baseURL]
                var statuses: [Int] = [], retry: [String] = []
                for i in 0..<12 {
                    let r = try await submit(bases[i % 2])
                    statuses.append(r.status)
                    if r.status == 429 { retry.append(r.headers["retry-after"] ?? "") }
                }
                #expect(statuses.filter { $0 == 200 }.count == 8, "\(statuses)")
                #expect(statuses.filter { $0 == 429 }.count == 4, "\(statuses)")
                #expect(retry.allSatisfy { (Int($0) ?? 0) >= 1 && (Int($0) ?? 99) <= 60 }, "\(retry)")
            }
        }
    }

    @Test func aJobWhoseInstanceDiedIsTakenOverAfterItsLeaseAndResumedWithoutASecondUpstreamSubmit() async throws {
        let upstream = FakeUpstream()
        try await PrivatePostgres.with { cluster in
            try await withTwoInstances(cluster, "takeover", {
                $0.lease = .seconds(1)
                $0.sharedProducer = upstream.producer("either")
            }) { a, b in
                let id = try #require(try await submit(await a.baseURL).id)
                _ = await upstream.next { if case .started(id, _, 1, nil) = $0 { true } else { false } }
                let (dead, alive) = await a.runningJob == id ? (a, b) : (b, a)
                await dead.stop()  // its worker stops without finishing; the lease is left to expire
                let resumed = await upstream.next { if case .started(id, _, 2, _) = $0 { true } else { false } }
                #expect(resumed == .started(job: id, instance: "either", attempt: 2, resumed: "up-1"))
                await upstream.finish("up-1")
                let base = await alive.baseURL
                let events = try await readEvents(base + "/api/events/\(id)")
                #expect(events.last?.type == "completed", "\(events.map(\.type))")
                #expect(events.filter { $0.data.contains("processing") }.count == 1)
                let png = try await HTTPClient().send(HTTPRequest(.get, base + "/images/\(id).png"))
                #expect(png.body == [0x89, 0x50, 0x4E, 0x47] + Array("up-1".utf8))
                #expect(await upstream.submits == 1)
            }
        }
    }

    /// The shared store kept every job, image and event for ever (the memory one keeps the newest 256): after a
    /// job ends, its instance deletes the finished jobs past `maxStoredJobs`, so the oldest answer 404 on both.
    @Test func finishedJobsPastTheLimitAreDroppedFromTheSharedStore() async throws {
        try await PrivatePostgres.with { cluster in
            try await withTwoInstances(cluster, "trim", { $0.maxStoredJobs = 2; $0.latency = .milliseconds(50) }) { a, b in
                let bases = [await a.baseURL, await b.baseURL]
                var ids: [String] = []
                for i in 0..<4 { ids.append(try #require(try await submit(bases[i % 2]).id)) }
                for id in ids.suffix(2) {                                  // the newest two end (the others before them)
                    #expect(try await readEvents(bases[0] + "/api/events/\(id)").last?.type == "completed")
                }
                var gone = false
                let end = ContinuousClock.now + .seconds(20)
                while !gone && ContinuousClock.now < end {                 // the last job's instance trims once it ended
                    gone = try await HTTPClient().send(HTTPRequest(.get, bases[1] + "/api/status/\(ids[1])")).status == 404
                    if !gone { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(gone, "the second-oldest finished job is still there")
                for id in ids.prefix(2) {
                    #expect(try await HTTPClient().send(HTTPRequest(.get, bases[0] + "/api/status/\(id)")).status == 404)
                    #expect(try await HTTPClient().send(HTTPRequest(.get, bases[0] + "/api/events/\(id)")).status == 404)
                    #expect(try await HTTPClient().send(HTTPRequest(.get, bases[1] + "/images/\(id).png")).status == 404)
                }
                for id in ids.suffix(2) {
                    #expect(try await getJSON(bases[1] + "/api/status/\(id)")["status"] as? String == "completed")
                }
            }
        }
    }
}
