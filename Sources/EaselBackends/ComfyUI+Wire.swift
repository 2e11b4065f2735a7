import EaselCore
import EaselHTTP
import Foundation

/// ComfyUI's wire format: history entries, the queue, `/object_info` choices (error bodies: `ComfyUI+Errors.swift`).
extension ComfyUIBackend {

    /// The `GET /history/{id}` entry mapped to a status, or nil while it is `{}` (queued, running or unknown).
    func history(_ job: RemoteJobID) async throws(JobError) -> RemoteStatus? {
        try await Self.history(job, base: baseURL, http: http, notices: notices)
    }

    static func history(_ job: RemoteJobID, base: String, http: HTTPClient, notices: ComfyUINotices? = nil) async throws(JobError) -> RemoteStatus? {
        let response: HTTPResponse
        do { response = try await http.send(HTTPRequest(.get, base + "/history/" + encode(job.rawValue), headers: [("Accept", "application/json")])) }
        catch { throw ErrorMapping.transport(error) }
        guard response.status == 200 else { throw ErrorMapping.status(response, message: reason(response.body)) }
        guard let all = object(response.body) else { throw .badResponse("malformed JSON from GET /history") }
        guard let entry = all[job.rawValue] as? [String: Any] else { return nil }
        return try status(fromHistory: entry) { notices?.add(job.rawValue, $0) }
    }

    /// "video", "audio", "GIF", … for an output file Easel does not show.
    static func kind(ofOutput name: String, key: String) -> String {
        let ext = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
        if ["mp4", "webm", "mov", "mkv", "avi"].contains(ext) { return "video" }
        if ["flac", "mp3", "wav", "ogg", "opus", "m4a"].contains(ext) || key == "audio" { return "audio" }
        if ext == "gif" { return "GIF" }
        return key == "gifs" ? "video" : key
    }

    /// One history entry: `{prompt, outputs: {node: {images: [{filename, subfolder, type}]}}, status: {status_str,
    /// completed, messages: [[event, data]]}}`.
    /// - Returns: `.completed` / `.completedBatch` with every saved still image (PNG, JPEG, WebP) of every output
    ///   node, batch items in order, nodes by id (the `temp` previews only when nothing was saved); `.failed`.
    /// - Parameter note: told about outputs Easel cannot show (video, audio, GIF), named; they never cost the images.
    static func status(fromHistory entry: [String: Any], note: (String) -> Void = { _ in }) throws(JobError) -> RemoteStatus {
        let status = entry["status"] as? [String: Any]
        let events: [(String, [String: Any])] = (status?["messages"] as? [[Any]] ?? []).compactMap {
            guard $0.count == 2, let name = $0[0] as? String else { return nil }
            return (name, $0[1] as? [String: Any] ?? [:])
        }
        if status?["status_str"] as? String == "error" {
            if let e = events.first(where: { $0.0 == "execution_error" })?.1 {
                let node = [e["node_type"] as? String, (e["node_id"] as? String).map { "(node \($0))" }].compactMap { $0 }
                let text = (e["exception_message"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let what = text.isEmpty ? (e["exception_type"] as? String ?? "execution error") : text
                return .failed(node.isEmpty ? what : node.joined(separator: " ") + ": " + what)
            }
            if events.contains(where: { $0.0 == "execution_interrupted" }) { return .failed("interrupted on the server") }
            return .failed("ComfyUI reported an error without details")
        }
        // Every file of every output node: `images` (SaveImage, PreviewImage; SaveVideo/SaveWEBM put videos here
        // too), `gifs` (VideoHelperSuite), `audio` (SaveAudio), `3d`, …
        var found: [(node: String, index: Int, key: String, type: String, name: String, ref: ImageRef)] = []
        for (node, output) in entry["outputs"] as? [String: Any] ?? [:] {
            for (key, list) in output as? [String: Any] ?? [:] {
                for case (let index, let item as [String: Any]) in (list as? [Any] ?? []).enumerated() {
                    guard let name = item["filename"] as? String, !name.isEmpty else { continue }
                    let sub = item["subfolder"] as? String ?? "", type = item["type"] as? String ?? "output"
                    let url = "/view?filename=\(encode(name))&subfolder=\(encode(sub))&type=\(encode(type))"
                    found.append((node, index, key, type, name, ImageRef(url: url)))
                }
            }
        }
        found.sort { ($0.node.count, $0.node, $0.key, $0.index) < ($1.node.count, $1.node, $1.key, $1.index) }
        let stills = [".png", ".jpg", ".jpeg", ".webp"]
        let images = found.filter { f in f.key == "images" && stills.contains { f.name.lowercased().hasSuffix($0) } }
        let others = found.filter { f in !images.contains { $0.ref == f.ref } }
        if !others.isEmpty {
            let what = others.prefix(8).map { "\($0.name) (\(Self.kind(ofOutput: $0.name, key: $0.key)))" }.joined(separator: ", ")
            note("the workflow also made \(what)\(others.count > 8 ? " and \(others.count - 8) more" : ""), which Easel cannot show; "
                 + "they are in ComfyUI's \(others[0].type) folder")
        }
        // Saved images (every batch item of every SaveImage, by node id); previews only when nothing was saved.
        let saved = images.filter { $0.type == "output" }
        let chosen = saved.isEmpty ? images : saved
        if chosen.count == 1 { return .completed(chosen[0].ref) }
        if !chosen.isEmpty { return .completedBatch(chosen.map(\.ref)) }
        if let first = others.first {
            throw .inferenceFailed("the workflow made no image, only \(first.name) (\(Self.kind(ofOutput: first.name, key: first.key)))"
                + "\(others.count > 1 ? " and \(others.count - 1) more" : ""), which Easel cannot show")
        }
        if events.contains(where: { $0.0 == "execution_cached" && !(($0.1["nodes"] as? [Any]) ?? []).isEmpty }) {
            throw .inferenceFailed("ComfyUI served the workflow from its cache and returned no images; "
                + "vary an input (use {{seed}} in the workflow) or start ComfyUI with --cache-none")
        }
        throw .inferenceFailed("the workflow finished without an image output (add a SaveImage or PreviewImage node)")
    }

    /// `GET /queue` → `{queue_running: [[number, prompt_id, graph, extra, outputs]], queue_pending: [...]}`;
    /// pending comes in heap order, so it is sorted by `number`.
    func fetchQueue() async throws(JobError) -> (running: [String], pending: [String]) {
        let response = try await send(HTTPRequest(.get, baseURL + "/queue", headers: [("Accept", "application/json")]))
        guard response.status == 200 else { throw ErrorMapping.status(response, message: Self.reason(response.body)) }
        guard let q = Self.object(response.body) else { throw .badResponse("malformed JSON from GET /queue") }
        func items(_ key: String) -> [(Double, String)] {
            (q[key] as? [[Any]] ?? []).compactMap { item in
                guard item.count >= 2, let id = item[1] as? String else { return nil }
                return ((item[0] as? NSNumber)?.doubleValue ?? 0, id)
            }
        }
        return (items("queue_running").map(\.1), items("queue_pending").sorted { $0.0 < $1.0 }.map(\.1))
    }

    /// The choices of an enum input in `GET /object_info/{node}`: `[["a", "b"], {…}]`, or newer `["COMBO", {options}]`.
    func choices(_ path: String, node: String, input: String) async -> [String] {
        guard let info = try? await get(path) as? [String: Any],
              let spec = ((info[node] as? [String: Any])?["input"] as? [String: Any])?["required"] as? [String: Any],
              let entry = spec[input] as? [Any], let first = entry.first else { return [] }
        if let list = first as? [String] { return list }
        return ((entry.count > 1 ? entry[1] : nil) as? [String: Any])?["options"] as? [String] ?? []
    }

    /// The checkpoints `CheckpointLoaderSimple` offers (`GET /object_info/CheckpointLoaderSimple` →
    /// `input.required.ckpt_name[0]`, or `[1].options` on newer builds; else `GET /models/checkpoints`), as the
    /// graph's `ckpt_name` takes them.
    /// - Throws: `JobError` for a failed request; `.badResponse` when the answer has no such list.
    public func models() async throws(JobError) -> [String]? {
        let info = try await get("/object_info/CheckpointLoaderSimple") as? [String: Any]
        if let spec = ((info?["CheckpointLoaderSimple"] as? [String: Any])?["input"] as? [String: Any])?["required"] as? [String: Any],
           let entry = spec["ckpt_name"] as? [Any], let first = entry.first {
            let list = first as? [String] ?? ((entry.count > 1 ? entry[1] : nil) as? [String: Any])?["options"] as? [String] ?? []
            return list.map(Sanitize.line)
        }
        // A build whose /object_info leaves the node out: the model folder's own listing.
        guard let listed = try await get("/models/checkpoints") as? [String] else {
            throw .badResponse("neither /object_info/CheckpointLoaderSimple nor /models/checkpoints lists checkpoints (is this ComfyUI?)")
        }
        return listed.map(Sanitize.line)
    }

    func get(_ path: String) async throws(JobError) -> Any? {
        let response = try await send(HTTPRequest(.get, baseURL + path, headers: [("Accept", "application/json")]))
        guard response.status == 200 else { throw ErrorMapping.status(response, message: nil) }
        return try? JSONSerialization.jsonObject(with: Data(response.body))
    }

    /// A POST whose success is `200` with an empty body (`/queue`, `/interrupt`).
    func post(_ path: String, _ json: [String: Any]) async throws(JobError) {
        let body = (try? JSONSerialization.data(withJSONObject: json)).map { [UInt8]($0) } ?? []
        let response = try await send(.postJSON(baseURL + path, body))
        guard (200..<300).contains(response.status) else { throw ErrorMapping.status(response, message: Self.reason(response.body)) }
    }

    func send(_ request: HTTPRequest) async throws(JobError) -> HTTPResponse {
        do { return try await http.send(request) } catch { throw ErrorMapping.transport(error) }
    }

    static func object(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters, for query values and path segments.
    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn:
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? s
    }
}
