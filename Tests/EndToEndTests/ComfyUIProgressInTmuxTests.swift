import FakeServices
import Foundation
import Testing

@Suite("ComfyUI's live progress and previews in the studio", .serialized)
struct ComfyUIProgressInTmuxTests {
    /// Step progress pushed over ComfyUI's WebSocket moves on screen with the running node and its steps
    /// ("KSampler 7/20"), its binary preview frames replace the placeholder, and the job ends saved, with no
    /// `/history` poll while it ran.
    @Test func stepProgressRisesAndALivePreviewReplacesThePlaceholder() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let fake = FakeComfyUI()
        try await fake.start()
        await fake.setStepTime(.milliseconds(300))
        try await withTeardown({ await fake.stop() }) {
            let dir = Harness.tempDir("comfy-tui")
            let config = dir + "/config.toml"
            // A poll interval far longer than the run: whatever moves on screen came over the socket.
            try """
            [backends.gpu]
            kind = "comfyui"
            url = "\(await fake.baseURL)"
            poll_interval = 30
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let tmux = Tmux()
            defer { tmux.kill() }
            #expect(tmux.start("env TERM=tmux-256color NO_COLOR= \(Harness.binary) --config \(config) --backend gpu --gallery \(dir)/g --graphics blocks --probe-timeout 0.2 --steps 20; sleep 30"))
            #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("comfyui") }, "\(tmux.capture())")
            tmux.literal("a castle on a hill")
            tmux.keys("Enter")
            var seen: [Int] = []
            var sawLivePreview = false
            var nodeSteps: [Int] = []
            let end = ContinuousClock.now + .seconds(60)      // loose: a loaded machine
            while ContinuousClock.now < end {
                let screen = tmux.capture()
                if let r = screen.range(of: #"processing (\d+)%"#, options: .regularExpression) {
                    let n = Int(screen[r].dropFirst("processing ".count).dropLast()) ?? -1
                    if seen.last != n { seen.append(n) }
                }
                sawLivePreview = sawLivePreview || (screen.contains("live preview") && screen.contains("▀"))
                if let r = screen.range(of: #"KSampler \d+/20"#, options: .regularExpression),
                   let n = Int(screen[r].dropFirst("KSampler ".count).prefix { $0.isNumber }), nodeSteps.last != n {
                    nodeSteps.append(n)
                }
                if screen.contains("Saved ") { break }
                await Harness.pause(0.15)
            }
            #expect(Set(seen).count >= 3, "percentages seen: \(seen)\n\(tmux.capture())")
            #expect(seen == seen.sorted(), "progress went backwards: \(seen)")
            #expect(sawLivePreview, "no live preview shown")
            #expect(Set(nodeSteps).count >= 3 && nodeSteps == nodeSteps.sorted(), "KSampler steps seen: \(nodeSteps)")
            #expect(tmux.capture().contains("Saved "), "\(tmux.capture())")
            // The check when the socket opened and the read at completion; no poll while the steps came in.
            #expect(await fake.log.filter { $0.path.contains("/history") }.count <= 2)
            #expect(await fake.previewsSent == 20)
            tmux.keys("C-c")
        }
    }
}
