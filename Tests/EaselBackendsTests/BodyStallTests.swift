import EaselHTTP
import Foundation
import Testing

/// The one body-stall rule (`HTTPClient.Configuration.stallTimeout`): after the headers, no byte for
/// N s fails the transfer, N s after the last byte wherever the stall falls; a body with shorter gaps
/// completes however long it takes (up to `totalTimeout`). N is short here (1 s); the server is raw
/// TCP on loopback playing a script.
@Suite("HTTP client: a stalled body fails after N s without a byte, never sooner")
struct BodyStallTests {
    static func client(stall: Duration, total: Duration = .seconds(30)) -> HTTPClient {
        var c = HTTPClient.Configuration()
        c.stallTimeout = stall
        c.totalTimeout = total
        c.firstByteTimeout = .seconds(10)
        return HTTPClient(configuration: c)
    }

    /// Sends one GET and returns how it ended and how long after the server's last byte.
    static func fetch(_ server: ScriptedBodyServer, stall: Duration) async -> (Result<HTTPResponse, HTTPError>, Duration?) {
        let result: Result<HTTPResponse, HTTPError>
        do { result = .success(try await client(stall: stall).send(HTTPRequest(.get, server.url))) } catch { result = .failure(error) }
        let ended = ContinuousClock.now
        return (result, server.lastByteAt.map { ended - $0 })
    }

    /// The same endless stall, after bodies that stop at different points of a second: each fails with
    /// the same message, never sooner than N s after the last byte. (On an idle machine it fails within
    /// the callback's 1 s granularity after that; the upper bound here only catches "never fires", since
    /// a whole test suite on 2 cores can delay a thread by seconds.)
    @Test(arguments: [0, 1, 2, 3])
    func aStallFailsNSecondsAfterTheLastByteWhereverItFalls(trickles: Int) async throws {
        var script: [ScriptedBodyServer.Part] = [.bytes(100)]
        for _ in 0..<trickles { script += [.pause(.milliseconds(350)), .bytes(1)] }
        let server = try ScriptedBodyServer.start(script, missing: 1000)
        defer { server.stop() }
        let (result, gap) = await Self.fetch(server, stall: .seconds(1))
        #expect(throws: HTTPError.timedOut("the body stalled: no byte for 1 s")) { try result.get() }
        let waited = try #require(gap)
        // The server stamps the last byte when its write returns, the client times from when it reads it: a few ms
        // of scheduling on a loaded machine (0.996 s seen in a clean-clone run) is not giving up early.
        #expect(waited >= .milliseconds(980), "gave up \(waited) after the last byte: before the stall bound")
        #expect(waited < .seconds(10), "gave up \(waited) after the last byte")
    }

    /// A body that trickles for 3× the bound, with gaps well under it (one byte each 250 ms), completes whole.
    @Test func aSlowButSteadyBodyCompletes() async throws {
        var script: [ScriptedBodyServer.Part] = [.bytes(10)]
        for _ in 0..<24 { script += [.pause(.milliseconds(250)), .bytes(1)] }
        let server = try ScriptedBodyServer.start(script)
        defer { server.stop() }
        let (result, _) = await Self.fetch(server, stall: .seconds(2))
        let response = try result.get()
        #expect(response.status == 200)
        #expect(response.body.count == 34)
    }

    /// A pause shorter than the bound in the middle of the body is not a stall.
    @Test func aShortPauseMidBodyIsNotAStall() async throws {
        let server = try ScriptedBodyServer.start([.bytes(5000), .pause(.milliseconds(300)), .bytes(5000)])
        defer { server.stop() }
        let (result, _) = await Self.fetch(server, stall: .milliseconds(1500))
        #expect(try result.get().body.count == 10_000)
    }

    /// The total cap is separate: a steady trickle that never stalls still ends at `totalTimeout`.
    @Test func theTotalCapStillEndsABodyThatNeverStalls() async throws {
        var script: [ScriptedBodyServer.Part] = []
        for _ in 0..<40 { script += [.bytes(1), .pause(.milliseconds(100))] }
        let server = try ScriptedBodyServer.start(script)
        defer { server.stop() }
        var c = HTTPClient.Configuration()
        c.stallTimeout = .seconds(1)
        c.totalTimeout = .milliseconds(1500)
        let start = ContinuousClock.now
        let error = await #expect(throws: HTTPError.self) {
            _ = try await HTTPClient(configuration: c).send(HTTPRequest(.get, server.url))
        }
        guard case .timedOut(let why)? = error else { Issue.record("not a timeout: \(String(describing: error))"); return }
        #expect(!why.contains("stalled"))
        #expect(ContinuousClock.now - start >= .milliseconds(1500))
    }
}
