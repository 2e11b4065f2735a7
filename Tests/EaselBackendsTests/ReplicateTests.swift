@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import FakeServices
import Foundation
import Testing

/// `ReplicateBackend` against `FakeReplicate`: create/poll/cancel, output shapes, Prefer: wait, 429
/// with Retry-After, no resent create, re-read polls (reference/backends.md §3, §9 rows 11, 14–16).
@Suite("Replicate: predictions, output shapes, throttling and never paying twice")
struct ReplicateTests {
    private let key = KeySource.configFile(FakeReplicate.defaultKey, file: "test.toml")

    private func backend(_ fake: FakeReplicate, model: String? = "black-forest-labs/flux-schnell", version: String? = nil,
                         timeout: Double = 10) async throws -> ReplicateBackend {
        var o = HostedRig.options(.replicate, await fake.baseURL, key: key, model: model)
        o.version = version
        return try ReplicateBackend(options: o, http: HostedRig.http(timeout: timeout))
    }

    @Test func createsOnTheModelRouteWithPreferWaitThenPollsStartingProcessingSucceeded() async throws {
        try await HostedRig.with(FakeReplicate()) { fake in
            let api = try await backend(fake)
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            #expect(seen.count == 3, "\(seen)")
            #expect(seen.first == .queued(position: nil))
            #expect(seen.dropFirst().first == .running(progress: 0.5))
            guard case .completed(let ref) = seen.last else { Issue.record("\(seen)"); return }
            let create = try #require(await fake.log.first { $0.method == "POST" })
            #expect(create.path == "/v1/models/black-forest-labs/flux-schnell/predictions")
            #expect(create.headers["prefer"] == "wait=5")
            let input = try #require(Fake.object(create.body)?["input"] as? [String: Any])
            #expect(input["prompt"] as? String == "a lighthouse at dusk" && input["num_inference_steps"] as? Int == 6)
            let image = try await api.download(ref)
            #expect(try ImageCodec.dimensions(of: image.bytes).height == 192)
            // The output file is fetched without the key (replicate.delivery needs none).
            let file = try #require(await fake.log.first { $0.path.hasPrefix("/files/") })
            #expect(file.headers["authorization"] == nil)
        }
    }

    @Test func aVersionIsCreatedOnPredictionsWithTheVersionInTheBody() async throws {
        try await HostedRig.with(FakeReplicate()) { fake in
            let v = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
            let api = try await backend(fake, model: nil, version: v)
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
            let create = try #require(await fake.log.first { $0.method == "POST" })
            #expect(create.path == "/v1/predictions")
            #expect(Fake.object(create.body)?["version"] as? String == v)
        }
    }

    @Test(arguments: [FakeReplicate.OutputShape.list, .string, .object, .dataURI])
    func everyOutputShapeGivesOneImage(_ shape: FakeReplicate.OutputShape) async throws {
        try await HostedRig.with(FakeReplicate(outputShape: shape)) { fake in
            let api = try await backend(fake)
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed(let ref) = seen.last else { Issue.record("\(shape): \(seen)"); return }
            #expect(shape == .dataURI ? ref.url.hasPrefix("data:image/png;base64,") : ref.url.hasSuffix(".png"))
            let image = try await api.download(ref)
            #expect(try ImageCodec.dimensions(of: image.bytes).width == 320)
        }
    }

    @Test func outputNormalisationWalksAnyNesting() {
        #expect(Hosted.firstImageURL(in: ["https://r.delivery/a.webp", "https://r.delivery/b.webp"]) == "https://r.delivery/a.webp")
        #expect(Hosted.firstImageURL(in: "https://r.delivery/a.png") == "https://r.delivery/a.png")
        #expect(Hosted.firstImageURL(in: ["images": [["url": "https://x/y.png"]], "seed": 4]) == "https://x/y.png")
        #expect(Hosted.firstImageURL(in: ["note", 3, ["data:image/webp;base64,UklGR"]]) == "data:image/webp;base64,UklGR")
        #expect(Hosted.firstImageURL(in: ["text": "no image here"]) == nil)
        #expect(Hosted.firstImageURL(in: NSNull()) == nil)
    }

    @Test func progressIsReadFromTheLastBarInTheLogs() {
        #expect(Hosted.progress(fromLogs: ["Using seed: 1", "  0%|          | 0/20 [00:00<?, ?it/s]", " 45%|████▌     | 9/20 [00:02<00:03]"]) == 0.45)
        #expect(Hosted.progress(fromLogs: ["step 7/28"]) == 0.25)
        #expect(Hosted.progress(fromLogs: ["Loading weights", "no numbers"]) == nil)
        #expect(Hosted.progress(fromLogs: []) == nil)
    }

    @Test func aPredictionThatFinishesWithinTheWaitCompletesAtSubmit() async throws {
        try await HostedRig.with(FakeReplicate(completesWithinWait: true)) { fake in
            let api = try await backend(fake)
            let (_, first) = try await api.submit(HostedRig.request())
            guard case .completed(let ref) = first else { Issue.record("\(first)"); return }
            _ = try await api.download(ref)
            #expect(await fake.log.filter { $0.method == "GET" && $0.path.hasPrefix("/v1/") }.isEmpty)
        }
    }

    @Test func aThrottledCreateIsRateLimitedWithRetryAfterAndNotResent() async throws {
        try await HostedRig.with(FakeReplicate(throttledCreates: 1)) { fake in
            let api = try await backend(fake)
            let error = await HostedRig.error { _ = try await api.submit(HostedRig.request()) }
            #expect(error == .rateLimited(retryAfter: .seconds(1)))
            #expect(error?.message == "rate limited: retry in 1s")
            #expect(await fake.creates == 1)
            // The app sends it again after the wait; the second create goes through.
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
            #expect(await fake.creates == 2)
        }
    }

    @Test func aCreateThatTimesOutAfterBeingSentIsReportedAndNeverResent() async throws {
        try await HostedRig.with(FakeReplicate()) { fake in
            let api = try await backend(fake, timeout: 1)
            let error = await HostedRig.error { _ = try await api.submit(HostedRig.request("slow [[stall]]")) }
            guard case .network(let why) = error else { Issue.record("\(String(describing: error))"); return }
            #expect(why.contains("timed out"))
            #expect(why.contains("the prediction may have been created on Replicate, so it was not sent again"))
            try await Task.sleep(for: .milliseconds(1500))
            #expect(await fake.creates == 1)
        }
    }

    @Test func anUnreadablePollIsReadAgainNotCreatedAgain() async throws {
        try await HostedRig.with(FakeReplicate(garbledPolls: 2)) { fake in
            let api = try await backend(fake)
            let (id, first) = try await api.submit(HostedRig.request())
            #expect(first == .queued(position: nil))
            // Two truncated bodies, then the real answer, all within one status call.
            #expect(try await api.status(of: id) == .running(progress: 0.5))
            #expect(await fake.log.filter { $0.method == "GET" }.count == 3)
            #expect(await fake.creates == 1)
        }
    }

    @Test func threeUnreadablePollsAreABadResponse() async throws {
        try await HostedRig.with(FakeReplicate(garbledPolls: 3)) { fake in
            let api = try await backend(fake)
            let (id, _) = try await api.submit(HostedRig.request())
            let error = await HostedRig.error { _ = try await api.status(of: id) }
            #expect(error == .badResponse("malformed JSON from GET /v1/predictions"))
            #expect(await fake.creates == 1)
        }
    }

    @Test func aValidationFailureKeepsTitleAndDetail() async throws {
        try await HostedRig.with(FakeReplicate()) { fake in
            let api = try await backend(fake)
            let error = await HostedRig.error { _ = try await api.submit(HostedRig.request("x [[invalid]]")) }
            #expect(error == .invalidPrompt(reason: "Input validation failed: - input.prompt: prompt rejected by the content filter"))
        }
    }

    @Test func aFailedPredictionReportsItsError() async throws {
        try await HostedRig.with(FakeReplicate()) { fake in
            let api = try await backend(fake)
            let (_, seen) = try await HostedRig.run(api, HostedRig.request("nan [[fail]]"))
            #expect(seen.last == .failed("the sampler produced NaNs"))
        }
    }

    @Test func cancelPostsToUrlsCancelAndThePredictionReportsCanceled() async throws {
        try await HostedRig.with(FakeReplicate()) { fake in
            let api = try await backend(fake)
            let (id, _) = try await api.submit(HostedRig.request("wait [[queued]]"))
            try await api.cancel(id)
            #expect(await fake.log.contains { $0.method == "POST" && $0.path == "/v1/predictions/\(id.rawValue)/cancel" })
            #expect(try await api.status(of: id) == .failed("canceled on Replicate"))
        }
    }

    @Test func aModelThatIsNotOwnerSlashNameIsRefusedAtSetup() throws {
        for model in [nil, "flux-schnell", "a/b/c", "/flux"] as [String?] {
            var o = BackendOptions(name: "r", kind: .replicate)
            o.model = model
            #expect(throws: BackendSetupError.self, "\(String(describing: model))") { try ReplicateBackend(options: o, http: HTTPClient()) }
        }
        var o = BackendOptions(name: "r", kind: .replicate)
        o.model = "stability-ai/sdxl:7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc"
        #expect(try ReplicateBackend(options: o, http: HTTPClient()).version == o.model)
    }

    @Test func problemDetailsAndThrottleBodiesMapByStatus() {
        #expect(ReplicateBackend.failure(HostedRig.response(404, #"{"title":"Not found","detail":"The requested resource could not be found.","status":404}"#)) == .notFound)
        #expect(ReplicateBackend.failure(HostedRig.response(429, #"{"detail":"Request was throttled. Your rate limit resets in ~30s."}"#, headers: ["retry-after": "30"]))
                == .rateLimited(retryAfter: .seconds(30)))
        #expect(ReplicateBackend.failure(HostedRig.response(503, "upstream connect error")) == .server(status: 503, message: ""))
    }
}
