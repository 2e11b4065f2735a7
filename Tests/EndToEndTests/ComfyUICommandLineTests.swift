import FakeServices
import Foundation
import Testing

/// ComfyUI from the command line: `--model` reaches the graph, a graph error names what the server has,
/// and `easel backends` warns of what will keep jobs from running.
@Suite("ComfyUI from the command line", .serialized)
struct ComfyUICommandLineTests {
    let comfy = FakeBackendCase(kind: "comfyui", makeFake: { FakeComfyUI() })

    @Test func modelOptionReachesTheGraphAndAMissingOneIsAGraphErrorNamingTheServersCheckpoints() async throws {
        let (config, fake) = try await comfy.start()
        try await withTeardown({ await fake.stop() }) {
            let gallery = Harness.tempDir("comfy-model")
            let ok = await Harness.runAsync([Harness.binary, "generate", "--config", config, "--backend", "fake", "--gallery", gallery,
                                             "--model", "sd_xl_base_1.0.safetensors", "--steps", "2", "a harbour"])
            #expect(ok.status == 0, "\(ok.out)")
            let sent = await fake.log.filter { $0.path == "/prompt" }.map { String(decoding: $0.body, as: UTF8.self) }
            #expect(sent.last?.contains(#""ckpt_name":"sd_xl_base_1.0.safetensors""#) == true, "\(sent)")
            let bad = await Harness.runAsync([Harness.binary, "generate", "--config", config, "--backend", "fake", "--gallery", gallery,
                                              "--model", "nope.safetensors", "--steps", "2", "a harbour"])
            #expect(bad.status != 0)
            #expect(bad.out.contains("graph error: Prompt outputs failed validation; CheckpointLoaderSimple (node 4): Value not in list"), "\(bad.out)")
            #expect(bad.out.contains("the server has no checkpoint 'nope.safetensors'; it has: v1-5-pruned-emaonly.safetensors, sd_xl_base_1.0.safetensors"), "\(bad.out)")
        }
    }

    @Test func backendsWarnsOfAMissingSampler() async throws {
        let (config, fake) = try await comfy.start(extra: "sampler = \"heun_x\"")
        try await withTeardown({ await fake.stop() }) {
            let r = await Harness.runAsync([Harness.binary, "backends", "--config", config])
            #expect(r.status == 0, "\(r.out)")
            #expect(r.out.contains("⚠ sampler heun_x is not on the server; it has: euler"), "\(r.out)")
        }
    }

    /// The user's report: `cd ~/art && easel backends --config easel.toml` with `workflow = "wf.json"` said
    /// "workflow file /wf.json: no such file": the relative workflow is found beside the relative config.
    @Test func aRelativeWorkflowBesideARelativeConfigIsFound() async throws {
        let fake = FakeComfyUI()
        try await fake.start()
        try await withTeardown({ await fake.stop() }) {
            let dir = Harness.tempDir("comfy-relative")
            try """
            {"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "{{prompt}}"}}}
            """.write(toFile: dir + "/wf.json", atomically: true, encoding: .utf8)
            try """
            [backends.gpu]
            kind = "comfyui"
            url = "\(await fake.baseURL)"
            workflow = "wf.json"
            """.write(toFile: dir + "/easel.toml", atomically: true, encoding: .utf8)
            let r = await Harness.runAsync(["/bin/sh", "-c", "cd '\(dir)' && exec '\(Harness.binary)' backends --config easel.toml"])
            #expect(r.status == 0, "\(r.out)")
            #expect(!r.out.contains("no such file"), "\(r.out)")
            #expect(r.out.contains("gpu"), "\(r.out)")
        }
    }
}
