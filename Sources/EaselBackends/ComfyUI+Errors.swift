import EaselCore
import EaselHTTP
import Foundation
import Synchronization

/// What a ComfyUI adapter has to say about a job that is not a failure (part of the graph dropped, outputs
/// Easel cannot show), kept until `GenerationBackend.takeNotice(for:)` hands it out once.
final class ComfyUINotices: Sendable {
    private let notes = Mutex<[String: [String]]>([:])
    func add(_ id: String, _ text: String) { notes.withLock { if $0.count < 256 { $0[id, default: []].append(text) } } }
    func take(_ id: String) -> String? { notes.withLock { $0.removeValue(forKey: id) }?.joined(separator: "; ") }
    /// What each prompt's graph runs (`ranParameters`), kept from the submit for the 64 newest prompts.
    private let ran = Mutex<[String: RanParameters]>([:])
    func sent(_ id: String, _ parameters: RanParameters) { ran.withLock { if $0.count >= 64 { $0.removeAll() }; $0[id] = parameters } }
    func ran(_ id: String) -> RanParameters? { ran.withLock { $0[id] } }
}

/// ComfyUI's error bodies: `POST /prompt`'s 400 (the graph refused: `error` + `node_errors`), a 200 that
/// dropped part of the graph, and plain-text 5xx pages.
/// Shapes: `execution.py` `validate_prompt` / `validate_inputs` (https://github.com/Comfy-Org/ComfyUI);
/// reference/backends.md §1.1.
extension ComfyUIBackend {

    /// A non-200 reply to `POST /prompt` (or `/system_stats`) as a `JobError`: 400 is `.graph` (every 400 of
    /// `/prompt` is about the graph: a node's input, a missing node type, no outputs), 403 `.unauthorized`,
    /// others by status.
    static func submitError(_ response: HTTPResponse) -> JobError {
        switch response.status {
        case 400: return .graph(object(response.body).flatMap(graphReason) ?? reason(response.body) ?? "ComfyUI refused the workflow (HTTP 400)")
        case 403: return .unauthorized(reason(response.body) ?? "HTTP 403: ComfyUI's origin check refused the request, or a proxy in front of it wants credentials")
        case 404: return ErrorMapping.missingRoute(response, route: "POST /prompt", service: "a ComfyUI server")
        default: return ErrorMapping.status(response, message: reason(response.body))
        }
    }

    /// The whole of a graph refusal, for `JobError.graph`: the prompt-level message, then each node's errors
    /// as "CheckpointLoaderSimple (node 4): Value not in list: ckpt_name: 'x' not in ['a', 'b']", each followed by
    /// advice when the value is not among the server's choices ("the server has no checkpoint 'x'; it has: a, b").
    /// Old builds' string `error` and `[]` node errors are read too. At most 4,000 characters.
    static func graphReason(_ o: [String: Any]) -> String? {
        var top: String?
        if let e = o["error"] as? String, !e.isEmpty { top = e }
        if let e = o["error"] as? [String: Any] {
            let message = e["message"] as? String ?? e["type"] as? String ?? "error"
            let details = (e["details"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            // With node errors, `details` repeats them line by line: the nodes below say it once, with their ids.
            top = details.isEmpty || details == message || !nodeErrors(o).isEmpty ? message : "\(message): \(details)"
        }
        let parts = (top.map { [$0] } ?? []) + nodeErrors(o)
        return parts.isEmpty ? nil : String(parts.joined(separator: "; ").prefix(4_000))
    }

    /// Each node's errors, nodes by id: "Class (node N): message: details", or "Class (node N): input: message"
    /// when `details` is only the input's name (`value_smaller_than_min`, `required_input_missing`).
    static func nodeErrors(_ o: [String: Any]) -> [String] {
        var found: [String] = []
        let nodes = (o["node_errors"] as? [String: Any] ?? [:]).sorted { ($0.key.count, $0.key) < ($1.key.count, $1.key) }
        for (id, value) in nodes {
            guard let node = value as? [String: Any] else { continue }
            let name = "\(node["class_type"] as? String ?? "node") (node \(id))"
            for case let e as [String: Any] in node["errors"] as? [Any] ?? [] {
                let info = e["extra_info"] as? [String: Any]
                let input = info?["input_name"] as? String
                let message = (e["message"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let details = (e["details"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                var text: String
                switch (message.isEmpty, details.isEmpty || details == message) {
                case (true, true): text = input.map { "\($0): invalid" } ?? "invalid"
                case (true, false): text = details
                case (false, true): text = message
                case (false, false): text = details == input ? "\(details): \(message)" : "\(message): \(details)"
                }
                if e["type"] as? String == "value_not_in_list", let input, let advice = advice(input: input, info: info, details: details) {
                    text += " — " + advice
                }
                if e["type"] as? String == "exception_during_validation", info?["exception_type"] as? String == "KeyError" {
                    text += " — an input links to node \(details), which the workflow does not have"
                }
                found.append("\(name): \(text)")
            }
        }
        return found
    }

    /// "the server has no checkpoint 'x.safetensors'; it has: a.safetensors, b.safetensors" for a value not in the
    /// server's list (`extra_info.input_config[0]`, sent when the list has at most 20 entries; longer lists only
    /// say their length in `details`).
    static func advice(input: String, info: [String: Any]?, details: String) -> String? {
        let what = ["ckpt_name": "checkpoint", "sampler_name": "sampler", "scheduler": "scheduler", "vae_name": "VAE",
                    "lora_name": "LoRA", "unet_name": "diffusion model", "clip_name": "text encoder"][input] ?? "\(input) value"
        let value = info?["received_value"].map { "'\($0)'" } ?? "that \(what)"
        if let options = (info?["input_config"] as? [Any])?.first as? [Any] {
            let names = options.map { "\($0)" }
            guard !names.isEmpty else { return "the server has no \(what) at all" + (input == "ckpt_name" ? " (put one in ComfyUI's models/checkpoints)" : "") }
            return "the server has no \(what) \(value); it has: " + names.joined(separator: ", ")
        }
        if let r = details.range(of: #"list of length (\d+)"#, options: .regularExpression) {
            return "the server has no \(what) \(value) (it has \(details[r].split(separator: " ").last ?? "?"); `easel backends` lists them)"
        }
        return nil
    }

    /// The server's reason in an error body: the node errors, else `error` as an object (`message: details`) or
    /// a string (old builds), else plain text (aiohttp's "500 Internal Server Error\n\nServer got itself in
    /// trouble"). At most 400 characters.
    static func reason(_ body: [UInt8]) -> String? {
        guard let o = object(body) else {
            var lines = String(decoding: body.prefix(2_000), as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if lines.count > 1, let code = lines[0].split(separator: " ").first, Int(code) != nil { lines.removeFirst() }
            return lines.isEmpty ? nil : String(lines.joined(separator: " ").prefix(400))
        }
        let nodes = nodeErrors(o)
        if !nodes.isEmpty { return String(nodes.joined(separator: "; ").prefix(400)) }
        return graphReason(o).map { String($0.prefix(400)) }
    }

    /// What a `200` reply to `POST /prompt` says about the part of the graph the server dropped: its
    /// `node_errors` (outputs that failed validation while others passed), or nil when there are none.
    static func droppedPart(_ reply: [String: Any]) -> String? {
        let nodes = nodeErrors(reply)
        return nodes.isEmpty ? nil : "ComfyUI queued the job but dropped part of the workflow: " + nodes.joined(separator: "; ")
    }
}
