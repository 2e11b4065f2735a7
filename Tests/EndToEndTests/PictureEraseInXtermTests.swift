import EaselImaging
import EaselTerminal
import EaselUI
import Foundation
import Testing

extension Shot {
    /// The mean colour of `rect` (cells), 0–255 per channel.
    func mean(_ rect: Rect) -> (r: Int, g: Int, b: Int) {
        let x0 = 2 + rect.x * 6, y0 = 2 + rect.y * 13
        let w = min(rect.width * 6, image.width - x0), h = min(rect.height * 13, image.height - y0)
        guard w > 0, h > 0 else { return (0, 0, 0) }
        var sum = (0, 0, 0)
        for y in y0..<(y0 + h) { for x in x0..<(x0 + w) {
            let i = (y * image.width + x) * 4
            sum.0 += Int(image.pixels[i]); sum.1 += Int(image.pixels[i + 1]); sum.2 += Int(image.pixels[i + 2])
        } }
        let n = w * h
        return (sum.0 / n, sum.1 / n, sum.2 / n)
    }
}

/// Issue 16, items 6 and 11 in a real xterm (vt340, sixel) under Xvfb.
@Suite("Pictures and themes in a real xterm", .serialized)
struct PictureEraseInXtermTests {
    let size = CellSize(columns: 120, rows: 36)

    /// Leaving the History pane erases its thumbnail, and only it: the preview picture beside it, on the
    /// same rows, keeps every pixel (it lost a black band there until C-l).
    @Test func leavingHistoryLeavesThePreviewPictureWhole() async throws {
        let x = try #require(await XSession(), "Xvfb, xterm, xdotool or ImageMagick missing (make test installs them)")
        let dir = Harness.tempDir("xterm-erase")
        let gallery = dir + "/gallery"
        try x.startXterm("\(Harness.binary) --gallery \(gallery) --latency 0.3 --poll-interval 0.2 2> \(dir)/stderr.txt; sleep 30")
        #expect(await x.waitForStudio(dir))
        await Harness.pause(0.3)
        x.xdotool("mousemove", "300", "200")
        x.xdotool("type", "--delay", "15", "a red sun over the sea at dusk")
        x.xdotool("key", "Return")
        #expect(await Harness.waitUntil(.seconds(30)) { Harness.pngs(in: gallery).count == 1 })
        let inner = Layout(size: size).preview.inset(by: 1)
        let picture = Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - 1)
        let history = Layout(size: size).history.inset(by: 1)
        // The preview rows History's thumbnail shares (the thumbnail sits at the top of History's inside).
        let band = Rect(x: picture.x, y: history.y, width: picture.width, height: 8)
        var before: Shot?
        #expect(await Harness.waitUntil(.seconds(15)) {
            before = try? Shot(dir + "/before.png", taking: x)
            return (before?.colours(picture).distinct ?? 0) >= 30
        }, "no picture in the preview")
        let shown = try #require(before).colours(band)

        x.xdotool("key", "Tab", "Tab")                                 // History, with the selected job's thumbnail
        let thumbnail = Rect(x: history.maxX - 20, y: history.y, width: 20, height: 8)
        #expect(await Harness.waitUntil(.seconds(15)) {
            ((try? Shot(dir + "/history.png", taking: x))?.colours(thumbnail).distinct ?? 0) >= 20
        }, "no thumbnail in History")
        x.xdotool("key", "Tab")                                        // back to the prompt: the thumbnail goes
        var after: Shot?
        #expect(await Harness.waitUntil(.seconds(10)) {
            after = try? Shot(dir + "/after.png", taking: x)
            return (after?.colours(thumbnail).lit ?? 1) < 0.05
        }, "the thumbnail stayed")
        let left = try #require(after).colours(band)
        #expect(left.distinct >= shown.distinct * 3 / 4, "preview band lost colours: \(shown) → \(left)")
        #expect(abs(left.lit - shown.lit) < 0.05, "a band was cut out of the preview picture: \(shown) → \(left)")
        x.xdotool("key", "ctrl+c")
    }

    /// On a white xterm the probe's OSC 11 reply picks the light theme: a light background (the dark default
    /// theme would paint #16191f) with the theme's coloured accents (the mono theme, on NO_COLOR, draws only
    /// black on white). In 256 colours the theme's #fbfaf6 is drawn as the palette's nearest, white.
    @Test func aWhiteXtermGetsTheLightTheme() async throws {
        let x = try #require(await XSession(), "Xvfb, xterm, xdotool or ImageMagick missing (make test installs them)")
        let dir = Harness.tempDir("xterm-light")
        try x.startXterm("TERM=xterm-256color \(Harness.binary) --gallery \(dir)/gallery 2> \(dir)/stderr.txt; sleep 30", background: "white")
        let empty = Rect(x: 2, y: Layout(size: size).history.y + 4, width: 30, height: 4)   // inside History, no rows yet
        let prompt = Layout(size: size).prompt
        var shot: Shot?
        #expect(await Harness.waitUntil(.seconds(30)) {
            shot = try? Shot(dir + "/light.png", taking: x)
            guard let s = shot else { return false }
            let m = s.mean(empty)
            return m.r > 240 && m.g > 240 && m.b > 240 && s.colours(prompt).distinct >= 3
        }, "no light theme: background \(shot.map { $0.mean(empty) } ?? (0, 0, 0)), prompt colours \(shot.map { $0.colours(prompt).distinct } ?? 0)")
        x.xdotool("key", "ctrl+c")
    }
}
