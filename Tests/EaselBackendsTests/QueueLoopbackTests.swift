import EaselApp
import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import EaselServer
import EaselStore
import FakeServices
import FlyingFox
import Foundation
import Testing

@Suite("The queue against real servers on loopback", .serialized)
struct QueueLoopbackTests {
    func state(concurrency: Int = 1, pacer: RateLimitPacer = RateLimitPacer(limit: 1000, window: .seconds(1)),
               interval: Duration = .milliseconds(100)) -> AppState {
        var s = AppState(backendName: "t", pollPolicy: PollPolicy(interval: interval, deadline: .seconds(120)),
                         parameters: GenerationParameters(width: 64, height: 64, seed: 1, steps: 1),
                         seeds: SeedSource(seed: 3), now: .now)
        s.queue.concurrency = concurrency
        s.queue.pacer = pacer
        return s
    }

    @Test func cancelWhileProcessingStopsTheJobOnTheServer() async throws {
        // The job generates until a clock nobody moves says so: it is surely still running at the cancel.
        try await withServer(latency: .seconds(3), clock: ManualClock()) { _, api in
            let (id, _) = try await api.submit(.init(prompt: "to cancel", width: 64, height: 64))
            try await api.cancel(id)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await api.status(of: id) == .failed("canceled on the server"))
            // An id the server does not know (already gone): nothing to cancel, and no error.
            try await api.cancel(RemoteJobID("unknown"))
        }
    }

    @Test func a429WithRetryAfterWaitsThenSucceedsByItself() async throws {
        // The server allows one job per 2 s; the client's pacer is off, so the second submit meets a 429.
        try await withServer(latency: .milliseconds(50), rate: RateLimitSpec(requests: 1, window: .seconds(2))) { _, api in
            let start = ContinuousClock.now
            let outcome = await Headless.run(prompts: ["first", "second"], state: state(),
                                             makeRunner: { EffectRunner(backend: api, gallery: Gallery(directory: tempDir()), send: $0) })
            #expect(outcome.jobs.map(\.state.label) == ["complete", "complete"])
            #expect(outcome.jobs[1].attempts >= 2, "the second job was never refused")
            #expect(ContinuousClock.now - start >= .milliseconds(1500))
        }
    }

    @Test func aTransient503WhilePollingIsRetriedThenSucceeds() async throws {
        let fake = try await FlakyServer.start()
        try await withTeardown({ await fake.server.stop() }) {
            let api = SeedJobAPI(baseURL: "http://127.0.0.1:\(fake.port)")
            let outcome = await Headless.run(prompts: ["flaky"], state: state(),
                                             makeRunner: { EffectRunner(backend: api, gallery: Gallery(directory: tempDir()), send: $0) })
            guard case .complete(let image)? = outcome.jobs.first?.state else { Issue.record("\(String(describing: outcome.jobs.first?.state))"); return }
            #expect(image.width == 2)
            #expect(await fake.counter.statusCalls >= 3)
        }
    }

    @Test func twoHundredPromptsUnderATightLimitAllCompleteAndNoneEndsRateLimited() async throws {
        // Time is data here: the limit is 8 per 250 ms on both sides (the same shape as 8 per second, four
        // times faster), so the pacer's floor is 6 s of wall time rather than 24 s.
        let window = Duration.milliseconds(250)
        let limit = RateLimitSpec(requests: 8, window: window)
        try await withServer(latency: .zero, rate: limit) { _, api in
            let prompts = (1...200).map { "load \($0)" }
            let start = ContinuousClock.now
            let outcome = await Headless.run(
                prompts: prompts, state: state(concurrency: 8, pacer: RateLimitPacer(limit: 8, window: window), interval: .milliseconds(20)),
                makeRunner: { EffectRunner(backend: api, gallery: Gallery(directory: tempDir()), send: $0) })
            let wall = ContinuousClock.now - start
            let complete = outcome.jobs.filter { if case .complete = $0.state { true } else { false } }.count
            #expect(outcome.jobs.count == 200)
            #expect(complete == 200, "\(outcome.jobs.map(\.state.label).filter { $0 != "complete" })")
            #expect(!outcome.jobs.contains { $0.state == .failed(.rateLimited(retryAfter: nil)) || { if case .failed(.rateLimited) = $0.state { true } else { false } }($0) })
            let refused = outcome.jobs.filter { $0.attempts > 1 }.count
            // Theoretical minimum: 200 jobs at 8 per window = 24 windows after the first burst.
            print("load: 200 jobs in \(wall) (minimum \(window * 24) set by 8 per \(window)); \(refused) submits met a 429")
            #expect(wall >= window * 23)
        }
    }
}

/// A seed-API server whose first two status answers are 503, then completed with a data: URI.
actor FlakyServer {
    let server: HTTPServer
    let port: UInt16
    let counter: CounterActor

    actor CounterActor {
        var statusCalls = 0
        func next() -> Int { statusCalls += 1; return statusCalls }
    }

    init(server: HTTPServer, port: UInt16, counter: CounterActor) {
        self.server = server
        self.port = port
        self.counter = counter
    }

    static func start() async throws -> FlakyServer {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), logger: .disabled)
        let counter = CounterActor()
        let png = try ImageCodec.encodePNG(RGBAImage(width: 2, height: 2, pixels: [UInt8](repeating: 200, count: 16)))
        let dataURI = "data:image/png;base64," + Data(png).base64EncodedString()
        await server.appendRoute("POST /api/generate") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: Data(#"{"jobId":"f1","status":"processing"}"#.utf8))
        }
        await server.appendRoute("GET /api/status/*") { _ in
            let n = await counter.next()
            if n <= 2 { return HTTPResponse(statusCode: .serviceUnavailable, body: Data(#"{"error":"busy"}"#.utf8)) }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"],
                                body: Data(#"{"status":"completed","image":"\#(dataURI)"}"#.utf8))
        }
        Task { try await server.run() }
        try await server.waitUntilListening()
        guard case .ip4(_, let port)? = await server.listeningAddress else { throw CocoaError(.fileNoSuchFile) }
        return FlakyServer(server: server, port: port, counter: counter)
    }
}
