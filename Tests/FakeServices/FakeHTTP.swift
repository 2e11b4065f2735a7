import EaselCore
import EaselImaging
import FlyingFox
import Foundation

/// What every fake service in the tests offers the shared backend contract suite
/// (`Tests/EaselBackendsTests/BackendContractTests.swift`) and the end-to-end tests.
public protocol FakeService: Actor {
    /// `http://127.0.0.1:PORT`, valid after `start()`.
    var baseURL: String { get }
    /// Binds an ephemeral loopback port and serves in the background.
    func start() async throws
    func stop() async
    /// Generation requests as the fake understood the service's wire format, in arrival order.
    var received: [GenerationRequest] { get }
    /// Cancel / interrupt / delete calls received.
    var cancels: Int { get }
    /// Every request's method, path, headers and body, for tests that look for leaked keys.
    var log: [FakeRequest] { get }
}

/// One request as a fake saw it.
public struct FakeRequest: Sendable {
    public let method: String
    public let path: String
    public let headers: [String: String]
    public let body: [UInt8]
    public init(method: String, path: String, headers: [String: String], body: [UInt8]) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    init(_ r: FlyingFox.HTTPRequest, body: [UInt8]) {
        var h: [String: String] = [:]
        for (k, v) in r.headers { h[k.rawValue.lowercased()] = v }
        self.init(method: r.method.rawValue, path: r.path, headers: h, body: body)
    }
}

/// Prompt markers every fake honours, so one contract suite drives them all.
public enum Scenario: String, CaseIterable, Sendable {
    /// Completes after a few polls (the first status is queued or running, then completed).
    case normal
    /// `[[queued]]`: stays queued (position 1 or more) until canceled.
    case queued = "[[queued]]"
    /// `[[running]]`: stays running (about half done) until canceled.
    case running = "[[running]]"
    /// `[[invalid]]`: refused with the service's own validation error shape.
    case invalid = "[[invalid]]"
    /// `[[500]]`: the service's own 500 body.
    case serverError = "[[500]]"
    /// `[[fail]]`: accepted, runs, then the service reports the generation failed.
    case fail = "[[fail]]"
    /// `[[stall]]`: the generation request is answered only after 30 s (client timeouts fire first).
    case stall = "[[stall]]"

    public static func of(_ prompt: String) -> Scenario {
        allCases.first { $0 != .normal && prompt.contains($0.rawValue) } ?? .normal
    }
}

/// Helpers shared by the fakes.
public enum Fake {
    /// Starts a FlyingFox server on 127.0.0.1 with an ephemeral port; returns it and its port.
    public static func listen(_ configure: @Sendable (HTTPServer) async -> Void) async throws -> (HTTPServer, Task<Void, Error>, UInt16) {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 60, logger: .disabled)
        await configure(server)
        let task = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 30)
        guard case .ip4(_, let port) = await server.listeningAddress else { throw POSIXError(.EADDRNOTAVAIL) }
        return (server, task, port)
    }

    /// Sleeps `duration`; false when the task was cancelled (a stopped server cancels its handlers).
    /// Loops that wait on a flag must end on false: `try? await Task.sleep` in a loop returns at once
    /// once cancelled, and such a loop spins a cooperative thread at 100 % for the rest of the run.
    public static func pause(_ duration: Duration) async -> Bool {
        do { try await Task.sleep(for: duration); return true } catch { return false }
    }

    /// A JSON response from any `Encodable` or a `[String: Any]` dictionary / array.
    public static func json(_ status: HTTPStatusCode, _ object: Any, headers: [String: String] = [:]) -> FlyingFox.HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var h: HTTPHeaders = [.contentType: "application/json"]
        for (k, v) in headers { h[HTTPHeader(k)] = v }
        return FlyingFox.HTTPResponse(statusCode: status, headers: h, body: data)
    }

    /// A status code FlyingFox may not name (e.g. 422, 429).
    public static func status(_ code: Int, _ phrase: String = "") -> HTTPStatusCode { HTTPStatusCode(code, phrase: phrase) }

    /// The JSON object in a request body, or nil.
    public static func object(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// A small real PNG of `width`×`height` (a gradient keyed by `seed`), capped at `maxSide` per side
    /// (default 1024).
    public static func png(width: Int, height: Int, seed: UInt32 = 0, maxSide: Int = 1024) -> [UInt8] {
        let w = max(1, min(width, maxSide)), h = max(1, min(height, maxSide))
        var px = [UInt8](repeating: 255, count: w * h * 4)
        for y in 0..<h {
            for x in 0..<w {
                let i = (y * w + x) * 4
                px[i] = UInt8((x * 255) / max(1, w - 1))
                px[i + 1] = UInt8((y * 255) / max(1, h - 1))
                px[i + 2] = UInt8(truncatingIfNeeded: seed)
            }
        }
        return (try? ImageCodec.encodePNG(RGBAImage(width: w, height: h, pixels: px))) ?? []
    }
}

/// Runs `body`, then `stop`, whether `body` returned or threw: a server started for one test is stopped
/// (its port closed, its tasks ended) before the test ends, instead of by a `Task` left running into the
/// next test.
/// - Returns: what `body` returned. - Throws: what `body` threw, after `stop` ran.
public func withTeardown<R>(_ stop: () async -> Void, _ body: () async throws -> R) async throws -> R {
    let result: R
    do { result = try await body() } catch {
        await stop()
        throw error
    }
    await stop()
    return result
}

/// Starts `fake`, runs `body` with it, and stops it when `body` returns or throws.
/// - Returns: what `body` returned. - Throws: what `start` or `body` threw.
public func withStarted<F: FakeService, R>(_ fake: F, _ body: (F) async throws -> R) async throws -> R {
    try await fake.start()
    return try await withTeardown({ await fake.stop() }) { try await body(fake) }
}
