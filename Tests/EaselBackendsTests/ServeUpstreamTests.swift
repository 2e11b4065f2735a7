import EaselApp
import EaselBackends
import EaselCore
import EaselHTTP
@testable import EaselServer
import FakeServices
import EaselImaging
import Foundation
import Testing

/// `easel serve --backend NAME` in process: the reference server with an `UpstreamGenerator` over the
/// client's own adapters, in front of the fake services; clients talk to it over loopback.
@Suite("easel serve in front of an upstream backend")
struct ServeUpstreamTests {
    /// A running server whose jobs go to `backend`, and a plain HTTP client for it.
    struct Rig {
        let server: ReferenceServer
        let base: String
        let http = HTTPClient()

        func send(_ method: HTTPRequest.Method, _ path: String, json: String? = nil, headers: [(name: String, value: String)] = []) async throws -> (Int, [String: Any]) {
            let r = try await http.send(HTTPRequest(method, base + path, headers: headers + [("Content-Type", "application/json")],
                                                    body: json.map { Array($0.utf8) }))
            return (r.status, (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? [:])
        }

        func submit(_ prompt: String, headers: [(name: String, value: String)] = []) async throws -> (Int, String) {
            let (status, body) = try await send(.post, "/api/generate", json: #"{"prompt": "\#(prompt)", "width": 128, "height": 64, "seed": 7, "steps": 4}"#, headers: headers)
            return (status, body["jobId"] as? String ?? "")
        }

        func status(_ id: String) async throws -> [String: Any] { try await send(.get, "/api/status/\(id)").1 }

        /// Polls the job's status until it is no longer processing (each poll a request; 20 s bound).
        func final(_ id: String) async throws -> [String: Any] {
            let end = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < end {
                let s = try await status(id)
                if s["status"] as? String != "processing" { return s }
                try await Task.sleep(for: .milliseconds(20))
            }
            return try await status(id)
        }

        /// The job's event log, replayed whole (the job has ended, so the stream ends too).
        func events(_ id: String) async throws -> [(String, [String: Any])] {
            let r = try await http.send(HTTPRequest(.get, base + "/api/events/\(id)"))
            var out: [(String, [String: Any])] = []
            var name = ""
            for line in String(decoding: r.body, as: UTF8.self).split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") {
                    out.append((name, (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8))) as? [String: Any] ?? [:]))
                }
            }
            return out
        }
    }

    static func withRig(_ backend: any GenerationBackend, concurrency: Int = 1, rate: RateLimitSpec = RateLimitSpec(requests: 100, window: .seconds(60)),
                        trusted: [String] = [], _ body: (Rig) async throws -> Void) async throws {
        var config = ReferenceServer.Configuration()
        config.generator = UpstreamGenerator(backend: backend, label: "fake upstream", concurrency: concurrency,
                                             pollInterval: .milliseconds(20), deadline: .seconds(30))
        config.rateLimit = rate
        config.trustedProxies = TrustedProxies(trusted.compactMap(TrustedProxies.CIDR.init))
        let server = ReferenceServer(configuration: config)
        try await server.start()
        let rig = Rig(server: server, base: await server.baseURL)
        do { try await body(rig) } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static func withJobAPI(runningPolls: Int = 1, _ body: (FakeJobAPI, SeedJobAPI) async throws -> Void) async throws {
        let fake = FakeJobAPI(runningPolls: runningPolls)
        try await fake.start()
        do { try await body(fake, SeedJobAPI(baseURL: await fake.baseURL)) } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    /// Waits (polling the condition, 20 s bound) until `condition` holds.
    static func until(_ condition: () async -> Bool) async -> Bool {
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func aJobRunsUpstreamWithProgressAndItsImageIsUpstreamsBytes() async throws {
        try await Self.withJobAPI { fake, api in
            try await Self.withRig(api) { rig in
                let (code, id) = try await rig.submit("a lighthouse")
                #expect(code == 200)
                let end = try await rig.final(id)
                #expect(end["status"] as? String == "completed", "\(end)")
                let image = try await rig.http.send(HTTPRequest(.get, end["image"] as? String ?? ""))
                #expect(image.status == 200 && image.body == Fake.png(width: 128, height: 64, seed: 7))
                #expect(await fake.received == [GenerationRequest(prompt: "a lighthouse", width: 128, height: 64, seed: 7, steps: 4)])
                let events = try await rig.events(id)
                #expect(events.map(\.0).contains("progress") && events.last?.0 == "completed", "\(events.map(\.0))")
                let progress = events.first { $0.0 == "progress" }?.1
                #expect(progress?["progress"] as? Double == 0.5 && progress?["step"] as? Int == 2 && progress?["steps"] as? Int == 4)
                #expect(await rig.server.jobs[id]?.upstreamID == "job-1")
            }
        }
    }

    @Test func anUpstreamFailureIsFailedWithItsCategoryAndNoEscapes() async throws {
        try await Self.withJobAPI { _, api in
            try await Self.withRig(api) { rig in
                let (_, failing) = try await rig.submit("[[fail]] a boat")
                let end = try await rig.final(failing)
                #expect(end["status"] as? String == "failed")
                #expect(end["category"] as? String == "inference_failed")
                #expect(end["error"] as? String == "generation failed: the sampler produced NaNs")
                #expect(try await rig.events(failing).last?.1["category"] as? String == "inference_failed")

                let (_, refused) = try await rig.submit("[[invalid]] a boat")
                let refusal = try await rig.final(refused)
                #expect(refusal["category"] as? String == "invalid_prompt")
                #expect(refusal["error"] as? String == "invalid prompt: prompt rejected by the content filter")
            }
        }
    }

    @Test func hostileUpstreamTextLosesItsEscapeSequences() {
        let raw = "bad \u{1B}[2J\u{1B}]0;owned\u{07}node \u{9B}31m\nline"
        for e in [ServerGenerationError(JobError.inferenceFailed(raw)), ServerGenerationError(.graph, raw)] {
            #expect(!e.message.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "\(e.message.debugDescription)")
            #expect(e.message.contains("bad"))
        }
    }

    @Test func cancellingOnTheServerCancelsTheUpstreamJob() async throws {
        try await Self.withJobAPI { fake, api in
            try await Self.withRig(api) { rig in
                let (_, id) = try await rig.submit("[[running]] a slow one")
                // Upstream has the job and the generator follows it (a status poll went out).
                #expect(await Self.until { await fake.log.contains { $0.path.hasPrefix("/api/status/") } })
                #expect(try await rig.send(.post, "/api/cancel/\(id)").0 == 200)
                #expect(await Self.until { await fake.cancels == 1 }, "the cancel never reached upstream")
                #expect(try await rig.status(id)["status"] as? String == "canceled")
            }
        }
    }

    @Test func theTablesConcurrencyRunsJobsUpstreamAtOnce() async throws {
        try await Self.withJobAPI { fake, api in
            try await Self.withRig(api, concurrency: 2) { rig in
                let (healthCode, health) = try await rig.send(.get, "/healthz")
                #expect(healthCode == 200)
                #expect(health["status"] as? String == "ok" && health["workers"] as? Int == 2 && health["store"] as? String == "memory")
                _ = try await rig.submit("[[running]] one")
                _ = try await rig.submit("[[running]] two")
                let (_, third) = try await rig.submit("[[running]] three")
                #expect(await Self.until { await fake.received.count == 2 }, "two jobs were not running upstream at once")
                #expect(try await rig.status(third)["queue_position"] as? Int == 1)
                #expect(await fake.received.count == 2)
            }
        }
    }

    @Test func shutdownFinishesTheRunningJobFailsTheQueuedOneAndRefusesNewOnes() async throws {
        try await Self.withJobAPI(runningPolls: 150) { fake, api in
            try await Self.withRig(api) { rig in
                let (_, running) = try await rig.submit("a long one")
                let (_, queued) = try await rig.submit("a waiting one")
                #expect(await Self.until { await fake.log.contains { $0.path.hasPrefix("/api/status/") } })
                let shutdown = Task { await rig.server.shutdown(grace: .seconds(30)) }
                #expect(await Self.until { await rig.server.draining })
                #expect(try await rig.submit("too late").0 == 503)
                let (healthCode, health) = try await rig.send(.get, "/healthz")
                #expect(healthCode == 503 && health["status"] as? String == "shutting_down")
                #expect(try await rig.status(queued)["category"] as? String == "shutdown")
                await shutdown.value
                #expect(await rig.server.jobs[running]?.state == .completed, "the running job did not finish within the grace")
                #expect(await rig.server.jobs[queued]?.state == .failed)
                #expect(await fake.received.count == 1)
            }
        }
    }

    @Test func aJobStillRunningWhenTheGraceEndsFailsAndIsCancelledUpstream() async throws {
        try await Self.withJobAPI { fake, api in
            try await Self.withRig(api) { rig in
                let (_, id) = try await rig.submit("[[running]] never ends")
                #expect(await Self.until { await fake.log.contains { $0.path.hasPrefix("/api/status/") } })
                await rig.server.shutdown(grace: .milliseconds(100))
                #expect(await rig.server.jobs[id]?.category == "shutdown")
                #expect(await Self.until { await fake.cancels == 1 })
            }
        }
    }

    @Test func forwardedForCountsOnlyBehindATrustedProxy() async throws {
        try await Self.withJobAPI { _, api in
            let limit = RateLimitSpec(requests: 1, window: .seconds(600))
            try await Self.withRig(api, rate: limit, trusted: ["127.0.0.0/8"]) { (rig: Rig) async throws in
                #expect(try await rig.submit("a", headers: [("X-Forwarded-For", "203.0.113.5")]).0 == 200)
                #expect(try await rig.submit("a", headers: [("X-Forwarded-For", "203.0.113.5")]).0 == 429)
                // A client's forged hop on the left does not change whom it counts against.
                #expect(try await rig.submit("a", headers: [("X-Forwarded-For", "198.51.100.1, 203.0.113.5")]).0 == 429)
                #expect(try await rig.submit("a", headers: [("X-Forwarded-For", "203.0.113.6")]).0 == 200)
            }
            try await Self.withRig(api, rate: limit) { (rig: Rig) async throws in      // no trusted proxy: the socket's peer
                #expect(try await rig.submit("a", headers: [("X-Forwarded-For", "203.0.113.5")]).0 == 200)
                #expect(try await rig.submit("a", headers: [("X-Forwarded-For", "203.0.113.6")]).0 == 429)
            }
        }
    }

    @Test func theClientIsTheRightmostUntrustedHop() {
        let proxies = TrustedProxies(["10.0.0.0/8", "2001:db8::/32"].compactMap(TrustedProxies.CIDR.init))
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: "1.1.1.1, 2.2.2.2, 10.9.9.9") == "2.2.2.2")
        #expect(proxies.client(peer: "192.0.2.1", forwardedFor: "2.2.2.2") == "192.0.2.1")
        #expect(proxies.client(peer: "::ffff:10.0.0.1", forwardedFor: "2001:db8::5, 2001:DB8:0:0::7") == "2001:db8::5")
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: "junk, 10.2.2.2") == "10.2.2.2")
        #expect(proxies.client(peer: "2001:db8::1", forwardedFor: "2a00::1") == "2a00::1")
        #expect(TrustedProxies.CIDR("10.0.0.0/33") == nil && TrustedProxies.CIDR("example.com") == nil)
    }

    @Test func aComfyUIJobIsServedWithItsImage() async throws {
        let fake = FakeComfyUI()
        try await fake.start()
        let comfy = try BackendFactory.make(BackendOptions(name: "comfy", kind: .comfyui, url: await fake.baseURL))
        try await Self.withRig(comfy) { rig in
            let (_, id) = try await rig.submit("a red barn")
            let end = try await rig.final(id)
            #expect(end["status"] as? String == "completed", "\(end)")
            let image = try await rig.http.send(HTTPRequest(.get, end["image"] as? String ?? ""))
            #expect(image.body == Fake.png(width: 128, height: 64, seed: 7))
            let upstream = await rig.server.jobs[id]?.upstreamID
            #expect(await fake.jobIDs.contains(upstream ?? "none"), "\(String(describing: upstream))")
        }
        await fake.stop()
    }
}

@Suite("easel serve: IPv6, host errors and log lines")
struct ServeOperationsTests {
    @Test func anIPv6LoopbackHostBindsAndServes() async throws {
        var config = ReferenceServer.Configuration()
        config.host = "::1"
        let server = ReferenceServer(configuration: config)
        try await server.start()
        let base = await server.baseURL
        #expect(base.hasPrefix("http://[::1]:"))
        let r = try await HTTPClient().send(HTTPRequest(.get, base + "/healthz"))
        await server.stop()
        #expect(r.status == 200 && String(decoding: r.body, as: UTF8.self).contains(#""workers":1"#))
    }

    @Test func aHostThatIsNotANumericAddressIsAClearError() async {
        var config = ReferenceServer.Configuration()
        config.host = "localhost"
        do {
            try await ReferenceServer(configuration: config).start()
            Issue.record("started on a name")
        } catch {
            #expect("\(error)" == "cannot listen on localhost:0: not a numeric IPv4 or IPv6 address")
        }
    }

    @Test func logValuesAreSanitizedAndQuotedWhenNeeded() {
        #expect(ReferenceServer.logValue("127.0.0.1") == "127.0.0.1")
        #expect(ReferenceServer.logValue("") == #""""#)
        #expect(ReferenceServer.logValue("a \"b\"\u{1B}[31m=c") == #""a \"b\"=c""#)
    }
}

/// Every backend kind's adapter behind the server (the contract suite's fixtures): a job completes with a
/// decodable PNG of the asked size, and the service's reported failure is `failed` with its category.
@Suite("easel serve in front of every backend kind")
struct ServeEveryBackendTests {
    @Test(arguments: ContractFixture.all)
    func aJobCompletesAndAFailureKeepsItsCategory(_ f: ContractFixture) async throws {
        let fake = f.makeFake()
        try await fake.start()
        let backend = try f.makeBackend(await fake.baseURL, HTTPClient())
        try await ServeUpstreamTests.withRig(backend) { rig in
            let (_, ok) = try await rig.submit("a quiet harbour")
            let done = try await rig.final(ok)
            #expect(done["status"] as? String == "completed", "\(f.name): \(done)")
            let image = try await rig.http.send(HTTPRequest(.get, done["image"] as? String ?? ""))
            #expect(image.body.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(f.name): not a PNG")
            #expect(image.status == 200 && (try? ImageCodec.dimensions(of: image.body)) != nil, "\(f.name)")

            let (_, failing) = try await rig.submit("[[fail]] a quiet harbour")
            let failed = try await rig.final(failing)
            // A synchronous service (OpenAI, A1111) reports it as its 500, as the contract suite allows.
            let expected = f.synchronous || f.name == "a1111" ? "server" : "inference_failed"
            #expect(failed["status"] as? String == "failed" && failed["category"] as? String == expected, "\(f.name): \(failed)")
            #expect((failed["error"] as? String ?? "").contains(f.failureMessage), "\(f.name): \(failed)")
        }
        await fake.stop()
    }
}
