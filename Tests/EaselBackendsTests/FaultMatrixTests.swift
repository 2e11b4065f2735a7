import EaselApp
import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import EaselServer
import EaselStore
import FakeServices
import Foundation
import Synchronization
import Testing

/// Every fault of reference/backends.md §9–§10, injected by the reference server (`Fault`), through
/// the real reducer, effect runner, gallery and journal (`Headless.run`). Each test checks the job's
/// error category and message, the journal's record, and that the next job without the fault succeeds.
@Suite("Fault matrix: injected server faults through the real reducer and effect runner", .serialized)
struct FaultMatrixTests {
    /// The client's limits in these tests: small, so each fault trips them fast on a loaded machine; the
    /// `patient` client of the clean job after a fault gets 10 s (at 1 s, a loaded machine timed it out).
    static func clientConfig(fault: Fault? = nil, patient: Bool = false) -> HTTPClient.Configuration {
        var c = HTTPClient.Configuration()
        c.connectTimeout = .seconds(2)
        c.firstByteTimeout = .seconds(patient ? 10 : 1)
        c.stallTimeout = .seconds(patient ? 10 : 1)
        c.totalTimeout = .seconds(15)
        c.maxResponseBytes = 1 << 20
        c.maxRedirects = 3
        if let fault { c.defaultHeaders = [(ReferenceServer.faultHeader.rawValue, fault.rawValue)] }
        return c
    }

    static func state(journal: Journal, offset: Int) -> AppState {
        var s = AppState(backendName: "faults", pollPolicy: PollPolicy(interval: .milliseconds(50), deadline: .seconds(60)),
                         parameters: GenerationParameters(width: 64, height: 64, seed: 1, steps: 1),
                         seeds: SeedSource(seed: 9), now: .now)
        s.queue.pacer = RateLimitPacer(limit: 1000, window: .seconds(1))
        s.queue.nextJobID = journal.firstJobID + offset
        return s
    }

    /// What one faulted job ended as, and what the journal kept of it.
    struct Run {
        let job: Job
        let record: JobRecord?
        let progress: [String]
        let gallery: String
    }

    /// Runs one job whose `stage` requests carry the fault, then one clean job on the same server,
    /// gallery and journal, and checks the clean one completes.
    func run(_ fault: Fault, at stages: Set<FaultingBackend.Stage>, times: Int? = nil,
             server configure: (inout ReferenceServer.Configuration) -> Void = { _ in }) async throws -> Run {
        var config = ReferenceServer.Configuration()
        config.latency = .milliseconds(50)
        config.rateLimit = RateLimitSpec(requests: 1000, window: .seconds(1))
        config.allowFaultHeader = true
        config.faultStall = .seconds(4)
        config.faultHugeBytes = 2 << 20
        configure(&config)
        let server = ReferenceServer(configuration: config)
        try await server.start()
        return try await withTeardown({ await server.stop() }) {
            let base = await server.baseURL
            let clean = SeedJobAPI(baseURL: base, http: HTTPClient(configuration: Self.clientConfig(patient: true)))
            let faulty = SeedJobAPI(baseURL: base, http: HTTPClient(configuration: Self.clientConfig(fault: fault)))
            let backend = FaultingBackend(faulty: faulty, clean: clean, stages: stages, times: times)
            return try await runJobs(backend: backend, clean: clean, prompt: "fault \(fault.rawValue)")
        }
    }

    func runJobs(backend: any GenerationBackend, clean: any GenerationBackend, prompt: String) async throws -> Run {
        let gallery = Gallery(directory: tempDir() + "/gallery")
        let journal = try Journal(directory: tempDir())
        let sync = JournalSync(journal: journal, backend: "faults")
        let lines = Mutex<[String]>([])
        let outcome = await Headless.run(prompts: [prompt], state: Self.state(journal: journal, offset: 0),
                                         makeRunner: { EffectRunner(backend: backend, gallery: gallery, send: $0) },
                                         progress: { line in lines.withLock { $0.append(line) } }, journal: sync,
                                         reports: Headless.Reports(rateLimited: { line in lines.withLock { $0.append(line) } }))
        let job = try #require(outcome.jobs.first)
        let record = try journal.history().first { $0.id == job.id.rawValue }

        // The next job, without the fault, on the same gallery and journal.
        let next = await Headless.run(prompts: ["after \(prompt)"], state: Self.state(journal: journal, offset: 100),
                                      makeRunner: { EffectRunner(backend: clean, gallery: gallery, send: $0) }, journal: sync)
        #expect(next.jobs.map(\.state.label) == ["complete"], "the job after \(prompt) did not complete: \(next.jobs.map(\.state))")
        let nextRecord = try journal.history().first { $0.id == next.jobs.first?.id.rawValue }
        #expect(nextRecord?.state == "complete")
        return Run(job: job, record: record, progress: lines.withLock { $0 }, gallery: gallery.directory)
    }

    /// Asserts the job failed with `kind`, a message containing `text`, nothing unsafe for a terminal,
    /// and a journal record saying the same.
    func expectFailed(_ run: Run, _ kind: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .failed(let error) = run.job.state else {
            Issue.record("expected a \(kind) failure, got \(run.job.state)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(text), "message: \(error.message)", sourceLocation: sourceLocation)
        #expect(Sanitize.line(error.message) == error.message, sourceLocation: sourceLocation)
        #expect(run.record?.state == "failed", sourceLocation: sourceLocation)
        #expect(run.record?.errorKind == kind, sourceLocation: sourceLocation)
        #expect(run.record?.errorMessage.map { Sanitize.line($0) == $0 } ?? false, "journal message is not sanitized",
                sourceLocation: sourceLocation)
    }

    func expectComplete(_ run: Run, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .complete(let image) = run.job.state else {
            Issue.record("expected complete, got \(run.job.state)", sourceLocation: sourceLocation)
            return
        }
        #expect(image.path.hasPrefix(run.gallery + "/"), sourceLocation: sourceLocation)
        #expect(run.record?.state == "complete", sourceLocation: sourceLocation)
    }

    // MARK: - Connections

    @Test func aClosedPortFailsTheSubmitAsANetworkError() async throws {
        let closed = try ClosedPort()                       // bound, never listening: connection refused
        let port = closed.port
        defer { withExtendedLifetime(closed) {} }
        var config = ReferenceServer.Configuration()
        config.latency = .milliseconds(50)
        let server = ReferenceServer(configuration: config)
        try await server.start()
        try await withTeardown({ await server.stop() }) {
            let dead = SeedJobAPI(baseURL: "http://127.0.0.1:\(port)", http: HTTPClient(configuration: Self.clientConfig()))
            let clean = SeedJobAPI(baseURL: await server.baseURL, http: HTTPClient(configuration: Self.clientConfig(patient: true)))
            let run = try await runJobs(backend: dead, clean: clean, prompt: "refused port")
            expectFailed(run, "network", "network error:")
        }
    }

    @Test func aConnectionClosedWithoutAnswerFailsTheSubmitAsANetworkError() async throws {
        expectFailed(try await run(.refused, at: [.submit]), "network", "network error:")
    }

    @Test func aTCPResetBeforeTheAnswerIsANetworkError() async throws {
        let raw = try RawFaultListener.start(.resetOnAccept)
        defer { raw.stop() }
        let run = try await runWithRaw(raw, prompt: "rst")
        expectFailed(run, "network", "network error:")
    }

    @Test func aTCPResetMidBodyIsANetworkError() async throws {
        let raw = try RawFaultListener.start(.resetMidBody)
        defer { raw.stop() }
        let run = try await runWithRaw(raw, prompt: "rst mid body")
        expectFailed(run, "network", "network error:")
    }

    func runWithRaw(_ raw: RawFaultListener, prompt: String) async throws -> Run {
        var config = ReferenceServer.Configuration()
        config.latency = .milliseconds(50)
        let server = ReferenceServer(configuration: config)
        try await server.start()
        return try await withTeardown({ await server.stop() }) {
            let broken = SeedJobAPI(baseURL: "http://127.0.0.1:\(raw.port)", http: HTTPClient(configuration: Self.clientConfig()))
            let clean = SeedJobAPI(baseURL: await server.baseURL, http: HTTPClient(configuration: Self.clientConfig(patient: true)))
            return try await runJobs(backend: broken, clean: clean, prompt: prompt)
        }
    }

    @Test func headersThatNeverComeTripTheFirstByteTimeout() async throws {
        let start = ContinuousClock.now
        let run = try await run(.slowHeaders, at: [.submit], server: { $0.faultStall = .seconds(12) })
        expectFailed(run, "network", "no response headers within 1 s")
        #expect(run.job.elapsed(now: .now) < .seconds(8), "the first-byte timeout (1 s) did not fire long before the stall ended")
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func aBodyThatStallsMidTransferTripsTheStallTimeout() async throws {
        let run = try await run(.slowBody, at: [.download], server: { $0.faultStall = .seconds(8) })
        expectFailed(run, "network", "the body stalled: no byte for 1 s")
        #expect(run.job.imageRef != nil, "a failed download keeps the image's location so t only downloads again")
    }

    @Test func aConnectionClosedMidBodyIsANetworkError() async throws {
        expectFailed(try await run(.reset, at: [.download]), "network", "network error:")
    }

    // MARK: - Statuses

    @Test func a429WithRetryAfterWaitsAndThenSucceeds() async throws {
        let run = try await run(.tooManyRequests, at: [.submit], times: 1)
        expectComplete(run)
        #expect(run.job.attempts == 2)
        #expect(run.progress.contains { $0.contains("rate limited") }, "\(run.progress)")
    }

    @Test func a429WithoutRetryAfterWaitsTheFirstBackOffAndThenSucceeds() async throws {
        let run = try await run(.tooManyRequestsBare, at: [.submit], times: 1)
        expectComplete(run)
        #expect(run.job.attempts == 2)
        #expect(run.job.elapsed(now: .now) >= PollPolicy.rateLimitBaseWait * 0.5, "the first back-off without Retry-After is 5 s × 0.5…1.5")
    }

    @Test func a500OnSubmitIsAServerErrorWithTheServersText() async throws {
        expectFailed(try await run(.internalError, at: [.submit]), "server", "server error 500: internal server error (injected fault)")
    }

    @Test func a502HTMLPageIsAServerErrorWithoutTheHTML() async throws {
        let run = try await run(.badGateway, at: [.submit])
        expectFailed(run, "server", "server error 502")
        if case .failed(let e) = run.job.state { #expect(!e.message.contains("<")) }
    }

    @Test func a503OnEveryPollIsRetriedThenFailsAsAServerError() async throws {
        let run = try await run(.unavailable, at: [.status])
        expectFailed(run, "server", "server error 503")
        #expect(run.job.remoteID != nil)
    }

    @Test func a503OnTwoPollsIsRetriedAndTheJobCompletes() async throws {
        expectComplete(try await run(.unavailable, at: [.status], times: 2))
    }

    // MARK: - Bodies

    @Test func malformedJSONFromSubmitIsABadResponse() async throws {
        expectFailed(try await run(.malformedJSON, at: [.submit]), "bad_response", "no jobId")
    }

    @Test func truncatedJSONOnEveryPollIsABadResponse() async throws {
        expectFailed(try await run(.truncatedJSON, at: [.status]), "bad_response", "malformed JSON from GET /api/status")
    }

    @Test func anHTMLPageWhereJSONWasExpectedIsABadResponse() async throws {
        expectFailed(try await run(.html, at: [.submit]), "bad_response", "no jobId")
    }

    @Test func aWrongContentTypeIsToleratedBecauseBodiesAreReadByContent() async throws {
        expectComplete(try await run(.wrongContentType, at: [.submit, .status, .download]))
    }

    @Test func aTruncatedPNGIsABadResponseAndNothingIsSaved() async throws {
        let run = try await run(.truncatedPNG, at: [.download])
        expectFailed(run, "bad_response", "cannot be decoded")
        #expect(try galleryFiles(run.gallery).count == 1, "only the clean job's image is in the gallery")
    }

    @Test func bytesThatAreNotAnImageAreABadResponse() async throws {
        expectFailed(try await run(.notImage, at: [.download]), "bad_response", "not a PNG, JPEG or WebP")
    }

    @Test func aDecompressionBombIsRefusedFromItsHeader() async throws {
        expectFailed(try await run(.bomb, at: [.download]), "bad_response", "30000×30000")
    }

    @Test func aBodyOverTheSizeCapIsABadResponse() async throws {
        expectFailed(try await run(.huge, at: [.download]), "bad_response", "response larger than 1 MiB")
    }

    @Test func aRedirectLoopStopsAtTheRedirectCap() async throws {
        expectFailed(try await run(.redirectLoop, at: [.download]), "bad_response", "too many redirects")
    }

    @Test func anUnknownJobAfterARestartIsNotFound() async throws {
        let run = try await run(.unknownJob, at: [.status])
        expectFailed(run, "not_found", "no longer knows this job")
    }

    // MARK: - Hostile text

    @Test func escapeSequencesInAFailureMessageAreRemoved() async throws {
        let run = try await run(.escape, at: [.status])
        expectFailed(run, "inference_failed", "generation failed: boom")
        if case .failed(let e) = run.job.state { expectHarmless(e.message) }
        expectHarmless(run.record?.errorMessage ?? "")
    }

    @Test func escapeSequencesInAValidationErrorAreRemoved() async throws {
        let run = try await run(.escape, at: [.submit])
        expectFailed(run, "invalid_prompt", "invalid prompt: boom")
        if case .failed(let e) = run.job.state { expectHarmless(e.message) }
    }

    func expectHarmless(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let bad = text.unicodeScalars.filter {
            $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
        }
        #expect(bad.isEmpty, "control characters left: \(bad.map { String($0.value, radix: 16) })", sourceLocation: sourceLocation)
        #expect(!text.contains("pwned") && !text.contains("ZXZpbA=="), "an OSC payload leaked: \(text)", sourceLocation: sourceLocation)
    }

    @Test func aServerFilenameWithDotDotNeverWritesOutsideTheGallery() async throws {
        let run = try await run(.evilFilename, at: [.status, .download])
        expectComplete(run)
        guard case .complete(let image) = run.job.state else { return }
        #expect(!image.path.contains(".."))
        let parent = URL(fileURLWithPath: run.gallery).deletingLastPathComponent().path
        let outside = try FileManager.default.subpathsOfDirectory(atPath: parent).filter { !$0.hasPrefix("gallery") }
        #expect(outside.allSatisfy { !$0.contains("evil") }, "\(outside)")
        #expect(try galleryFiles(run.gallery).allSatisfy { !$0.contains("..") && !$0.hasSuffix("evil.png") })
    }

    @Test func everyFaultHasATestHere() {
        // The faults this suite injects; a new `Fault` case needs a test above and a line here.
        let covered: Set<Fault> = [.refused, .slowHeaders, .slowBody, .reset, .tooManyRequests, .tooManyRequestsBare, .internalError,
                                   .badGateway, .unavailable, .malformedJSON, .truncatedJSON, .html, .wrongContentType, .truncatedPNG,
                                   .notImage, .bomb, .huge, .redirectLoop, .unknownJob, .escape, .evilFilename]
        #expect(covered == Set(Fault.allCases))
    }

    func galleryFiles(_ dir: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: dir).filter { $0.hasSuffix(".png") }
    }
}

/// A backend that sends the fault header on some stages' requests (the first `times` of them, or all)
/// and the rest through a clean client: the fault hits exactly the request under test.
final class FaultingBackend: GenerationBackend {
    enum Stage: Hashable, Sendable { case submit, status, download, cancel }
    let faulty: SeedJobAPI
    let clean: SeedJobAPI
    let stages: Set<Stage>
    let times: Int?
    private let used = Mutex<Int>(0)

    init(faulty: SeedJobAPI, clean: SeedJobAPI, stages: Set<Stage>, times: Int?) {
        self.faulty = faulty
        self.clean = clean
        self.stages = stages
        self.times = times
    }

    var displayName: String { "faulting \(clean.displayName)" }

    private func pick(_ stage: Stage) -> SeedJobAPI {
        guard stages.contains(stage) else { return clean }
        return used.withLock { n in
            if let times, n >= times { return clean }
            n += 1
            return faulty
        }
    }

    func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        try await pick(.submit).submit(request)
    }
    func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus { try await pick(.status).status(of: job) }
    func download(_ image: ImageRef) async throws(JobError) -> ImageData { try await pick(.download).download(image) }
    func cancel(_ job: RemoteJobID) async throws(JobError) { try await pick(.cancel).cancel(job) }
}
