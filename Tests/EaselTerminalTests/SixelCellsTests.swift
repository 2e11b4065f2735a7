import EaselImaging
@testable import EaselTerminal
import Testing

/// Issue 16 (mlterm): a picture in a pane is followed by whole bands of the cells' colour down to its last cell row's
/// end, so mlterm (and Konsole) have at most 5 pixel rows to fill with their own background (was a 16 px white strip).
@Suite("Sixel pictures fill their last cell row")
struct SixelCellsTests {
    let cell = PixelSize(width: 10, height: 26)                  // mlterm's is 19 px under Xvfb, Konsole's 17: no multiples of 6
    let background = RGB(0xE5, 0xE5, 0xE5)

    @Test func theRowsBelowThePictureArePaintedToTheEndOfItsLastCellRow() throws {
        let image = SixelTests.image(64, 48)
        let plain = try Sixel().encode(image, fitting: PixelSize(width: 128, height: 96), cell: cell)
        let filled = try Sixel().encode(image, fitting: PixelSize(width: 128, height: 96), cell: cell, filling: background)
        #expect(plain.pixels == PixelSize(width: 128, height: 96) && plain.cells.rows == 4)
        #expect(filled.cells == plain.cells)
        #expect(filled.pixels == PixelSize(width: 128, height: 102))       // 4 × 26 = 104 → 17 bands
        let decoded = try Sixel.decode(filled.bytes)
        #expect(decoded.width == 128 && decoded.height == 102, "painted \(decoded.width)×\(decoded.height)")
        // The picture's rows are the picture (decoded as the plain encode's, up to its one colour fewer) …
        let alone = try Sixel.decode(plain.bytes)
        var err = 0
        for i in 0..<(128 * 96 * 3) { err += abs(Int(decoded.rgb[i]) - Int(alone.rgb[i])) }
        #expect(err / (128 * 96 * 3) < 4)
        // … and every pixel below it, to the cell boundary, is the background (percent → 8 bits: 90% = 229.5).
        for i in (128 * 96)..<(128 * 102) {
            #expect(abs(Int(decoded.rgb[i * 3]) - 0xE5) <= 2 && decoded.rgb[i * 3] == decoded.rgb[i * 3 + 2])
            if abs(Int(decoded.rgb[i * 3]) - 0xE5) > 2 { break }
        }
        // The fill uses a register the picture does not use: 255, with the picture's palette at most 255.
        let text = String(decoding: filled.bytes, as: UTF8.self)
        #expect(text.hasSuffix("#255;2;90;90;90#255-!128~\u{1B}\\"), "one whole band, none reaching into the next cell row")
    }

    @Test func aPictureEndingOnACellBoundaryIsLeftAsItIs() throws {
        let filled = try Sixel().encode(SixelTests.image(64, 48), fitting: PixelSize(width: 80, height: 60),
                                        cell: PixelSize(width: 10, height: 20), filling: background)
        #expect(filled.pixels == PixelSize(width: 80, height: 60))
        #expect(try Sixel.decode(filled.bytes).height == 60)
    }

    @Test func theEraseCoverPaintsAPartialLastBand() {
        let cover = Sixel.cover(PixelSize(width: 4, height: 8), RGB(0, 0, 0))
        #expect(String(decoding: cover, as: UTF8.self) == "\u{1B}Pq\"1;1;4;8#0;2;0;0;0#0!4~-!4B\u{1B}\\")
    }
}
