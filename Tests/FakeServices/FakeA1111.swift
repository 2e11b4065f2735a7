import EaselCore
import EaselImaging
import FlyingFox
import Foundation

/// AUTOMATIC1111 / Forge's `--api` as a fake (reference/backends.md §2): a blocking `POST /sdapi/v1/txt2img`
/// that samples for `generationTime` in `steps` ticks while `GET /sdapi/v1/progress` reports rising
/// `progress`, `eta_relative`, `state.sampling_step` and a `current_image` preview; `POST /sdapi/v1/interrupt`
/// ends the running request early with a normal reply (as the web UI does); `/sdapi/v1/options`,
/// `/sd-models`, `/samplers`. One txt2img runs at a time (the web UI's `queue_lock`).
///
/// Scenario markers: `[[queued]]` waits without starting (progress idle) until interrupted; `[[running]]`
/// stops at half way until interrupted; `[[invalid]]` is FastAPI's 422; `[[500]]` the
/// `{error, detail, body, errors}` CUDA out-of-memory 500; `[[fail]]` samples half way and, once a
/// `/progress` has answered while it sampled (so a client polling can see it run), a 500 `NansException`; `[[stall]]` hangs the whole server (txt2img and progress) for 30 s.
public actor FakeA1111: FakeService {
    public enum ImageFormat: Sendable { case png, jpeg, webp }

    public struct Options: Sendable {
        /// How long a normal txt2img samples; a tmux test can stretch it to ~6 s.
        public var generationTime: Duration = .seconds(1)
        /// Sampling steps shown by `/progress`; the request's `steps` when nil.
        public var steps: Int? = nil
        /// The server's `samples_format`: the bytes in `images[]`.
        public var imageFormat: ImageFormat = .png
        /// false: started without `--api`, every route is `404 {"detail":"Not Found"}`.
        public var apiEnabled = true
        /// `--api-auth user:pass`: every route wants HTTP Basic.
        public var basicAuth: String? = nil
        /// Live previews on (`current_image` in `/progress`).
        public var livePreviews = true
        /// Send `images[]` and `current_image` with a `data:image/…;base64,` prefix.
        public var dataURIs = false
        /// The seed `info` reports; the request's when nil.
        public var reportedSeed: Int? = nil
        /// Time between taking the queue lock and beginning to sample (a checkpoint loading), with
        /// `/progress` idle. An interrupt in that time is lost: the web UI's `state.begin()` clears it.
        public var startDelay: Duration = .zero
        /// true: after the queue lock (and `startDelay`) a txt2img waits, with `/progress` idle, until the
        /// test calls `beginSampling()`: an interrupt in that time is lost, as during `startDelay`.
        public var holdsStart = false
        public init() {}
    }

    /// One txt2img that sampled: how many steps it did of how many (fewer after an interrupt).
    public struct SampledRun: Sendable, Equatable {
        public let steps: Int
        public let of: Int
    }

    public let options: Options
    private var server: HTTPServer?
    private var task: Task<Void, Error>?
    private var port: UInt16 = 0
    public private(set) var received: [GenerationRequest] = []
    public private(set) var cancels = 0
    public private(set) var log: [FakeRequest] = []
    /// Every txt2img that began sampling, in order.
    public private(set) var sampled: [SampledRun] = []
    /// The job holding the queue lock: its step count and whether an interrupt arrived.
    private var current: (steps: Int, step: Int, started: ContinuousClock.Instant)? = nil
    private var locked = false
    private var interrupted = false
    /// A txt2img holds the queue lock and waits for `beginSampling()` (`Options.holdsStart`).
    public private(set) var waitingToBegin = false
    private var released = false
    /// A `/progress` answered while a txt2img sampled (read by the `[[fail]]` scenario).
    private var progressSeenSampling = false
    private var stalled = false

    public init() { options = Options() }
    public init(options: Options) { self.options = options }
    /// A fake whose normal txt2img samples for `generationTime` (e.g. ~6 s for a tmux test that watches
    /// the percentage move).
    public init(generationTime: Duration) {
        var o = Options()
        o.generationTime = generationTime
        options = o
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

    public static let models = ["v1-5-pruned-emaonly.safetensors [6ce0161689]", "sd_xl_base_1.0.safetensors [31e35c80fc]"]
    public static let samplers = ["Euler a", "Euler", "DPM++ 2M", "DDIM"]

    private func handle(_ req: FlyingFox.HTTPRequest, body: [UInt8]) async -> FlyingFox.HTTPResponse {
        let logged = FakeRequest(req, body: body)
        log.append(logged)
        guard options.apiEnabled, req.path.hasPrefix("/sdapi/v1/") else { return Fake.json(.notFound, ["detail": "Not Found"]) }
        if let credentials = options.basicAuth {
            let expected = "Basic " + Data(credentials.utf8).base64EncodedString()
            guard let given = logged.headers["authorization"] else { return Self.wrapped(401, "Not authenticated") }
            guard given == expected else { return Self.wrapped(401, "Incorrect username or password") }
        }
        if stalled {
            try? await Task.sleep(for: .seconds(30))
            return Self.wrapped(503, "stalled")
        }
        switch (req.method, String(req.path.dropFirst("/sdapi/v1/".count))) {
        case (.POST, "txt2img"): return await txt2img(body)
        case (.GET, "progress"):
            return progress(skipImage: req.query.first { $0.name == "skip_current_image" }?.value == "true")
        case (.POST, "interrupt"):
            cancels += 1
            interrupted = true
            return Fake.json(.ok, [String: Any]())
        case (.GET, "options"):
            return Fake.json(.ok, ["sd_model_checkpoint": Self.models[0], "samples_format": "\(options.imageFormat)",
                                   "show_progress_every_n_steps": options.livePreviews ? 1 : -1])
        case (.GET, "sd-models"):
            return Fake.json(.ok, Self.models.map { title -> [String: Any] in ["title": title, "model_name": String(title.prefix { $0 != "." }), "config": NSNull()] })
        case (.GET, "samplers"):
            return Fake.json(.ok, Self.samplers.map { name -> [String: Any] in ["name": name, "aliases": [String](), "options": [String: String]()] })
        default:
            return Self.wrapped(404, "Not Found")
        }
    }

    private func txt2img(_ body: [UInt8]) async -> FlyingFox.HTTPResponse {
        guard let o = Fake.object(body), let prompt = o["prompt"] as? String else {
            return Fake.json(Fake.status(422, "Unprocessable Entity"),
                             ["detail": [["loc": ["body"], "msg": "field required", "type": "value_error.missing"]]])
        }
        let request = GenerationRequest(prompt: prompt, negativePrompt: o["negative_prompt"] as? String ?? "",
                                        width: o["width"] as? Int ?? 512, height: o["height"] as? Int ?? 512,
                                        seed: UInt32(truncatingIfNeeded: o["seed"] as? Int ?? -1), steps: o["steps"] as? Int ?? 50)
        received.append(request)
        let scenario = Scenario.of(prompt)
        switch scenario {
        case .invalid:
            return Fake.json(Fake.status(422, "Unprocessable Entity"),
                             ["detail": [["loc": ["body", "prompt"], "msg": "str type expected", "type": "type_error.str"]]])
        case .serverError:
            return Self.wrapped(500, error: "OutOfMemoryError", errors: "CUDA out of memory. Tried to allocate 1.11 GiB (GPU 0; 7.79 GiB total capacity)")
        case .stall:
            stalled = true
            try? await Task.sleep(for: .seconds(30))
            stalled = false
            return Self.wrapped(503, "stalled")
        default: break
        }
        if let sampler = o["sampler_name"] as? String, !Self.samplers.contains(sampler) {
            return Self.wrapped(404, "Sampler not found")
        }
        // The queue lock: one generation at a time.
        while locked { guard await Fake.pause(.milliseconds(10)) else { return Self.wrapped(503, "stopped") } }
        locked = true
        defer { locked = false; current = nil }
        if options.startDelay > .zero, !(await Fake.pause(options.startDelay)) { return Self.wrapped(503, "stopped") }
        if options.holdsStart {
            waitingToBegin = true
            while !released { guard await Fake.pause(.milliseconds(10)) else { waitingToBegin = false; return Self.wrapped(503, "stopped") } }
            waitingToBegin = false
        }
        interrupted = false
        progressSeenSampling = false
        if scenario == .queued {
            while !interrupted { guard await Fake.pause(.milliseconds(20)) else { return Self.wrapped(503, "stopped") } }
            return finished(request)
        }
        let steps = max(1, options.steps ?? request.steps)
        current = (steps, 0, .now)
        defer { sampled.append(SampledRun(steps: current?.step ?? 0, of: steps)) }
        let tick = options.generationTime / steps
        for step in 1...steps {
            if interrupted { break }
            if (scenario == .running || scenario == .fail) && step > steps / 2 {
                if scenario == .fail {
                    while !progressSeenSampling && !interrupted { guard await Fake.pause(.milliseconds(10)) else { return Self.wrapped(503, "stopped") } }
                    return Self.wrapped(500, error: "NansException",
                                        errors: "A tensor with all NaNs was produced in Unet. Use --disable-nan-check to skip this check.")
                }
                while !interrupted { guard await Fake.pause(.milliseconds(20)) else { return Self.wrapped(503, "stopped") } }
                break
            }
            guard await Fake.pause(tick) else { return Self.wrapped(503, "stopped") }
            current?.step = step
        }
        return finished(request)
    }

    /// Lets a txt2img held by `Options.holdsStart` begin sampling.
    public func beginSampling() { released = true }

    /// The 200 reply: `images`, `parameters` (an echo) and `info` as a JSON string.
    private func finished(_ r: GenerationRequest) -> FlyingFox.HTTPResponse {
        let seed = options.reportedSeed ?? Int(r.seed)
        let info: [String: Any] = ["prompt": r.prompt, "all_prompts": [r.prompt], "negative_prompt": r.negativePrompt,
                                   "seed": seed, "all_seeds": [seed], "width": r.width, "height": r.height,
                                   "sampler_name": "Euler a", "cfg_scale": 7.0, "steps": r.steps, "batch_size": 1,
                                   "index_of_first_image": 0, "version": "v1.10.1",
                                   "infotexts": ["\(r.prompt)\nSteps: \(r.steps), Seed: \(seed), Size: \(r.width)x\(r.height)"]]
        let infoText = String(decoding: (try? JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
        let image = encode(Fake.png(width: r.width, height: r.height, seed: r.seed))
        return Fake.json(.ok, ["images": [image], "parameters": ["prompt": r.prompt, "steps": r.steps], "info": infoText],
                         headers: ["X-Process-Time": "1.0"])
    }

    private func progress(skipImage: Bool) -> FlyingFox.HTTPResponse {
        guard let job = current else {
            return Fake.json(.ok, ["progress": 0, "eta_relative": 0, "textinfo": NSNull(),
                                   "state": ["skipped": false, "interrupted": false, "job": "", "job_count": 0,
                                             "job_timestamp": "0", "job_no": 0, "sampling_step": 0, "sampling_steps": 0]])
        }
        if job.step > 0 { progressSeenSampling = true }
        let fraction = min(1, 0.01 + Double(job.step) / Double(job.steps))
        let elapsed = ContinuousClock.now - job.started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let eta = fraction > 0.01 ? seconds / fraction - seconds : 0
        var reply: [String: Any] = ["progress": fraction, "eta_relative": eta, "textinfo": NSNull(),
                                    "state": ["skipped": false, "interrupted": interrupted, "job": "scripts_txt2img",
                                              "job_count": 1, "job_timestamp": "20260101120000", "job_no": 0,
                                              "sampling_step": job.step, "sampling_steps": job.steps]]
        if options.livePreviews && !skipImage && job.step > 0 {
            reply["current_image"] = encode(Fake.png(width: 64, height: 64, seed: UInt32(job.step)))
        } else {
            reply["current_image"] = NSNull()
        }
        return Fake.json(.ok, reply)
    }

    /// PNG bytes re-encoded in `imageFormat`, as base64 (with a `data:` prefix when `dataURIs`).
    private func encode(_ png: [UInt8]) -> String {
        var bytes = png, mime = "image/png"
        if options.imageFormat != .png, let rgba = try? ImageCodec.decode(png) {
            switch options.imageFormat {
            case .jpeg: bytes = ImageCodec.encodeJPEG(rgba) ?? png; mime = "image/jpeg"
            case .webp: bytes = ImageCodec.encodeWebP(rgba) ?? png; mime = "image/webp"
            case .png: break
            }
        }
        let b64 = Data(bytes).base64EncodedString()
        return options.dataURIs ? "data:\(mime);base64,\(b64)" : b64
    }

    /// `handle_exception`'s shape for an HTTPException: `{error: "HTTPException", detail, body, errors: "<status>: <detail>"}`.
    private static func wrapped(_ status: Int, _ detail: String) -> FlyingFox.HTTPResponse {
        Fake.json(Fake.status(status), ["error": "HTTPException", "detail": detail, "body": "", "errors": "\(status): \(detail)"],
                  headers: status == 401 ? ["WWW-Authenticate": "Basic"] : [:])
    }

    /// `handle_exception`'s shape for any other exception: `{error: <type>, detail: "", body: "", errors: str(e)}`.
    private static func wrapped(_ status: Int, error: String, errors: String) -> FlyingFox.HTTPResponse {
        Fake.json(Fake.status(status), ["error": error, "detail": "", "body": "", "errors": errors])
    }
}
