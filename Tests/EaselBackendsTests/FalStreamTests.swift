import EaselApp
@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselStore
import FakeServices
import Foundation
import Testing

/// `FalBackend.statusEvents(of:)` against `FakeFal`'s `status/stream`: the same statuses as polling, no
/// status polls, and a broken stream that falls back to polling the same request (reference/backends.md §4.2).
@Suite("fal: the status stream (SSE) instead of polling, and its fallback")
struct FalStreamTests {
    private let key = KeySource.configFile(FakeFal.defaultKey, file: "test.toml")

    private func backend(_ fake: FakeFal) async throws -> FalBackend {
        try FalBackend(options: HostedRig.options(.fal, await fake.baseURL, key: key, model: "fal-ai/flux/dev"), http: HostedRig.http())
    }

    @Test func theStreamReportsQueueProgressAndTheResultWithoutAStatusPoll() async throws {
        try await HostedRig.with(FakeFal()) { fake in
            let api = try await backend(fake)
            let (id, _) = try await api.submit(HostedRig.request())
            let events = try #require(api.statusEvents(of: id))
            var seen: [RemoteStatus] = []
            for try await status in events { seen.append(status) }
            #expect(Array(seen.prefix(2)) == [.queued(position: 1), .running(progress: 0.5)], "\(seen)")
            guard case .completed(let ref)? = seen.last, seen.count == 3 else { Issue.record("\(seen)"); return }
            #expect(ref.url.hasSuffix("/files/\(id.rawValue).png"))
            let log = await fake.log
            let stream = try #require(log.first { $0.path.hasSuffix("/status/stream") })
            #expect(stream.path == "/fal-ai/flux/requests/\(id.rawValue)/status/stream")     // owner/app only
            #expect(stream.headers["authorization"] == "Key " + FakeFal.defaultKey)
            #expect(stream.headers["accept"] == "text/event-stream")
            #expect(!log.contains { $0.path.hasSuffix("/status") }, "polled while streaming")
            #expect(await fake.streams == 1)
        }
    }

    @Test func aBrokenStreamFallsBackToPollingTheSameRequestWithOneSubmit() async throws {
        try await HostedRig.with(FakeFal()) { fake in
            await fake.breakStreams()
            let api = try await backend(fake)
            var state = AppState(backendName: "fal", pollPolicy: PollPolicy(interval: .milliseconds(50), deadline: .seconds(30)),
                                 parameters: GenerationParameters(width: 64, height: 64, seed: 1, steps: 6),
                                 seeds: SeedSource(seed: 2), now: .now)
            state.queue.pacer = RateLimitPacer(limit: 1000, window: .seconds(1))
            let outcome = await Headless.run(prompts: ["a lighthouse"], state: state,
                                             makeRunner: { EffectRunner(backend: api, gallery: Gallery(directory: tempDir()), send: $0) })
            guard case .complete? = outcome.jobs.first?.state else { Issue.record("\(outcome.jobs.map(\.state))"); return }
            #expect(await fake.received.count == 1)
            #expect(await fake.streams == 1)
            #expect(await fake.log.contains { $0.path.hasSuffix("/status") })
        }
    }

    @Test func aRequestCanceledFromHereIsNotStreamed() async throws {
        try await HostedRig.with(FakeFal()) { fake in
            let api = try await backend(fake)
            let (id, _) = try await api.submit(HostedRig.request())
            try await api.cancel(id)
            #expect(api.statusEvents(of: id) == nil)
        }
    }
}
