import Dispatch
import EaselImaging
@testable import EaselTerminal
import Foundation
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
        let filled = try Sixel().encode(image, fitting: PixelSize(width: 140, height: 96), cell: cell, filling: background)  // a free column
        #expect(plain.pixels == PixelSize(width: 128, height: 96) && plain.cells.rows == 4)
        #expect(filled.cells == plain.cells)
        #expect(filled.pixels == PixelSize(width: 129, height: 102))       // 4 × 26 = 104 → 17 bands; 13 × 10 − 1 across
        let decoded = try Sixel.decode(filled.bytes)
        #expect(decoded.width == 129 && decoded.height == 102, "painted \(decoded.width)×\(decoded.height)")
        // The picture's rows are the picture (as the plain encode's, up to one colour fewer and the dithering that
        // follows from it, pixel by pixel: the bound of `SixelTests`' round trip) …
        let alone = try Sixel.decode(plain.bytes)
        var err = 0
        for y in 0..<96 { for x in 0..<128 { for c in 0..<3 {
            err += abs(Int(decoded.rgb[(y * 129 + x) * 3 + c]) - Int(alone.rgb[(y * 128 + x) * 3 + c]))
        } } }
        #expect(err / (128 * 96 * 3) < 8)
        // … and every pixel below it, to the cell boundary, is the background (percent → 8 bits: 90% = 229.5).
        for i in (129 * 96)..<(129 * 102) {
            #expect(abs(Int(decoded.rgb[i * 3]) - 0xE5) <= 2 && decoded.rgb[i * 3] == decoded.rgb[i * 3 + 2])
            if abs(Int(decoded.rgb[i * 3]) - 0xE5) > 2 { break }
        }
        // The fill uses a register the picture does not use: 255, with the picture's palette at most 255.
        let text = String(decoding: filled.bytes, as: UTF8.self)
        #expect(text.hasSuffix("#255;2;90;90;90#255-!129~\u{1B}\\"), "one whole band, none reaching into the next cell row")
    }

    /// 64×48 fits 80×60 (90×60 less its free column) exactly: 3 rows of 20 px to the pixel, which Konsole would make 4.
    /// A band less: 78×54.
    @Test func aPictureEndingOnACellBoundaryIsMadeABandShorter() throws {
        let filled = try Sixel().encode(SixelTests.image(64, 48), fitting: PixelSize(width: 90, height: 60),
                                        cell: PixelSize(width: 10, height: 20), filling: background)
        #expect(filled.pixels == PixelSize(width: 79, height: 54))
        #expect(filled.cells == CellSize(columns: 8, rows: 3))
        #expect(try Sixel.decode(filled.bytes).height == 54)
    }

    /// Issue 16, Konsole: it fills what a sixel leaves of its last cell column with its own background (#232627, up to
    /// a cell less a pixel wide beside every pane picture). Every band is painted on in the cells' colour to one pixel
    /// short of that column's end (at the end itself Konsole would claim one more column); the picture is untouched.
    @Test func everyBandIsPaintedAcrossToOnePixelShortOfTheLastCellColumn() throws {
        let image = SixelTests.image(64, 48), konsole = PixelSize(width: 8, height: 17)
        let plain = try Sixel(colors: 255).encode(image, fitting: PixelSize(width: 100, height: 75), cell: konsole)
        let filled = try Sixel().encode(image, fitting: PixelSize(width: 112, height: 75), cell: konsole, filling: background)
        #expect(plain.pixels == PixelSize(width: 100, height: 72) && plain.cells == CellSize(columns: 13, rows: 5))
        #expect(filled.cells == plain.cells)
        #expect(filled.pixels == PixelSize(width: 13 * 8 - 1, height: (5 * 17 - 1) / 6 * 6), "\(filled.pixels)")
        let decoded = try Sixel.decode(filled.bytes), alone = try Sixel.decode(plain.bytes)
        #expect(decoded.width == 103 && decoded.height == 84, "painted \(decoded.width)×\(decoded.height)")
        guard decoded.width == 103, decoded.height == 84 else { return }
        var picture = true, strip = true
        for y in 0..<84 { for x in 0..<103 { for c in 0..<3 {
            let v = Int(decoded.rgb[(y * 103 + x) * 3 + c])
            if y < 72 && x < 100 { picture = picture && v == Int(alone.rgb[(y * 100 + x) * 3 + c]) }
            else { strip = strip && abs(v - 0xE5) <= 2 }
        } } }
        #expect(picture, "the picture's own pixels changed")
        #expect(strip, "the strip right of and below the picture is not the cells' colour")
        #expect(String(decoding: filled.bytes, as: UTF8.self).contains("\"1;1;103;72#255;2;90;90;90#255"), "raster attributes")
    }

    @Test func theEraseCoverPaintsAPartialLastBand() {
        let cover = Sixel.cover(PixelSize(width: 4, height: 8), RGB(0, 0, 0))
        #expect(String(decoding: cover, as: UTF8.self) == "\u{1B}Pq\"1;1;4;8#0;2;0;0;0#0!4~-!4B\u{1B}\\")
    }

    /// Konsole 22.12 gives a sixel one column more than it covers, and a row more when it ends exactly on a cell
    /// boundary: a picture filling its rect took a column over the pane's right border. Pictures in panes leave the
    /// rect's last column free and never end on a cell boundary.
    @Test func aPictureInARectLeavesKonsolesExtraCellInsideIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("easel-cells-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/wide.png"
        try Data(try ImageCodec.encodePNG(SixelTests.image(64, 32))).write(to: URL(fileURLWithPath: path))
        let konsole = PixelSize(width: 8, height: 17)
        let wakes = DispatchSemaphore(value: 0)
        let presenter = ImagePresenter(graphics: Sixel(), cell: konsole) { wakes.signal() }
        presenter.background = background
        for rect in [Rect(x: 0, y: 0, width: 52, height: 40), Rect(x: 0, y: 0, width: 20, height: 6), Rect(x: 0, y: 0, width: 40, height: 6)] {
            let request = ImagePresenter.Request(path: path, rect: rect)
            _ = presenter.status(for: request)
            #expect(wakes.wait(timeout: .now() + 20) == .success)
            guard case .ready(let image) = presenter.status(for: request) else { Issue.record("not encoded"); continue }
            // Konsole's rows are the rows the presenter erases (so its cover drops the picture and leaves nothing) …
            #expect(image.pixels.height / konsole.height + 1 == image.cells.rows, "\(image.pixels) over \(image.cells)")
            #expect(image.pixels.width % konsole.width != 0, "\(image.pixels) ends on a column boundary")
            // … and its columns, one more than the picture covers, stay inside the rect (off the pane's border).
            #expect(image.cells.columns + 1 <= rect.width && image.cells.rows <= rect.height, "\(image.cells) in \(rect)")
        }
    }
}
