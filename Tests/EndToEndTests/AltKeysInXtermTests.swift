import Foundation
import Testing

/// xterm without `metaSendsEscape` (its default) sends M-s as "ó": Easel turns the mode on while it
/// runs, so README's Alt keys work, and gives the terminal back as it found it.
@Suite("Alt keys in an xterm without metaSendsEscape", .serialized)
struct AltKeysInXtermTests {
    /// Width and height from a PNG's IHDR chunk.
    func pngSize(_ path: String) -> (Int, Int)? {
        guard let d = FileManager.default.contents(atPath: path), d.count > 24 else { return nil }
        let b = [UInt8](d)
        func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        return (be32(16), be32(20))
    }

    @Test func altSCyclesTheSizeAndTheModeIsResetAtExit() async throws {
        let x = try #require(await XSession(), "Xvfb, xterm, xdotool or ImageMagick missing (make test installs them)")
        let dir = Harness.tempDir("xterm-alt")
        let gallery = dir + "/gallery"
        // After Easel: ask xterm for metaSendsEscape (DECRQM 1036) and keep the 11-byte reply.
        let check = "stty raw -echo; printf '\\033[?1036$p'; dd bs=1 count=11 of=\(dir)/decrqm.txt 2>/dev/null; stty sane"
        try x.startXterm("\(Harness.binary) --gallery \(gallery) --latency 0.5 --poll-interval 0.2 2> \(dir)/stderr.txt; \(check); sleep 30",
                         metaSendsEscape: false)
        #expect(await x.waitForStudio(dir))
        await Harness.pause(0.3)
        x.xdotool("mousemove", "300", "200")
        x.xdotool("type", "--delay", "15", "a red sun")
        x.xdotool("key", "alt+s")                                  // 768×768 → 768×512
        await Harness.pause(0.3)
        x.xdotool("key", "Return")
        #expect(await Harness.waitUntil(.seconds(30)) { Harness.pngs(in: gallery).count == 1 }, "no image was saved")
        let png = try #require(Harness.pngs(in: gallery).first)
        #expect(pngSize(png).map { "\($0.0)x\($0.1)" } == "768x512")
        x.xdotool("key", "ctrl+c")
        #expect(await Harness.waitUntil(.seconds(10)) {
            (try? String(contentsOfFile: dir + "/decrqm.txt", encoding: .utf8))?.contains("1036;2$y") == true
        }, "metaSendsEscape was not reset: \((try? String(contentsOfFile: dir + "/decrqm.txt", encoding: .utf8)) ?? "no reply")")
    }
}
