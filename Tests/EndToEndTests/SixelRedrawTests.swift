import EaselImaging
import EaselTerminal
import EaselUI
import Foundation
import Testing

/// Screen regions measured on an xterm screenshot: 6×13 cells behind a 2-pixel border.
struct Shot {
    let image: RGBAImage

    init(_ path: String) throws {
        image = try ImageCodec.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// Distinct colours (4 bits per channel) and the share of lit pixels in `rect` (cells).
    func colours(_ rect: Rect) -> (distinct: Int, lit: Double) {
        let x0 = 2 + rect.x * 6, y0 = 2 + rect.y * 13
        let w = min(rect.width * 6, image.width - x0), h = min(rect.height * 13, image.height - y0)
        guard w > 0, h > 0 else { return (0, 0) }
        var seen = Set<Int>(), lit = 0
        for y in y0..<(y0 + h) { for x in x0..<(x0 + w) {
            let i = (y * image.width + x) * 4
            let (r, g, b) = (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
            seen.insert((r >> 4) << 8 | (g >> 4) << 4 | (b >> 4))
            if r + g + b > 60 { lit += 1 }
        } }
        return (seen.count, Double(lit) / Double(w * h))
    }
}

@Suite("Sixel redraws in a real xterm", .serialized)
struct SixelRedrawTests {
    /// The preview's picture rect for a terminal size.
    func picture(_ size: CellSize) -> Rect {
        let inner = Layout(size: size).preview.inset(by: 1)
        return Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - 1)
    }

    @Test func aShorterImageAndAResizeLeaveNoOldPixelsAndNothingScrolls() async throws {
        let x = try #require(await XSession(), "Xvfb, xterm, xdotool or ImageMagick missing (make test installs them)")
        let dir = Harness.tempDir("xterm-redraw")
        let gallery = dir + "/gallery"
        try x.startXterm("\(Harness.binary) --gallery \(gallery) --latency 0.5 --poll-interval 0.2 2> \(dir)/stderr.txt; sleep 30")
        #expect(await x.waitForStudio(dir))
        await Harness.pause(0.3)
        x.xdotool("mousemove", "300", "200")
        x.xdotool("type", "--delay", "15", "a red sun over the sea at dusk")
        x.xdotool("key", "Return")
        #expect(await Harness.waitUntil(.seconds(30)) { Harness.pngs(in: gallery).count == 1 })
        let size = CellSize(columns: 120, rows: 36)
        let square = picture(size)
        let first = try #require(await x.shot(dir + "/1.png") { $0.colours(square).distinct >= 30 })
        #expect(first.colours(square).distinct >= 30, "no square image: \(first.colours(square))")

        // A wide 1024×576 image (Alt-s three times) is shorter: its rows above and below must be clear.
        x.xdotool("key", "alt+s", "alt+s", "alt+s", "Return")
        #expect(await Harness.waitUntil(.seconds(30)) { Harness.pngs(in: gallery).count == 2 })
        // Fitted 1024×576 in the picture box (cells of 6×13 px): compute the rows it covers.
        let fitted = fittedSize(width: 1024, height: 576, in: PixelSize(width: square.width * 6, height: square.height * 13))
        let rows = (fitted.height + 12) / 13
        let top = square.y + (square.height - rows) / 2
        let above = Rect(x: square.x, y: square.y, width: square.width, height: top - square.y - 1)
        let below = Rect(x: square.x, y: top + rows + 1, width: square.width, height: square.maxY - (top + rows + 1))
        // Looks until the wide picture is drawn and the square's rows around it are gone (or 20 s pass).
        let second = try #require(await x.shot(dir + "/2.png") {
            $0.colours(Rect(x: square.x, y: top, width: square.width, height: rows)).distinct >= 30
                && $0.colours(above).lit < 0.02 && $0.colours(below).lit < 0.02
        })
        #expect(second.colours(Rect(x: square.x, y: top, width: square.width, height: rows)).distinct >= 30)
        #expect(second.colours(above).lit < 0.02, "old pixels above the wide image: \(second.colours(above))")
        #expect(second.colours(below).lit < 0.02, "old pixels below the wide image: \(second.colours(below))")

        // Shrink the window to 100×30: the image is re-emitted inside the new pane only.
        x.xdotool("search", "--class", "xterm", "windowsize", "%@", "\(100 * 6 + 4)", "\(30 * 13 + 4)")
        let small = CellSize(columns: 100, rows: 30)
        let newPicture = picture(small)
        // xterm keeps the old picture through the resize: look until Easel has redrawn (its status bar is back).
        let statusBar = Rect(x: 0, y: 29, width: 40, height: 1)
        let third = try #require(await x.shot(dir + "/3.png") { $0.colours(newPicture).distinct >= 30 && $0.colours(statusBar).lit > 0.05 })
        #expect(third.colours(newPicture).distinct >= 30, "no image after resize: \(third.colours(newPicture))")
        let layout = Layout(size: small)
        let leftColumn = Rect(x: 1, y: layout.history.y + 2, width: layout.history.width - 2, height: layout.history.height - 3)
        #expect(third.colours(leftColumn).lit < 0.05, "image pixels left of the preview pane: \(third.colours(leftColumn))")
        // Nothing scrolled: the prompt box's top border is still on the first row, the status bar on the last.
        #expect(third.colours(Rect(x: 1, y: 0, width: 30, height: 1)).lit > 0.02, "top row lost: the screen scrolled")
        #expect(third.colours(statusBar).lit > 0.05, "status bar missing")
        x.xdotool("key", "ctrl+c")
    }
}

extension Shot {
    init(_ path: String, taking session: XSession) throws {
        guard session.screenshot(to: path) else { throw CocoaError(.fileWriteUnknown) }
        try self.init(path)
        try? FileManager.default.removeItem(atPath: "/tmp/easel-redraw-\(path.split(separator: "/").last!)")
        try? FileManager.default.copyItem(atPath: path, toPath: "/tmp/easel-redraw-\(path.split(separator: "/").last!)")
    }
}

extension XSession {
    /// Screenshots to `path` until `ready` holds or `timeout` passes, and returns the last screenshot
    /// (nil only if none could be taken). The machine's load decides how long a decode, sixel encode and
    /// draw take, so a test looks until the picture is there instead of pausing a fixed time.
    func shot(_ path: String, within timeout: Duration = .seconds(20), until ready: (Shot) -> Bool) async -> Shot? {
        var last: Shot?
        _ = await Harness.waitUntil(timeout) {
            guard let s = try? Shot(path, taking: self) else { return false }
            last = s
            return ready(s)
        }
        return last
    }
}
