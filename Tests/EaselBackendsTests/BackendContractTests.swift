import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import FakeServices
import Foundation
import Testing

/// One backend adapter paired with its fake service, for the shared contract suite.
/// Each backend adds one fixture to `ContractFixture.all`.
struct ContractFixture: Sendable, CustomTestStringConvertible {
    let name: String
    /// A fresh, not yet started fake.
    let makeFake: @Sendable () -> any FakeService
    /// The adapter pointed at the fake's base URL, using `http`.
    let makeBackend: @Sendable (_ baseURL: String, _ http: HTTPClient) throws -> any GenerationBackend
    /// Text the categorized errors must contain, in the fake service's own words.
    let invalidPromptReason: String
    let serverErrorMessage: String
    let failureMessage: String
    /// A synchronous service (OpenAI Images): the request stays open while it generates, so there is no
    /// queued state and no cancel call; cancel aborts the open request. Skips the queued case and the
    /// "the service got a cancel call" check.
    var synchronous = false
    /// The category of that refusal: `invalid_prompt`, or `graph` for a service that validates a workflow graph.
    var refusalKind = "invalid_prompt"

    var testDescription: String { name }

    static let all: [ContractFixture] = [
        ContractFixture(name: "jobapi", makeFake: { FakeJobAPI() },
                        makeBackend: { url, http in SeedJobAPI(baseURL: url, http: http) },
                        invalidPromptReason: "content filter", serverErrorMessage: "worker crashed",
                        failureMessage: "NaNs"),
        ContractFixture(name: "comfyui", makeFake: { FakeComfyUI() },
                        makeBackend: { url, http in try ComfyUIBackend(options: BackendOptions(name: "comfy", kind: .comfyui, url: url), http: http) },
                        invalidPromptReason: "CheckpointLoaderSimple (node 4): Value not in list: ckpt_name: 'v1-5-pruned-emaonly.safetensors' not in []",
                        serverErrorMessage: "Server got itself in trouble", failureMessage: "KSampler (node 3): the sampler produced NaNs",
                        refusalKind: "graph"),
        ContractFixture(name: "openai", makeFake: { FakeOpenAIImages() },
                        makeBackend: { url, http in
                            var o = BackendOptions(name: "openai-test", kind: .openai, url: url)
                            o.apiKey = .configFile(FakeOpenAIImages.defaultKey, file: "test.toml")
                            return OpenAIImagesBackend(options: o, http: http)
                        },
                        invalidPromptReason: "safety system", serverErrorMessage: "worker crashed",
                        failureMessage: "NaNs", synchronous: true),
        ContractFixture(name: "replicate", makeFake: { FakeReplicate() },
                        makeBackend: { url, http in
                            var o = BackendOptions(name: "replicate-test", kind: .replicate, url: url)
                            o.model = "black-forest-labs/flux-schnell"
                            o.apiKey = .configFile(FakeReplicate.defaultKey, file: "test.toml")
                            return try ReplicateBackend(options: o, http: http)
                        },
                        invalidPromptReason: "content filter", serverErrorMessage: "worker crashed",
                        failureMessage: "NaNs"),
        ContractFixture(name: "fal", makeFake: { FakeFal() },
                        makeBackend: { url, http in
                            var o = BackendOptions(name: "fal-test", kind: .fal, url: url)
                            o.model = "fal-ai/flux/dev"
                            o.apiKey = .configFile(FakeFal.defaultKey, file: "test.toml")
                            return try FalBackend(options: o, http: http)
                        },
                        invalidPromptReason: "content filter", serverErrorMessage: "worker crashed",
                        failureMessage: "NaNs"),
        ContractFixture(name: "a1111", makeFake: { FakeA1111() },
                        makeBackend: { url, http in try A1111Backend(options: BackendOptions(name: "a1111", kind: .a1111, url: url), http: http) },
                        invalidPromptReason: "str type expected", serverErrorMessage: "OutOfMemoryError: CUDA out of memory",
                        failureMessage: "NaNs"),
        ContractFixture(name: "sdcpp", makeFake: { FakeSDCpp() },
                        makeBackend: { url, http in SDCppBackend(options: BackendOptions(name: "sdcpp", kind: .sdcpp, url: url), http: http) },
                        invalidPromptReason: "invalid generation parameters", serverErrorMessage: "std::bad_alloc",
                        failureMessage: "returned no results"),
    ]
}

/// Runs `body` with a started fake and its adapter; `timeout` bounds every HTTP request (seconds).
private func withRig(_ f: ContractFixture, timeout: Double = 30,
                     _ body: (any GenerationBackend, any FakeService) async throws -> Void) async throws {
    var config = HTTPClient.Configuration()
    config.totalTimeout = .milliseconds(Int(timeout * 1000))
    config.connectTimeout = .seconds(5)
    let fake = f.makeFake()
    try await fake.start()
    try await withTeardown({ await fake.stop() }) {
        try await body(try f.makeBackend(await fake.baseURL, HTTPClient(configuration: config)), fake)
    }
}

/// Submits and polls (every 50 ms, at most `polls` times) until the job ends or `until` says stop.
/// Returns every status seen, or the error that ended it.
private func drive(_ backend: any GenerationBackend, _ request: GenerationRequest, polls: Int = 200,
                   until stop: (RemoteStatus) -> Bool = { _ in false }) async -> (RemoteJobID?, [RemoteStatus], JobError?) {
    var seen: [RemoteStatus] = []
    let id: RemoteJobID
    do {
        let (remote, first) = try await backend.submit(request)
        id = remote
        seen.append(first)
    } catch { return (nil, seen, error) }
    for _ in 0..<polls {
        if let last = seen.last {
            if stop(last) { return (id, seen, nil) }
            switch last {
            case .completed, .completedBatch, .failed: return (id, seen, nil)
            default: break
            }
        }
        try? await Task.sleep(for: .milliseconds(50))
        do { seen.append(try await backend.status(of: id)) } catch { return (id, seen, error) }
    }
    return (id, seen, nil)
}

private func request(_ prompt: String, seed: UInt32 = 1234) -> GenerationRequest {
    GenerationRequest(prompt: prompt, negativePrompt: "blurry", width: 320, height: 192, seed: seed, steps: 6)
}

private func isQueued(_ s: RemoteStatus) -> Bool { if case .queued = s { true } else { false } }
private func isRunning(_ s: RemoteStatus) -> Bool { if case .running = s { true } else { false } }

/// After a cancel the service must not report the job completed: failed/canceled, gone, or an error.
private func expectStopped(_ backend: any GenerationBackend, _ id: RemoteJobID, fixture: String) async {
    for _ in 0..<40 {
        do {
            switch try await backend.status(of: id) {
            case .failed(let why):
                #expect(why.lowercased().contains("cancel") || why.lowercased().contains("interrupt"), "\(fixture): \(why)")
                return
            case .completed, .completedBatch: Issue.record("\(fixture): a canceled job completed"); return
            case .queued, .running: try? await Task.sleep(for: .milliseconds(50))
            }
        } catch {
            #expect(error == .notFound || error == .canceled, "\(fixture): \(error)")
            return
        }
    }
    Issue.record("\(fixture): the job still runs after cancel")
}

@Suite("Backend contract: every adapter against its fake service over loopback")
struct BackendContractTests {
    @Test(arguments: ContractFixture.all)
    func submitPollToCompletionAndDownload(_ f: ContractFixture) async throws {
        try await withRig(f) { backend, fake in
            let (id, seen, error) = await drive(backend, request("a lighthouse at dusk"))
            #expect(error == nil, "\(f.name): \(String(describing: error))")
            #expect(id != nil)
            guard case .completed(let ref) = seen.last else { Issue.record("\(f.name): ended with \(seen)"); return }
            let image = try await backend.download(ref)
            let size = try ImageCodec.dimensions(of: image.bytes)
            #expect(size.width == 320 && size.height == 192, "\(f.name): \(size)")
            // The service understood the request as sent.
            let got = try #require(await fake.received.last)
            #expect(got.prompt == "a lighthouse at dusk")
            #expect(got.seed == 1234 && got.width == 320 && got.height == 192 && got.steps == 6)
            #expect(got.negativePrompt == "blurry")
        }
    }

    @Test(arguments: ContractFixture.all)
    func cancelWhileQueued(_ f: ContractFixture) async throws {
        guard !f.synchronous else { return }     // no queue: the request runs as soon as it is open
        try await withRig(f) { backend, fake in
            let (id, seen, error) = await drive(backend, request("waits \(Scenario.queued.rawValue)"), polls: 40, until: isQueued)
            #expect(error == nil)
            guard let id, let last = seen.last, isQueued(last) else { Issue.record("\(f.name): never queued: \(seen)"); return }
            try await backend.cancel(id)
            #expect(await fake.cancels >= 1, "\(f.name): the service got no cancel")
            await expectStopped(backend, id, fixture: f.name)
        }
    }

    @Test(arguments: ContractFixture.all)
    func cancelWhileRunning(_ f: ContractFixture) async throws {
        try await withRig(f) { backend, fake in
            let (id, seen, error) = await drive(backend, request("works \(Scenario.running.rawValue)"), polls: 40, until: isRunning)
            #expect(error == nil)
            guard let id, let last = seen.last, isRunning(last) else { Issue.record("\(f.name): never running: \(seen)"); return }
            try await backend.cancel(id)
            if !f.synchronous { #expect(await fake.cancels >= 1, "\(f.name): the service got no cancel") }
            await expectStopped(backend, id, fixture: f.name)
        }
    }

    @Test(arguments: ContractFixture.all)
    func cancelAfterCompletionIsHarmless(_ f: ContractFixture) async throws {
        try await withRig(f) { backend, _ in
            let (id, seen, _) = await drive(backend, request("done already"))
            guard let id, case .completed = seen.last else { Issue.record("\(f.name): \(seen)"); return }
            try await backend.cancel(id)
        }
    }

    @Test(arguments: ContractFixture.all)
    func invalidPromptIsCategorizedWithTheServiceReason(_ f: ContractFixture) async throws {
        try await withRig(f) { backend, _ in
            let (_, seen, error) = await drive(backend, request("bad \(Scenario.invalid.rawValue)"))
            let reason: String
            switch error {
            case .invalidPrompt(let r)?, .graph(let r)?: reason = r
            default: Issue.record("\(f.name): \(String(describing: error)) \(seen)"); return
            }
            #expect(error?.kind == f.refusalKind, "\(f.name)")
            #expect(reason.contains(f.invalidPromptReason), "\(f.name): \(reason)")
        }
    }

    @Test(arguments: ContractFixture.all)
    func serverErrorIsCategorized(_ f: ContractFixture) async throws {
        try await withRig(f) { backend, _ in
            let (_, seen, error) = await drive(backend, request("boom \(Scenario.serverError.rawValue)"))
            guard case .server(let status, let message) = error else { Issue.record("\(f.name): \(String(describing: error)) \(seen)"); return }
            #expect((500...599).contains(status))
            #expect(message.contains(f.serverErrorMessage), "\(f.name): \(message)")
            #expect(error?.message.contains(f.serverErrorMessage) == true)
        }
    }

    @Test(arguments: ContractFixture.all)
    func generationFailureKeepsTheServiceMessage(_ f: ContractFixture) async throws {
        try await withRig(f) { backend, _ in
            let (_, seen, error) = await drive(backend, request("nan \(Scenario.fail.rawValue)"))
            switch (seen.last, error) {
            case (.failed(let why)?, nil): #expect(why.contains(f.failureMessage), "\(f.name): \(why)")
            case (_, .inferenceFailed(let why)?): #expect(why.contains(f.failureMessage), "\(f.name): \(why)")
            case (_, .server(_, let why)?): #expect(why.contains(f.failureMessage), "\(f.name): \(why)")
            default: Issue.record("\(f.name): \(String(describing: error)) \(seen)")
            }
        }
    }

    @Test(arguments: ContractFixture.all)
    func unknownJobIsNotFound(_ f: ContractFixture) async throws {
        try await withRig(f) { backend, _ in
            do throws(JobError) {
                let s = try await backend.status(of: RemoteJobID("00000000-no-such-job"))
                Issue.record("\(f.name): got \(s)")
            } catch { #expect(error == .notFound, "\(f.name): \(error)") }
        }
    }

    @Test(arguments: ContractFixture.all)
    func aStalledServiceTimesOutAsANetworkError(_ f: ContractFixture) async throws {
        try await withRig(f, timeout: 1) { backend, _ in
            let start = ContinuousClock.now
            let (_, seen, error) = await drive(backend, request("slow \(Scenario.stall.rawValue)"), polls: 400)
            guard case .network(let why) = error else { Issue.record("\(f.name): \(String(describing: error)) \(seen)"); return }
            #expect(why.contains("timed out"), "\(f.name): \(why)")
            #expect(ContinuousClock.now - start < .seconds(20))
        }
    }

    @Test(arguments: ContractFixture.all)
    func healthCheckAnswers(_ f: ContractFixture) async throws {
        try await withRig(f) { backend, _ in
            let h = await backend.health()
            #expect(h.ok, "\(f.name): \(h.detail)")
        }
        // And a closed port is reported, not thrown.
        let backend = try f.makeBackend("http://127.0.0.1:9", HTTPClient())
        let h = await backend.health()
        #expect(!h.ok)
        #expect(!h.detail.isEmpty)
    }
}
