import EaselCore
import EaselImaging
import FlyingFox
import FlyingSocks
import Foundation

/// The reference job server: the seed design's API, served with FlyingFox, generating with
/// `Configuration.generator`: the offline `SketchGenerator` (a procedural demo, not a neural model) by
/// default, or an upstream service (ReferenceServer+Produce.swift, ServerGenerator.swift).
///
/// - `POST /api/generate` `{prompt, negative_prompt?, width?, height?, seed?, steps?}` →
///   `200 {"jobId", "status": "processing"}` at once; `400 {"error"}` for bad input;
///   `429 {"error"}` with `Retry-After` (seconds) past the per-IP sliding-window limit.
/// - `GET /api/status/{jobId}` → `{"status": "processing"|"completed"|"failed", "image": URL|null,
///   "error"?, "progress"?}`; `404 {"error"}` for an unknown id.
/// - `GET /images/{file}` → PNG bytes.
/// - `GET /api/events/{jobId}` → the job's status as server-sent events (ReferenceServer+Events.swift);
///   submit and status answers name it in `"events"`.
///
/// Fault injection for client tests (`Fault`, docs/faults.md): `Configuration.faults`/`faultRate`, or the
/// `X-Easel-Fault` request header when `Configuration.allowFaultHeader` is set.
public actor ReferenceServer {
    public struct Configuration: Sendable {
        /// IPv4 or IPv6 address to bind (`::1`, `::` for every interface); loopback by default.
        public var host = "127.0.0.1"
        /// TCP port; 0 picks a free one (see `port` after `start()`).
        public var port: UInt16 = 0
        /// Per-IP limit on `POST /api/generate`; default 8 per 60 s.
        public var rateLimit = RateLimitSpec(requests: 8, window: .seconds(60))
        /// Simulated generation time per job; default 3 s. Cancelling a running job ends its wait at once.
        public var latency: Duration = .seconds(3)
        /// The clock the worker waits `latency` on; tests inject one they advance by hand.
        /// (The `progress` a status reports is measured on the continuous clock.)
        public var clock: any Clock<Duration> = ContinuousClock()
        /// The instant the per-IP rate limit counts requests at; tests pin it so `Retry-After` is exact.
        public var now: @Sendable () -> ContinuousClock.Instant = { .now }
        /// Jobs kept with their images and events, oldest dropped first: in memory, or with a `store` the
        /// finished ones in it (every instance trims the shared store to this after a job ends).
        public var maxStoredJobs = 256
        /// Print one line per request to stderr.
        public var logRequests = false
        /// Jobs waiting at most; past it `POST /api/generate` answers 503.
        public var maxPendingJobs = 100
        /// Largest request body accepted, in bytes; larger ones get 413 before the body is read.
        public var maxBodyBytes = 64 * 1024
        /// Faults injected at random into requests they apply to (see `Fault`); empty by default.
        public var faults: [Fault] = []
        /// Probability, 0...1, that a request gets one of `faults`; default 1 (every request).
        public var faultRate = 1.0
        /// Honour the per-request `X-Easel-Fault: NAME` header; off by default, so a public server
        /// cannot be made to misbehave by its clients.
        public var allowFaultHeader = false
        /// How long `slow-headers` and `slow-body` stall; default 30 s.
        public var faultStall: Duration = .seconds(30)
        /// Body size of the `huge` fault, in bytes; default 80 MiB (over the client's 64 MiB cap).
        public var faultHugeBytes = 80 << 20
        /// Seed of the SplitMix64 stream that picks random faults, so a run repeats.
        public var faultSeed: UInt64 = 1
        /// The endpoints random `faults` are drawn for; nil (default) means all of them.
        public var faultEndpoints: Set<Fault.Endpoint>?
        /// Time between `: heartbeat` comments on an idle event stream; default 15 s.
        public var eventHeartbeat: Duration = .seconds(15)
        /// Event streams open at once at most; past it `GET /api/events/…` answers 503. Default 256.
        public var maxOpenStreams = 256
        /// Name each job's event stream in the submit and status answers (`"events"`); off, the server
        /// answers as the plain seed API does and clients poll (the route itself still serves). Default on.
        public var offerEvents = true
        /// What makes the pictures; nil (default): the procedural demo (`SketchServerGenerator` on
        /// `latency` and `clock`).
        public var generator: (any ServerGenerator)?
        /// Proxies whose `X-Forwarded-For` names the client the rate limit counts (none by default).
        public var trustedProxies = TrustedProxies()
        /// Where jobs, rate-limit windows, events and images live when several instances serve one queue
        /// (ReferenceServer+Shared.swift); nil (default) keeps them in this server's memory.
        public var store: (any ServerStore)?
        /// With a `store`: how long a worker's claim on a job lasts without renewal (renewed every third of
        /// it); a job whose worker died is taken over this long after its last renewal. Default 30 s.
        public var lease: Duration = .seconds(30)
        /// With a `store`: what a worker runs per job instead of the demo generator (tests, upstream backends).
        public var sharedProducer: SharedProducer?
        public init() {}
    }

    public let configuration: Configuration
    private var server: HTTPServer?
    private var runTask: Task<Void, any Error>?
    var worker: Task<Void, Never>?
    /// Worker loops running now (`GET /healthz`); the server starts `generator.concurrency` of them.
    var workersAlive = 0
    /// Set by `shutdown(grace:)`: new submits get 503.
    var draining = false
    /// The jobs being generated, by id: their generation tasks (ReferenceServer+Produce.swift), which
    /// `cancel` and `stop` cancel.
    var running: [String: Task<Outcome, Never>] = [:]
    private var limiter: RateLimiter
    var jobs: [String: ServerJob] = [:]
    private var jobOrder: [String] = []
    private var images: [String: Data] = [:]
    var pending: [String] = []
    /// Workers waiting for a job, woken one per submit.
    private var idleWorkers: [CheckedContinuation<Void, Never>] = []
    /// `shutdown` waiting for the running jobs to end.
    var idleWaits: [CheckedContinuation<Void, Never>] = []
    private var nextID = 1
    /// Event logs and open streams (ReferenceServer+Events.swift).
    var hub = EventHub()
    /// The worker and notice listener when `Configuration.store` is set (ReferenceServer+Shared.swift).
    var shared = SharedRun()
    /// Requests answered so far, by endpoint (for tests and the bench: requests per job, push against poll).
    public internal(set) var served: [Fault.Endpoint: Int] = [:]
    let instance = String(UInt32.random(in: .min ... .max), radix: 36)
    /// Picks random faults (`Configuration.faults`); see ReferenceServer+Faults.swift.
    var faultSeeds: SeedSource
    /// The bound port, valid after `start()`.
    public private(set) var port: UInt16 = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        limiter = RateLimiter(limit: configuration.rateLimit.requests, window: configuration.rateLimit.window)
        faultSeeds = SeedSource(seed: configuration.faultSeed)
    }

    /// `http://host:port`, valid after `start()`.
    public var baseURL: String { configuration.host.contains(":") ? "http://[\(configuration.host)]:\(port)" : "http://\(configuration.host):\(port)" }

    /// Binds, starts serving in the background and returns once the socket listens.
    /// - Throws: `StartError` when the socket cannot be bound ("port 8787 on 127.0.0.1 is in use"),
    ///   FlyingFox's errors for a bad address or a listener that never starts (30 s).
    public func start() async throws {
        let server = try Self.listener(host: configuration.host, port: configuration.port)
        await server.appendRoute("POST /api/generate") { [weak self] req in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return await self.withFaults(.generate, req) { await self.serve(.generate, req) { await self.generate(req) } }
        }
        await server.appendRoute("GET /api/status/*") { [weak self] req in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return await self.withFaults(.status, req) { await self.serve(.status, req) { await self.status(req) } }
        }
        await server.appendRoute("POST /api/cancel/*") { [weak self] req in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return await self.withFaults(.cancel, req) { await self.serve(.cancel, req) { await self.cancel(req) } }
        }
        await server.appendRoute("GET /api/events/*") { [weak self] req in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            if let answer = await self.sharedRoute(.events, req) { return answer }
            return await self.withFaults(.events, req) { await self.events(req) }
        }
        await server.appendRoute("GET /images/*") { [weak self] req in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return await self.withFaults(.image, req) { await self.serve(.image, req) { await self.image(req) } }
        }
        await server.appendRoute("GET /api/health") { [weak self] req in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return await self.withFaults(.health, req) { Self.json(.ok, ["status": "ok", "generator": await self.generator.label]) }
        }
        await server.appendRoute("GET /healthz") { [weak self] _ in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return await self.healthz()
        }
        await server.appendRoute("*") { req in
            let known = ["/api/generate": "POST", "/api/health": "GET"]
            if let method = known[req.path] {
                return Self.json(.methodNotAllowed, ["error": "\(req.method.rawValue) is not allowed here; use \(method)"])
            }
            return Self.json(.notFound, ["error": "no such endpoint: \(req.method.rawValue) \(req.path)"])
        }
        self.server = server
        let (failures, failed) = AsyncStream<any Error>.makeStream()
        runTask = Task {
            defer { failed.finish() }
            do { try await server.run() } catch { failed.yield(error); throw error }
        }
        // Listening, or the bind failing (port in use): whichever comes first. Generous timeout: a loaded
        // machine may start the task late.
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { try await server.waitUntilListening(timeout: 30); return true }
                group.addTask {
                    for await error in failures { throw error }
                    return false
                }
                while let listening = try await group.next(), !listening {}
                group.cancelAll()
            }
        } catch let SocketError.failed(type, code, message) {
            throw StartError(host: configuration.host, port: configuration.port, code: code, call: type, reason: message)
        }
        switch await server.listeningAddress {
        case .ip4(_, let p), .ip6(_, let p): port = p
        default: break
        }
        if let store = configuration.store {
            startShared(store)
            return
        }
        let workers = max(1, generator.concurrency)
        worker = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<workers { group.addTask { await self.runQueue() } }
            }
        }
    }

    /// Stops serving and cancels the queue.
    public func stop() async {
        stopShared()
        worker?.cancel()
        for task in running.values { task.cancel() }
        for idle in idleWorkers { idle.resume() }
        idleWorkers.removeAll()
        await server?.stop()
        runTask?.cancel()
    }

    /// Runs until the task is cancelled (for `easel serve`).
    public func run() async throws {
        try await start()
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        await stop()
    }

    // MARK: - Routes

    private func generate(_ req: HTTPRequest) async -> HTTPResponse {
        // The socket's peer, or the client a trusted proxy names (TrustedProxies): never a header alone.
        let client = clientAddress(req)
        log("request", ["request": "POST /api/generate", "ip": client])
        if let refused = refusedBeforeReading(req) { return refused }
        if let wait = limiter.check(client, now: configuration.now()) {
            let response = rateLimited(retryAfter: wait.inSeconds)
            log("rate_limited", level: "warn", ["ip": client, "retry_after": response.headers[HTTPHeader("Retry-After")] ?? ""])
            return response
        }
        let body: Data
        do { body = try await req.bodyData } catch { return Self.json(.badRequest, ["error": "could not read the request body"]) }
        let params: GenerateParams
        switch GenerateParams.parse(body) {
        case .success(let p): params = p
        case .failure(let e): return Self.json(.badRequest, ["error": e.message])
        }
        guard pending.count < configuration.maxPendingJobs else {
            return Self.json(.serviceUnavailable, ["error": "the queue is full (\(configuration.maxPendingJobs) jobs); try again later"])
        }
        limiter.record(client, now: configuration.now())  // only accepted jobs count against the limit
        let id = "\(instance)-\(nextID)"
        nextID += 1
        jobs[id] = ServerJob(id: id, params: params)
        jobOrder.append(id)
        pending.append(id)
        hub.create(id)
        publishQueuePositions()
        trim()
        if !idleWorkers.isEmpty { idleWorkers.removeFirst().resume() }
        log("submitted", job: id, ["ip": client, "steps": String(params.steps), "size": "\(params.width)x\(params.height)"])
        var answer = ["jobId": id, "status": "processing"]
        if configuration.offerEvents { answer["events"] = Self.eventsPath(id) }
        return Self.json(.ok, answer)
    }

    private func status(_ req: HTTPRequest) -> HTTPResponse {
        let id = String(req.path.split(separator: "/").last ?? "")
        guard let job = jobs[id] else { return Self.json(.notFound, ["error": "unknown job id: \(id)"]) }
        var body: [String: Any] = ["status": job.state.rawValue, "image": NSNull()]
        if configuration.offerEvents { body["events"] = Self.eventsPath(id) }
        switch job.state {
        case .processing:
            if let started = job.startedAt {
                let timed = generator.expectedDuration.map { (ContinuousClock.now - started) / $0 } ?? 0
                body["progress"] = min(0.99, max(0, timed, job.progress ?? 0))
            } else {
                body["progress"] = 0.0
                body["queue_position"] = (pending.firstIndex(of: id) ?? 0) + 1
            }
        case .completed:
            body["image"] = "\(baseURL)/images/\(id).png"
            body["progress"] = 1.0
        case .failed:
            body["error"] = job.error ?? "generation failed"
            body["category"] = job.category ?? ServerGenerationError.Category.inferenceFailed.rawValue
        case .canceled:
            body["error"] = "canceled"
        }
        return Self.json(.ok, body)
    }

    /// `POST /api/cancel/{jobId}`: a waiting job is dropped; a running one stops at once and the
    /// worker moves on to the next job (no image is made).
    private func cancel(_ req: HTTPRequest) -> HTTPResponse {
        let id = String(req.path.split(separator: "/").last ?? "")
        guard var job = jobs[id] else { return Self.json(.notFound, ["error": "unknown job id: \(id)"]) }
        guard job.state == .processing else { return Self.json(.conflict, ["error": "job \(id) is already \(job.state.rawValue)"]) }
        job.state = .canceled
        jobs[id] = job
        pending.removeAll { $0 == id }
        cancelRunning(id)
        publish(id, "failed", ["status": "failed", "category": "canceled", "message": "canceled"])
        publishQueuePositions()
        log("canceled", job: id)
        return Self.json(.ok, ["jobId": id, "status": "canceled"])
    }

    private func image(_ req: HTTPRequest) -> HTTPResponse {
        // The last path segment after percent-decoding: `evil-filename` URLs end in `..%2Fevil%2F{id}.png`.
        let path = req.path.removingPercentEncoding ?? req.path
        let file = String(path.split(separator: "/").last ?? "")
        guard let data = images[file] else { return Self.json(.notFound, ["error": "no such image: \(file)"]) }
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png"], body: data)
    }

    // MARK: - Queue

    /// One worker: a job at a time, in submission order, through `produce` (the configured generator).
    /// `start` runs `generator.concurrency` of them.
    private func runQueue() async {
        workersAlive += 1
        defer { workersAlive -= 1 }
        while !Task.isCancelled {
            guard !pending.isEmpty else {
                await withCheckedContinuation { idleWorkers.append($0) }
                continue
            }
            let id = pending.removeFirst()
            guard var job = jobs[id] else { continue }
            job.startedAt = .now
            jobs[id] = job
            publish(id, "status", ["status": "processing"])
            publishQueuePositions()
            log("started", job: id)
            let outcome = await produce(job, resume: job.upstreamID)
            if Task.isCancelled { return }
            guard let now = jobs[id], now.state == .processing else { continue }       // canceled while it ran
            job = now
            switch outcome {
            case .success(let bytes):
                images["\(id).png"] = Data(bytes)
                job.state = .completed
            case .failure(let e):
                job.state = .failed
                job.error = e.message
                job.category = e.category.rawValue
            }
            jobs[id] = job
            if job.state == .completed {
                publish(id, "completed", ["status": "completed", "image": "\(baseURL)/images/\(id).png"])
            } else {
                publish(id, "failed", ["status": "failed", "category": job.category ?? "inference_failed", "message": job.error ?? "generation failed"])
            }
            if job.state == .completed { log("completed", job: id, ["bytes": String(images["\(id).png"]?.count ?? 0)]) }
            else { log("failed", job: id, level: "warn", ["category": job.category ?? "", "msg": job.error ?? ""]) }
        }
    }

    /// Whether job `id` is generating now (read by the progress ticker, ReferenceServer+Events.swift).
    func isProcessing(_ id: String) -> Bool { jobs[id]?.state == .processing }

    private func trim() {
        while jobOrder.count > configuration.maxStoredJobs {
            let old = jobOrder.removeFirst()
            jobs[old] = nil
            images["\(old).png"] = nil
            hub.drop(old)
        }
    }

    static func json(_ status: HTTPStatusCode, _ object: [String: Any]) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPResponse(statusCode: status, headers: [.contentType: "application/json"], body: data)
    }
}

struct ServerJob {
    enum State: String { case processing, completed, failed, canceled }
    let id: String
    let params: GenerateParams
    var state = State.processing
    var startedAt: ContinuousClock.Instant?
    var error: String?
    /// The `ServerGenerationError.Category` of a failure.
    var category: String?
    /// The upstream service's id for the job, once it took it (`ServerGenerationEvent.accepted`).
    var upstreamID: String?
    /// The last progress a generator reported, 0...1.
    var progress: Double?
}

extension SketchGenerator {
    /// How the demo generator is labelled wherever it appears.
    public static let label = "sketch: procedural offline demo, not a neural model"
}
