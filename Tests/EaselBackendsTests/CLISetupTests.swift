import EaselApp
import EaselBackends
import EaselCore
import EaselServer
import Foundation
import Testing

/// The logic behind `easel generate` and `easel backends` that lives in EaselApp: prompts, `--from`,
/// the report lines, backend set-up and the health race.
@Suite("CLI set-up")
struct CLISetupTests {
    // MARK: - Prompts and --from

    @Test func aDashReadsOnePromptPerLineAndSkipsBlankLines() {
        var lines = ["a fox", "   ", "a heron"][...]
        let prompts = GenerateInput.prompts(["first", "-", "last"], readLine: { lines.popFirst() })
        #expect(prompts == ["first", "a fox", "a heron", "last"])
    }

    @Test func theWholeRunIsRefusedForAnEmptyOrOverlongPrompt() {
        #expect(GenerateInput.problem(in: ["ok", "  \n"]) == "prompt 2 is empty")
        let long = String(repeating: "x", count: GenerationRequest.maxPromptLength + 1)
        #expect(GenerateInput.problem(in: [long]) == "prompt 1 has 4001 characters; the limit is 4000")
        #expect(GenerateInput.problem(in: ["a lighthouse", "a harbour"]) == nil)
    }

    @Test func fromAnImageTakesItsPromptSizeAndSeedAndClampsItsSteps() {
        let found = ImageParameters(prompt: "a lighthouse", negativePrompt: "blurry", seed: 7, width: 512, height: 640,
                                    steps: 400, source: "easel")
        var prompts: [String] = []
        var parameters = GenerationParameters()
        #expect(GenerateInput.merge(found, prompts: &prompts, parameters: &parameters, keepSeed: false) == nil)
        #expect(prompts == ["a lighthouse"])
        #expect(parameters == GenerationParameters(negativePrompt: "blurry", width: 512, height: 640, seed: 7, steps: 150))
    }

    @Test func aGivenPromptAndSeedWinOverTheImage() {
        let found = ImageParameters(prompt: "a lighthouse", seed: 7, steps: 0, source: "sidecar")
        var prompts = ["a harbour"]
        var parameters = GenerationParameters(seed: 99)
        #expect(GenerateInput.merge(found, prompts: &prompts, parameters: &parameters, keepSeed: true) == nil)
        #expect(prompts == ["a harbour"] && parameters.seed == 99 && parameters.steps == 1)
    }

    @Test func anImageSizeOutsideTheRangeIsRefusedAndLeavesTheSizeAlone() {
        let found = ImageParameters(prompt: "p", width: 4096, height: 512, source: "parameters")
        var prompts: [String] = []
        var parameters = GenerationParameters()
        #expect(GenerateInput.merge(found, prompts: &prompts, parameters: &parameters, keepSeed: false)
                == "size 4096x512 is outside 64...2048")
        #expect(parameters.width == 768 && parameters.height == 768)
    }

    // MARK: - Report lines

    @Test func aFailedJobIsOneStderrLineOrOneJSONObject() {
        let now = ContinuousClock.now
        let job = Job(id: JobID(3), request: GenerationRequest(prompt: "p", seed: 11), state: .failed(.server(status: 500, message: "HTTP 500")),
                      createdAt: now - .milliseconds(1234))
        let plain = GenerateReport.finished(job, json: false, now: now)
        #expect(plain == GenerateReport.Lines(stdout: nil, stderr: "job 3: \(JobError.server(status: 500, message: "HTTP 500").message)", failed: true,
                                                     category: "server"))
        let json = GenerateReport.finished(job, json: true, now: now)
        #expect(json.stderr == nil && json.failed)
        #expect(json.stdout == #"{"elapsed_s":1.23,"error":{"category":"server","message":"\#(JobError.server(status: 500, message: "HTTP 500").message)"},"job_id":"3","seed":11,"status":"failed"}"#)
    }

    @Test func anInterruptedJobNamesTheSignalAndTheServiceJobWithControlsEscaped() {
        let now = ContinuousClock.now
        let job = Job(id: JobID(1), request: GenerationRequest(prompt: "p", seed: 5), state: .queued(position: nil),
                      remoteID: RemoteJobID("r\u{1B}1"), createdAt: now)
        let lines = GenerateReport.interrupted(job, how: .canceledOnService, signal: SIGTERM, json: true, now: now)
        #expect(lines.stdout == #"{"elapsed_s":0,"error":{"category":"canceled","message":"interrupted by SIGTERM: canceled on the service (job r on the service)"},"job_id":"r\u001b1","seed":5,"signal":"SIGTERM","status":"canceled"}"#)
        let plain = GenerateReport.interrupted(job, how: .notSent, signal: SIGINT, json: false, now: now)
        #expect(plain.stderr == "job 1: interrupted by SIGINT before the service accepted it: nothing runs there")
    }

    // MARK: - Backend set-up

    static let demo = DemoBackend(latency: .zero, rateLimit: RateLimitSpec(requests: 8, window: .seconds(60)))

    @Test func theDemoIsNamedDemoInImageMetadata() async throws {
        let set = try await BackendSet.make(config: Config(), backend: nil, server: nil, allowSwitching: false, demo: Self.demo)
        #expect(set.current == "demo" && set.options["demo"]?.name == "demo")
        await set.demo?.stop()
    }

    @Test func aServerURLIsTheOnlyBackendAndStartsNoDemo() async throws {
        let set = try await BackendSet.make(config: Config(), backend: nil, server: "http://127.0.0.1:9", allowSwitching: true, demo: Self.demo)
        #expect(set.current == "server" && set.demo == nil && Array(set.adapters.keys) == ["server"])
        #expect(set.pace(demoLimit: Self.demo.rateLimit) == RateLimitSpec(requests: 8, window: .seconds(60)))
    }

    @Test func anUnknownBackendNameIsACLIErrorThatListsTheConfiguredOnes() async {
        var config = Config()
        config.backends = [BackendOptions(name: "gpu", kind: .a1111, url: "http://127.0.0.1:9")]
        do {
            _ = try await BackendSet.make(config: config, backend: "cloud", server: nil, allowSwitching: false, demo: Self.demo)
            Issue.record("an unknown backend was accepted")
        } catch let error as CLIError {
            #expect(error == CLIError("no backend named \"cloud\"; configured: gpu, demo", category: "usage"))
            #expect(error.exitStatus == 64)            // README: 64 for invalid options
        } catch { Issue.record("not a CLIError: \(error)") }
    }

    @Test func aPromptRefusedByTheServiceExitsTwoLikeOneRefusedLocally() {
        let now = ContinuousClock.now
        func lines(_ state: JobState) -> GenerateReport.Lines {
            GenerateReport.finished(Job(id: JobID(1), request: GenerationRequest(prompt: "p", seed: 1), state: state, createdAt: now),
                                    json: true, now: now)
        }
        let refused = lines(.failed(.invalidPrompt(reason: "prompt rejected by the content filter")))
        let crashed = lines(.failed(.server("HTTP 500")))
        let saved = lines(.complete(SavedImage(path: "/g/1.png", width: 8, height: 8)))
        #expect(GenerateReport.exitStatus([saved, refused]) == 2)
        #expect(GenerateReport.exitStatus([crashed, refused]) == 2)
        #expect(GenerateReport.exitStatus([saved, crashed]) == 1)
        #expect(GenerateReport.exitStatus([saved]) == 0)
    }

    @Test func aSelectedBackendWithoutSwitchingStartsNoDemoAndPacesGenerously() async throws {
        var config = Config()
        var gpu = BackendOptions(name: "gpu", kind: .a1111, url: "http://127.0.0.1:9")
        gpu.concurrency = 2
        config.backends = [gpu, BackendOptions(name: "cloud", kind: .replicate)]
        let set = try await BackendSet.make(config: config, backend: "gpu", server: nil, allowSwitching: false, demo: Self.demo)
        #expect(set.demo == nil && Array(set.adapters.keys) == ["gpu"] && set.warnings.isEmpty)
        var state = AppState(backendName: "", pollPolicy: PollPolicy(), parameters: GenerationParameters(),
                             seeds: SeedSource(seed: 1), now: .now)
        set.configureQueue(&state, mode: nil, concurrency: nil, pace: nil, demoLimit: Self.demo.rateLimit, config: config)
        #expect(state.queue.concurrency == 2 && state.backendKey == "gpu" && state.mode == .exclusive)
        // A1111 runs one txt2img at a time: its adapter says so and the reducer gives it one slot, whatever the config.
        #expect(set.adapters["gpu"]?.maxConcurrentJobs == 1 && state.backends.first?.slots == 1 && state.slots(on: "gpu") == 1)
        #expect(state.queue.pacer == RateLimitPacer(limit: 120, window: .seconds(60)))
    }

    @Test func withSwitchingAnUnusableBackendIsAWarningAndTheDemoComesLast() async throws {
        var config = Config()
        config.backends = [BackendOptions(name: "gpu", kind: .a1111, url: "http://127.0.0.1:9"), BackendOptions(name: "cloud", kind: .replicate)]
        let set = try await BackendSet.make(config: config, backend: nil, server: nil, allowSwitching: true, demo: Self.demo)
        let demo = try #require(set.demo)
        #expect(set.current == "demo" && set.choices.map(\.name) == ["gpu", "demo"])
        #expect(set.warnings == ["backend cloud is unusable: cloud: replicate needs model = \"owner/name\" or version = \"<64-hex id>\""])
        #expect(set.options.keys.sorted() == ["demo", "gpu"])            // the demo too, for {backend} = demo
        await demo.stop()
    }

    // MARK: - Health race

    /// A backend whose health check answers when the test says so (or never, until cancelled).
    final class SlowBackend: GenerationBackend, @unchecked Sendable {
        let clock: ManualClock
        let answerAfter: Duration
        init(clock: ManualClock, answerAfter: Duration) { self.clock = clock; self.answerAfter = answerAfter }
        var displayName: String { "slow" }
        func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) { throw .server(status: 500, message: "unused") }
        func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus { throw .server(status: 500, message: "unused") }
        func download(_ image: ImageRef) async throws(JobError) -> ImageData { throw .server(status: 500, message: "unused") }
        func health() async -> BackendHealth {
            do { try await clock.sleep(for: answerAfter) } catch { return BackendHealth(ok: false, detail: "cancelled") }
            return BackendHealth(ok: true, detail: "answered")
        }
    }

    @Test func aBackendThatDoesNotAnswerWithinTheLimitFailsWithTheLimitInSeconds() async {
        let clock = ManualClock()
        let check = Task { await BackendHealthCheck.race(SlowBackend(clock: clock, answerAfter: .seconds(60)), limit: .seconds(16), clock: clock) }
        #expect(await clock.until { clock.sleepsStarted == 2 })
        clock.advance(by: .seconds(16))
        #expect(await check.value == BackendHealth(ok: false, detail: "no answer within 16 s"))
    }

    @Test func aBackendThatAnswersInTimeGivesItsOwnHealth() async {
        let clock = ManualClock()
        let check = Task { await BackendHealthCheck.race(SlowBackend(clock: clock, answerAfter: .seconds(2)), limit: .seconds(16), clock: clock) }
        #expect(await clock.until { clock.sleepsStarted == 2 })
        clock.advance(by: .seconds(2))
        #expect(await check.value == BackendHealth(ok: true, detail: "answered"))
    }

    @Test func offlineChecksNothingAndReportsSetupErrorsInConfigOrder() async {
        let entries = [BackendOptions(name: "cloud", kind: .replicate), BackendOptions(name: "gpu", kind: .a1111, url: "http://127.0.0.1:9"),
                       BackendOptions(name: "demo", kind: .demo)]
        let (results, demo) = await BackendHealthCheck.run(entries, offline: true, limit: .seconds(1), clock: ManualClock(), demo: Self.demo,
                                                           makeAdapter: { o throws(BackendSetupError) in try BackendFactory.make(o) })
        #expect(demo == nil)
        #expect(results.map(\.0.name) == ["cloud", "gpu", "demo"])
        #expect(results.map(\.1) == [
            BackendHealth(ok: false, detail: "cloud: replicate needs model = \"owner/name\" or version = \"<64-hex id>\""),
            BackendHealth(ok: true, detail: "not checked (--offline)"), BackendHealth(ok: true, detail: "not checked (--offline)"),
        ])
    }
}

/// The ranges of `Limits` are the ones the config file, the command line and the server enforce.
@Suite("Limits shared by every entry point")
struct LimitsTests {
    @Test func theConfigRefusesAConcurrencyPastTheLimitWithTheLimitInTheMessage() {
        let over = Limits.concurrency.upperBound + 1
        #expect(throws: ConfigError.self) { _ = try Config.parse("[queue]\nconcurrency = \(over)\n", file: "c.toml") }
        do { _ = try Config.parse("[queue]\nconcurrency = \(over)\n", file: "c.toml") } catch {
            #expect(error.message.contains("expected an integer in \(Limits.text(Limits.concurrency))"))
        }
        #expect((try? Config.parse("[queue]\nconcurrency = \(Limits.concurrency.upperBound)\n", file: "c.toml"))?.concurrency == 32)
    }

    @Test func anImageAtTheSizeLimitIsRerunAndOnePixelMoreIsNot() {
        var prompts: [String] = [], parameters = GenerationParameters()
        let edge = Limits.size.upperBound
        #expect(GenerateInput.merge(ImageParameters(prompt: "p", width: edge, height: edge, source: "easel"),
                                    prompts: &prompts, parameters: &parameters, keepSeed: false) == nil)
        #expect(GenerateInput.merge(ImageParameters(prompt: "p", width: edge + 1, height: edge, source: "easel"),
                                    prompts: &prompts, parameters: &parameters, keepSeed: false) != nil)
    }
}

extension JobError {
    /// A 500 with `message`, for tests that only need some server failure.
    static func server(_ message: String) -> JobError { .server(status: 500, message: message) }
}
