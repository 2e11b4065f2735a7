@testable import EaselBackends
import EaselCore
import FakeServices
import Foundation
import Testing

/// Workflows saved with ComfyUI's "Export (API)" work as they are: the prompt, negative prompt, seed,
/// steps and size go where the sampler's links lead.
@Suite("ComfyUI: exported workflows without placeholders")
struct ComfyUIWorkflowMapTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        let file: String
        /// Node id and input of: prompt, negative prompt, seed, steps, width, height, model.
        let prompt: String, negative: String?, seed: String, steps: String, size: String, model: String
        var testDescription: String { file }
    }

    static let shapes = [
        Shape(file: "sd15-default.json", prompt: "6.text", negative: "7.text", seed: "3.seed", steps: "3.steps", size: "5", model: "4.ckpt_name"),
        Shape(file: "sdxl-ksampler-advanced-lora.json", prompt: "6.text", negative: "7.text", seed: "10.noise_seed", steps: "10.steps",
              size: "5", model: "4.ckpt_name"),
        Shape(file: "separate-vae.json", prompt: "6.text", negative: "7.text", seed: "3.seed", steps: "3.steps", size: "5", model: "4.ckpt_name"),
        Shape(file: "flux-dev.json", prompt: "6.text", negative: nil, seed: "25.noise_seed", steps: "17.steps", size: "27", model: "12.unet_name"),
    ]

    func backend(_ file: String, configure: (inout BackendOptions) -> Void = { _ in }) throws -> ComfyUIBackend {
        var options = BackendOptions(name: "gpu", kind: .comfyui, url: "http://127.0.0.1:9")
        options.workflow = fixturePath("comfyui/" + file)
        configure(&options)
        return try ComfyUIBackend(options: options)
    }

    func value(_ graph: [String: [String: Any]], _ path: String) -> Any? {
        let parts = path.split(separator: ".").map(String.init)
        return graph[parts[0]]?[parts[1]]
    }

    @Test(arguments: shapes)
    func theRequestGoesWhereTheSamplersLinksLead(_ shape: Shape) throws {
        let request = GenerationRequest(prompt: "a lighthouse at dusk", negativePrompt: "blurry", width: 832, height: 640, seed: 4242, steps: 9)
        let sent = try graph(try backend(shape.file).workflowJSON(for: request))
        #expect(value(sent, shape.prompt) as? String == "a lighthouse at dusk")
        if let negative = shape.negative { #expect(value(sent, negative) as? String == "blurry") }
        #expect((value(sent, shape.seed) as? NSNumber)?.intValue == 4242)
        #expect((value(sent, shape.steps) as? NSNumber)?.intValue == 9)
        #expect((sent[shape.size]?["width"] as? NSNumber)?.intValue == 832 && (sent[shape.size]?["height"] as? NSNumber)?.intValue == 640)
        // Without `model` in the config the workflow's own checkpoint stays; with it, it is replaced.
        let original = try graph(Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("comfyui/" + shape.file)))))
        #expect(value(sent, shape.model) as? String == value(original, shape.model) as? String)
        let chosen = try graph(try backend(shape.file) { $0.model = "mine.safetensors" }.workflowJSON(for: request))
        #expect(value(chosen, shape.model) as? String == "mine.safetensors")
    }

    @Test func theConfigsSamplerAndCFGReplaceTheWorkflowsOnlyWhenGiven() throws {
        let request = GenerationRequest(prompt: "x", seed: 1, steps: 5)
        let kept = try graph(try backend("sd15-default.json").workflowJSON(for: request))
        #expect(kept["3"]?["sampler_name"] as? String == "euler" && (kept["3"]?["cfg"] as? NSNumber)?.doubleValue == 8)
        let set = try graph(try backend("sd15-default.json") { $0.sampler = "dpmpp_2m"; $0.cfgScale = 5.5 }.workflowJSON(for: request))
        #expect(set["3"]?["sampler_name"] as? String == "dpmpp_2m" && (set["3"]?["cfg"] as? NSNumber)?.doubleValue == 5.5)
        let flux = try graph(try backend("flux-dev.json") { $0.sampler = "heun" }.workflowJSON(for: request))
        #expect(flux["16"]?["sampler_name"] as? String == "heun")
    }

    @Test func aWorkflowEaselCannotMapIsRefusedNamingWhatIsMissing() {
        var options = BackendOptions(name: "gpu", kind: .comfyui, url: "http://127.0.0.1:9")
        options.workflow = fixturePath("comfyui/no-sampler.json")
        do { _ = try ComfyUIBackend(options: options); Issue.record("a workflow without a sampler was accepted") } catch {
            #expect(error.message.contains("has no {{placeholders}}, and Easel could not find where the prompt goes: no sampler node"),
                    "\(error.message)")
        }
    }

    @Test func anExportedDefaultGraphRunsOnTheFakeAsItIs() async throws {
        try await withComfy({ $0.workflow = fixturePath("comfyui/sd15-default.json") }) { backend, fake in
            let request = GenerationRequest(prompt: "a red sun", negativePrompt: "fog", width: 320, height: 192, seed: 77, steps: 6)
            let (id, _) = try await backend.submit(request)
            guard case .success(.completed) = await poll(backend, id) else { Issue.record("did not complete"); return }
            let seen = try #require(await fake.received.first)
            #expect(seen.prompt == "a red sun" && seen.negativePrompt == "fog" && seen.seed == 77 && seen.steps == 6)
            #expect(seen.width == 320 && seen.height == 192)
        }
    }

    @Test func aRelativeWorkflowPathUnderARelativeConfigPathIsTakenFromTheConfigsFolderNotTheRoot() {
        // `--config easel.toml`: the config's folder is the current one, never "" (which made `wf.json` into `/wf.json`).
        #expect(ComfyUIBackend.resolve("wf.json", configFile: "easel.toml", currentDirectory: "/home/u/work") == "/home/u/work/wf.json")
        #expect(ComfyUIBackend.resolve("wf.json", configFile: "conf/easel.toml", currentDirectory: "/home/u") == "/home/u/conf/wf.json")
        #expect(ComfyUIBackend.resolve("flows/wf.json", configFile: "/etc/easel/easel.toml", currentDirectory: "/tmp") == "/etc/easel/flows/wf.json")
        #expect(ComfyUIBackend.resolve("/abs/wf.json", configFile: "easel.toml", currentDirectory: "/tmp") == "/abs/wf.json")
    }
}
