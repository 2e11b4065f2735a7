import EaselCore
import EaselHTTP
import Foundation

/// ComfyUI's wire format: history entries, the queue, `/object_info` choices, and error bodies.
extension ComfyUIBackend {

    /// The `GET /history/{id}` entry mapped to a status, or nil while it is `{}` (queued, running or unknown).
    func history(_ job: RemoteJobID) async throws(JobError) -> RemoteStatus? {
        try await Self.history(job, base: baseURL, http: http)
    }

    static func history(_ job: RemoteJobID, base: String, http: HTTPClient) async throws(JobError) -> RemoteStatus? {
        let response: HTTPResponse
        do { response = try await http.send(HTTPRequest(.get, base + "/history/" + encode(job.rawValue), headers: [("Accept", "application/json")])) }
        catch { throw ErrorMapping.transport(error) }
        guard response.status == 200 else { throw ErrorMapping.status(response, message: reason(response.body)) }
        guard let all = object(response.body) else { throw .badResponse("malformed JSON from GET /history") }
        guard let entry = all[job.rawValue] as? [String: Any] else { return nil }
        return try status(fromHistory: entry)
    }

    /// One history entry: `{prompt, outputs: {node: {images: [{filename, subfolder, type}]}}, status: {status_str,
    /// completed, messages: [[event, data]]}}`.
    static func status(fromHistory entry: [String: Any]) throws(JobError) -> RemoteStatus {
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
        var found: [(node: String, key: String, type: String, ref: ImageRef)] = []   // `key`: "images", "gifs", …
        for (node, output) in entry["outputs"] as? [String: Any] ?? [:] {
            for (key, list) in output as? [String: Any] ?? [:] {
                for case let item as [String: Any] in list as? [Any] ?? [] {
                    guard let name = item["filename"] as? String, !name.isEmpty else { continue }
                    let sub = item["subfolder"] as? String ?? "", type = item["type"] as? String ?? "output"
                    let url = "/view?filename=\(encode(name))&subfolder=\(encode(sub))&type=\(encode(type))"
                    found.append((node, key, type, ImageRef(url: url)))
                }
            }
        }
        // Saved images before previews, `images` before other media, then by node id.
        func rank(_ f: (node: String, key: String, type: String, ref: ImageRef)) -> (Int, Int, Int, String) {
            (f.type == "output" ? 0 : 1, f.key == "images" ? 0 : 1, f.node.count, f.node)
        }
        if let first = found.min(by: { rank($0) < rank($1) }) { return .completed(first.ref) }
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

    // MARK: - Error mapping

    /// A non-200 reply to `POST /prompt` (or `/system_stats`) as a `JobError`.
    static func submitError(_ response: HTTPResponse) -> JobError {
        let text = reason(response.body)
        switch response.status {
        case 400: return .invalidPrompt(reason: text ?? "ComfyUI refused the workflow (HTTP 400)")
        case 403: return .unauthorized(text ?? "HTTP 403: ComfyUI's origin check refused the request, or a proxy in front of it wants credentials")
        default: return ErrorMapping.status(response, message: text)
        }
    }

    /// The server's reason in an error body: per-node `node_errors` ("KSampler (node 3): steps: Value 0 smaller
    /// than min of 1"), else `error` as an object (`message: details`) or a string (old builds), else plain text
    /// (aiohttp's "500 Internal Server Error\n\nServer got itself in trouble"). At most 400 characters.
    static func reason(_ body: [UInt8]) -> String? {
        guard let o = object(body) else {
            var lines = String(decoding: body.prefix(2_000), as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if lines.count > 1, let code = lines[0].split(separator: " ").first, Int(code) != nil { lines.removeFirst() }
            return lines.isEmpty ? nil : String(lines.joined(separator: " ").prefix(400))
        }
        var found: [String] = []
        let nodes = (o["node_errors"] as? [String: Any] ?? [:]).sorted { ($0.key.count, $0.key) < ($1.key.count, $1.key) }
        for (id, value) in nodes {
            guard let node = value as? [String: Any] else { continue }
            let name = "\(node["class_type"] as? String ?? "node") (node \(id))"
            for case let e as [String: Any] in node["errors"] as? [Any] ?? [] {
                let info = e["extra_info"] as? [String: Any]
                if e["type"] as? String == "value_not_in_list", let input = info?["input_name"] as? String {
                    found.append("\(name): \(input) '\(info?["received_value"].map { "\($0)" } ?? "?")' not in list")
                } else if let d = e["details"] as? String, !d.isEmpty, d != info?["input_name"] as? String {
                    found.append("\(name): \(d)")
                } else {
                    // `value_smaller_than_min` and friends put only the input's name in `details`.
                    let input = (info?["input_name"] as? String).map { "\($0): " } ?? ""
                    found.append("\(name): \(input)\(e["message"] as? String ?? "invalid")")
                }
            }
        }
        if found.isEmpty {
            if let e = o["error"] as? String, !e.isEmpty { found.append(e) }
            if let e = o["error"] as? [String: Any] {
                let message = e["message"] as? String ?? e["type"] as? String ?? "error"
                let details = e["details"] as? String ?? ""
                found.append(details.isEmpty || details == message ? message : "\(message): \(details)")
            }
        }
        return found.isEmpty ? nil : String(found.joined(separator: "; ").prefix(400))
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
