import EaselCore
import EaselImaging
import FlyingFox
import FlyingSocks
import Foundation

/// The server's routes and worker when `Configuration.store` is set: several instances serve one queue kept
/// in the store (issue 21 items 2–3). The answers are the same as the in-memory server's; what differs:
/// - a submit's rate-limit check and its job are one store transaction, so the per-IP limit holds across
///   every instance in total (measured on the store's clock, not `Configuration.now`);
/// - each instance runs one worker that claims jobs with a lease (`Configuration.lease`), renews it every
///   third of it while the job runs, and stops at once when the job's final event (a cancel from any
///   instance) arrives; a job whose worker died is claimed again when its lease expires;
/// - events are stored with their ids and fanned out by the store's notices, so a stream opened on any
///   instance sees them (`Last-Event-ID` replays from the store);
/// - images are kept in the store, so any instance serves any job's PNG.
extension ReferenceServer {
    /// Per-instance state of the shared mode (`ReferenceServer.shared`).
    struct SharedRun {
        var worker: Task<Void, Never>?
        var listener: Task<Void, Never>?
        var wake: CheckedContinuation<Void, Never>?
        /// The job this instance's worker runs now and its generation task (cancel ends it).
        var running: (id: String, task: Task<Data, any Error>)?
        /// Renews the running job's lease; `stopShared` ends it so the lease expires.
        var renewer: Task<Void, Never>?
    }

    /// With a `store`: the job this instance's worker runs now, if any.
    public var runningJob: String? { shared.running?.id }

    /// The shared-mode answer for `endpoint`, or `memory`'s when the server keeps its state in memory.
    func serve(_ endpoint: Fault.Endpoint, _ req: HTTPRequest, memory: () async -> HTTPResponse) async -> HTTPResponse {
        if let answer = await sharedRoute(endpoint, req) { return answer }
        return await memory()
    }

    /// The shared-mode answer for `endpoint`, or nil when the server keeps its state in memory.
    func sharedRoute(_ endpoint: Fault.Endpoint, _ req: HTTPRequest) async -> HTTPResponse? {
        guard let store = configuration.store else { return nil }
        let id = String(req.path.split(separator: "/").last ?? "")
        do {
            switch endpoint {
            case .generate: return try await sharedGenerate(req, store)
            case .status: return try await sharedStatus(id, store)
            case .cancel: return try await sharedCancel(id, store)
            case .image:
                let file = String((req.path.removingPercentEncoding ?? req.path).split(separator: "/").last ?? "")
                guard file.hasSuffix(".png"), let data = try await store.image(job: String(file.dropLast(4))) else {
                    return Self.json(.notFound, ["error": "no such image: \(file)"])
                }
                return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png"], body: data)
            case .events:
                // Bring this instance's copy of the job's log up to date, then serve it as in memory.
                guard try await store.status(job: id) != nil else { return Self.json(.notFound, ["error": "unknown job id: \(id)"]) }
                if hub.logs[id] == nil { hub.create(id) }
                try await ingest(id, store)
                return nil
            case .health: return nil
            }
        } catch {
            log("store error on \(endpoint): \(error)")
            return Self.json(.serviceUnavailable, ["error": "the job store is unreachable: \(error)"])
        }
    }

    /// Copies the job's stored events after the ones this instance has into its hub (which streams them).
    private func ingest(_ id: String, _ store: any ServerStore) async throws {
        let have = hub.logs[id]?.count ?? 0
        let stored = try await store.events(job: id, after: have)
        for e in stored where e.seq == (hub.logs[id]?.count ?? .max) + 1 {  // another ingest may have run meanwhile
            hub.publish(id, e.event.name, e.event.data, final: e.event.final)
        }
    }

    private func sharedGenerate(_ req: HTTPRequest, _ store: any ServerStore) async throws -> HTTPResponse {
        // The socket's peer, or the client a trusted proxy names (TrustedProxies), as in memory mode.
        let client = clientAddress(req)
        log("request", ["request": "POST /api/generate", "ip": client])
        if let refused = refusedBeforeReading(req) { return refused }
        let body: Data
        do { body = try await req.bodyData } catch { return Self.json(.badRequest, ["error": "could not read the request body"]) }
        let params: GenerateParams
        switch GenerateParams.parse(body) {
        case .success(let p): params = p
        case .failure(let e): return Self.json(.badRequest, ["error": e.message])
        }
        switch try await store.submit(params: params.json, client: client, limit: configuration.rateLimit,
                                      maxPending: configuration.maxPendingJobs) {
        case .accepted(let id):
            var answer = ["jobId": id, "status": "processing"]
            if configuration.offerEvents { answer["events"] = Self.eventsPath(id) }
            return Self.json(.ok, answer)
        case .limited(let wait):
            return rateLimited(retryAfter: wait)
        case .queueFull:
            return Self.json(.serviceUnavailable, ["error": "the queue is full (\(configuration.maxPendingJobs) jobs); try again later"])
        }
    }

    private func sharedStatus(_ id: String, _ store: any ServerStore) async throws -> HTTPResponse {
        guard let job = try await store.status(job: id) else { return Self.json(.notFound, ["error": "unknown job id: \(id)"]) }
        var body: [String: Any] = ["status": job.state, "image": NSNull()]
        if configuration.offerEvents { body["events"] = Self.eventsPath(id) }
        switch job.state {
        case "processing":
            if let elapsed = job.elapsed {
                body["progress"] = min(0.99, max(0, elapsed / configuration.latency.inSeconds))
            } else {
                body["progress"] = 0.0
                body["queue_position"] = job.queuePosition ?? 1
            }
        case "completed":
            body["image"] = "\(baseURL)/images/\(id).png"
            body["progress"] = 1.0
        case "canceled": body["error"] = "canceled"
        default: body["error"] = job.error ?? "generation failed"
        }
        return Self.json(.ok, body)
    }

    private func sharedCancel(_ id: String, _ store: any ServerStore) async throws -> HTTPResponse {
        let event = Self.storeEvent("failed", ["status": "failed", "category": "canceled", "message": "canceled"])
        switch try await store.cancel(job: id, event: event) {
        case .unknown: return Self.json(.notFound, ["error": "unknown job id: \(id)"])
        case .finished(let state): return Self.json(.conflict, ["error": "job \(id) is already \(state)"])
        case .canceled:
            if shared.running?.id == id { shared.running?.task.cancel() }
            log("job \(id) canceled")
            await trimShared(store)
            return Self.json(.ok, ["jobId": id, "status": "canceled"])
        }
    }

    static func storeEvent(_ name: String, _ data: [String: Any]) -> StoreEvent {
        let json = (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return StoreEvent(name: name, data: String(decoding: json, as: UTF8.self))
    }

    // MARK: - Worker and notices

    /// Starts the notice listener and the worker (from `start()`).
    func startShared(_ store: any ServerStore) {
        shared.listener = Task { [weak self] in
            for await notice in store.notices {
                guard let self else { return }
                await self.noticed(notice, store)
            }
        }
        shared.worker = Task { [weak self] in await self?.runSharedQueue(store) }
    }

    /// Graceful shutdown with a store: no new claims (new submits already get 503), the running job gets up to
    /// `grace` to finish; one still running then is handed over — its lease expires and another instance
    /// takes it over, resuming its upstream job by the recorded id.
    func shutdownShared(grace: Duration) async {
        log("shutdown", ["running": shared.running?.id ?? "none", "grace_s": String(grace.components.seconds)])
        wakeShared()                                   // an idle worker sees `draining` and returns
        let end = ContinuousClock.now + grace
        while shared.running != nil, ContinuousClock.now < end {
            do { try await Task.sleep(for: .milliseconds(50)) } catch { break }
        }
        if let id = shared.running?.id { log("handed over", job: id, ["reason": "grace ran out; its lease expires"]) }
        await stop()
        log("stopped")
    }

    /// Stops both without finishing, failing or cancelling the running job (cancelling would cancel its
    /// upstream job too): its lease is no longer renewed, so it expires and another instance takes the job
    /// over by its upstream id — what a killed instance leaves behind, too. The generation itself is left to
    /// end with the process; a worker that sees it end after `stop` records nothing.
    func stopShared() {
        shared.worker?.cancel()
        shared.listener?.cancel()
        shared.renewer?.cancel()
        shared.wake?.resume()
        shared.wake = nil
    }

    private func noticed(_ notice: EventNotice, _ store: any ServerStore) async {
        if notice.final, shared.running?.id == notice.job { shared.running?.task.cancel() }
        if notice.seq == 1 { wakeShared() }  // a new job
        if hub.logs[notice.job] != nil { try? await ingest(notice.job, store) }
    }

    private func wakeShared() {
        shared.wake?.resume()
        shared.wake = nil
    }

    /// Claims and runs jobs one at a time; with none claimable, waits for a new job's notice or a third of
    /// the lease (when an expired lease may have freed one).
    private func runSharedQueue(_ store: any ServerStore) async {
        let lease = configuration.lease
        workersAlive += 1
        defer { workersAlive -= 1 }
        while !Task.isCancelled, !draining {
            let job: ClaimedJob?
            do { job = try await store.claim(worker: instance, lease: lease) } catch {
                log("claim failed: \(error)")
                job = nil
            }
            if Task.isCancelled { return }  // stopping: a job claimed just now is taken over when its lease expires
            guard let job else {
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: lease / 3)
                    await self?.wakeShared()
                }
                await withCheckedContinuation { shared.wake = $0 }
                timer.cancel()
                continue
            }
            await runShared(job, store)
        }
    }

    private func runShared(_ job: ClaimedJob, _ store: any ServerStore) async {
        let id = job.id, lease = configuration.lease, worker = instance
        log("job \(id) claimed (attempt \(job.attempt)\(job.upstreamID.map { ", upstream \($0)" } ?? ""))")
        if job.attempt == 1 { try? await store.publish(job: id, event: Self.storeEvent("status", ["status": "processing"])) }
        let produce = configuration.sharedProducer ?? configuration.generator.map { generatorProducer($0, store) } ?? demoProducer(store)
        let task = Task<Data, any Error> {
            try await produce(job, job.upstreamID) { upstream in try? await store.recordUpstreamID(job: id, id: upstream) }
        }
        shared.running = (id, task)
        let renewer = Task {
            while !Task.isCancelled {
                do { try await Task.sleep(for: lease / 3) } catch { return }
                if (try? await store.renew(job: id, worker: worker, lease: lease)) == false { task.cancel(); return }
            }
        }
        shared.renewer = renewer
        let result = await task.result
        renewer.cancel()
        shared.renewer = nil
        shared.running = nil
        if Task.isCancelled { return }  // stopping: leave the lease to expire
        switch result {
        case .success(let png):
            let event = Self.storeEvent("completed", ["status": "completed", "image": "\(baseURL)/images/\(id).png"])
            let done = (try? await store.complete(job: id, worker: worker, png: png, event: event)) ?? false
            log("job \(id) \(done ? "completed" : "finished but no longer ours")")
            await trimShared(store)
        case .failure(let error) where error is CancellationError || (error as? ServerGenerationError)?.category == .canceled:
            log("job \(id) stopped (canceled)")
        case .failure(let error):
            let known = error as? ServerGenerationError                // an upstream failure keeps its category
            let message = known?.message ?? "\(error)", category = known?.category.rawValue ?? "inference_failed"
            let event = Self.storeEvent("failed", ["status": "failed", "category": category, "message": message])
            _ = try? await store.fail(job: id, worker: worker, message: message, event: event)
            log("job \(id) failed: \(message)")
            await trimShared(store)
        }
    }

    /// Drops the oldest finished jobs past `maxStoredJobs` from the shared store (as `trim()` does in memory).
    private func trimShared(_ store: any ServerStore) async {
        do {
            let n = try await store.trim(keep: configuration.maxStoredJobs)
            if n > 0 { log("trimmed", ["jobs": "\(n)", "kept": "\(configuration.maxStoredJobs)"]) }
        } catch { log("trim_failed", level: "warn", ["msg": "\(error)"]) }
    }

    /// A configured generator (`serve --backend`) as a producer: its `.accepted` upstream id is recorded in
    /// the store (a take-over resumes that job, never submits it again) and its progress is published.
    private func generatorProducer(_ generator: any ServerGenerator, _ store: any ServerStore) -> SharedProducer {
        { job, resume, accepted in
            guard let p = GenerateParams(json: job.params) else { throw SharedJobError(message: "stored parameters unreadable") }
            let request = ServerGenerationRequest(id: job.id, prompt: p.prompt, negativePrompt: p.negativePrompt, width: p.width,
                                                  height: p.height, seed: p.seed, steps: p.steps)
            let png = try await generator.generate(request, resume: resume) { event in
                switch event {
                case .accepted(let upstreamID): await accepted(upstreamID)
                case .progress(let step, let total):
                    guard total > 0 else { return }
                    let fraction = min(1, max(0, Double(step) / Double(total)))
                    let data: [String: Any] = ["progress": fraction, "step": min(max(0, step), total), "steps": total]
                    try? await store.publish(job: job.id, event: ReferenceServer.storeEvent("progress", data))
                }
            }
            return Data(png)
        }
    }

    /// The demo generator as a producer: `latency` on `Configuration.clock` with `progress` events spread
    /// over it, then the sketch encoded as PNG. Re-run from the start when taken over.
    private func demoProducer(_ store: any ServerStore) -> SharedProducer {
        let clock = configuration.clock, latency = configuration.latency
        let perJob = max(1, Int(latency / .milliseconds(100)))
        return { job, _, _ in
            guard let p = GenerateParams(json: job.params) else { throw SharedJobError(message: "stored parameters unreadable") }
            let n = min(p.steps, perJob)
            let ticker = Task {
                var published = 0
                for slice in stride(from: 1, to: n, by: 1) {
                    do { try await Task.sleep(for: latency / n) } catch { return published }
                    try? await store.publish(job: job.id, event: Self.slice(slice, of: n, steps: p.steps))
                    published = slice
                }
                return published
            }
            do { try await clock.sleep(for: latency, tolerance: nil) } catch { ticker.cancel(); throw CancellationError() }
            ticker.cancel()
            for slice in stride(from: await ticker.value + 1, to: n, by: 1) {
                try await store.publish(job: job.id, event: Self.slice(slice, of: n, steps: p.steps))
            }
            let bytes = try await Task.detached(priority: .userInitiated) {
                let image = SketchGenerator().render(prompt: p.prompt, seed: p.seed, width: p.width, height: p.height)
                return try ImageCodec.encodePNG(image, text: [PNGText(key: "Software", text: "easel reference server - \(SketchGenerator.label)", international: false)])
            }.value
            return Data(bytes)
        }
    }

    private static func slice(_ slice: Int, of slices: Int, steps: Int) -> StoreEvent {
        let fraction = Double(slice) / Double(slices)
        return storeEvent("progress", ["progress": fraction, "step": Int((fraction * Double(steps)).rounded(.down)), "steps": steps])
    }
}

/// A shared-mode job that cannot run (its stored parameters are unreadable).
struct SharedJobError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension GenerateParams {
    /// The parameters as the JSON a store keeps (`parse` reads it back, seed included).
    var json: String {
        let object: [String: Any] = ["prompt": prompt, "negative_prompt": negativePrompt, "width": width, "height": height,
                                     "seed": seed, "steps": steps]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    init?(json: String) {
        guard case .success(let p) = Self.parse(Data(json.utf8)) else { return nil }
        self = p
    }
}
