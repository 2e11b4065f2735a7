@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import FakeServices
import Foundation
import Testing

/// Starts a `FakeSDCpp` with `options` and an adapter for it.
private func withSDCpp(_ options: FakeSDCpp.Options = .init(), configure: (inout BackendOptions) -> Void = { _ in },
                       _ body: (SDCppBackend, FakeSDCpp) async throws -> Void) async throws {
    try await withStarted(FakeSDCpp(options: options)) { fake in
        var backendOptions = BackendOptions(name: "cpp", kind: .sdcpp, url: await fake.baseURL)
        configure(&backendOptions)
        try await body(SDCppBackend(options: backendOptions, http: HTTPClient()), fake)
    }
}

/// Polls until the job leaves queued/running (at most 50 polls); returns the statuses seen.
private func settle(_ backend: SDCppBackend, _ id: RemoteJobID) async throws -> [RemoteStatus] {
    var seen: [RemoteStatus] = []
    for _ in 0..<50 {
        let s = try await backend.status(of: id)
        seen.append(s)
        if case .completed = s { break }
        if case .failed = s { break }
    }
    return seen
}

private let harbour = GenerationRequest(prompt: "a foggy harbour", negativePrompt: "text", width: 128, height: 96, seed: 99, steps: 12)

@Suite("stable-diffusion.cpp sd-server adapter against FakeSDCpp over loopback")
struct SDCppTests {
    @Test func theNativeBodyCarriesPromptSizeSeedStepsSamplerAndCFG() async throws {
        try await withSDCpp(configure: { $0.sampler = "euler_a"; $0.cfgScale = 4.5; $0.model = "ignored.gguf" }) { backend, fake in
            let (id, first) = try await backend.submit(harbour)
            #expect(id.rawValue.hasPrefix("job_") && first == .queued(position: nil))
            let sent = try #require(await fake.log.first { $0.path == "/sdcpp/v1/img_gen" })
            let o = try #require(Fake.object(sent.body))
            #expect(o["prompt"] as? String == "a foggy harbour" && o["negative_prompt"] as? String == "text")
            #expect(o["width"] as? Int == 128 && o["height"] as? Int == 96 && o["seed"] as? Int == 99 && o["batch_count"] as? Int == 1)
            let sample = try #require(o["sample_params"] as? [String: Any])
            #expect(sample["sample_steps"] as? Int == 12 && sample["sample_method"] as? String == "euler_a")
            #expect((sample["guidance"] as? [String: Any])?["txt_cfg"] as? Double == 4.5)
            #expect(o["model"] == nil && o["output_format"] as? String == "png")
        }
    }

    @Test func statusesMapQueuedGeneratingCompletedAndTheImageDownloads() async throws {
        try await withSDCpp { backend, _ in
            let (id, _) = try await backend.submit(harbour)
            let seen = try await settle(backend, id)
            #expect(Array(seen.prefix(2)) == [.queued(position: 1), .running(progress: nil)])
            guard case .completed(let ref) = seen.last else { Issue.record("\(seen)"); return }
            let image = try await backend.download(ref)
            #expect(ImageFormat(sniffing: image.bytes) == .png)
            let size = try ImageCodec.dimensions(of: image.bytes)
            #expect(size.width == 128 && size.height == 96)
        }
    }

    @Test(arguments: ["jpeg", "webp"])
    func jpegAndWebPResultsAreSniffed(_ format: String) async throws {
        var options = FakeSDCpp.Options()
        options.outputFormat = format
        try await withSDCpp(options) { backend, _ in
            let (id, _) = try await backend.submit(harbour)
            guard case .completed(let ref) = try await settle(backend, id).last else { Issue.record("not completed"); return }
            #expect(ImageFormat(sniffing: try await backend.download(ref).bytes) == (format == "webp" ? .webp : .jpeg))
        }
    }

    @Test func errorBodiesAreStringsKeptAsTheReason() async throws {
        try await withSDCpp { backend, _ in
            await #expect(throws: JobError.invalidPrompt(reason: "invalid generation parameters")) {
                _ = try await backend.submit(GenerationRequest(prompt: "bad [[invalid]]"))
            }
            await #expect(throws: JobError.server(status: 500, message: "server_error: std::bad_alloc while loading the VAE")) {
                _ = try await backend.submit(GenerationRequest(prompt: "boom [[500]]"))
            }
            await #expect(throws: JobError.notFound) { _ = try await backend.status(of: RemoteJobID("job_0_00000000")) }
        }
        // §9 row 23: `{"error":"prompt required"}`; also the object form and `{error, message}`.
        #expect(SDCppBackend.errorText(Array(#"{"error":"prompt required"}"#.utf8)) == "prompt required")
        #expect(SDCppBackend.errorText(Array(#"{"error":"invalid json","message":"unexpected end"}"#.utf8)) == "invalid json: unexpected end")
        #expect(SDCppBackend.errorText(Array(#"{"error":{"code":"x","message":"no model"}}"#.utf8)) == "no model")
        #expect(SDCppBackend.errorText(Array("<html>".utf8)) == nil)
        let full = SDCppBackend.error(HTTPResponse(status: 429, headers: [:], body: Array(#"{"error":"job queue is full"}"#.utf8)))
        #expect(full == .rateLimited(retryAfter: nil))
    }

    @Test func aFailedJobKeepsTheServersMessage() async throws {
        try await withSDCpp { backend, _ in
            let (id, _) = try await backend.submit(GenerationRequest(prompt: "nan [[fail]]"))
            #expect(try await settle(backend, id).last == .failed("generate_image returned no results"))
        }
    }

    @Test func cancelWhileQueuedIsCancelledOnTheServer() async throws {
        try await withSDCpp { backend, fake in
            let (id, _) = try await backend.submit(GenerationRequest(prompt: "wait [[queued]]"))
            #expect(try await backend.status(of: id) == .queued(position: 1))
            try await backend.cancel(id)
            #expect(await fake.cancels == 1)
            #expect(try await backend.status(of: id) == .failed("job cancelled by client"))
        }
    }

    @Test func cancelWhileGeneratingIsA409SoTheJobIsDroppedLocally() async throws {
        try await withSDCpp { backend, fake in
            let (id, _) = try await backend.submit(GenerationRequest(prompt: "busy [[running]]"))
            _ = try await backend.status(of: id)
            #expect(try await backend.status(of: id) == .running(progress: nil))
            try await backend.cancel(id)
            #expect(await fake.cancels == 1)
            guard case .failed(let why) = try await backend.status(of: id) else { Issue.record("still reported"); return }
            #expect(why.contains("canceled in Easel") && why.contains("cannot interrupt"))
        }
        var newer = FakeSDCpp.Options()
        newer.cancelGenerating = true
        try await withSDCpp(newer) { backend, _ in
            let (id, _) = try await backend.submit(GenerationRequest(prompt: "busy [[running]]"))
            _ = try await backend.status(of: id)
            _ = try await backend.status(of: id)
            try await backend.cancel(id)
            #expect(try await backend.status(of: id) == .failed("job cancelled by client"))
        }
    }

    @Test func aCompletedImageIsFetchedAgainByANewAdapterUntilItExpires() async throws {
        try await withSDCpp { backend, fake in
            let (id, _) = try await backend.submit(harbour)
            guard case .completed(let ref) = try await settle(backend, id).last else { Issue.record("not completed"); return }
            // A fresh adapter (Easel restarted) holds nothing in memory and asks the server again.
            let fresh = SDCppBackend(options: BackendOptions(name: "cpp", kind: .sdcpp, url: await fake.baseURL), http: HTTPClient())
            #expect(ImageFormat(sniffing: try await fresh.download(ref).bytes) == .png)
            await fake.expire(id.rawValue)
            let again = SDCppBackend(options: BackendOptions(name: "cpp", kind: .sdcpp, url: await fake.baseURL), http: HTTPClient())
            await #expect(throws: JobError.notFound) { _ = try await again.download(ref) }
            await #expect(throws: JobError.notFound) { _ = try await again.status(of: id) }
        }
    }

    @Test func healthNamesTheModelAndSamplers() async throws {
        try await withSDCpp { backend, _ in
            let h = await backend.health()
            #expect(h.ok && h.detail == "sd-server answers, model sd-v1-5.safetensors, 6 samplers")
            #expect(h.models == ["sd-v1-5.safetensors"] && h.samplers.contains("euler_a"))
        }
    }
}
