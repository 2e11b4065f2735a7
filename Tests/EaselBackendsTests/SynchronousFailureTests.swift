import EaselApp
import EaselBackends
import EaselCore
import EaselHTTP
import EaselStore
import FakeServices
import Foundation
import Testing

/// A synchronous service's generation request that fails after it began (A1111 out of memory, NaNs)
/// ends the job at the next poll, instead of being polled again with backoff as a transient error.
@Suite("Synchronous services: a failed generation ends the job at once")
struct SynchronousFailureTests {
    @Test func a1111FailureAfterGenerationBeganIsFinalAtTheNextPoll() async throws {
        try await withStarted(FakeA1111()) { fake in
            let backend = try BackendFactory.make(BackendOptions(name: "forge", kind: .a1111, url: await fake.baseURL))
            let state = AppState(backendName: "forge", pollPolicy: PollPolicy(interval: .milliseconds(300), deadline: .seconds(120)),
                                 parameters: GenerationParameters(width: 64, height: 64, seed: 5, steps: 4),
                                 seeds: SeedSource(seed: 1), now: .now)
            let start = ContinuousClock.now
            let outcome = await Headless.run(prompts: ["nan [[fail]]", "a lighthouse"], state: state,
                                             makeRunner: { EffectRunner(backend: backend, gallery: Gallery(directory: tempDir()), send: $0) })
            let elapsed = ContinuousClock.now - start
            guard outcome.jobs.count == 2, case .failed(let error) = outcome.jobs[0].state else { Issue.record("\(outcome.jobs.map(\.state))"); return }
            #expect(error.kind == "server" || error.kind == "inference_failed", "\(error)")
            #expect(error.message.contains("NaN"), "\(error.message)")
            #expect(outcome.jobs[0].pollFailures == 0, "the failure was retried as if transient")
            guard case .complete = outcome.jobs[1].state else { Issue.record("the next job: \(outcome.jobs[1].state)"); return }
            // With retries and backoff the first job alone would take well over 30 s.
            #expect(elapsed < .seconds(30), "\(elapsed)")
        }
    }

    @Test func openAIFailureOfTheHeldRequestIsFinal() async throws {
        try await withStarted(FakeOpenAIImages()) { fake in
            var options = BackendOptions(name: "oai", kind: .openai, url: await fake.baseURL)
            options.apiKey = .configFile(FakeOpenAIImages.defaultKey, file: "test.toml")
            let backend = try BackendFactory.make(options)
            let state = AppState(backendName: "oai", pollPolicy: PollPolicy(interval: .milliseconds(300), deadline: .seconds(120)),
                                 parameters: GenerationParameters(width: 64, height: 64, seed: 5, steps: 4),
                                 seeds: SeedSource(seed: 1), now: .now)
            let outcome = await Headless.run(prompts: ["boom [[500]]"], state: state,
                                             makeRunner: { EffectRunner(backend: backend, gallery: Gallery(directory: tempDir()), send: $0) })
            guard case .failed(let error) = outcome.jobs.first?.state else { Issue.record("\(outcome.jobs.map(\.state))"); return }
            #expect(error.kind == "server", "\(error)")
            #expect(outcome.jobs[0].pollFailures == 0)
        }
    }
}
