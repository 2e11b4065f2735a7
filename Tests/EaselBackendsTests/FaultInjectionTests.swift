import EaselCore
import EaselHTTP
import EaselImaging
import EaselServer
import FakeServices
import Foundation
import Testing

/// The reference server's fault knobs themselves: who may pick a fault, and how random faults are chosen.
@Suite("Fault injection in the reference server")
struct FaultInjectionTests {
    func withServer(_ configure: (inout ReferenceServer.Configuration) -> Void,
                    _ body: (String, HTTPClient) async throws -> Void) async throws {
        var config = ReferenceServer.Configuration()
        config.latency = .milliseconds(10)
        configure(&config)
        let server = ReferenceServer(configuration: config)
        try await server.start()
        return try await withTeardown({ await server.stop() }) {
            try await body(await server.baseURL, HTTPClient())
        }
    }

    func get(_ http: HTTPClient, _ url: String, fault: String? = nil) async throws -> HTTPResponse {
        try await http.send(HTTPRequest(.get, url, headers: fault.map { [("X-Easel-Fault", $0)] } ?? []))
    }

    @Test func theFaultHeaderIsIgnoredUnlessTheServerAllowsIt() async throws {
        try await withServer({ _ in }) { base, http in
            let r = try await get(http, base + "/api/health", fault: "500")
            #expect(r.status == 200)
        }
        try await withServer({ $0.allowFaultHeader = true }) { base, http in
            let faulted = try await get(http, base + "/api/health", fault: "500")
            let clean = try await get(http, base + "/api/health")
            #expect(faulted.status == 500)
            #expect(clean.status == 200)
        }
    }

    @Test func anUnknownFaultNameIsRefusedWithTheListOfNames() async throws {
        try await withServer({ $0.allowFaultHeader = true }) { base, http in
            let r = try await get(http, base + "/api/health", fault: "teapot")
            #expect(r.status == 400)
            let text = String(decoding: r.body, as: UTF8.self)
            #expect(text.contains("unknown fault") && text.contains("slow-headers") && text.contains("evil-filename"))
        }
        #expect(throws: Fault.Unknown(name: "nope")) { try Fault.parseList("500,nope") }
        let list = try Fault.parseList("500, reset,500")
        #expect(list == [.internalError, .reset])
    }

    @Test func aFaultThatDoesNotApplyToAnEndpointLeavesItAlone() async throws {
        try await withServer({ $0.allowFaultHeader = true }) { base, http in
            let health = try await get(http, base + "/api/health", fault: "bomb")
            let status = try await get(http, base + "/api/status/nope", fault: "truncated-png")
            #expect(health.status == 200)
            #expect(status.status == 404)
        }
    }

    @Test func configuredFaultsHitAtTheirRateAndRepeatWithTheSeed() async throws {
        func statuses(rate: Double, seed: UInt64) async throws -> [Int] {
            var out: [Int] = []
            try await withServer({ $0.faults = [.internalError, .unavailable]; $0.faultRate = rate; $0.faultSeed = seed }) { base, http in
                for _ in 0..<40 { out.append(try await get(http, base + "/api/health").status) }
            }
            return out
        }
        let never = try await statuses(rate: 0, seed: 1), always = try await statuses(rate: 1, seed: 1)
        #expect(never.allSatisfy { $0 == 200 })
        #expect(always.allSatisfy { $0 == 500 || $0 == 503 } && Set(always).count == 2)
        let half = try await statuses(rate: 0.5, seed: 7)
        let hit = half.filter { $0 != 200 }.count
        #expect((8...32).contains(hit), "\(hit) of 40 at rate 0.5")
        let again = try await statuses(rate: 0.5, seed: 7)
        #expect(again == half, "the same seed picks the same faults")
    }

    @Test func theBombIsASmallPNGDeclaring30000By30000() throws {
        let bomb = ReferenceServer.bombPNG
        #expect(bomb.count < 100)
        let (w, h) = try ImageCodec.dimensions(of: bomb)
        #expect(w == 30_000 && h == 30_000)
        #expect(throws: ImageError("the image is 30000×30000 pixels; the limit is 16384 pixels per side")) {
            try ImageCodec.checkedDimensions(of: bomb)
        }
    }

    @Test func theFirstByteTimeoutFiresWhenHeadersNeverCome() async throws {
        let stalled = try await StalledServer.start()
        defer { stalled.stop() }
        var config = HTTPClient.Configuration()
        config.firstByteTimeout = .milliseconds(500)
        let start = ContinuousClock.now
        await #expect(throws: HTTPError.timedOut("no response headers within 0.5 s")) {
            _ = try await HTTPClient(configuration: config).send(HTTPRequest(.get, "http://127.0.0.1:\(stalled.port)/"))
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}
