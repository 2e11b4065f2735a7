@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import FakeServices
import Foundation
import Testing

/// `OpenAIImagesBackend` against `FakeOpenAIImages`, and its error mapping on the shapes of
/// reference/backends.md §5.4 and §9 rows 19 and 23.
@Suite("OpenAI Images: request dialects, result shapes and error bodies")
struct OpenAIImagesTests {
    private let key = KeySource.configFile(FakeOpenAIImages.defaultKey, file: "test.toml")

    private func backend(_ fake: FakeOpenAIImages, model: String?, timeout: Double = 10) async -> OpenAIImagesBackend {
        OpenAIImagesBackend(options: HostedRig.options(.openai, await fake.baseURL, key: key, model: model), http: HostedRig.http(timeout: timeout))
    }

    private func lastBody(_ fake: FakeOpenAIImages) async -> [String: Any] {
        let post = await fake.log.last { $0.method == "POST" }
        return post.flatMap { Fake.object($0.body) } ?? [:]
    }

    @Test func gptImageGetsNoResponseFormatNorLocalExtrasAndItsBase64Downloads() async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = await backend(fake, model: "gpt-image-1")
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed(let ref) = seen.last else { Issue.record("\(seen)"); return }
            #expect(ref.url.hasPrefix("data:image/png;base64,"))
            let body = await lastBody(fake)
            #expect(body["model"] as? String == "gpt-image-1")
            #expect(body["size"] as? String == "1536x1024")       // gpt-image makes no 320x192: the nearest landscape size
            #expect(body["n"] as? Int == 1)
            for absent in ["response_format", "seed", "step", "negative_prompt"] { #expect(body[absent] == nil, "\(absent)") }
            let image = try await api.download(ref)
            let size = try ImageCodec.dimensions(of: image.bytes)
            #expect(size.width == 1536 && size.height == 1024)
        }
    }

    @Test(arguments: ["dall-e-2", "dall-e-3"])
    func dallEModelsAskForBase64(_ model: String) async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = await backend(fake, model: model)
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed(let ref) = seen.last else { Issue.record("\(seen)"); return }
            #expect(ref.url.hasPrefix("data:image/png;base64,"))
            let body = await lastBody(fake)
            #expect(body["response_format"] as? String == "b64_json")
            #expect(body["seed"] == nil)
        }
    }

    @Test func aLocalServerModelGetsNegativePromptSeedAndSteps() async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = await backend(fake, model: "sd-cpp-local")
            _ = try await HostedRig.run(api, HostedRig.request())
            let body = await lastBody(fake)
            #expect(body["negative_prompt"] as? String == "blurry")
            #expect(body["seed"] as? Int == 77)
            #expect(body["step"] as? Int == 6)
            #expect(body["response_format"] == nil)
        }
    }

    @Test func aURLResultIsFetchedFromTheServer() async throws {
        try await HostedRig.with(FakeOpenAIImages(answersWithURL: true)) { fake in
            let api = await backend(fake, model: nil)
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed(let ref) = seen.last else { Issue.record("\(seen)"); return }
            #expect(ref.url.hasPrefix(await fake.baseURL + "/generated-images/"))
            let image = try await api.download(ref)
            #expect(try ImageCodec.dimensions(of: image.bytes).width == 320)
        }
    }

    @Test func aContentPolicyRejectionIsAnInvalidPromptWithTheServiceText() async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = await backend(fake, model: "dall-e-3")
            let error = await HostedRig.error { _ = try await HostedRig.run(api, HostedRig.request("x [[invalid]]")) }
            guard case .invalidPrompt(let reason) = error else { Issue.record("\(String(describing: error))"); return }
            #expect(reason.hasPrefix("rejected by the content policy: Your request was rejected as a result of our safety system"))
        }
    }

    @Test func aPlainStringErrorBodyIsRead() async throws {
        // sd-server answers {"error":"prompt required"} instead of OpenAI's object (§9 row 23).
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = await backend(fake, model: nil)
            let error = await HostedRig.error { _ = try await HostedRig.run(api, GenerationRequest(prompt: "")) }
            #expect(error == .invalidPrompt(reason: "prompt required"))
            #expect(error?.message == "invalid prompt: prompt required")
        }
    }

    @Test func aFailedGenerationAsAPlainString500IsAServerErrorWithItsText() async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = await backend(fake, model: nil)
            let error = await HostedRig.error { _ = try await HostedRig.run(api, HostedRig.request("nan [[fail]]")) }
            #expect(error == .server(status: 500, message: "generation failed: the sampler produced NaNs"))
        }
    }

    @Test func theFakeRefusesResponseFormatForGptImageAsOpenAIDoes() async throws {
        // What the adapter avoids: a client that sends response_format to gpt-image gets §9 row 19's body.
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let body = Array(#"{"model":"gpt-image-1","prompt":"fox","size":"1024x1024","response_format":"b64_json"}"#.utf8)
            let r = try await HostedRig.http().send(.postJSON(await fake.baseURL + "/v1/images/generations", body,
                                                              headers: [("Authorization", "Bearer " + FakeOpenAIImages.defaultKey)]))
            #expect(r.status == 400)
            #expect(OpenAIImagesBackend.failure(r) == .invalidPrompt(reason: "Unknown parameter: 'response_format'."))
        }
    }

    @Test func unknownParameterResponseFormatIsAnInvalidPromptNamingTheParameter() {
        // The verbatim body gpt-image sends when a client adds response_format (§9 row 19).
        let r = HostedRig.response(400, #"{"error":{"message":"Unknown parameter: 'response_format'.","type":"invalid_request_error","param":"response_format","code":"unknown_parameter"}}"#)
        let error = OpenAIImagesBackend.failure(r)
        #expect(error == .invalidPrompt(reason: "Unknown parameter: 'response_format'."))
    }

    @Test func moderationBlockedIsAnInvalidPrompt() {
        let r = HostedRig.response(400, #"{"error":{"message":"Your request was rejected by the safety system. If you believe this is an error, contact us and include the request ID req_123.","type":"image_generation_user_error","param":null,"code":"moderation_blocked"}}"#)
        guard case .invalidPrompt(let reason) = OpenAIImagesBackend.failure(r) else { Issue.record("not invalidPrompt"); return }
        #expect(reason.contains("rejected by the content policy") && reason.contains("req_123"))
    }

    @Test func rateLimitsReadRetryAfterMsThenRetryAfter() {
        let body = #"{"error":{"message":"Rate limit reached for images per minute","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
        #expect(OpenAIImagesBackend.failure(HostedRig.response(429, body, headers: ["retry-after-ms": "1500", "retry-after": "2"]))
                == .rateLimited(retryAfter: .milliseconds(1500)))
        #expect(OpenAIImagesBackend.failure(HostedRig.response(429, body, headers: ["retry-after": "20"])) == .rateLimited(retryAfter: .seconds(20)))
        #expect(OpenAIImagesBackend.failure(HostedRig.response(429, body)) == .rateLimited(retryAfter: nil))
    }

    @Test func anExhaustedQuotaIsNotARateLimit() {
        let r = HostedRig.response(429, #"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#)
        #expect(OpenAIImagesBackend.failure(r) == .unauthorized("the account has no quota left: You exceeded your current quota, please check your plan and billing details."))
    }

    @Test func garbageBodiesStillGiveACategorizedError() {
        #expect(OpenAIImagesBackend.failure(HostedRig.response(502, "<html>Bad Gateway</html>")) == .server(status: 502, message: ""))
        #expect(OpenAIImagesBackend.failure(HostedRig.response(400, "{\"error\":")) == .invalidPrompt(reason: "{\"error\":"))
    }

    @Test func anIdFromAnotherRunIsNotFoundAndCancelAbortsTheRequest() async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = await backend(fake, model: nil)
            #expect(await HostedRig.error { _ = try await api.status(of: RemoteJobID("openai-from-yesterday")) } == .notFound)
            let (id, first) = try await api.submit(HostedRig.request("slow [[running]]"))
            #expect(first == .running(progress: nil))
            let start = ContinuousClock.now
            try await api.cancel(id)
            #expect(try await api.status(of: id) == .failed("canceled: the request was aborted"))
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test func aTrailingV1InTheURLIsAccepted() async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = OpenAIImagesBackend(options: HostedRig.options(.openai, await fake.baseURL + "/v1/", key: key), http: HostedRig.http())
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
            #expect(await fake.log.contains { $0.path == "/v1/images/generations" })
            let health = await api.health()
            #expect(health.ok && health.models == ["gpt-image-1", "gpt-4o-mini", "dall-e-3"], "\(health)")
        }
    }
    @Test func aServerThatWantsAKeyWhenNoneIsConfiguredSaysWhereToPutOne() async throws {
        // Local OpenAI-compatible servers need no key, so none is required up front; a 401 explains it.
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = OpenAIImagesBackend(options: HostedRig.options(.openai, await fake.baseURL, key: nil), http: HostedRig.http())
            let error = await HostedRig.error { _ = try await HostedRig.run(api, HostedRig.request()) }
            #expect(error == .unauthorized("Incorrect API key provided: sk-****. You can find your API key at https://platform.openai.com/account/api-keys. (no key configured: set api_key_env, api_key_cmd or api_key in [backends.openai-test])"))
            #expect(await fake.log.first?.headers["authorization"] == nil)
        }
    }
}
