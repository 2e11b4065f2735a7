import EaselApp
@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselServer
import EaselStore
import Foundation
import Synchronization
import Testing

/// Push through the real reducer and effect runner (`Headless.run`): a job whose server offers an event
/// stream follows it instead of polling; a stream that breaks, stalls or is refused falls back to polling
/// the same job, which completes with exactly one submit.
@Suite("Push, not poll: the seed API's event stream through the reducer and effect runner, and its fallbacks")
struct StreamFallbackTests {
    static func state(interval: Duration = .milliseconds(200)) -> AppState {
        var s = AppState(backendName: "push", pollPolicy: PollPolicy(interval: interval, deadline: .seconds(60)),
                         parameters: GenerationParameters(width: 64, height: 64, seed: 1, steps: 4),
                         seeds: SeedSource(seed: 5), now: .now)
        s.queue.pacer = RateLimitPacer(limit: 1000, window: .seconds(1))
        return s
    }

    struct Run {
        let job: Job
        let lines: [String]
        let served: [Fault.Endpoint: Int]
    }

    /// One job through `Headless.run` on a server configured by `configure`; `idle` is the client's stall
    /// bound, `interval` the poll interval (how long a poll effect waits for a stream's news); `onLine` sees
    /// each progress line as it is printed.
    func run(idle: Duration = .seconds(10), interval: Duration = .milliseconds(200),
             _ configure: (inout ReferenceServer.Configuration) -> Void = { _ in },
             onLine: (String) -> Void = { _ in }) async throws -> Run {
        try await withEventServer(configure) { server, base in
            let api = SeedJobAPI(baseURL: base, streamIdleTimeout: idle)
            let lines = Mutex<[String]>([])
            let outcome = await Headless.run(prompts: ["a lighthouse"], state: Self.state(interval: interval),
                                             makeRunner: { EffectRunner(backend: api, gallery: Gallery(directory: tempDir()), send: $0) },
                                             progress: { line in lines.withLock { $0.append(line) }; onLine(line) })
            return Run(job: try #require(outcome.jobs.first), lines: lines.withLock { $0 }, served: await server.served)
        }
    }

    func expectComplete(_ run: Run, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .complete = run.job.state else {
            Issue.record("expected complete, got \(run.job.state)", sourceLocation: sourceLocation)
            return
        }
        #expect(run.served[.generate] == 1, "submitted \(run.served[.generate] ?? 0) times", sourceLocation: sourceLocation)
        #expect(run.job.attempts == 1, sourceLocation: sourceLocation)
        #expect(run.served[.image] == 1, sourceLocation: sourceLocation)
    }

    @Test func aStreamedJobCostsASubmitOneStreamAndTheDownloadAndShowsItsProgress() async throws {
        // The job ends only once the client has shown a percentage (its wait is a manual clock moved then),
        // so the progress is seen however long the submit took; a poll effect waits up to 5 s for the
        // stream's news, so a stream slow to open on a loaded machine is not mistaken for a silent one.
        let clock = ManualClock()
        let run = try await run(interval: .seconds(5), { $0.clock = clock }, onLine: { line in
            if line.hasPrefix("processing "), line.contains("%") { clock.advance(by: .seconds(1)) }
        })
        expectComplete(run)
        #expect(run.served[.events] == 1)
        #expect(run.served[.status, default: 0] == 0, "polled \(run.served[.status] ?? 0) times while streaming")
        // The same states and progress as polling shows: processing with a percentage, then done. (A status
        // the next one overtook before the runner took it is skipped, as a poll would have missed it.)
        let states = run.lines.map { $0.components(separatedBy: " (").first ?? $0 }
        #expect(states.contains { ["processing 25%", "processing 50%", "processing 75%"].contains($0) }, "\(run.lines)")
        #expect(Array(states.suffix(3)) == ["downloading", "saving", "complete"], "\(run.lines)")
    }

    @Test func aStreamCutAfterItsFirstEventFallsBackToPollingTheSameJob() async throws {
        let run = try await run { $0.faults = [.reset]; $0.faultEndpoints = [.events] }
        expectComplete(run)
        #expect(run.served[.events] == 1)
        #expect(run.served[.status, default: 0] >= 1)
    }

    @Test func aStalledStreamIsDroppedAfterTheIdleBoundAndTheJobIsPolled() async throws {
        // The stream sends its first event, then nothing (no heartbeats) for 30 s; the client waits 1 s.
        let run = try await run(idle: .seconds(1)) {
            $0.faults = [.slowBody]; $0.faultEndpoints = [.events]; $0.faultStall = .seconds(30); $0.latency = .seconds(3)
        }
        expectComplete(run)
        #expect(run.served[.events] == 1)
        #expect(run.served[.status, default: 0] >= 1)
    }

    @Test func aRefusedStreamIsPolledInstead() async throws {
        let run = try await run { $0.maxOpenStreams = 0 }         // every stream gets 503
        expectComplete(run)
        #expect(run.served[.events] == 1)
        #expect(run.served[.status, default: 0] >= 1)
    }

    @Test func aServerThatNamesNoStreamIsSimplyPolled() async throws {
        let run = try await run { $0.offerEvents = false }       // the plain seed API
        expectComplete(run)
        #expect(run.served[.events, default: 0] == 0)
        #expect(run.served[.status, default: 0] >= 1)
    }

    @Test func aJobResumedFromTheJournalIsPolledOnceThenFollowsItsStream() async throws {
        try await withEventServer { server, base in
            let (id, _) = try await SeedJobAPI(baseURL: base).submit(GenerationRequest(prompt: "resumed", width: 64, height: 64, steps: 4))
            // A new process knows only the remote id: no stream until a status answer names one.
            let fresh = SeedJobAPI(baseURL: base)
            #expect(fresh.statusEvents(of: id) == nil)
            _ = try await fresh.status(of: id)
            let events = try #require(fresh.statusEvents(of: id))
            var seen: [RemoteStatus] = []
            for try await status in events { seen.append(status) }
            guard case .completed(let ref)? = seen.last else { Issue.record("\(seen)"); return }
            #expect(ref.url.hasSuffix("/images/\(id.rawValue).png"))
            #expect(seen.contains(.running(progress: 0.5)))
            let served = await server.served
            #expect(served[.status] == 1 && served[.events] == 1)
        }
    }

    @Test func aStreamOnAnotherHostIsNotFollowed() async throws {
        try await withEventServer { _, base in
            let api = SeedJobAPI(baseURL: base)
            api.learnStream("http://198.51.100.7/api/events/x", for: "x")
            #expect(api.statusEvents(of: RemoteJobID("x")) == nil)
        }
    }
}
