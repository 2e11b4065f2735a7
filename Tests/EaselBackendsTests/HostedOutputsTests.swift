@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import EaselStore
import FakeServices
import Foundation
import Testing

/// What hosted services make (issue 19, items 1, 4 and 5): sizes the model accepts, several images per
/// request, and a 200 that is a refusal. Against `FakeOpenAIImages`, which refuses sizes and `n` as
/// OpenAI does, and `Outputs` on fal's and Replicate's result shapes.
@Suite("Hosted outputs: fixed model sizes, several images, refusals inside a 200")
struct HostedOutputsTests {
    private let key = KeySource.configFile(FakeOpenAIImages.defaultKey, file: "test.toml")

    private func backend(_ fake: FakeOpenAIImages, model: String?) async -> OpenAIImagesBackend {
        OpenAIImagesBackend(options: HostedRig.options(.openai, await fake.baseURL, key: key, model: model), http: HostedRig.http(timeout: 20))
    }

    private func request(_ w: Int, _ h: Int, _ prompt: String = "a lighthouse at dusk") -> GenerationRequest {
        GenerationRequest(prompt: prompt, width: w, height: h, seed: 5, steps: 10)
    }

    @Test(arguments: [
        ("gpt-image-1", 768, 768, 1024, 1024), ("gpt-image-1", 768, 512, 1536, 1024), ("gpt-image-1", 512, 768, 1024, 1536),
        ("gpt-image-1-mini", 1024, 576, 1536, 1024),
        ("dall-e-3", 768, 768, 1024, 1024), ("dall-e-3", 1024, 576, 1792, 1024), ("dall-e-3", 512, 768, 1024, 1792),
        ("dall-e-2", 768, 768, 1024, 1024), ("dall-e-2", 300, 300, 256, 256), ("dall-e-2", 768, 512, 512, 512),
        ("sd-cpp-local", 768, 768, 768, 768), ("sd-cpp-local", 320, 192, 320, 192),
    ])
    func theSizeSentIsTheNearestTheModelMakesOfTheSameOrientation(_ model: String, _ w: Int, _ h: Int, _ sentW: Int, _ sentH: Int) async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = await backend(fake, model: model)
            let (_, seen) = try await HostedRig.run(api, request(w, h))
            guard case .completed(let ref) = seen.last else { Issue.record("\(model) \(w)x\(h): \(seen)"); return }
            let sent = await fake.log.last { $0.method == "POST" }.flatMap { Fake.object($0.body) }
            #expect(sent?["size"] as? String == "\(sentW)x\(sentH)", "\(model)")
            let made = try ImageCodec.dimensions(of: try await api.download(ref).bytes)
            #expect(made.width == sentW && made.height == sentH, "\(model): \(made)")
        }
    }

    @Test func aModelThatIsNotKnownGetsTheRequestUnchangedAndTheFakeStillRefusesWhatOpenAIRefuses() async throws {
        #expect(OpenAIImagesBackend.size(for: request(777, 333), model: "my-local-model") == OutputSize(777, 333))
        #expect(OpenAIImagesBackend.size(for: request(777, 333), model: nil) == OutputSize(777, 333))
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let body = Array(#"{"model":"gpt-image-1","prompt":"fox","size":"768x768"}"#.utf8)
            let r = try await HostedRig.http().send(.postJSON(await fake.baseURL + "/v1/images/generations", body,
                                                              headers: [("Authorization", "Bearer " + FakeOpenAIImages.defaultKey)]))
            #expect(OpenAIImagesBackend.failure(r) == .invalidPrompt(reason: "Invalid value: '768x768'. Supported values are: '1024x1024', '1536x1024', '1024x1536', and 'auto'."))
        }
    }

    @Test func severalImagesInOneAnswerAreAllReportedInOrder() async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = await backend(fake, model: "gpt-image-1")
            let (_, seen) = try await HostedRig.run(api, request(1024, 1024, "three foxes [[n=3]]"))
            guard case .completedBatch(let refs) = seen.last else { Issue.record("\(seen)"); return }
            #expect(refs.count == 3)
            var firstPixels: [[UInt8]] = []
            for ref in refs { firstPixels.append(Array(try ImageCodec.decode(try await api.download(ref).bytes).pixels.prefix(12))) }
            #expect(Set(firstPixels.map { $0.description }).count == 3, "three distinct images (seeds 5, 6, 7)")
        }
    }

    @Test func severalURLsFromALocalAIStyleServerAreAllFetched() async throws {
        try await HostedRig.with(FakeOpenAIImages(answersWithURL: true)) { fake in
            let api = await backend(fake, model: nil)
            let (_, seen) = try await HostedRig.run(api, request(64, 48, "pair [[n=2]]"))
            guard case .completedBatch(let refs) = seen.last else { Issue.record("\(seen)"); return }
            #expect(refs.map(\.url) == [await fake.baseURL + "/generated-images/img1.png", await fake.baseURL + "/generated-images/img2.png"])
            for ref in refs { #expect(try ImageCodec.dimensions(of: try await api.download(ref).bytes).width == 64) }
        }
    }

    @Test func a200WhoseEveryImageIsHeldBackByTheContentFilterIsAPolicyFailure() async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let error = await HostedRig.error { _ = try await HostedRig.run(await backend(fake, model: "dall-e-3"), request(1024, 1024, "x [[filtered]]")) }
            #expect(error == .invalidPrompt(reason: "rejected by the content policy: 1 of 1 image flagged by the service's safety checker (content_filter_results)"))
        }
    }

    @Test func a200WithAContentFilterFinishReasonIsAPolicyFailureInTheServicesWords() async throws {
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let error = await HostedRig.error { _ = try await HostedRig.run(await backend(fake, model: "gpt-image-1"), request(1024, 1024, "x [[finish-filter]]")) }
            #expect(error == .invalidPrompt(reason: "rejected by the content policy: finish reason content_filter: The generated image was withheld by the output safety filter."))
            #expect(error?.kind == "invalid_prompt")
        }
    }

    @Test func falsNSFWFlagsDropTheFlaggedImagesAndFailWhenNoneIsLeft() throws {
        let urls = ["https://fal.media/files/a.png", "https://fal.media/files/b.png"]
        let some: [String: Any] = ["images": urls.map { ["url": $0] }, "has_nsfw_concepts": [false, true]]
        #expect(try Outputs.unfiltered(Outputs.imageURLs(in: some["images"]), object: some) == [urls[0]])
        let all: [String: Any] = ["images": urls.map { ["url": $0] }, "has_nsfw_concepts": [true, true]]
        #expect(throws: JobError.invalidPrompt(reason: "rejected by the content policy: 2 of 2 images flagged by the service's safety checker (has_nsfw_concepts)")) {
            try Outputs.unfiltered(Outputs.imageURLs(in: all["images"]), object: all)
        }
        let clean: [String: Any] = ["images": urls.map { ["url": $0] }, "has_nsfw_concepts": [false, false]]
        #expect(try Outputs.status(Outputs.unfiltered(urls, object: clean), emptyReason: "none")
                == .completedBatch(urls.map { ImageRef(url: $0) }))
    }

    @Test func everyImageURLInAResultIsFoundOnceAndInOrder() throws {
        let replicate: Any = ["https://r.delivery/0.webp", "https://r.delivery/1.webp", "https://r.delivery/0.webp"]
        #expect(Outputs.imageURLs(in: replicate) == ["https://r.delivery/0.webp", "https://r.delivery/1.webp"])
        let nested: Any = ["output": ["images": [["url": "https://x/1.png"], ["url": "data:image/png;base64,AA=="]]], "seed": 3]
        #expect(Outputs.imageURLs(in: nested) == ["https://x/1.png", "data:image/png;base64,AA=="])
        #expect(Outputs.imageURLs(in: ["text": "not a url", "n": 3]).isEmpty)
        #expect(Outputs.imageURLs(in: (0..<40).map { "https://x/\($0).png" }).count == Outputs.maxImages)
        #expect(throws: JobError.badResponse("none")) { try Outputs.status([], emptyReason: "none") }
        #expect(try Outputs.status(["https://x/1.png"], emptyReason: "none") == .completed(ImageRef(url: "https://x/1.png")))
    }

    @Test func anAllBlackPlaceholderIsAPolicyFailureAndNothingIsSaved() async throws {
        func png(_ side: Int, _ value: UInt8) throws -> ImageData {
            var px = [UInt8](repeating: 255, count: side * side * 4)
            for i in stride(from: 0, to: px.count, by: 4) { px[i] = value; px[i + 1] = value; px[i + 2] = value }
            return ImageData(try ImageCodec.encodePNG(RGBAImage(width: side, height: side, pixels: px)))
        }
        let dir = tempDir()
        let black = await outcome(of: .save(JobID(9), try png(128, 0), GenerationRequest(prompt: "x"), remote: nil, backend: "demo"),
                                  gallery: Gallery(directory: dir), pending: nil)
        guard case .failed(JobID(9), .invalidPrompt(let reason), during: .save)? = black else { Issue.record("\(String(describing: black))"); return }
        #expect(reason == "rejected by the content policy: the service sent an all-black placeholder instead of the image (128x128)")
        #expect(((try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? []).isEmpty)
        // A night scene that is merely dark, and a tiny black swatch, are pictures.
        for (side, value): (Int, UInt8) in [(128, 1), (8, 0)] {
            let saved = await outcome(of: .save(JobID(10), try png(side, value), GenerationRequest(prompt: "night"), remote: nil, backend: "demo"),
                                      gallery: Gallery(directory: dir), pending: nil)
            guard case .saved? = saved else { Issue.record("\(side)/\(value): \(String(describing: saved))"); continue }
        }
    }

    @Test func refusalsAreReadFromFinishReasonsAndRefusalFieldsButNotFromOrdinaryAnswers() {
        #expect(Outputs.refusal(in: ["finishReason": "SAFETY"]) == "finish reason SAFETY")
        #expect(Outputs.refusal(in: [:], items: [["refusal": "I can't make that image."]]) == "I can't make that image.")
        #expect(Outputs.refusal(in: ["finish_reason": "stop", "data": [] as [Any]]) == nil)
        #expect(Outputs.flagged(in: ["nsfw_content_detected": true], count: 3) == [0, 1, 2])
        #expect(Outputs.flagged(in: ["has_nsfw_concepts": [false, "true", 1]], count: 2) == [1])
    }
}
