@testable import EaselBackends
import EaselCore
import EaselHTTP
import FakeServices
import Foundation
import Testing

/// Graph errors (`JobError.graph`) as ComfyUI 0.3.64 sends them, and a 200 that dropped part of the graph.
@Suite("ComfyUI graph errors")
struct ComfyUIGraphErrorTests {
    let lighthouse = GenerationRequest(prompt: "a lighthouse", negativePrompt: "blurry", width: 320, height: 192, seed: 1234, steps: 6)

    /// ComfyUI's own shapes (0.3.64): a link to a node the graph lacks keeps its main message; a 200 that
    /// dropped an output names it as a warning, once; a long list only gives its length.
    @Test func aGraphErrorKeepsTheMainMessageAndAPartlyDroppedGraphIsAWarning() async throws {
        let dangling = workflowFile(#"""
            {"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0, "p": "{{prompt}}"}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["99", 0], "filename_prefix": "x"}}}
            """#)
        try await withComfy({ $0.workflow = dangling }) { backend, _ in
            await #expect(throws: JobError.graph("Prompt outputs failed validation; SaveImage (node 2): Exception when validating node: '99'"
                + " — an input links to node '99', which the workflow does not have")) { _ = try await backend.submit(lighthouse) }
        }
        let partly = workflowFile(#"""
            {"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0, "p": "{{prompt}}"}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "good"}},
             "3": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 0, "color": 0}},
             "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "dropped"}}}
            """#)
        try await withComfy({ $0.workflow = partly }) { backend, _ in
            let (id, _) = try await backend.submit(lighthouse)
            #expect(backend.takeNotice(for: id) == "ComfyUI queued the job but dropped part of the workflow: EmptyImage (node 3): batch_size: Value 0 smaller than min of 1")
            #expect(backend.takeNotice(for: id) == nil, "once")
        }
        let long = Array(#"{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": ""}, "node_errors": {"4": {"class_type": "CheckpointLoaderSimple", "errors": [{"type": "value_not_in_list", "message": "Value not in list", "details": "ckpt_name: 'x' not in (list of length 31)", "extra_info": {"input_name": "ckpt_name", "input_config": null, "received_value": "x"}}]}}}"#.utf8)
        #expect(ComfyUIBackend.submitError(HTTPResponse(status: 400, headers: [:], body: long)) == .graph("Prompt outputs failed validation; "
            + "CheckpointLoaderSimple (node 4): Value not in list: ckpt_name: 'x' not in (list of length 31) — the server has no checkpoint 'x' (it has 31; `easel backends` lists them)"))
    }
}

/// What `easel backends` shows beside ✓ for a ComfyUI server that answers but cannot run the configured graph.
@Suite("ComfyUI health warnings")
struct ComfyUIHealthWarningTests {
    /// `easel backends` warns (✓ and a warning) when no checkpoint is there, or the configured sampler is missing.
    @Test func healthWarnsOfNoCheckpointsAndAMissingSampler() async throws {
        try await withComfy({ $0.sampler = "heun_x" }) { backend, fake in
            await fake.setCheckpoints([])
            let h = await backend.health()
            #expect(h.ok && h.detail.hasSuffix(", 0 checkpoints"), "\(h.detail)")
            #expect(h.warnings == ["the server has no checkpoints (ComfyUI's models/checkpoints is empty): only workflows without a checkpoint loader can run",
                                   "sampler heun_x is not on the server; it has: euler, euler_ancestral, dpmpp_2m, dpmpp_2m_sde"])
        }
    }
}
