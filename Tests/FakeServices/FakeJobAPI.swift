import EaselCore
import FlyingFox
import Foundation

/// The seed design's job API as a fake: `POST /api/generate` → `{jobId}`, `GET /api/status/{id}` →
/// `{status, image, progress, queue_position, error}`, `POST /api/cancel/{id}`, `GET /images/{id}.png`.
/// Honours the `Scenario` markers; a normal job is queued for one poll, running for one, then completed.
public actor FakeJobAPI: FakeService {
    private var server: HTTPServer?
    private var task: Task<Void, Error>?
    private var port: UInt16 = 0
    public private(set) var received: [GenerationRequest] = []
    public private(set) var cancels = 0
    public private(set) var log: [FakeRequest] = []
    private var jobs: [String: (request: GenerationRequest, polls: Int, canceled: Bool)] = [:]

    /// Job ids are this prefix and a counter (a hostile prefix tests that ids are escaped before printing).
    public let idPrefix: String

    /// When set, every `/api/` route wants `Authorization: Bearer <expectedKey>`, else 401 with an error that
    /// echoes the header it got (as careless servers do).
    public let expectedKey: String?

    /// Status polls a normal job answers "processing" before it completes (its speed, in polls); default 1.
    public let runningPolls: Int

    /// When set, every submit is refused with this status (429, 503) and `Retry-After` (seconds) when given,
    /// and counted in `received` like an accepted one: a member that is rate limited or overloaded.
    public let refuseSubmits: (status: Int, retryAfter: Int?)?

    public init(idPrefix: String = "job-", expectedKey: String? = nil, runningPolls: Int = 1,
                refuseSubmits: (status: Int, retryAfter: Int?)? = nil) {
        self.idPrefix = idPrefix
        self.expectedKey = expectedKey
        self.runningPolls = max(1, runningPolls)
        self.refuseSubmits = refuseSubmits
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

    private func handle(_ req: FlyingFox.HTTPRequest, body: [UInt8]) async -> FlyingFox.HTTPResponse {
        log.append(FakeRequest(req, body: body))
        let parts = req.path.split(separator: "/").map(String.init)
        let route = parts.first == "api" ? Array(parts.dropFirst()) : parts
        let head = route.first ?? "", id = route.count == 2 ? route[1] : ""
        if let expectedKey, parts.first == "api" {
            let sent = req.headers[HTTPHeader("Authorization")] ?? ""
            if sent != "Bearer " + expectedKey { return Fake.json(.unauthorized, ["error": "bad credentials: \(sent)"]) }
        }
        switch (req.method, head) {
        case (.POST, "generate") where route.count == 1:
            guard let o = Fake.object(body), let prompt = o["prompt"] as? String else {
                return Fake.json(.badRequest, ["error": "prompt is required"])
            }
            let request = GenerationRequest(prompt: prompt, negativePrompt: o["negative_prompt"] as? String ?? "",
                                            width: o["width"] as? Int ?? 768, height: o["height"] as? Int ?? 768,
                                            seed: UInt32(o["seed"] as? Int ?? 0), steps: o["steps"] as? Int ?? 30)
            received.append(request)
            if let (status, after) = refuseSubmits {
                return Fake.json(Fake.status(status), ["error": status == 429 ? "rate limited" : "not ready"],
                                 headers: after.map { ["Retry-After": String($0)] } ?? [:])
            }
            switch Scenario.of(prompt) {
            case .invalid: return Fake.json(.badRequest, ["error": "prompt rejected by the content filter"])
            case .serverError: return Fake.json(.internalServerError, ["error": "worker crashed"])
            case .stall:
                try? await Task.sleep(for: .seconds(30))
                return Fake.json(.serviceUnavailable, ["error": "stalled"])
            default: break
            }
            let id = "\(idPrefix)\(jobs.count + 1)"
            jobs[id] = (request, 0, false)
            return Fake.json(.ok, ["jobId": id, "status": "queued"])
        case (.GET, "status") where !id.isEmpty:
            guard var job = jobs[id] else { return Fake.json(.notFound, ["error": "job not found"]) }
            job.polls += 1
            jobs[id] = job
            if job.canceled { return Fake.json(.ok, ["status": "canceled"]) }
            switch Scenario.of(job.request.prompt) {
            case .queued: return Fake.json(.ok, ["status": "queued", "queue_position": 1])
            case .running: return Fake.json(.ok, ["status": "processing", "progress": 0.5])
            case .fail where job.polls >= 2: return Fake.json(.ok, ["status": "failed", "error": "the sampler produced NaNs"])
            default: break
            }
            switch job.polls {
            case 1: return Fake.json(.ok, ["status": "queued", "queue_position": 1])
            case 2...(1 + runningPolls): return Fake.json(.ok, ["status": "processing", "progress": 0.5])
            default: return Fake.json(.ok, ["status": "completed", "image": "/images/\(id).png"])
            }
        case (.POST, "cancel") where !id.isEmpty:
            guard jobs[id] != nil else { return Fake.json(.notFound, ["error": "job not found"]) }
            cancels += 1
            jobs[id]?.canceled = true
            return Fake.json(.ok, ["status": "canceled"])
        case (.GET, "images") where id.hasSuffix(".png"):
            guard let job = jobs[String(id.dropLast(4))] else { return Fake.json(.notFound, ["error": "no such image"]) }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png"],
                                body: Data(Fake.png(width: job.request.width, height: job.request.height, seed: job.request.seed)))
        case (.GET, "health"):
            return Fake.json(.ok, ["status": "ok", "generator": "fake"])
        default:
            return Fake.json(.notFound, ["error": "no such endpoint"])
        }
    }
}
