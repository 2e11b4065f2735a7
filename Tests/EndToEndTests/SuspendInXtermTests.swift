import EaselTerminal
import EaselUI
import Foundation
import Testing

@Suite("Ctrl-Z and fg in a real xterm", .serialized)
struct SuspendInXtermTests {
    @Test func afterCtrlZAndFgTheSixelPictureIsDrawnAgain() async throws {
        let x = try #require(await XSession(), "Xvfb, xterm, xdotool or ImageMagick missing (make test installs them)")
        let dir = Harness.tempDir("xterm-suspend")
        let gallery = dir + "/gallery"
        // A job-control shell, so that C-z has somewhere to go back to; `. run.sh` keeps Easel its direct child.
        try "\(Harness.binary) --gallery \(gallery) --latency 0.5 --poll-interval 0.2 2> \(dir)/stderr.txt\n"
            .write(toFile: dir + "/run.sh", atomically: true, encoding: .utf8)
        try x.startXterm("PS1='$ ' exec bash --norc --noprofile -i")
        await Harness.pause(1)
        x.xdotool("mousemove", "300", "200")
        x.xdotool("type", "--delay", "10", ". \(dir)/run.sh")
        x.xdotool("key", "Return")
        #expect(await x.waitForStudio(dir))
        await Harness.pause(0.3)
        x.xdotool("type", "--delay", "15", "a red sun over the sea at dusk")
        x.xdotool("key", "Return")
        #expect(await Harness.waitUntil(.seconds(30)) { Harness.pngs(in: gallery).count == 1 }, "no image was saved")
        let inner = Layout(size: CellSize(columns: 120, rows: 36)).preview.inset(by: 1)
        let picture = Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - 1)
        let before = try #require(await x.shot(dir + "/before.png") { $0.colours(picture).distinct >= 30 })
        #expect(before.colours(picture).distinct >= 30, "no picture before C-z: \(before.colours(picture))")

        x.xdotool("key", "--clearmodifiers", "ctrl+z")
        await Harness.pause(1.5)
        let suspended = try Shot(dir + "/suspended.png", taking: x)
        #expect(suspended.colours(picture).distinct <= 8, "the picture stayed on the shell's screen: \(suspended.colours(picture))")

        // xdotool can leave Ctrl logically down after ctrl+z (then "fg" arrives as C-f C-g): release it,
        // and type again if the shell did not get it (the screenshot shows the prompt still waiting).
        x.xdotool("keyup", "ctrl")
        var shots = 0, pictureBack = false
        for _ in 0..<2 where !pictureBack {
            x.xdotool("type", "--clearmodifiers", "--delay", "20", "fg")
            x.xdotool("key", "--clearmodifiers", "Return")
            // The machine's load decides how long the decode, encode and draw take: look until it is there.
            pictureBack = await Harness.waitUntil(.seconds(10)) {
                shots += 1
                return (try? Shot(dir + "/back.png", taking: x))?.colours(picture).distinct ?? 0 >= 30
            }
        }
        #expect(pictureBack, "no picture after fg (\(shots) screenshots)")
        let back = try Shot(dir + "/back.png", taking: x)
        #expect(back.colours(Rect(x: 1, y: 0, width: 30, height: 1)).lit > 0.02, "the studio's frame is not back")
        x.xdotool("key", "ctrl+c")
    }
}
