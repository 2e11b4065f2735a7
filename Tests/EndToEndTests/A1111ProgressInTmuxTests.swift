import FakeServices
import Foundation
import Testing

@Suite("A1111's live progress in the studio", .serialized)
struct A1111ProgressInTmuxTests {
    /// The web UI's `/sdapi/v1/progress` percentage moves on screen while `txt2img` is held open,
    /// and the job ends saved.
    @Test func theProgressPercentageMovesWhileTheWebUIGenerates() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        try await withStarted(FakeA1111(generationTime: .seconds(6))) { fake in
            let dir = Harness.tempDir("a1111-tui")
            let config = dir + "/config.toml"
            try """
            [backends.forge]
            kind = "a1111"
            url = "\(await fake.baseURL)"
            poll_interval = 0.3
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let tmux = Tmux()
            defer { tmux.kill() }
            #expect(tmux.start("env TERM=tmux-256color NO_COLOR= \(Harness.binary) --config \(config) --backend forge --gallery \(dir)/g --graphics blocks --probe-timeout 0.2 --steps 20; sleep 30"))
            #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("forge — a1111 at") }, "\(tmux.capture())")
            tmux.literal("a castle on a hill")
            tmux.keys("Enter")
            var seen: [Int] = []
            var sawLivePreview = false
            let end = ContinuousClock.now + .seconds(60)      // loose: a loaded machine
            while ContinuousClock.now < end {
                let screen = tmux.capture()
                if let r = screen.range(of: #"processing (\d+)%"#, options: .regularExpression) {
                    let n = Int(screen[r].dropFirst("processing ".count).dropLast()) ?? -1
                    if seen.last != n { seen.append(n) }
                }
                // The web UI's current_image replaces the placeholder: blocks under a "live preview" caption.
                sawLivePreview = sawLivePreview || (screen.contains("live preview") && Harness.showsBlockPicture(screen))
                if screen.contains("Saved ") { break }
                await Harness.pause(0.15)
            }
            #expect(Set(seen).count >= 3, "percentages seen: \(seen)\n\(tmux.capture())")
            #expect(seen == seen.sorted(), "progress went backwards: \(seen)")
            #expect(sawLivePreview, "no live preview shown")
            #expect(tmux.capture().contains("Saved "), "\(tmux.capture())")
            tmux.keys("C-c")
        }
    }

    /// `concurrency = 3` in the config, but A1111 runs one txt2img at a time: Easel sends one job, the
    /// other two show as pending in the queue pane (cancelable there), and the web UI never gets two.
    @Test func withConcurrencyThreeTheWebUIGetsOneJobAtATimeAndTheQueuePaneShowsTheRest() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        try await withStarted(FakeA1111(generationTime: .seconds(2))) { fake in
            let dir = Harness.tempDir("a1111-slots")
            let config = dir + "/config.toml"
            try """
            [queue]
            mode = "queue"
            concurrency = 3
            [backends.forge]
            kind = "a1111"
            url = "\(await fake.baseURL)"
            poll_interval = 0.2
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let tmux = Tmux()
            defer { tmux.kill() }
            #expect(tmux.start("env TERM=tmux-256color \(Harness.binary) --config \(config) --backend forge --gallery \(dir)/g --graphics none --probe-timeout 0.2 --steps 20; sleep 30"))
            #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("forge — a1111 at") }, "\(tmux.capture())")
            tmux.literal("a castle on a hill")
            tmux.keys("M-=")
            tmux.keys("M-=")
            #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("count: 3") }, "\(tmux.capture())")
            tmux.keys("Enter")
            // One job reaches the web UI while the other two wait in Easel's queue pane: seen together, after
            // the first submit has arrived (the pane shows the two pending before the fake records the first).
            var sent = 0
            #expect(await Harness.waitUntil(.seconds(10)) {
                let screen = tmux.capture()
                sent = await fake.received.count
                return sent == 1 && screen.contains("Queue (3)") && screen.components(separatedBy: "· pending").count - 1 == 2
            }, "the web UI got \(sent) jobs; \(tmux.capture())")
            #expect(await Harness.waitUntil(.seconds(30)) { tmux.capture().contains("No jobs running") }, "\(tmux.capture())")
            #expect(await fake.received.count == 3)
            #expect(await fake.sampled.count == 3)
            tmux.keys("C-c")
        }
    }
}
