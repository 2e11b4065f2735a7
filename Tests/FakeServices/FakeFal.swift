import EaselCore
import FlyingFox
import Foundation

/// fal.ai's queue API as a fake: `POST /{owner}/{app}[/{path}]` → `IN_QUEUE` with `request_id`,
/// `status_url`, `response_url` and `cancel_url` built from `{owner}/{app}` only (as fal does: a status URL
/// with the sub-path gets 404 here); `GET …/requests/{id}/status` → `IN_QUEUE` → `IN_PROGRESS` (logs
/// "step 3/6") → `COMPLETED`; `GET …/requests/{id}` → `{images: [{url, width, height, content_type}], seed}`;
/// `PUT …/requests/{id}/cancel` → 202 `CANCELLATION_REQUESTED` (400 `ALREADY_COMPLETED`, 404 `NOT_FOUND`);
/// `GET …/requests/{id}/status/stream` → `text/event-stream` of the same status objects, one `data:` each,
/// ending at `COMPLETED` (after `breakStreams()`: only the first, then the connection closes).
/// Errors are `{"detail": "…"}` or FastAPI's `{"detail": [{loc, msg, type}]}`. Queue routes want
/// `Authorization: Key <expectedKey>`, else 401; images at `/files/{id}.png` need no key.
public actor FakeFal: FakeService {
    private var server: HTTPServer?
    private var task: Task<Void, Error>?
    private var port: UInt16 = 0
    public private(set) var received: [GenerationRequest] = []
    public private(set) var cancels = 0
    public private(set) var log: [FakeRequest] = []
    /// Status polls that used a URL with the endpoint's sub-path (answered 404).
    public private(set) var wrongStatusURLs = 0
    public let expectedKey: String
    /// The key a fake expects unless told otherwise.
    public static let defaultKey = "fal-key-id-0123:fal-secret-456789abcdef"
    public let echoesKey: Bool
    private var statusError: (code: Int, detail: String)?
    private var streamsBreak = false
    /// Status streams opened (`GET …/status/stream`).
    public private(set) var streams = 0
    private var requests: [String: (app: String, request: GenerationRequest, polls: Int, canceled: Bool)] = [:]

    public init(expectedKey: String = FakeFal.defaultKey, echoesKey: Bool = false) {
        self.expectedKey = expectedKey
        self.echoesKey = echoesKey
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// From now on every status poll answers `code` with `{"detail": detail}` (e.g. 403 for a revoked key).
    public func failStatusPolls(_ code: Int, detail: String) { statusError = (code, detail) }

    /// From now on status streams send their first event and close without `COMPLETED`.
    public func breakStreams() { streamsBreak = true }

    public func start() async throws {
        let (s, t, p) = try await Fake.listen { server in
            await server.appendRoute("*") { [weak self] req in
                guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
                let body = [UInt8](try await req.bodyData)
                return await self.handle(req, body: body)
            }
        }
        (server, task, port) = (s, t, p)
    }

    public func stop() async {
        await server?.stop(timeout: 1)
        task?.cancel()
    }

    private func handle(_ req: FlyingFox.HTTPRequest, body: [UInt8]) async -> FlyingFox.HTTPResponse {
        let entry = FakeRequest(req, body: body)
        log.append(entry)
        let parts = req.path.split(separator: "/").map(String.init)
        if req.method == .GET, parts.count == 2, parts[0] == "files", parts[1].hasSuffix(".png") {
            guard let r = requests[String(parts[1].dropLast(4))] else { return Fake.json(.notFound, ["detail": "File not found"]) }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png"],
                                body: Data(Fake.png(width: r.request.width, height: r.request.height, seed: r.request.seed)))
        }
        let sent = entry.headers["authorization"] ?? ""
        guard sent == "Key " + expectedKey else {
            return Fake.json(.unauthorized, ["detail": "No user found for Key ID and Secret" + (echoesKey ? ": \(sent)" : "")])
        }
        if let r = parts.firstIndex(of: "requests"), parts.count > r + 1 {
            let app = parts[..<r].joined(separator: "/"), id = parts[r + 1], rest = Array(parts[(r + 2)...])
            guard r == 2 else {
                if rest == ["status"] { wrongStatusURLs += 1 }
                return Fake.json(.notFound, ["detail": "Not Found"])
            }
            guard let job = requests[id], job.app == app else {
                return req.method == .PUT ? Fake.json(.notFound, ["status": "NOT_FOUND"]) : Fake.json(.notFound, ["detail": "Request not found"])
            }
            switch (req.method, rest) {
            case (.GET, ["status"]): return status(id)
            case (.GET, ["status", "stream"]): return statusStream(id)
            case (.GET, []): return result(id)
            case (.PUT, ["cancel"]):
                cancels += 1
                if !job.canceled, finished(job) { return Fake.json(.badRequest, ["status": "ALREADY_COMPLETED"]) }
                requests[id]?.canceled = true
                return Fake.json(Fake.status(202), ["status": "CANCELLATION_REQUESTED"])
            default: return Fake.json(Fake.status(405), ["detail": "Method Not Allowed"])
            }
        }
        guard req.method == .POST, parts.count >= 2 else { return Fake.json(.notFound, ["detail": "Not Found"]) }
        return await submit(app: parts.prefix(2).joined(separator: "/"), body: body)
    }

    private func finished(_ job: (app: String, request: GenerationRequest, polls: Int, canceled: Bool)) -> Bool {
        job.polls >= 3 && Scenario.of(job.request.prompt) != .queued && Scenario.of(job.request.prompt) != .running
    }

    private func submit(app: String, body: [UInt8]) async -> FlyingFox.HTTPResponse {
        guard let o = Fake.object(body), let prompt = o["prompt"] as? String else {
            return Fake.json(Fake.status(422), ["detail": [["loc": ["body", "prompt"], "msg": "field required", "type": "value_error.missing"]]])
        }
        let size = o["image_size"] as? [String: Any]
        let request = GenerationRequest(prompt: prompt, negativePrompt: o["negative_prompt"] as? String ?? "",
                                        width: size?["width"] as? Int ?? 1024, height: size?["height"] as? Int ?? 768,
                                        seed: UInt32(o["seed"] as? Int ?? 0), steps: o["num_inference_steps"] as? Int ?? 28)
        received.append(request)
        switch Scenario.of(prompt) {
        case .invalid:
            return Fake.json(Fake.status(422), ["detail": [["loc": ["body", "prompt"], "msg": "prompt rejected by the content filter", "type": "value_error"]]])
        case .serverError: return Fake.json(.internalServerError, ["detail": "worker crashed"])
        case .stall:
            try? await Task.sleep(for: .seconds(30))
            return Fake.json(.serviceUnavailable, ["detail": "stalled"])
        default: break
        }
        let id = String(format: "764cabcf-b745-4b3e-ae38-%012d", requests.count + 1)
        requests[id] = (app, request, 0, false)
        var reply = links(app: app, id: id)
        reply["status"] = "IN_QUEUE"
        reply["queue_position"] = 0
        return Fake.json(.ok, reply)
    }

    private func links(app: String, id: String) -> [String: Any] {
        let r = "\(baseURL)/\(app)/requests/\(id)"
        return ["request_id": id, "response_url": r, "status_url": r + "/status", "cancel_url": r + "/cancel"]
    }

    private func status(_ id: String) -> FlyingFox.HTTPResponse {
        let (code, object) = statusReply(id)
        return Fake.json(code, object)
    }

    private func statusReply(_ id: String) -> (HTTPStatusCode, [String: Any]) {
        if let e = statusError { return (Fake.status(e.code), ["detail": e.detail]) }
        guard var job = requests[id] else { return (.notFound, ["detail": "Request not found"]) }
        job.polls += 1
        requests[id] = job
        var reply = links(app: job.app, id: id)
        let inProgress: [String: Any] = ["status": "IN_PROGRESS",
                                         "logs": [["message": "step 3/6", "level": "INFO", "source": "USER", "timestamp": "2026-11-29T12:00:01.123Z"]]]
        let state: [String: Any] = switch (job.canceled, Scenario.of(job.request.prompt), job.polls) {
        case (true, _, _): ["status": "COMPLETED", "logs": []]
        case (_, .queued, _): ["status": "IN_QUEUE", "queue_position": 2]
        case (_, _, 1): ["status": "IN_QUEUE", "queue_position": 0]
        case (_, .running, _), (_, _, 2): inProgress
        default: ["status": "COMPLETED", "logs": [], "metrics": ["inference_time": 1.93]]
        }
        reply.merge(state) { _, new in new }
        return (.ok, reply)
    }

    /// The statuses a poller would see, as one event-stream body (each poll's answer becomes a `data:` event).
    private func statusStream(_ id: String) -> FlyingFox.HTTPResponse {
        streams += 1
        var body = ": fal status stream\n\n"
        for _ in 0..<(streamsBreak ? 1 : 3) {
            let (code, object) = statusReply(id)
            guard code == .ok else { return Fake.json(code, object) }
            let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            body += "data: " + String(decoding: json, as: UTF8.self) + "\n\n"
        }
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/event-stream"], body: Data(body.utf8))
    }

    private func result(_ id: String) -> FlyingFox.HTTPResponse {
        guard let job = requests[id] else { return Fake.json(.notFound, ["detail": "Request not found"]) }
        if job.canceled { return Fake.json(.badRequest, ["detail": "Request was cancelled"]) }
        guard finished(job) else { return Fake.json(.badRequest, ["detail": "Request is still in progress"]) }
        if Scenario.of(job.request.prompt) == .fail {
            return Fake.json(.internalServerError, ["detail": "Generation failed: the sampler produced NaNs"])
        }
        let r = job.request
        return Fake.json(.ok, ["images": [["url": baseURL + "/files/\(id).png", "width": r.width, "height": r.height, "content_type": "image/png"]],
                               "timings": ["inference": 2.345], "seed": Int(r.seed), "has_nsfw_concepts": [false], "prompt": r.prompt],
                         headers: ["x-fal-request-id": id])
    }
}
