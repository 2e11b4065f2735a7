@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import FakeServices
import Foundation
import Testing

/// Starts a `FakeA1111` with `options` and an adapter for it; `timeout` bounds the short requests (seconds).
private func withA1111(_ options: FakeA1111.Options = .init(), timeout: Double = 30,
                       configure: (inout BackendOptions) -> Void = { _ in },
                       _ body: (A1111Backend, FakeA1111) async throws -> Void) async throws {
    try await withStarted(FakeA1111(options: options)) { fake in
        var config = HTTPClient.Configuration()
        config.totalTimeout = .milliseconds(Int(timeout * 1000))
        var backendOptions = BackendOptions(name: "gpu", kind: .a1111, url: await fake.baseURL)
        configure(&backendOptions)
        try await body(try A1111Backend(options: backendOptions, http: HTTPClient(configuration: config)), fake)
    }
}

/// Polls every `every` until the job ends; returns every status seen and the error that ended it, if any.
private func finish(_ backend: A1111Backend, _ id: RemoteJobID, every: Duration = .milliseconds(50),
                    onRunning: (Double?) async -> Void = { _ in }) async -> ([RemoteStatus], JobError?) {
    var seen: [RemoteStatus] = []
    for _ in 0..<400 {
        do {
            let s = try await backend.status(of: id)
            seen.append(s)
            switch s {
            case .completed, .completedBatch, .failed: return (seen, nil)
            case .running(let p, _): await onRunning(p)
            case .queued: break
            }
        } catch { return (seen, error) }
        try? await Task.sleep(for: every)
    }
    return (seen, nil)
}

/// The error that ended the job, whether the submit or a later status poll reported it.
private func failure(_ backend: A1111Backend, _ request: GenerationRequest) async -> JobError? {
    do {
        let (id, _) = try await backend.submit(request)
        return await finish(backend, id).1
    } catch { return error }
}

private let lighthouse = GenerationRequest(prompt: "a lighthouse at dusk", negativePrompt: "blurry", width: 96, height: 64, seed: 1234, steps: 8)

@Suite("A1111 / Forge adapter against FakeA1111 over loopback")
struct A1111Tests {
    @Test func withoutAPIEveryRouteIs404AndTheErrorSaysStartItWithAPI() async throws {
        var options = FakeA1111.Options()
        options.apiEnabled = false
        try await withA1111(options) { backend, _ in
            // Usually the submit itself fails (within `submitGrace`); on a loaded machine the first poll does.
            let error = await failure(backend, lighthouse)
            #expect(error == .badResponse("the web UI answers without its API: start it with --api (POST /sdapi/v1/txt2img is 404)"))
            let health = await backend.health()
            #expect(!health.ok)
            #expect(health.detail.contains("start it with --api"))
        }
    }

    @Test func anOutOfMemory500KeepsTheExceptionTypeAndText() async throws {
        try await withA1111 { backend, _ in
            let error = await failure(backend, GenerationRequest(prompt: "huge [[500]]"))
            #expect(error == .server(status: 500, message: "OutOfMemoryError: CUDA out of memory. Tried to allocate 1.11 GiB (GPU 0; 7.79 GiB total capacity)"))
            #expect(error?.message.hasPrefix("server error 500: OutOfMemoryError: CUDA out of memory") == true)
        }
    }

    @Test func aFailureAfterSamplingBeganArrivesThroughStatus() async throws {
        try await withA1111 { backend, _ in
            let (id, first) = try await backend.submit(GenerationRequest(prompt: "nan [[fail]]", steps: 10))
            #expect(first == .queued(position: nil))
            let (seen, error) = await finish(backend, id)
            #expect(seen.contains { if case .running = $0 { true } else { false } })
            #expect(error == .server(status: 500, message: "NansException: A tensor with all NaNs was produced in Unet. Use --disable-nan-check to skip this check."))
        }
    }

    @Test(arguments: [(FakeA1111.ImageFormat.jpeg, ImageFormat.jpeg), (.webp, .webp), (.png, .png)])
    func imagesInAnyServerFormatAreSniffedByMagicBytes(_ served: FakeA1111.ImageFormat, _ expected: ImageFormat) async throws {
        var options = FakeA1111.Options()
        options.imageFormat = served
        try await withA1111(options) { backend, _ in
            let (id, _) = try await backend.submit(lighthouse)
            let (seen, error) = await finish(backend, id)
            #expect(error == nil)
            guard case .completed(let ref) = seen.last else { Issue.record("\(seen)"); return }
            let image = try await backend.download(ref)
            #expect(ImageFormat(sniffing: image.bytes) == expected)
            let size = try ImageCodec.dimensions(of: image.bytes)
            #expect(size.width == 96 && size.height == 64)
        }
    }

    @Test func aDataPrefixOnImagesAndPreviewsIsStripped() async throws {
        var options = FakeA1111.Options()
        options.dataURIs = true
        options.imageFormat = .jpeg
        options.generationTime = .milliseconds(1500)
        try await withA1111(options) { backend, _ in
            let (id, _) = try await backend.submit(lighthouse)
            var preview: ImageData?
            let (seen, error) = await finish(backend, id, every: .milliseconds(100)) { _ in
                if let p = await backend.livePreview(of: id) { preview = p }
            }
            #expect(error == nil)
            guard case .completed(let ref) = seen.last else { Issue.record("\(seen)"); return }
            #expect(ImageFormat(sniffing: try await backend.download(ref).bytes) == .jpeg)
            let p = try #require(preview, "no live preview while running: \(seen)")
            #expect(ImageFormat(sniffing: p.bytes) == .jpeg)
        }
    }

    @Test func theSeedTheServerReportsInInfoIsParsed() async throws {
        var options = FakeA1111.Options()
        options.reportedSeed = 3_987_654_321
        try await withA1111(options) { backend, fake in
            let (id, _) = try await backend.submit(lighthouse)
            #expect(await backend.reportedSeed(of: id) == nil)
            let (seen, _) = await finish(backend, id)
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
            #expect(await backend.reportedSeed(of: id) == 3_987_654_321)
            #expect(await fake.received.last?.seed == 1234)         // what was sent is the request's seed
        }
    }

    @Test func txt2imgRepliesParseInfoAsAJSONStringAndSkipGrids() throws {
        let png = Data(Fake.png(width: 4, height: 4)).base64EncodedString()
        let info = #"{\"seed\": 77, \"index_of_first_image\": 1}"#
        let reply = #"{"images": ["grid", "\#(png)"], "info": "\#(info)"}"#
        let parsed = try A1111Backend.parseTxt2img(Array(reply.utf8))
        #expect(parsed.seed == 77 && parsed.image == png)
        // sd-server's stand-in sends `info: ""`: no seed, still an image.
        let sdcpp = try A1111Backend.parseTxt2img(Array(#"{"images": ["\#(png)"], "parameters": {}, "info": ""}"#.utf8))
        #expect(sdcpp.seed == nil && sdcpp.image == png)
        #expect(throws: JobError.badResponse("malformed JSON from POST /sdapi/v1/txt2img")) {
            try A1111Backend.parseTxt2img(Array("<html>502 Bad Gateway".utf8))
        }
        #expect(throws: JobError.self) { try A1111Backend.parseTxt2img(Array(#"{"images": [], "info": "{}"}"#.utf8)) }
        #expect(throws: JobError.self) { try A1111Backend.parseTxt2img(Array(#"{"images": "nope", "info": 3}"#.utf8)) }
    }

    @Test func basicAuthIsSentOnEveryRequest() async throws {
        var options = FakeA1111.Options()
        options.basicAuth = "alice:s3cret-pw"
        try await withA1111(options, configure: { $0.basicAuth = "alice:s3cret-pw" }) { backend, fake in
            let (id, _) = try await backend.submit(lighthouse)
            let (seen, error) = await finish(backend, id)
            #expect(error == nil)
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
            #expect(await backend.health().ok)
            let log = await fake.log
            #expect(log.count >= 3)
            #expect(log.allSatisfy { $0.headers["authorization"] == "Basic YWxpY2U6czNjcmV0LXB3" })
        }
    }

    @Test func a401IsUnauthorizedNamingTheUserButNeverThePassword() async throws {
        var options = FakeA1111.Options()
        options.basicAuth = "alice:s3cret-pw"
        try await withA1111(options, configure: { $0.basicAuth = "alice:wrong-horse" }) { backend, _ in
            let error = await failure(backend, lighthouse)
            guard case .unauthorized(let why) = error else { Issue.record("\(String(describing: error))"); return }
            #expect(why == "the web UI refused user \"alice\" (--api-auth): Incorrect username or password")
            #expect(!why.contains("wrong-horse") && !(error?.message.contains("wrong-horse") ?? true))
            let health = await backend.health()
            #expect(!health.ok && health.detail.contains("alice") && !health.detail.contains("wrong-horse"))
        }
        try await withA1111(options) { backend, _ in
            let error = await failure(backend, lighthouse)
            #expect(error == .unauthorized("the web UI wants a login (--api-auth): set api_auth = \"user:password\" for this backend"))
        }
    }

    @Test func aServerEchoingThePasswordHasItRedacted() {
        let body = Array(#"{"error":"HTTPException","detail":"bad login alice:hunter22","body":"","errors":"401"}"#.utf8)
        let error = A1111Errors.map(HTTPResponse(status: 401, headers: [:], body: body), route: "GET /x", basicAuth: "alice:hunter22")
        #expect(error == .unauthorized("the web UI refused user \"alice\" (--api-auth): bad login alice:[redacted]"))
    }

    @Test func a404FromTheAPIsOwnHandlerIsAMissingRouteNotAMissingFlag() {
        let bare = HTTPResponse(status: 404, headers: [:], body: Array(#"{"detail":"Not Found"}"#.utf8))
        #expect(A1111Errors.map(bare, route: "GET /sdapi/v1/x", basicAuth: nil)
                == .badResponse("the web UI answers without its API: start it with --api (GET /sdapi/v1/x is 404)"))
        let html = HTTPResponse(status: 404, headers: [:], body: Array("<html>nginx</html>".utf8))
        #expect(A1111Errors.map(html, route: "GET /sdapi/v1/x", basicAuth: nil)
                == .badResponse("the web UI answers without its API: start it with --api (GET /sdapi/v1/x is 404)"))
        let wrapped = HTTPResponse(status: 404, headers: [:],
                                   body: Array(#"{"error":"HTTPException","detail":"Not Found","body":"","errors":"404: Not Found"}"#.utf8))
        #expect(A1111Errors.map(wrapped, route: "GET /sdapi/v1/x", basicAuth: nil)
                == .badResponse("GET /sdapi/v1/x is not in this web UI's API: an old version, or not A1111/Forge?"))
        let sampler = HTTPResponse(status: 404, headers: [:],
                                   body: Array(#"{"error":"HTTPException","detail":"Sampler not found","body":"","errors":"404: Sampler not found"}"#.utf8))
        #expect(A1111Errors.map(sampler, route: "POST /sdapi/v1/txt2img", basicAuth: nil) == .invalidPrompt(reason: "Sampler not found"))
        let validation = HTTPResponse(status: 422, headers: [:], body: Array(
            #"{"detail":[{"loc":["body","steps"],"msg":"value is not a valid integer","type":"type_error.integer"},{"loc":["body","width"],"msg":"field required","type":"x"}]}"#.utf8))
        #expect(A1111Errors.map(validation, route: "POST /sdapi/v1/txt2img", basicAuth: nil)
                == .invalidPrompt(reason: "body.steps: value is not a valid integer; body.width: field required"))
    }

    @Test func basicAuthWithoutAColonIsASetupError() {
        var options = BackendOptions(name: "gpu", kind: .a1111)
        options.basicAuth = "alice"
        #expect(throws: BackendSetupError.self) { try A1111Backend(options: options, http: HTTPClient()) }
    }

    @Test func progressRisesAndALivePreviewIsReturnedWhileRunning() async throws {
        var options = FakeA1111.Options()
        options.generationTime = .seconds(5)        // 0.5 s a step: three of them seen even when polls are slow
        options.steps = 10
        try await withA1111(options) { backend, _ in
            let (id, first) = try await backend.submit(lighthouse)
            #expect(first == .queued(position: nil))
            var progress: [Double] = []
            var previews = 0
            let (seen, error) = await finish(backend, id, every: .milliseconds(100)) { p in
                if let p { progress.append(p) }
                if let preview = await backend.livePreview(of: id), (try? ImageCodec.dimensions(of: preview.bytes)) != nil { previews += 1 }
            }
            #expect(error == nil)
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
            #expect(progress.allSatisfy { (0...1).contains($0) })
            #expect(Set(progress).count >= 3, "\(progress)")
            #expect(progress == progress.sorted(), "progress went backwards: \(progress)")
            #expect(previews >= 1)
            #expect(await backend.livePreview(of: id) == nil)       // only while running
        }
    }

    @Test func aGenerationLongerThanTheShortRequestTimeoutStillCompletes() async throws {
        var options = FakeA1111.Options()
        // Generation takes twice the short-request bound; the bound stays loose (10 s) because a status poll
        // on a loaded machine running the suite in parallel can take seconds (4 s, then 6 s, timed out in 1 of 5
        // clean-clone runs at loads of 5 and 6.5: the in-process fake shares the cooperative pool's two threads).
        options.generationTime = .seconds(20)
        try await withA1111(options, timeout: 10) { backend, _ in
            let (id, _) = try await backend.submit(lighthouse)
            let (seen, error) = await finish(backend, id, every: .milliseconds(200))
            #expect(error == nil)
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
        }
    }

    @Test func aJobSubmittedWhileAnEndedOneStillRunsIsSentAtOnceAndReadsQueuedNotTheOthersProgress() async throws {
        var options = FakeA1111.Options()
        options.generationTime = .milliseconds(600)
        try await withA1111(options) { backend, fake in
            // A stops half way until interrupted: the reducer has ended it (timed out) but the web UI runs it.
            let (a, _) = try await backend.submit(GenerationRequest(prompt: "harbour [[running]]", width: 32, height: 32, steps: 8))
            for _ in 0..<200 {
                if case .running(let p?, _) = try await backend.status(of: a), p > 0.3 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let (b, sb) = try await backend.submit(lighthouse)
            #expect(sb == .queued(position: 1))
            // B goes to the web UI at once (A never ends by itself: a private FIFO would hold B for good).
            for _ in 0..<500 where await fake.received.count < 2 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(await fake.received.count == 2, "B was held back instead of sent to the web UI's queue")
            // `/progress` now shows A half way: it is not B's.
            #expect(try await backend.status(of: b) == .queued(position: 1))
            #expect(await backend.livePreview(of: b) == nil)
            try await backend.cancel(a)
            #expect(await fake.cancels == 1)
            let (seen, error) = await finish(backend, b)
            #expect(error == nil)
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
            let runs = await fake.sampled
            #expect(runs.count == 2 && runs[1].steps == runs[1].of, "\(runs)")
        }
    }

    @Test func aJobCanceledWhileQueuedBehindAnEndedOneLetsThatOneFinishAndIsInterruptedOnceItBegins() async throws {
        var options = FakeA1111.Options()
        options.holdsStart = true                                  // A holds the web UI until the test lets it sample
        options.generationTime = .seconds(4)
        options.steps = 40
        try await withA1111(options) { backend, fake in
            let (a, _) = try await backend.submit(lighthouse)     // ended by the reducer (timed out), still running
            for _ in 0..<1000 where await !fake.waitingToBegin { try await Task.sleep(for: .milliseconds(10)) }
            try #require(await fake.waitingToBegin, "A never reached the web UI")
            let (b, _) = try await backend.submit(lighthouse)
            try await backend.cancel(b)
            #expect(await fake.cancels == 0, "the interrupt would have cut the other job short")
            #expect(try await backend.status(of: b) == .failed("canceled: interrupted on the web UI"))
            await fake.beginSampling()
            let (seen, error) = await finish(backend, a)
            #expect(error == nil)
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
            for _ in 0..<100 where await fake.sampled.count < 2 { try await Task.sleep(for: .milliseconds(100)) }
            let runs = await fake.sampled
            try #require(runs.count == 2, "the canceled job never reached the web UI: \(runs)")
            #expect(runs[0].steps == runs[0].of, "the job ahead was cut short: \(runs)")
            #expect(runs[1].steps < runs[1].of, "the canceled job sampled to the end: \(runs)")
            #expect(await fake.cancels == 1)
        }
    }

    @Test func aJobCanceledBeforeTheWebUIBeganItIsInterruptedOnceItBegins() async throws {
        var options = FakeA1111.Options()
        options.holdsStart = true
        options.generationTime = .seconds(4)
        options.steps = 40
        try await withA1111(options) { backend, fake in
            let (id, _) = try await backend.submit(lighthouse)
            // The request waits at the web UI, not begun, until the test lets it begin (after the cancel).
            for _ in 0..<1000 where await !fake.waitingToBegin { try await Task.sleep(for: .milliseconds(10)) }
            try #require(await fake.waitingToBegin, "the request never reached the web UI")
            try await backend.cancel(id)
            #expect(try await backend.status(of: id) == .failed("canceled: interrupted on the web UI"))
            await fake.beginSampling()
            for _ in 0..<100 where await fake.sampled.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            let run = try #require(await fake.sampled.first, "the job never began")
            #expect(await fake.cancels == 2)                      // the lost interrupt, then the watcher's
            #expect(run.steps < run.of, "it sampled to the end: \(run)")
        }
    }

    @Test func onlyTheLastSixteenFinishedJobsAreKept() async throws {
        var options = FakeA1111.Options()
        options.generationTime = .milliseconds(20)
        try await withA1111(options) { backend, _ in
            var ids: [RemoteJobID] = []
            for _ in 0...A1111Requests.keep {
                let (id, _) = try await backend.submit(GenerationRequest(prompt: "tiny", width: 8, height: 8, steps: 1))
                guard case .completed = await finish(backend, id).0.last else { Issue.record("\(id) did not complete"); return }
                ids.append(id)
            }
            await #expect(throws: JobError.notFound) { _ = try await backend.status(of: ids[0]) }
            guard case .completed(let ref) = try await backend.status(of: ids[ids.count - 1]) else { Issue.record("newest forgotten"); return }
            #expect(try await backend.download(ref).bytes.count > 8)
            await #expect(throws: JobError.notFound) { _ = try await backend.download(A1111Backend.imageRef(ids[0].rawValue)) }
        }
    }

    @Test func samplerCFGScaleAndCheckpointAreSentOnlyWhenConfigured() async throws {
        try await withA1111(configure: {
            $0.sampler = "DPM++ 2M"
            $0.cfgScale = 5.5
            $0.model = "sd_xl_base_1.0.safetensors [31e35c80fc]"
        }) { backend, fake in
            _ = try await backend.submit(lighthouse)
            for _ in 0..<1000 where await !fake.log.contains(where: { $0.path == "/sdapi/v1/txt2img" }) { try await Task.sleep(for: .milliseconds(10)) }
            let sent = try #require(await fake.log.first { $0.path == "/sdapi/v1/txt2img" })
            let o = try #require(Fake.object(sent.body))
            #expect(o["sampler_name"] as? String == "DPM++ 2M")
            #expect(o["cfg_scale"] as? Double == 5.5)
            #expect((o["override_settings"] as? [String: Any])?["sd_model_checkpoint"] as? String == "sd_xl_base_1.0.safetensors [31e35c80fc]")
            #expect(o["batch_size"] as? Int == 1 && o["send_images"] as? Bool == true && o["save_images"] as? Bool == false)
        }
        try await withA1111 { backend, fake in
            _ = try await backend.submit(lighthouse)
            for _ in 0..<1000 where await !fake.log.contains(where: { $0.path == "/sdapi/v1/txt2img" }) { try await Task.sleep(for: .milliseconds(10)) }
            let sent = try #require(await fake.log.first { $0.path == "/sdapi/v1/txt2img" })
            let o = try #require(Fake.object(sent.body))
            #expect(o["sampler_name"] == nil && o["cfg_scale"] == nil && o["override_settings"] == nil)
            #expect(o["negative_prompt"] as? String == "blurry" && o["seed"] as? Int == 1234)
        }
    }

    @Test func anUnknownSamplerIsAnInvalidPrompt() async throws {
        try await withA1111(configure: { $0.sampler = "Nope" }) { backend, _ in
            let error = await failure(backend, lighthouse)
            #expect(error == .invalidPrompt(reason: "Sampler not found"))
        }
    }

    @Test func healthNamesTheCheckpointAndListsModelsAndSamplers() async throws {
        try await withA1111 { backend, _ in
            let h = await backend.health()
            #expect(h.ok)
            #expect(h.detail == "A1111 API answers, model v1-5-pruned-emaonly.safetensors [6ce0161689], 2 models, 4 samplers")
            #expect(h.models == FakeA1111.models && h.samplers == FakeA1111.samplers)
        }
    }

    @Test func theFactoryBuildsBothAdapters() throws {
        let a = try BackendFactory.make(BackendOptions(name: "gpu", kind: .a1111))
        #expect(a is A1111Backend && a.displayName == "gpu — a1111 at http://127.0.0.1:7860")
        let s = try BackendFactory.make(BackendOptions(name: "cpp", kind: .sdcpp))
        #expect(s is SDCppBackend && s.displayName == "cpp — sdcpp at http://127.0.0.1:1234")
    }
}
