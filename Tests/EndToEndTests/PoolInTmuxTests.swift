import Foundation
import Testing

/// The studio on a pool whose first member cannot be reached: the job it never accepted runs on the
/// other member, the queue and history panes name that member, and the status bar says the first is down.
@Suite("A backend pool through the real binary: the studio and easel backends", .serialized)
struct PoolInTmuxTests {
    @Test func aJobRefusedByADownMemberRunsOnTheOtherAndTheScreenSaysWhere() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let dir = Harness.tempDir("pool")
        let gallery = dir + "/gallery"
        let server = try await ServeInTmux("--latency 1 --rate-limit 100/60s", in: dir)
        defer { server.stop() }
        // "dead" listens nowhere (port 9 on loopback: connection refused), and is listed first with priority.
        let config = dir + "/config.toml"
        try """
        default_backend = "gpus"
        [queue]
        mode = "queue"
        [backends.dead]
        kind = "jobapi"
        url = "http://127.0.0.1:9"
        [backends.live]
        kind = "jobapi"
        url = "\(server.url)"
        [backends.gpus]
        kind = "pool"
        members = ["dead", "live"]
        strategy = "priority"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        var studio = Tmux()
        studio.stateHome = dir + "/state"
        defer { studio.kill() }
        #expect(studio.start("\(Harness.binary) --config \(config) --gallery \(gallery) --poll-interval 0.2 --probe-timeout 0.2"))
        #expect(await Harness.waitUntil(.seconds(20)) { studio.capture().contains("pool of dead, live (priority)") }, "\(studio.capture())")
        studio.literal("a lighthouse at dusk")
        studio.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(20)) { studio.capture().contains("dead down") }, "\(studio.capture())")
        #expect(await Harness.waitUntil(.seconds(30)) { studio.capture().contains("· live") }, "history names the member: \(studio.capture())")
        #expect(Harness.pngs(in: gallery).count == 1)
    }

    @Test func easelBackendsShowsEachPoolMembersHealth() throws {
        let dir = Harness.tempDir("pool-backends")
        let config = dir + "/config.toml"
        try """
        [backends.dead]
        kind = "jobapi"
        url = "http://127.0.0.1:9"
        [backends.gpus]
        kind = "pool"
        members = ["dead", "demo"]
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = Harness.run([Harness.binary, "backends", "--config", config, "--timeout", "2"])
        #expect(r.status == 1, "a member does not answer: \(r.out)")
        #expect(r.out.contains("✓ gpus  pool, least-busy: 1 of 2 members up"), "\(r.out)")
        #expect(r.out.contains("down dead — network error: ") && r.out.contains("(curl 7)"), "\(r.out)")
        #expect(r.out.contains("up   demo"), "\(r.out)")
    }
}
