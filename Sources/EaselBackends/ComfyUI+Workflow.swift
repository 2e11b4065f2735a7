import EaselCore
import EaselHTTP
import Foundation

/// The workflow graph: placeholders, the built-in graph, and checks of a workflow file.
extension ComfyUIBackend {

    /// The placeholders a workflow may use, as whole JSON string values (`"seed": "{{seed}}"`) or inside text
    /// (`"text": "{{prompt}}, oil painting"`). A value that is exactly a numeric placeholder becomes a JSON number.
    public enum Placeholder: String, CaseIterable, Sendable {
        case prompt, negativePrompt = "negative_prompt", seed, width, height, steps, cfgScale = "cfg_scale", sampler, model
        /// `{{name}}`, as written in the workflow file.
        public var token: String { "{{\(rawValue)}}" }
        public var isNumeric: Bool {
            switch self {
            case .seed, .width, .height, .steps, .cfgScale: true
            case .prompt, .negativePrompt, .sampler, .model: false
            }
        }
    }

    /// The built-in text-to-image graph: CheckpointLoaderSimple (4) → CLIPTextEncode positive (6) and negative
    /// (7) → EmptyLatentImage (5) → KSampler (3, scheduler "normal") → VAEDecode (8) → SaveImage (9, prefix
    /// "easel"). Node ids follow ComfyUI's own default workflow. Also in docs/backends/comfyui-workflow.json.
    public static let builtInWorkflow = """
        {
          "3": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": "{{steps}}", "cfg": "{{cfg_scale}}",
                "sampler_name": "{{sampler}}", "scheduler": "normal", "denoise": 1,
                "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
          "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "{{model}}"}},
          "5": {"class_type": "EmptyLatentImage", "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": 1}},
          "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}", "clip": ["4", 1]}},
          "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{negative_prompt}}", "clip": ["4", 1]}},
          "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
          "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "easel", "images": ["8", 0]}}
        }
        """

    /// The graph sent for `request`: the workflow with every placeholder replaced.
    /// - Returns: the API-format graph as JSON bytes (an object keyed by node id).
    /// - Throws: `JobError.badResponse` only if the checked template stops parsing (it cannot, short of memory corruption).
    public func workflowJSON(for request: GenerationRequest) throws(JobError) -> [UInt8] {
        guard let graph = try? JSONSerialization.jsonObject(with: Data(template)) else {
            throw .badResponse("the workflow template no longer parses")
        }
        let values: [Placeholder: Any] = [
            .prompt: request.prompt, .negativePrompt: request.negativePrompt, .seed: Int(request.seed),
            .width: request.width, .height: request.height, .steps: request.steps, .cfgScale: cfgScale,
            .sampler: sampler, .model: request.model ?? model,
        ]
        let filled: Any
        if let map, let nodes = graph as? [String: Any] {
            filled = map.apply(to: nodes, request, cfgScale: configured.cfgScale, sampler: configured.sampler,
                               model: request.model ?? configured.model)
        } else {
            filled = Self.fill(graph, values)
        }
        guard let data = try? JSONSerialization.data(withJSONObject: filled, options: [.sortedKeys]) else {
            throw .badResponse("the filled workflow is not valid JSON")
        }
        return [UInt8](data)
    }

    static func fill(_ value: Any, _ values: [Placeholder: Any]) -> Any {
        switch value {
        case let s as String:
            guard s.contains("{{") else { return s }
            if let p = Placeholder.allCases.first(where: { $0.token == s }) { return values[p] ?? s }
            var out = s
            for p in Placeholder.allCases where out.contains(p.token) {
                let v = values[p]
                let text = (v as? Double).map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String($0) } ?? "\(v ?? "")"
                out = out.replacingOccurrences(of: p.token, with: text)
            }
            return out
        case let a as [Any]: return a.map { fill($0, values) }
        case let o as [String: Any]: return o.mapValues { fill($0, values) }
        default: return value
        }
    }

    /// Why `bytes` cannot be used as a workflow, or nil when it can.
    static func problem(inWorkflow bytes: [UInt8]) -> String? {
        guard let any = try? JSONSerialization.jsonObject(with: Data(bytes)) else { return "not valid JSON" }
        guard let graph = any as? [String: Any] else { return "not a JSON object of nodes keyed by id" }
        if graph["nodes"] is [Any], graph["links"] != nil {
            return "this is ComfyUI's UI format (it has \"nodes\" and \"links\"); export it with Workflow → Export (API)"
        }
        if graph.isEmpty { return "it has no nodes" }
        for (id, node) in graph.sorted(by: { $0.key < $1.key }) {
            guard let n = node as? [String: Any], n["class_type"] is String else { return "node \(id) has no class_type" }
        }
        var tokens: Set<String> = []
        collectTokens(any, into: &tokens)
        let known = Set(Placeholder.allCases.map(\.token))
        if let unknown = tokens.subtracting(known).sorted().first {
            return "unknown placeholder \(unknown) (known: \(Placeholder.allCases.map(\.token).joined(separator: " ")))"
        }
        if tokens.isEmpty {
            do throws(WorkflowMapError) { _ = try WorkflowMap.find(in: graph) } catch {
                return "it has no {{placeholders}}, and Easel could not find where the prompt goes: \(error.reason)"
            }
            return nil
        }
        if !tokens.contains(Placeholder.prompt.token) { return "it has no \"{{prompt}}\" placeholder" }
        return nil
    }

    /// The map of an exported workflow (no placeholders), or nil for a workflow with placeholders.
    static func exportedMap(_ bytes: [UInt8]) -> WorkflowMap? {
        guard let graph = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { return nil }
        var tokens: Set<String> = []
        collectTokens(graph, into: &tokens)
        return tokens.isEmpty ? try? WorkflowMap.find(in: graph) : nil
    }

    static func collectTokens(_ value: Any, into tokens: inout Set<String>) {
        switch value {
        case let s as String:
            var rest = s[...]
            while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
                tokens.insert(String(rest[open.lowerBound..<close.upperBound]))
                rest = rest[close.upperBound...]
            }
        case let a as [Any]: a.forEach { collectTokens($0, into: &tokens) }
        case let o as [String: Any]: o.values.forEach { collectTokens($0, into: &tokens) }
        default: break
        }
    }

    /// The workflow file's absolute path: `~/…` from the home folder, a relative `path` from the folder of
    /// `configFile`; a relative `configFile` (`--config easel.toml`, `--config conf/easel.toml`) is itself
    /// taken from `currentDirectory`, so its folder is never "" (which would make `wf.json` into `/wf.json`).
    static func resolve(_ path: String, configFile: String,
                        currentDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        if path == "~" || path.hasPrefix("~/") { return HomePath.expandingTilde(path) }
        if path.hasPrefix("/") || configFile.isEmpty { return path }
        let config = configFile.hasPrefix("/") ? configFile : currentDirectory + "/" + configFile
        return (config as NSString).deletingLastPathComponent + "/" + path
    }
}
