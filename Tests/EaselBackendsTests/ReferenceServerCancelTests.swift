import EaselBackends
import EaselCore
import EaselServer
import Foundation
import Testing

/// Cancelling on the reference server (`easel serve`, the embedded demo) frees its one worker: the
/// next job runs for its own latency, not the rest of the cancelled one's. Time is a `ManualClock`
/// that only the test moves, so "its own latency" is exact.
@Suite("Reference server: cancel frees the worker")
struct ReferenceServerCancelTests {
    static let latency = Duration.seconds(60)

    func withClockedServer(_ body: (ManualClock, SeedJobAPI) async throws -> Void) async throws {
        let clock = ManualClock()
        var config = ReferenceServer.Configuration()
        config.latency = Self.latency
        config.clock = clock
        config.rateLimit = RateLimitSpec(requests: 100, window: .seconds(60))
        let server = ReferenceServer(configuration: config)
        try await server.start()
        let api = SeedJobAPI(baseURL: await server.baseURL)
        do { try await body(clock, api) } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static let request = GenerationRequest(prompt: "a lighthouse", width: 64, height: 64, seed: 1, steps: 1)

    /// Polls until the job ends; the image is painted after the clock wait, on real time.
    func completion(of id: RemoteJobID, _ api: SeedJobAPI, clock: ManualClock) async throws -> RemoteStatus {
        var status = try await api.status(of: id)
        for _ in 0..<2000 {
            status = try await api.status(of: id)
            if case .completed = status { break }
            if case .failed = status { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        return status
    }

    @Test func cancellingTheRunningJobStartsTheNextOneAtOnceForItsOwnLatency() async throws {
        try await withClockedServer { clock, api in
            let (first, _) = try await api.submit(Self.request)
            #expect(await clock.until { clock.sleepsStarted == 1 }, "the worker never started the first job")
            guard case .running = try await api.status(of: first) else { Issue.record("the first job is not running"); return }
            let (second, _) = try await api.submit(Self.request)
            #expect(try await api.status(of: second) == .queued(position: 1))

            try await api.cancel(first)
            // The worker leaves the cancelled job's wait and begins the second job's, with no time passing.
            #expect(await clock.until { clock.sleepsStarted == 2 }, "the second job waited for the cancelled one")
            #expect(clock.pendingDeadlines == [clock.now.advanced(by: Self.latency)])
            #expect(try await api.status(of: first) == .failed("canceled on the server"))

            clock.advance(by: Self.latency)                   // exactly the second job's own latency
            guard case .completed = try await completion(of: second, api, clock: clock) else {
                Issue.record("the second job did not complete after its own latency")
                return
            }
            #expect(clock.now.offset == Self.latency)
        }
    }

    @Test func cancellingAQueuedJobLeavesTheRunningOneUntouched() async throws {
        try await withClockedServer { clock, api in
            let (first, _) = try await api.submit(Self.request)
            let (second, _) = try await api.submit(Self.request)
            #expect(await clock.until { clock.sleepsStarted == 1 })
            try await api.cancel(second)
            #expect(clock.pendingDeadlines == [clock.now.advanced(by: Self.latency)])
            clock.advance(by: Self.latency)
            guard case .completed = try await completion(of: first, api, clock: clock) else {
                Issue.record("the running job did not complete")
                return
            }
            #expect(clock.sleepsStarted == 1, "the cancelled queued job was run anyway")
            #expect(try await api.status(of: second) == .failed("canceled on the server"))
        }
    }
}
