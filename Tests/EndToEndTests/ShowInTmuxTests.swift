import EaselImaging
import Foundation
import Testing

/// `easel show` in a real terminal emulator (tmux): what is printed next lands on the line just below the picture,
/// for every protocol (issue 16, item 8). Pictures in tmux 3.3a: sixel, kitty and iTerm2 go through passthrough,
/// which tmux drops without `allow-passthrough`, but it still carries out the cursor moves around them.
@Suite("easel show leaves the cursor below the picture", .serialized)
struct ShowInTmuxTests {
    @Test(arguments: ["kitty", "sixel", "iterm", "blocks"])
    func theNextOutputStartsOnTheLineBelowThePicture(graphics: String) async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("show")
        // Black and white vertical stripes, 8 px wide: half and quadrant symbols in every row of blocks.
        let pixels = (0..<(64 * 64)).flatMap { i -> [UInt8] in (i % 64) / 8 % 2 == 0 ? [0, 0, 0, 255] : [255, 255, 255, 255] }
        let png = try ImageCodec.encodePNG(RGBAImage(width: 64, height: 64, pixels: pixels))
        try #require(FileManager.default.createFile(atPath: dir + "/stripes.png", contents: Data(png)))
        let tmux = Tmux()
        defer { tmux.kill() }
        // The picture under test, then a blocks picture of the same box as the reference (tmux shows it). Rows: "above" 0,
        // picture 1…k, "MID" k+1, blocks k+2…k+1+b, "END" k+2+b. With tmux 3.3a's cells (16×32 px when no client is
        // attached) a 96×96 box is 3 rows in every protocol: sixel 96 px = 3 rows, kitty/iTerm2 ⌈96/32⌉, blocks 6 half rows.
        func show(_ g: String) -> String {
            "\(Harness.binary) show --graphics \(g) --probe-timeout 0.3 --width 96 --height 96 \(dir)/stripes.png"
        }
        #expect(tmux.start("printf 'above\\n'; \(show(graphics)); printf 'MID\\n'; \(show("blocks")); printf 'END'; sleep 30",
                           columns: 80, rows: 24))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("END") })
        let lines = tmux.capture().split(separator: "\n", omittingEmptySubsequences: false)
        let mid = try #require(lines.firstIndex { $0.hasPrefix("MID") }, "\(lines)")
        let end = try #require(lines.firstIndex { $0.hasPrefix("END") }, "\(lines)")
        func isPicture(_ line: Substring) -> Bool { line.unicodeScalars.contains { (0x2580...0x259F).contains($0.value) } }
        let reference = lines[(mid + 1)..<end]
        #expect(lines.first == "above")
        #expect(reference.count >= 2 && reference.allSatisfy(isPicture), "blocks reference: \(reference)")
        #expect(mid - 1 == reference.count, "\(graphics) took \(mid - 1) rows, blocks \(reference.count): \(lines.prefix(12))")
        if graphics == "blocks" { #expect(lines[1..<mid].allSatisfy(isPicture), "\(lines.prefix(12))") }
    }
}
