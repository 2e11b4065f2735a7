import EaselCore
import Foundation

/// Where Easel's parameters go in a workflow saved with ComfyUI's "Export (API)", found by following the
/// sampler's links — so such a file works as it is, without `{{placeholders}}`.
///
/// Shapes understood (node classes from ComfyUI's `nodes.py` and `comfy_extras/nodes_custom_sampler.py`):
/// - `KSampler` / `KSamplerAdvanced` (seed or noise_seed, steps, cfg, sampler_name, scheduler, positive,
///   negative, latent_image, model);
/// - `SamplerCustom` (noise_seed, cfg, positive, negative, sampler → `KSamplerSelect`, sigmas → a scheduler
///   node with `steps`);
/// - `SamplerCustomAdvanced` (noise → `RandomNoise`, guider → `CFGGuider` (positive, negative, cfg) or
///   `BasicGuider` (conditioning), sampler → `KSamplerSelect`, sigmas → `BasicScheduler`, latent_image) — the
///   Flux graphs.
/// Conditioning is followed through pass-through nodes (`FluxGuidance`, `ConditioningSetTimestepRange`, …: the
/// `conditioning` input) to a `CLIPTextEncode`; the latent to a node with `width` and `height`
/// (`EmptyLatentImage`, `EmptySD3LatentImage`, …); the model through LoRA loaders to `CheckpointLoaderSimple`
/// (`ckpt_name`) or `UNETLoader` (`unet_name`).
struct WorkflowMap: Equatable, Sendable {
    /// A node id and one of its input names.
    struct Slot: Equatable, Sendable {
        let node: String
        let input: String
    }
    var prompt: Slot
    var negativePrompt: Slot?
    var seed: Slot?
    var steps: Slot?
    var cfgScale: Slot?
    var sampler: Slot?
    var width: Slot?
    var height: Slot?
    var model: Slot?

    /// The map of `graph` (an API-format graph: node id → `{class_type, inputs}`).
    /// - Throws: a sentence naming what could not be found, e.g. "the sampler's positive input does not lead
    ///   to a CLIPTextEncode".
    static func find(in graph: [String: Any]) throws(WorkflowMapError) -> WorkflowMap {
        let nodes = graph.compactMapValues { $0 as? [String: Any] }
        func inputs(_ id: String) -> [String: Any] { nodes[id]?["inputs"] as? [String: Any] ?? [:] }
        func cls(_ id: String) -> String { nodes[id]?["class_type"] as? String ?? "" }
        func link(_ id: String, _ input: String) -> String? { ((inputs(id)[input] as? [Any])?.first as? String).flatMap { nodes[$0] != nil ? $0 : nil } }
        func slot(_ id: String?, _ names: [String]) -> Slot? {
            guard let id else { return nil }
            return names.first { inputs(id)[$0] != nil && !(inputs(id)[$0] is [Any]) }.map { Slot(node: id, input: $0) }
        }
        /// Follows `id` upstream (at most 20 hops) to the first node whose class satisfies `accept`.
        func upstream(_ id: String?, through: [String], accept: (String) -> Bool) -> String? {
            var current = id, hops = 0
            while let c = current, hops < 20 {
                if accept(cls(c)) { return c }
                current = through.lazy.compactMap { link(c, $0) }.first
                hops += 1
            }
            return nil
        }
        let samplerClasses = ["KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"]
        let samplers = nodes.keys.filter { samplerClasses.contains(cls($0)) }.sorted { ($0.count, $0) < ($1.count, $1) }
        guard let s = samplers.first else {
            throw WorkflowMapError("no sampler node (\(samplerClasses.joined(separator: ", "))) and no {{prompt}} placeholder")
        }
        let guider = link(s, "guider")
        let conditioning = ["conditioning", "conditioning_to", "conditioning_1"]
        func text(_ from: String?, _ input: String) -> Slot? {
            upstream(from.flatMap { link($0, input) }, through: conditioning) { $0 == "CLIPTextEncode" }.map { Slot(node: $0, input: "text") }
        }
        let positive = text(s, "positive") ?? text(guider, "positive") ?? text(guider, "conditioning")
        guard let positive else {
            let source = guider.map { "the \(cls($0)) guider" } ?? "the \(cls(s)) sampler (node \(s))"
            throw WorkflowMapError("\(source)'s positive conditioning does not lead to a CLIPTextEncode node")
        }
        var map = WorkflowMap(prompt: positive)
        map.negativePrompt = text(s, "negative") ?? text(guider, "negative")
        map.seed = slot(s, ["seed", "noise_seed"]) ?? slot(link(s, "noise"), ["noise_seed", "seed"])
        let sigmas = link(s, "sigmas")
        map.steps = slot(s, ["steps"]) ?? slot(sigmas, ["steps"])
        map.cfgScale = slot(s, ["cfg"]) ?? slot(guider, ["cfg"])
        map.sampler = slot(s, ["sampler_name"]) ?? slot(link(s, "sampler"), ["sampler_name"])
        let latent = upstream(link(s, "latent_image"), through: ["samples", "latent"]) { inputs($0)["width"] != nil || $0.hasPrefix("Empty") }
        map.width = slot(latent, ["width"])
        map.height = slot(latent, ["height"])
        let modelFrom = link(s, "model") ?? guider.flatMap { link($0, "model") } ?? sigmas.flatMap { link($0, "model") }
        let loader = upstream(modelFrom, through: ["model"]) { ["CheckpointLoaderSimple", "UNETLoader", "CheckpointLoader"].contains($0) }
        map.model = slot(loader, ["ckpt_name", "unet_name"])
        return map
    }

    /// `graph` with the request's values written into the mapped inputs. `cfgScale`, `sampler` and `model`
    /// are written only when given (the config names them); otherwise the workflow's own values stay.
    func apply(to graph: [String: Any], _ request: GenerationRequest, cfgScale: Double?, sampler: String?, model: String?) -> [String: Any] {
        var graph = graph
        func set(_ slot: Slot?, _ value: Any?) {
            guard let slot, let value, var node = graph[slot.node] as? [String: Any], var inputs = node["inputs"] as? [String: Any] else { return }
            inputs[slot.input] = value
            node["inputs"] = inputs
            graph[slot.node] = node
        }
        set(prompt, request.prompt)
        set(negativePrompt, request.negativePrompt)
        set(seed, Int(request.seed))
        set(steps, request.steps)
        set(width, request.width)
        set(height, request.height)
        set(cfgScale.flatMap { _ in self.cfgScale }, cfgScale)
        set(sampler.flatMap { _ in self.sampler }, sampler)
        set(model.flatMap { _ in self.model }, model)
        return graph
    }
}

extension ComfyUIBackend {
    /// What `graph` (API format, as sent) runs: the sampler's inputs as `WorkflowMap` finds them and the model
    /// loader's file; fields the graph lacks (a graph without a sampler, a linked widget) are nil.
    static func ranParameters(inGraph graph: [UInt8]) -> RanParameters {
        guard let nodes = object(graph) else { return RanParameters() }
        func value(_ slot: WorkflowMap.Slot?) -> Any? {
            slot.flatMap { ((nodes[$0.node] as? [String: Any])?["inputs"] as? [String: Any])?[$0.input] }
        }
        var ran = RanParameters()
        if let map = try? WorkflowMap.find(in: nodes) {
            ran.seed = (value(map.seed) as? NSNumber)?.uint64Value
            ran.steps = (value(map.steps) as? NSNumber)?.intValue
            ran.cfgScale = (value(map.cfgScale) as? NSNumber)?.doubleValue
            ran.sampler = value(map.sampler) as? String
            ran.model = value(map.model) as? String
            if let s = map.sampler { ran.scheduler = ((nodes[s.node] as? [String: Any])?["inputs"] as? [String: Any])?["scheduler"] as? String }
        }
        if ran.model == nil {     // a loader the sampler's links do not reach (or no sampler at all)
            let loaders = nodes.filter { ["CheckpointLoaderSimple", "CheckpointLoader", "UNETLoader"].contains(($0.value as? [String: Any])?["class_type"] as? String ?? "") }
            ran.model = loaders.sorted { ($0.key.count, $0.key) < ($1.key.count, $1.key) }.lazy.compactMap { entry -> String? in
                let inputs = (entry.value as? [String: Any])?["inputs"] as? [String: Any]
                return inputs?["ckpt_name"] as? String ?? inputs?["unet_name"] as? String
            }.first
        }
        return ran
    }
}

/// Why a workflow without placeholders could not be mapped: one sentence naming what is missing.
struct WorkflowMapError: Error, Equatable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
