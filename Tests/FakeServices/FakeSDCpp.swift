import EaselCore
import EaselImaging
import FlyingFox
import Foundation

/// stable-diffusion.cpp `sd-server`'s native async API as a fake, after `examples/server/routes_sdcpp.cpp`
/// and `async_jobs.cpp` (leejet/stable-diffusion.cpp 97d29908): `POST /sdcpp/v1/img_gen` → 202 job,
/// `GET /sdcpp/v1/jobs/{id}`, `POST /sdcpp/v1/jobs/{id}/cancel` (200 while queued, 409 while generating),
/// `GET /sdcpp/v1/capabilities`. Errors are `{"error":"…"}` strings. A normal job is queued for one poll,
/// generating for one, then completed with `result.images[0].b64_json`.
///
/// Scenario markers: `[[queued]]` stays queued at position 1; `[[running]]` stays generating; `[[invalid]]`
/// 400 `invalid generation parameters`; `[[500]]` 500 `{"error":"server_error","message":…}`; `[[fail]]`
/// fails after one generating poll; `[[stall]]` answers img_gen after 30 s.
public actor FakeSDCpp: FakeService {
    public struct Options: Sendable {
        /// `output_format` of the results, whatever the request asked: "png", "jpeg" or "webp".
        public var outputFormat = "png"
        /// A newer server that can cancel a generating job (`features.cancel_generating`).
        public var cancelGenerating = false
        public init() {}
    }

    private enum Status: String { case queued, generating, completed, failed, cancelled }
    private struct Job {
        let request: GenerationRequest
        var polls = 0
        var status: Status = .queued
        var expired = false
    }

    public let options: Options
    private var server: HTTPServer?
    private var task: Task<Void, Error>?
    private var port: UInt16 = 0
    public private(set) var received: [GenerationRequest] = []
    public private(set) var cancels = 0
    public private(set) var log: [FakeRequest] = []
    private var jobs: [String: Job] = [:]
    private var next = 0

    public init() { options = Options() }
    public init(options: Options) { self.options = options }
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

    /// Makes a job answer `410 {"error":"job expired"}` from now on, as after sd-server's TTL.
    public func expire(_ id: String) { jobs[id]?.expired = true }

    private func handle(_ req: FlyingFox.HTTPRequest, body: [UInt8]) async -> FlyingFox.HTTPResponse {
        log.append(FakeRequest(req, body: body))
        let parts = req.path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "sdcpp", parts[1] == "v1" else { return Self.error(.notFound, "not found") }
        switch (req.method, Array(parts.dropFirst(2))) {
        case (.GET, ["capabilities"]):
            return Fake.json(.ok, ["model": ["name": "sd-v1-5.safetensors", "stem": "sd-v1-5", "path": "/models/sd-v1-5.safetensors"],
                                   "current_mode": "img_gen", "supported_modes": ["img_gen"],
                                   "samplers": ["euler", "euler_a", "heun", "dpm2", "dpm++2m", "lcm"],
                                   "schedulers": ["discrete", "karras"], "output_formats": ["png", "jpeg", "webp"],
                                   "limits": ["min_width": 64, "max_width": 4096, "min_height": 64, "max_height": 4096,
                                              "max_batch_count": 8, "max_queue_size": 8],
                                   "features": ["cancel_queued": true, "cancel_generating": options.cancelGenerating]])
        case (.POST, ["img_gen"]):
            return await submit(body)
        case (.GET, let route) where route.count == 2 && route[0] == "jobs":
            return poll(route[1])
        case (.POST, let route) where route.count == 3 && route[0] == "jobs" && route[2] == "cancel":
            return cancel(route[1])
        default:
            return Self.error(.notFound, "not found")
        }
    }

    private func submit(_ body: [UInt8]) async -> FlyingFox.HTTPResponse {
        guard !body.isEmpty else { return Self.error(.badRequest, "empty body") }
        guard let o = Fake.object(body) else { return Fake.json(.badRequest, ["error": "invalid json", "message": "parse error"]) }
        let sample = o["sample_params"] as? [String: Any]
        let request = GenerationRequest(prompt: o["prompt"] as? String ?? "", negativePrompt: o["negative_prompt"] as? String ?? "",
                                        width: o["width"] as? Int ?? 512, height: o["height"] as? Int ?? 512,
                                        seed: UInt32(truncatingIfNeeded: o["seed"] as? Int ?? 42),
                                        steps: sample?["sample_steps"] as? Int ?? 20)
        received.append(request)
        switch Scenario.of(request.prompt) {
        case .invalid: return Self.error(.badRequest, "invalid generation parameters")
        case .serverError:
            return Fake.json(.internalServerError, ["error": "server_error", "message": "std::bad_alloc while loading the VAE"])
        case .stall:
            try? await Task.sleep(for: .seconds(30))
            return Self.error(.serviceUnavailable, "stalled")
        default: break
        }
        next += 1
        let n = String(next), id = "job_\(String(Int(Date().timeIntervalSince1970), radix: 16))_" + String(repeating: "0", count: max(0, 8 - n.count)) + n
        jobs[id] = Job(request: request)
        return Fake.json(.accepted, ["id": id, "kind": "img_gen", "status": "queued", "created": Int(Date().timeIntervalSince1970),
                                     "poll_url": "/sdcpp/v1/jobs/\(id)"])
    }

    private func poll(_ id: String) -> FlyingFox.HTTPResponse {
        guard var job = jobs[id] else { return Self.error(.notFound, "job not found") }
        if job.expired { return Self.error(.gone, "job expired") }
        job.polls += 1
        if job.status == .queued || job.status == .generating {
            switch (Scenario.of(job.request.prompt), job.polls) {
            case (.queued, _): job.status = .queued
            case (.running, _): job.status = .generating
            case (.fail, let n) where n >= 2: job.status = .failed
            case (_, 1): job.status = .queued
            case (_, 2): job.status = .generating
            default: job.status = .completed
            }
        }
        jobs[id] = job
        return Fake.json(.ok, json(id, job))
    }

    private func cancel(_ id: String) -> FlyingFox.HTTPResponse {
        guard var job = jobs[id] else { return Self.error(.notFound, "job not found") }
        if job.expired { return Self.error(.gone, "job expired") }
        cancels += 1
        switch job.status {
        case .queued:
            job.status = .cancelled
        case .generating where options.cancelGenerating:
            job.status = .cancelled
        case .generating:
            return Self.error(.conflict, "job is currently generating and cannot be interrupted yet")
        case .completed, .failed, .cancelled:
            break
        }
        jobs[id] = job
        return Fake.json(.ok, json(id, job))
    }

    /// `make_async_job_json`: the common job shape.
    private func json(_ id: String, _ job: Job) -> [String: Any] {
        var o: [String: Any] = ["id": id, "kind": "img_gen", "status": job.status.rawValue, "created": 1_775_401_200,
                                "started": job.status == .queued ? NSNull() as Any : 1_775_401_203 as Any,
                                "completed": [Status.completed, .failed, .cancelled].contains(job.status) ? 1_775_401_215 as Any : NSNull() as Any,
                                "queue_position": job.status == .queued ? 1 : 0, "result": NSNull(), "error": NSNull()]
        switch job.status {
        case .completed:
            let r = job.request
            var bytes = Fake.png(width: r.width, height: r.height, seed: r.seed)
            if options.outputFormat != "png", let rgba = try? ImageCodec.decode(bytes) {
                bytes = (options.outputFormat == "webp" ? ImageCodec.encodeWebP(rgba) : ImageCodec.encodeJPEG(rgba)) ?? bytes
            }
            o["result"] = ["output_format": options.outputFormat, "images": [["index": 0, "b64_json": Data(bytes).base64EncodedString()]]]
        case .failed:
            o["error"] = ["code": "generation_failed", "message": "generate_image returned no results"]
        case .cancelled:
            o["error"] = ["code": "cancelled", "message": "job cancelled by client"]
        case .queued, .generating:
            break
        }
        return o
    }

    private static func error(_ status: HTTPStatusCode, _ message: String) -> FlyingFox.HTTPResponse {
        Fake.json(status, ["error": message])
    }
}
