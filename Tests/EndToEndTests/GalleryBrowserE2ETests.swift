import EaselImaging
import EaselTerminal
import EaselUI
import Foundation
import Testing

/// A gallery folder with `count` PNGs of distinct colours, the newest (`img-00.png`) carrying A1111
/// parameters; modification times one minute apart, so the browser's order is known.
func makeGallery(_ count: Int) throws -> String {
    let dir = Harness.tempDir("gallery-browser")
    try FileManager.default.createDirectory(atPath: dir + "/2026-01-01", withIntermediateDirectories: true)
    for n in 0..<count {
        var pixels: [UInt8] = []
        for y in 0..<96 { for x in 0..<96 {
            pixels += [UInt8((x * 2 + n * 37) % 256), UInt8((y * 2 + n * 11) % 256), UInt8((n * 53) % 256), 255]
        } }
        let text = n == 0 ? [PNGText(key: "parameters", text: "a lighthouse at dusk\nNegative prompt: fog\nSteps: 12, Seed: 4242, Size: 512x640",
                                     international: false)] : []
        let png = try ImageCodec.encodePNG(RGBAImage(width: 96, height: 96, pixels: pixels), text: text)
        let path = dir + "/2026-01-01/" + String(format: "img-%02d.png", n)
        _ = FileManager.default.createFile(atPath: path, contents: Data(png))
        var times = [timespec(tv_sec: 1_800_000_000 - n * 60, tv_nsec: 0), timespec(tv_sec: 1_800_000_000 - n * 60, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
    }
    return dir
}

@Suite("The gallery browser in the real binary", .serialized)
struct GalleryBrowserE2ETests {
    @Test func fiftyImagesBrowseStarDeleteAndReRunInTmux() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let gallery = try makeGallery(50)
        let cache = Harness.tempDir("thumbs-cache")
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("env TERM=tmux-256color NO_COLOR= XDG_CACHE_HOME=\(cache) \(Harness.binary) --gallery \(gallery) --probe-timeout 0.3 2> \(gallery)/stderr.txt; echo EXITED $?; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") }, "\(tmux.capture())")

        tmux.keys("F4")
        #expect(await Harness.waitUntil(.seconds(10)) { tmux.capture().contains("1 of 50") }, "\(tmux.capture())")
        // 120×36: 5 tiles across, 3 down; thumbnails drawn as blocks (tmux 3.3a has no sixel).
        #expect(await Harness.waitUntil(.seconds(30)) {
            tmux.capture().split(separator: "\n").filter { Harness.showsBlockPicture(String($0)) }.count >= 15
        }, "\(tmux.capture())")
        let screen = tmux.capture()
        #expect(screen.contains("img-00.png") && screen.contains("img-14.png") && !screen.contains("img-15.png"), "\(screen)")
        // The cache is written off the loop's thread, so a file may land just after its tile is drawn.
        var thumbs: [String] = []
        #expect(await Harness.waitUntil(.seconds(10)) {
            thumbs = (try? FileManager.default.contentsOfDirectory(atPath: cache + "/easel/thumbs"))?.filter { $0.hasSuffix(".png") } ?? []
            return thumbs.count >= 15
        }, "thumbnails cached: \(thumbs.count)")
        #expect(thumbs.count < 50, "thumbnails only for visible tiles: \(thumbs.count)")

        tmux.keys("End")
        #expect(await Harness.waitUntil(.seconds(10)) { tmux.capture().contains("50 of 50") && tmux.capture().contains("img-49.png") },
                "\(tmux.capture())")
        tmux.keys("Home")
        tmux.keys("l")
        tmux.keys("Down")
        #expect(await Harness.waitUntil(.seconds(10)) { tmux.capture().contains("7 of 50") }, "\(tmux.capture())")
        tmux.keys("PgDn")
        #expect(await Harness.waitUntil(.seconds(10)) { tmux.capture().contains("22 of 50") }, "\(tmux.capture())")
        tmux.keys("Home")
        #expect(await Harness.waitUntil(.seconds(10)) { tmux.capture().contains("1 of 50") }, "\(tmux.capture())")

        tmux.keys("Right")
        tmux.literal("*")
        #expect(await Harness.waitUntil(.seconds(10)) { tmux.capture().contains("★img-01.png") }, "\(tmux.capture())")
        #expect(await Harness.waitUntil(.seconds(5)) {
            ((try? String(contentsOfFile: gallery + "/.starred", encoding: .utf8)) ?? "") == "2026-01-01/img-01.png\n"
        })

        tmux.literal("d")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("? y / n") }, "\(tmux.capture())")
        tmux.literal("n")
        #expect(await Harness.waitUntil(.seconds(5)) { !tmux.capture().contains("? y / n") })
        #expect(FileManager.default.fileExists(atPath: gallery + "/2026-01-01/img-01.png"))
        tmux.literal("d")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("? y / n") }, "\(tmux.capture())")
        tmux.literal("y")
        #expect(await Harness.waitUntil(.seconds(10)) { tmux.capture().contains("of 49") }, "\(tmux.capture())")
        #expect(!FileManager.default.fileExists(atPath: gallery + "/2026-01-01/img-01.png"))

        // r on the newest image: its A1111 parameters go into the editor and the browser closes.
        tmux.keys("Home")
        tmux.literal("r")
        #expect(await Harness.waitUntil(.seconds(10)) {
            let s = tmux.capture()
            return s.contains("a lighthouse at dusk") && !s.contains("Gallery —") && s.contains("4242") && s.contains("512×640")
        }, "\(tmux.capture())")

        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
    }

    @Test func fiftyThumbnailsAreDrawnAsSixelsInAnXtermVT340() async throws {
        let x = try #require(await XSession(), "Xvfb, xterm, xdotool or ImageMagick missing (make test installs them)")
        let gallery = try makeGallery(50)
        let dir = Harness.tempDir("xterm-gallery")
        try x.startXterm("XDG_CACHE_HOME=\(dir)/cache \(Harness.binary) --gallery \(gallery) 2> \(dir)/stderr.txt; sleep 30")
        #expect(await x.waitForStudio(dir))
        await Harness.pause(0.3)
        x.xdotool("mousemove", "300", "200")
        x.xdotool("key", "F4")
        // Wait until the last visible tile's picture is lit (thumbnails are made one after another).
        let size = CellSize(columns: 120, rows: 36)
        let grid = galleryGrid(size)
        func tilePicture(_ i: Int) -> Rect {                  // inside the border, above the caption
            let t = galleryTile(i, size)
            return Rect(x: t.x + 1, y: t.y + 1, width: t.width - 2, height: t.height - 3)
        }
        let last = grid.columns * grid.rows - 1
        var shot: Shot?
        #expect(await Harness.waitUntil(.seconds(60)) {
            guard x.screenshot(to: dir + "/shot.png"), let s = try? Shot(dir + "/shot.png") else { return false }
            shot = s
            return s.colours(tilePicture(last)).lit > 0.3
        }, "the last tile never showed its thumbnail")
        await Harness.pause(1)
        let final = try Shot(dir + "/shot.png", taking: x)
        try? FileManager.default.removeItem(atPath: "/tmp/easel-gallery-xterm-shot.png")
        try? FileManager.default.copyItem(atPath: dir + "/shot.png", toPath: "/tmp/easel-gallery-xterm-shot.png")
        _ = shot
        for i in [0, 1, grid.columns, last] {
            let c = final.colours(tilePicture(i))
            #expect(c.distinct >= 20 && c.lit > 0.3, "tile \(i): \(c)")
        }
        // Between the tiles (their borders' columns) there is no picture.
        let first = galleryTile(0, size)
        let gap = final.colours(Rect(x: first.maxX - 1, y: first.y + 1, width: 2, height: first.height - 3))
        #expect(gap.distinct <= 6, "pixels spill between tiles: \(gap)")
        x.xdotool("key", "Escape")
        x.xdotool("key", "ctrl+c")
    }
}

@Suite("A failed save in the real binary", .serialized)
struct FailedSaveE2ETests {
    @Test func aSaveThatFailsKeepsTheImageAndTSavesItOnceTheFolderIsFixed() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let dir = Harness.tempDir("tmux-failed-save")
        let gallery = dir + "/g"
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("env TERM=tmux-256color NO_COLOR= \(Harness.binary) --gallery \(gallery) --latency 1 --poll-interval 0.2 --probe-timeout 0.3 2> \(dir)/stderr.txt; echo EXITED $?; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") }, "\(tmux.capture())")
        // The gallery folder is replaced by a file after start-up: the save must fail.
        try FileManager.default.removeItem(atPath: gallery)
        _ = FileManager.default.createFile(atPath: gallery, contents: Data("in the way".utf8))

        tmux.literal("a kept lighthouse")
        tmux.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(30)) { tmux.capture().contains("could not save") }, "\(tmux.capture())")
        #expect(tmux.capture().contains("then t saves it"), "\(tmux.capture())")   // the preview says how to recover
        let pending = tmux.stateHome + "/easel/pending"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: pending)) ?? []
        let name = try #require(names.first { $0.hasPrefix("job-") && $0.hasSuffix(".img") }, "nothing kept in \(pending): \(names)")
        let kept = pending + "/" + name
        let keptBytes = try Data(contentsOf: URL(fileURLWithPath: kept))

        try FileManager.default.removeItem(atPath: gallery)           // fixed
        tmux.keys("Tab")
        tmux.keys("Tab")
        tmux.literal("t")
        #expect(await Harness.waitUntil(.seconds(20)) { !Harness.pngs(in: gallery).isEmpty }, "\(tmux.capture())")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("Saved ") }, "\(tmux.capture())")
        let saved = try #require(Harness.pngs(in: gallery).first)
        #expect(saved.contains("a-kept-lighthouse"))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: saved)))
        #expect(Array(bytes.suffix(keptBytes.count - 33)) == Array(keptBytes.dropFirst(33)))   // the kept image, not a new one
        #expect(!FileManager.default.fileExists(atPath: kept))
        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
    }
}
