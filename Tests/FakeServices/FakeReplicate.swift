import EaselCore
import FlyingFox
import Foundation

/// Replicate's HTTP API as a fake: `POST /v1/models/{owner}/{name}/predictions` and `POST /v1/predictions`
/// (with `version`) → a prediction `starting`; `GET /v1/predictions/{id}` → `processing` with a tqdm bar
/// in `logs`, then `succeeded` with `output` in the configured shape; `POST /v1/predictions/{id}/cancel`;
/// `GET /v1/account`; output files at `/files/{id}.png` (no key needed, like `replicate.delivery`).
/// Errors are RFC 7807 problem details; a 429 carries `Retry-After`. Every `/v1` route wants
/// `Authorization: Bearer <expectedKey>`, else 401.
public actor FakeReplicate: FakeService {
    /// The shape of `output` in a succeeded prediction.
    public enum OutputShape: Sendable {
        /// `["https://…/files/x.png"]` (flux-schnell, SDXL).
        case list
        /// `"https://…/files/x.png"` (flux-pro).
        case string
        /// `{"image": "https://…/files/x.png"}`.
        case object
        /// `"data:image/png;base64,…"` (sync mode).
        case dataURI
    }

    private var server: HTTPServer?
    private var task: Task<Void, Error>?
    private var port: UInt16 = 0
    public private(set) var received: [GenerationRequest] = []
    public private(set) var cancels = 0
    public private(set) var log: [FakeRequest] = []
    /// Create calls (POSTs that asked for a prediction), including refused ones.
    public private(set) var creates = 0
    public let expectedKey: String
    /// The key a fake expects unless told otherwise.
    public static let defaultKey = "r8_EaselTest0123456789abcdefABCDEF"
    public let echoesKey: Bool
    public let outputShape: OutputShape
    /// Answer the create with the finished prediction (as `Prefer: wait` does for a fast model).
    public let completesWithinWait: Bool
    private var throttledCreates: Int
    private var garbledPolls: Int
    private var predictions: [String: (request: GenerationRequest, polls: Int, canceled: Bool)] = [:]

    /// - Parameters:
    ///   - throttledCreates: the first N creates get `429` + `Retry-After: 1`.
    ///   - garbledPolls: the first N polls get a truncated JSON body (as in replicate-python#453).
    public init(expectedKey: String = FakeReplicate.defaultKey, echoesKey: Bool = false,
                outputShape: OutputShape = .list, completesWithinWait: Bool = false,
                throttledCreates: Int = 0, garbledPolls: Int = 0) {
        self.expectedKey = expectedKey
        self.echoesKey = echoesKey
        self.outputShape = outputShape
        self.completesWithinWait = completesWithinWait
        self.throttledCreates = throttledCreates
        self.garbledPolls = garbledPolls
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

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

    private func problem(_ status: Int, _ title: String, _ detail: String, headers: [String: String] = [:]) -> FlyingFox.HTTPResponse {
        Fake.json(Fake.status(status), ["title": title, "detail": detail, "status": status], headers: headers)
    }

    private func handle(_ req: FlyingFox.HTTPRequest, body: [UInt8]) async -> FlyingFox.HTTPResponse {
        let entry = FakeRequest(req, body: body)
        log.append(entry)
        let parts = req.path.split(separator: "/").map(String.init)
        if req.method == .GET, parts.count == 2, parts[0] == "files", parts[1].hasSuffix(".png") {
            guard let p = predictions[String(parts[1].dropLast(4))] else { return problem(404, "Not found", "no such file") }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png"],
                                body: Data(Fake.png(width: p.request.width, height: p.request.height, seed: p.request.seed)))
        }
        let sent = entry.headers["authorization"] ?? ""
        guard sent == "Bearer " + expectedKey else {
            let echo = echoesKey ? " (got \(sent))" : ""
            return problem(401, "Unauthenticated", "You did not pass a valid authentication token\(echo)")
        }
        switch (req.method, parts.count) {
        case (.POST, 5) where parts[0] == "v1" && parts[1] == "models" && parts[4] == "predictions":
            return await create(body, version: nil)
        case (.POST, 2) where parts == ["v1", "predictions"]:
            guard let v = Fake.object(body)?["version"] as? String, !v.isEmpty else {
                return problem(422, "Input validation failed", "- version: version is required")
            }
            return await create(body, version: v)
        case (.GET, 3) where parts[0] == "v1" && parts[1] == "predictions":
            return poll(parts[2])
        case (.POST, 4) where parts[0] == "v1" && parts[1] == "predictions" && parts[3] == "cancel":
            guard predictions[parts[2]] != nil else { return problem(404, "Not found", "The requested resource could not be found.") }
            cancels += 1
            predictions[parts[2]]?.canceled = true
            return Fake.json(.ok, prediction(parts[2]))
        case (.GET, 2) where parts == ["v1", "account"]:
            return Fake.json(.ok, ["type": "user", "username": "easel-test", "name": "Easel Test"])
        default:
            return problem(404, "Not found", "The requested resource could not be found.")
        }
    }

    private func create(_ body: [UInt8], version: String?) async -> FlyingFox.HTTPResponse {
        creates += 1
        if throttledCreates > 0 {
            throttledCreates -= 1
            return Fake.json(Fake.status(429), ["detail": "Request was throttled. Expected available in 1 second."], headers: ["Retry-After": "1"])
        }
        guard let input = Fake.object(body)?["input"] as? [String: Any], let prompt = input["prompt"] as? String else {
            return problem(422, "Input validation failed", "- input.prompt: prompt is required")
        }
        let request = GenerationRequest(prompt: prompt, negativePrompt: input["negative_prompt"] as? String ?? "",
                                        width: input["width"] as? Int ?? 1024, height: input["height"] as? Int ?? 1024,
                                        seed: UInt32(input["seed"] as? Int ?? 0), steps: input["num_inference_steps"] as? Int ?? 28)
        received.append(request)
        switch Scenario.of(prompt) {
        case .invalid: return problem(422, "Input validation failed", "- input.prompt: prompt rejected by the content filter")
        case .serverError: return problem(500, "Internal Server Error", "worker crashed")
        case .stall:
            try? await Task.sleep(for: .seconds(30))
            return problem(503, "Service Unavailable", "stalled")
        default: break
        }
        let id = "p\(predictions.count + 1)qorzdhgbfurvjtvhg6dckhu"
        predictions[id] = (request, completesWithinWait && Scenario.of(prompt) == .normal ? 2 : 0, false)
        return Fake.json(Fake.status(201), prediction(id))
    }

    private func poll(_ id: String) -> FlyingFox.HTTPResponse {
        guard predictions[id] != nil else { return problem(404, "Not found", "The requested resource could not be found.") }
        if garbledPolls > 0 {
            garbledPolls -= 1
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: Data("{\"id\":\"\(id)\",\"status\":\"succ".utf8))
        }
        predictions[id]?.polls += 1
        return Fake.json(.ok, prediction(id))
    }

    /// The prediction object as Replicate sends it, for the job's current poll count.
    private func prediction(_ id: String) -> [String: Any] {
        guard let p = predictions[id] else { return [:] }
        var status = "starting", logs = "", output: Any = NSNull(), error: Any = NSNull()
        switch (p.canceled, Scenario.of(p.request.prompt), p.polls) {
        case (true, _, _): status = "canceled"
        case (_, .queued, _), (_, _, 0): status = "starting"
        case (_, .running, _), (_, _, 1):
            status = "processing"
            logs = "Using seed: \(p.request.seed)\n  0%|          | 0/6 [00:00<?, ?it/s]\n 50%|█████     | 3/6 [00:01<00:01,  2.9it/s]"
        case (_, .fail, _):
            status = "failed"
            error = "the sampler produced NaNs"
        default:
            status = "succeeded"
            let url = baseURL + "/files/\(id).png"
            switch outputShape {
            case .list: output = [url]
            case .string: output = url
            case .object: output = ["image": url]
            case .dataURI:
                output = "data:image/png;base64," + Data(Fake.png(width: p.request.width, height: p.request.height, seed: p.request.seed)).base64EncodedString()
            }
        }
        return ["id": id, "model": "black-forest-labs/flux-schnell", "version": "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
                "input": ["prompt": p.request.prompt], "logs": logs, "output": output, "error": error, "status": status,
                "data_removed": false, "created_at": "2026-11-29T16:19:34.765994657Z",
                "urls": ["get": baseURL + "/v1/predictions/\(id)", "cancel": baseURL + "/v1/predictions/\(id)/cancel"]]
    }
}
