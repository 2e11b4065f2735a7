import EaselBackends
import EaselCore
import EaselImaging
import EaselServer

/// `easel serve --backend NAME`: each job of the reference server run on a configured backend through the
/// client's own adapter (`GenerationBackend`): submit → `.accepted(id)` → the service's status stream, else
/// status polls every `pollInterval` → download → PNG bytes (a JPEG or WebP answer is re-encoded, since the
/// server serves `/images/{jobId}.png`).
///
/// - Progress: a running status's step (`StepProgress`) becomes `.progress(step, of)`; a bare fraction
///   becomes the job's own steps.
/// - Failures keep the adapter's category (`JobError.kind`) and its sanitized message; a poll that fails with
///   a retryable error (network, 5xx, 429) is tried again until `deadline`, as the client does; a status
///   stream that breaks falls back to polling the same upstream job.
/// - Resume: with an upstream id the job is only followed, never submitted again.
/// - Cancel: cancelling the task cancels the upstream job (`GenerationBackend.cancel`, best effort).
public struct UpstreamGenerator: ServerGenerator {
    public let backend: any GenerationBackend
    public let label: String
    /// Jobs run upstream at once: the table's `concurrency` (default 1), capped by what the service really
    /// runs (`GenerationBackend.maxConcurrentJobs`, A1111's 1).
    public let concurrency: Int
    public let pollInterval: Duration
    /// How long one job may take upstream, submit to image.
    public let deadline: Duration

    public init(backend: any GenerationBackend, label: String, concurrency: Int = 1,
                pollInterval: Duration = .seconds(1), deadline: Duration = .seconds(600)) {
        self.backend = backend
        self.label = label
        self.concurrency = max(1, min(concurrency, backend.maxConcurrentJobs ?? .max))
        self.pollInterval = pollInterval
        self.deadline = deadline
    }

    /// The generator for `[backends.NAME]` of `config`.
    /// - Throws: `CLIError` (category "usage") for an unknown name or a pool, ("config") for a table that
    ///   cannot be set up (a missing key, a bad workflow file).
    public static func make(config: Config, backend name: String) throws -> UpstreamGenerator {
        if config.pools.contains(where: { $0.name == name }) {
            throw CLIError("easel serve --backend \(name): \(name) is a pool; serve one of its members (\(config.pools.first { $0.name == name }!.members.joined(separator: ", "))) per instance", category: "usage")
        }
        let options: BackendOptions
        do {
            guard let o = try config.backend(named: name) else { throw CLIError("easel serve --backend \(name): no such backend", category: "usage") }
            options = o
        } catch let error as ConfigError { throw CLIError(error.message, category: "usage") }
        guard options.kind != .demo else { throw CLIError("easel serve --backend \(name): kind demo is the default generator; omit --backend", category: "usage") }
        let adapter: any GenerationBackend
        do { adapter = try BackendFactory.make(options, http: BackendFactory.httpClient(for: options)) } catch {
            throw CLIError("backend \(name) (\(options.file)): \(error.message)", category: "config")
        }
        return UpstreamGenerator(backend: adapter, label: options.summary,
                                 concurrency: options.concurrency ?? 1, pollInterval: .seconds(milliseconds: options.pollInterval ?? 1),
                                 deadline: .seconds(milliseconds: options.deadline ?? 600))
    }

    public func generate(_ job: ServerGenerationRequest, resume upstreamID: String?,
                         events: @escaping @Sendable (ServerGenerationEvent) async -> Void) async throws(ServerGenerationError) -> [UInt8] {
        let started = ContinuousClock.now
        let remote: RemoteJobID
        var status: RemoteStatus
        if let upstreamID {
            (remote, status) = (RemoteJobID(upstreamID), .queued(position: nil))
        } else {
            (remote, status) = try await submit(job.generation, until: started + deadline)
        }
        await events(.accepted(upstreamID: remote.rawValue))
        do throws(ServerGenerationError) {
            let ref = try await follow(remote, from: status, steps: job.steps, until: started + deadline, events: events)
            let image: ImageData
            do { image = try await backend.download(ref) } catch { throw ServerGenerationError(error) }
            return try Self.png(image.bytes)
        } catch {
            if error.category == .canceled || Task.isCancelled {
                let backend = backend
                await Task { try? await backend.cancel(remote) }.value   // a fresh task: this one is cancelled
                throw .canceled
            }
            throw error
        }
    }

    /// Submits, waiting out 429s (their `Retry-After`, else the poll interval) until `until`.
    private func submit(_ request: GenerationRequest, until: ContinuousClock.Instant) async throws(ServerGenerationError) -> (RemoteJobID, RemoteStatus) {
        while true {
            do { return try await backend.submit(request) } catch {
                guard case .rateLimited(let after) = error, !Task.isCancelled else {
                    throw Task.isCancelled ? .canceled : ServerGenerationError(error)
                }
                let wait = after ?? pollInterval
                guard ContinuousClock.now + wait < until else { throw ServerGenerationError(error) }
                do { try await Task.sleep(for: wait) } catch { throw .canceled }
            }
        }
    }

    /// Follows `remote` from `status` to its image: the status stream while it works, polls otherwise.
    private func follow(_ remote: RemoteJobID, from status: RemoteStatus, steps: Int, until: ContinuousClock.Instant,
                        events: @Sendable (ServerGenerationEvent) async -> Void) async throws(ServerGenerationError) -> ImageRef {
        if let ref = try await settle(status, steps: steps, events: events) { return ref }
        if let stream = backend.statusEvents(of: remote) {
            do {
                for try await pushed in stream {
                    if let ref = try await settle(pushed, steps: steps, events: events) { return ref }
                }
            } catch let error as ServerGenerationError {
                throw error
            } catch {
                if Task.isCancelled { throw .canceled }   // a broken stream: poll the same job below
            }
        }
        while true {
            guard ContinuousClock.now < until else { throw ServerGenerationError(JobError.timedOut(after: deadline)) }
            do { try await Task.sleep(for: pollInterval) } catch { throw .canceled }
            let polled: RemoteStatus
            do { polled = try await backend.status(of: remote) } catch {
                if Task.isCancelled { throw .canceled }
                if error.isRetryable, await !backend.isFinal(error, for: remote) { continue }
                throw ServerGenerationError(error)
            }
            if let ref = try await settle(polled, steps: steps, events: events) { return ref }
        }
    }

    /// The image of a final status, nil for one still moving (its progress reported); throws for a failure.
    private func settle(_ status: RemoteStatus, steps: Int,
                        events: @Sendable (ServerGenerationEvent) async -> Void) async throws(ServerGenerationError) -> ImageRef? {
        switch status {
        case .queued: return nil
        case .running(let fraction, let step):
            if let step, step.total > 0 {
                await events(.progress(step: step.step, of: step.total))
            } else if let fraction {
                await events(.progress(step: Int((min(1, max(0, fraction)) * Double(steps)).rounded(.down)), of: steps))
            }
            return nil
        case .completed(let ref): return ref
        case .completedBatch(let refs):
            guard let first = refs.first else { throw ServerGenerationError(.badResponse, "the service finished with no image") }
            return first
        case .failed(let why): throw ServerGenerationError(JobError.inferenceFailed(why))
        }
    }

    /// PNG bytes as they came, or a JPEG/WebP decoded (within the client's pixel cap) and encoded as PNG.
    static func png(_ bytes: [UInt8]) throws(ServerGenerationError) -> [UInt8] {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return bytes }
        do { return try ImageCodec.encodePNG(try ImageCodec.decode(bytes)) } catch {
            throw ServerGenerationError(.badResponse, "could not convert the upstream image to PNG: \(error.message)")
        }
    }
}
