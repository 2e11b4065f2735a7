import EaselApp
import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import EaselServer
import EaselStore
import Foundation
import Testing

/// Starts a reference server on an ephemeral loopback port for one test; with `clock` (a `ManualClock`
/// the test moves) a job generates until the test advances it, however slow the machine.
@discardableResult
func withServer<T>(latency: Duration = .milliseconds(200), rate: RateLimitSpec = RateLimitSpec(requests: 50, window: .seconds(60)),
                   now: (@Sendable () -> ContinuousClock.Instant)? = nil, clock: (any Clock<Duration>)? = nil,
                   _ body: (ReferenceServer, SeedJobAPI) async throws -> T) async throws -> T {
    var config = ReferenceServer.Configuration()
    config.latency = latency
    config.rateLimit = rate
    if let now { config.now = now }
    if let clock { config.clock = clock }
    let server = ReferenceServer(configuration: config)
    try await server.start()
    let api = SeedJobAPI(baseURL: await server.baseURL)
    do {
        let result = try await body(server, api)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

func tempDir() -> String {
    let dir = NSTemporaryDirectory() + "easel-test-\(UInt32.random(in: .min ... .max))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite("The libcurl client against the reference server over loopback")
struct SeedJobAPITests {
    @Test func submitPollAndDownloadAPNG() async throws {
        try await withServer { _, api in
            let (id, first) = try await api.submit(.init(prompt: "a red sun over the sea", width: 256, height: 128, seed: 9, steps: 4))
            #expect(!id.rawValue.isEmpty)
            #expect(first != .failed(""))
            var status = first
            for _ in 0..<50 {
                if case .completed = status { break }
                try await Task.sleep(for: .milliseconds(100))
                status = try await api.status(of: id)
            }
            guard case .completed(let ref) = status else { Issue.record("never completed: \(status)"); return }
            #expect(ref.url.hasSuffix(".png") && ref.url.contains("/images/"))
            let data = try await api.download(ref)
            let image = try ImageCodec.decode(data.bytes)
            #expect(image.width == 256 && image.height == 128)
        }
    }

    @Test func progressIsReportedWhileProcessing() async throws {
        // The job's wait is a clock nobody moves, so it is still generating however late the polls come;
        // the fraction the status reports is measured on the continuous clock against the 2 s latency.
        try await withServer(latency: .seconds(2), clock: ManualClock()) { _, api in
            let (id, _) = try await api.submit(.init(prompt: "moon", width: 64, height: 64, seed: 1, steps: 1))
            // Polled until the fraction passes 0.1.
            var seen: [RemoteStatus] = []
            for _ in 0..<400 {
                let status = try await api.status(of: id)
                seen.append(status)
                if case .running(let p?, _) = status, p > 0.1 { break }
                if case .completed = status { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            guard case .running(let p?, _) = seen.last else { Issue.record("not running: \(seen)"); return }
            #expect(p > 0.1 && p < 1)
        }
    }

    @Test func anEmptyPromptIsA400WithTheServersReason() async throws {
        try await withServer { _, api in
            await #expect(throws: JobError.invalidPrompt(reason: "prompt is empty")) {
                _ = try await api.submit(.init(prompt: "   "))
            }
            await #expect(throws: JobError.invalidPrompt(reason: "prompt is 4001 characters; the limit is 4000")) {
                _ = try await api.submit(.init(prompt: String(repeating: "x", count: 4001)))
            }
        }
    }

    @Test func malformedJSONIsA400() async throws {
        try await withServer { server, _ in
            let http = HTTPClient()
            let response = try await http.send(.postJSON(await server.baseURL + "/api/generate", Array("{\"prompt\": ".utf8)))
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self).contains("\"error\""))
        }
    }

    @Test func theRateLimitAnswers429WithRetryAfter() async throws {
        // The limiter's time is pinned: however slow the machine, no time passes between the submits.
        let pinned = ContinuousClock.now
        try await withServer(rate: RateLimitSpec(requests: 2, window: .seconds(60)), now: { pinned }) { _, api in
            _ = try await api.submit(.init(prompt: "one"))
            _ = try await api.submit(.init(prompt: "two"))
            do {
                _ = try await api.submit(.init(prompt: "three"))
                Issue.record("third submit was accepted")
            } catch JobError.rateLimited(let after) {
                #expect(after == .seconds(60))
            } catch {
                Issue.record("wrong error \(error)")
            }
        }
    }

    @Test func anUnknownJobIdIsNotFound() async throws {
        try await withServer { _, api in
            await #expect(throws: JobError.notFound) { _ = try await api.status(of: RemoteJobID("nope")) }
        }
    }

    @Test func aRefusedConnectionIsANetworkError() async throws {
        let api = SeedJobAPI(baseURL: "http://127.0.0.1:9")
        do {
            _ = try await api.submit(.init(prompt: "x"))
            Issue.record("connected to port 9")
        } catch JobError.network(let message) {
            #expect(message.lowercased().contains("connect"))
        } catch {
            Issue.record("wrong error \(error)")
        }
    }

    @Test func aStalledServerHitsTheClientTimeout() async throws {
        let stalled = try await StalledServer.start()
        defer { stalled.stop() }
        var config = HTTPClient.Configuration()
        config.totalTimeout = .milliseconds(500)
        let api = SeedJobAPI(baseURL: "http://127.0.0.1:\(stalled.port)", http: HTTPClient(configuration: config))
        let start = ContinuousClock.now
        do {
            _ = try await api.status(of: RemoteJobID("x"))
            Issue.record("no timeout")
        } catch JobError.network(let message) {
            #expect(message.contains("timed out"))
        } catch {
            Issue.record("wrong error \(error)")
        }
        #expect(ContinuousClock.now - start < .seconds(10), "the 20 s stall timeout would have fired instead")
    }

    @Test func dataURIsAreDecodedAndNonImagesRefused() async throws {
        let png = try ImageCodec.encodePNG(RGBAImage(width: 1, height: 1, pixels: [1, 2, 3, 255]))
        let api = SeedJobAPI(baseURL: "http://127.0.0.1:9")
        let data = try await api.download(ImageRef(url: "data:image/png;base64," + Data(png).base64EncodedString()))
        #expect(data.bytes == png)
        await #expect(throws: JobError.self) {
            _ = try await api.download(ImageRef(url: "data:text/plain;base64," + Data("hello".utf8).base64EncodedString()))
        }
    }
}

@Suite("The whole job path without a terminal")
struct HeadlessTests {
    func state(deadline: Duration = .seconds(30)) -> AppState {
        AppState(backendName: "demo", pollPolicy: PollPolicy(interval: .milliseconds(100), deadline: deadline),
                 parameters: GenerationParameters(width: 320, height: 192, seed: 77, steps: 4), seeds: SeedSource(seed: 1), now: .now)
    }

    @Test func aPromptBecomesASavedPNGWithItsParametersEmbedded() async throws {
        let dir = tempDir()
        try await withServer { _, api in
            let outcome = await Headless.run(prompts: ["a city at night with stars"], state: state(),
                                             makeRunner: { EffectRunner(backend: api, gallery: Gallery(directory: dir), send: $0) })
            guard case .complete(let saved)? = outcome.jobs.first?.state else { Issue.record("\(String(describing: outcome.jobs.first?.state))"); return }
            #expect(saved.path.hasPrefix(dir + "/"))
            #expect(saved.path.hasSuffix("_a-city-at-night-with-stars_77.png"))
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: saved.path)))
            #expect(try ImageCodec.decode(bytes).width == 320)
            let params = try #require(ImageCodec.pngText(bytes, key: "parameters"))
            #expect(params == "a city at night with stars\nSteps: 4, Seed: 77, Size: 320x192")
            #expect(ImageCodec.pngText(bytes, key: "easel")?.contains("\"seed\":77") == true)
        }
    }

    @Test func theDeadlineTurnsALongJobIntoTimedOut() async throws {
        try await withServer(latency: .seconds(5)) { _, api in
            let outcome = await Headless.run(prompts: ["slow"], state: state(deadline: .milliseconds(600)),
                                             makeRunner: { EffectRunner(backend: api, gallery: Gallery(directory: tempDir()), send: $0) })
            #expect(outcome.jobs.first?.state == .failed(.timedOut(after: .milliseconds(600))))
            #expect(outcome.jobs.first?.remoteID != nil)
        }
    }
}

@Suite("Gallery writes")
struct GalleryTests {
    @Test func aSecondImageWithTheSameNameGetsASuffixAndNothingIsOverwritten() throws {
        let dir = tempDir()
        let png = try ImageCodec.encodePNG(RGBAImage(width: 2, height: 1, pixels: [1, 2, 3, 255, 4, 5, 6, 255]))
        let meta = Gallery.Metadata(request: .init(prompt: "../../etc/passwd", seed: 5), backend: "demo", jobID: "1",
                                    date: Date(timeIntervalSince1970: 1_700_000_000))
        let a = try Gallery(directory: dir).save(png, metadata: meta)
        let b = try Gallery(directory: dir).save(png, metadata: meta)
        #expect(a != b)
        #expect(b.hasSuffix("-1.png"))
        #expect(a.hasPrefix(dir + "/") && !a.dropFirst(dir.count).contains(".."))
        #expect(a.contains("_etc-passwd_5"))
    }

    @Test func anUnwritableGalleryIsAStorageErrorWithThePath() throws {
        let png = try ImageCodec.encodePNG(RGBAImage(width: 1, height: 1, pixels: [1, 2, 3, 255]))
        let file = tempDir() + "/not-a-dir"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        do {
            _ = try Gallery(directory: file).save(png, metadata: .init(request: .init(prompt: "x"), backend: "d", jobID: "1"))
            Issue.record("saved under a file")
        } catch JobError.storage(let why) {
            #expect(why.contains(file))
        } catch {
            Issue.record("wrong error \(error)")
        }
    }

    @Test func slugsAreSafeFileNameParts() {
        #expect(Gallery.slug("A Lighthouse, at DUSK!") == "a-lighthouse-at-dusk")
        #expect(Gallery.slug("../..//\u{1B}[31m") == "31m")
        #expect(Gallery.slug("日本語 猫") == "日本語-猫")
        #expect(Gallery.slug("   ") == "untitled")
        #expect(Gallery.slug(String(repeating: "abc ", count: 40)).count <= 48)
    }
}

@Suite("Rate limiting")
struct RateLimiterTests {
    @Test func aSlidingWindowAdmitsLimitRequestsThenSaysHowLongToWait() {
        var limiter = RateLimiter(limit: 2, window: .seconds(60))
        let t = ContinuousClock.now
        #expect(limiter.admit("a", now: t) == nil)
        #expect(limiter.admit("a", now: t + .seconds(10)) == nil)
        #expect(limiter.admit("a", now: t + .seconds(20)) == .seconds(40))
        #expect(limiter.admit("b", now: t + .seconds(20)) == nil)
        #expect(limiter.admit("a", now: t + .seconds(61)) == nil)
    }

    @Test func rateLimitTextParses() {
        #expect(RateLimitSpec("8/60s") == RateLimitSpec(requests: 8, window: .seconds(60)))
        #expect(RateLimitSpec("100/1m") == RateLimitSpec(requests: 100, window: .seconds(60)))
        #expect(RateLimitSpec("8") == nil)
        #expect(RateLimitSpec("0/60s") == nil)
    }
}
