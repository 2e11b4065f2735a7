@testable import EaselBackends
import EaselCore
import EaselHTTP
import FakeServices
import Foundation
import Testing

/// What the studio's model picker lists for each backend (`GenerationBackend.models()`), and the picked
/// model (`GenerationRequest.model`) reaching what is sent.
@Suite("Backends list their models, and the request's model is the one sent")
struct BackendModelListTests {
    @Test(arguments: [FakeComfyUI.EnumShape.list, .combo, .absent])
    func comfyUIListsTheCheckpointLoadersChoicesInEveryShape(_ shape: FakeComfyUI.EnumShape) async throws {
        try await withComfy { backend, fake in
            await fake.setEnumShape(shape)
            await fake.setCheckpoints(["flux1-dev.safetensors", "sd_xl_base_1.0.safetensors", "v1-5\u{1B}[31m.ckpt"])
            let listed = try await backend.models()
            #expect(listed == ["flux1-dev.safetensors", "sd_xl_base_1.0.safetensors", "v1-5.ckpt"])
            let asked = await fake.log.map(\.path)
            #expect(asked.contains("/object_info/CheckpointLoaderSimple"))
            #expect(asked.contains("/models/checkpoints") == (shape == .absent))
        }
    }

    @Test func comfyUIsPickedCheckpointGoesIntoTheBuiltInGraphAndAnExportedOne() async throws {
        try await withComfy { backend, fake in
            var request = GenerationRequest(prompt: "a harbour", seed: 3, steps: 2)
            request.model = "sd_xl_base_1.0.safetensors"
            #expect(try graph(try backend.workflowJSON(for: request))["4"]?["ckpt_name"] as? String == "sd_xl_base_1.0.safetensors")
            request.model = nil
            #expect(try graph(try backend.workflowJSON(for: request))["4"]?["ckpt_name"] as? String == ComfyUIBackend.defaultModel)
            // And on the wire: the fake validates the name against its checkpoints.
            request.model = "sd_xl_base_1.0.safetensors"
            _ = try await backend.submit(request)
            let sent = await fake.log.filter { $0.path == "/prompt" }.map { String(decoding: $0.body, as: UTF8.self) }
            #expect(sent.last?.contains(#""ckpt_name":"sd_xl_base_1.0.safetensors""#) == true, "\(sent)")
        }
        let exported = workflowFile(String(decoding: try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/comfyui/sd15-default.json")), as: UTF8.self))
        try await withComfy({ $0.workflow = exported }) { backend, _ in
            var request = GenerationRequest(prompt: "a harbour", seed: 3, steps: 2)
            request.model = "sd_xl_base_1.0.safetensors"
            let nodes = try graph(try backend.workflowJSON(for: request))
            #expect(nodes["4"]?["ckpt_name"] as? String == "sd_xl_base_1.0.safetensors")
        }
    }

    @Test func comfyUIUnreachableIsANetworkError() async throws {
        let backend = try ComfyUIBackend(options: BackendOptions(name: "gpu", kind: .comfyui, url: "http://127.0.0.1:1"))
        let error = await HostedRig.error { _ = try await backend.models() }
        #expect(error?.kind == "network", "\(String(describing: error))")
    }

    @Test func a1111ListsSdModelTitlesAndSendsThePickedOneAsTheCheckpointOverride() async throws {
        try await withStarted(FakeA1111()) { fake in
            let backend = try A1111Backend(options: BackendOptions(name: "gpu", kind: .a1111, url: await fake.baseURL), http: HostedRig.http())
            #expect(try await backend.models() == FakeA1111.models)
            #expect(await fake.log.contains { $0.path == "/sdapi/v1/sd-models" })
        }
        var request = HostedRig.request()
        let options = BackendOptions(name: "gpu", kind: .a1111, url: "http://127.0.0.1:7860")
        #expect(Fake.object(A1111Backend.txt2imgBody(request, options: options))?["override_settings"] == nil)
        request.model = FakeA1111.models[1]
        let body = Fake.object(A1111Backend.txt2imgBody(request, options: options))
        #expect((body?["override_settings"] as? [String: String])?["sd_model_checkpoint"] == FakeA1111.models[1])
    }

    @Test func openAIListsOnlyImageModelsFromItsWholeListAndSendsThePickedOne() async throws {
        let key = KeySource.configFile(FakeOpenAIImages.defaultKey, file: "test.toml")
        try await HostedRig.with(FakeOpenAIImages()) { fake in
            let api = OpenAIImagesBackend(options: HostedRig.options(.openai, await fake.baseURL, key: key, model: "dall-e-3"), http: HostedRig.http())
            #expect(try await api.models() == ["gpt-image-1", "dall-e-3"])          // gpt-4o-mini is not an image model
            var request = HostedRig.request()
            request.model = "gpt-image-1"
            _ = try await HostedRig.run(api, request)
            let sent = await fake.log.last(where: { $0.path == "/v1/images/generations" }).flatMap { Fake.object($0.body) }
            #expect(sent?["model"] as? String == "gpt-image-1")
            let refused = OpenAIImagesBackend(options: HostedRig.options(.openai, await fake.baseURL, key: .configFile("sk-wrong", file: "t.toml")),
                                              http: HostedRig.http())
            let error = await HostedRig.error { _ = try await refused.models() }
            #expect(error?.kind == "unauthorized", "\(String(describing: error))")
        }
    }

    @Test func servicesWithoutAListSayNil() async throws {
        let key = KeySource.configFile("k", file: "t.toml")
        let fal = try FalBackend(options: HostedRig.options(.fal, "http://127.0.0.1:1", key: key, model: "fal-ai/flux/dev"), http: HostedRig.http())
        #expect(try await fal.models() == nil)
        #expect(try await SeedJobAPI(baseURL: "http://127.0.0.1:1").models() == nil)
    }
}
