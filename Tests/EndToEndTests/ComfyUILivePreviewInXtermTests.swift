import EaselTerminal
import EaselUI
import FakeServices
import Foundation
import Testing

@Suite("ComfyUI's live preview as a sixel in a real xterm", .serialized)
struct ComfyUILivePreviewInXtermTests {
    /// The binary preview frames ComfyUI pushes over its WebSocket are drawn as sixel pictures in the preview
    /// pane while the job runs (a screenshot taken before any image was saved shows a picture there).
    @Test func aLivePreviewFrameIsDrawnAsASixelWhileTheJobRuns() async throws {
        let x = try #require(await XSession(), "Xvfb, xterm, xdotool or ImageMagick missing (make test installs them)")
        let fake = FakeComfyUI()
        try await fake.start()
        await fake.setStepTime(.milliseconds(400))
        try await withTeardown({ await fake.stop() }) {
            let dir = Harness.tempDir("xterm-comfy-live")
            let gallery = dir + "/g"
            try """
            [backends.gpu]
            kind = "comfyui"
            url = "\(await fake.baseURL)"
            poll_interval = 30
            """.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
            try x.startXterm("\(Harness.binary) --config \(dir)/config.toml --backend gpu --gallery \(gallery) --steps 30 2> \(dir)/stderr.txt; sleep 60")
            #expect(await x.waitForStudio(dir))
            await Harness.pause(0.3)
            x.xdotool("mousemove", "300", "200")
            x.xdotool("type", "--delay", "15", "a castle on a hill")
            x.xdotool("key", "Return")
            let inner = Layout(size: CellSize(columns: 120, rows: 36)).preview.inset(by: 1)
            let picture = Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - 1)
            // 30 steps of 0.4 s: looks for a picture while nothing is saved yet (a live frame, not the result).
            var live = false, shots = 0
            _ = await Harness.waitUntil(.seconds(40)) {
                guard Harness.pngs(in: gallery).isEmpty, let shot = try? Shot(dir + "/live.png", taking: x) else { return true }
                shots += 1
                live = shot.colours(picture).distinct >= 12 && Harness.pngs(in: gallery).isEmpty
                return live
            }
            #expect(live, "no live preview picture before the image was saved (\(shots) screenshots)")
            #expect(await fake.previewsSent > 0)
            #expect(await Harness.waitUntil(.seconds(40)) { Harness.pngs(in: gallery).count == 1 }, "the job did not finish")
            x.xdotool("key", "ctrl+c")
        }
    }
}
