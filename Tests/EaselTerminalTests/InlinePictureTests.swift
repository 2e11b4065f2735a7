import EaselImaging
import EaselTerminal
import Testing

/// `easel show`: whatever the protocol does with the cursor, the picture is printed in the shell's flow and the
/// cursor ends in the first column of the line just below it (issue 16, item 8).
@Suite("Printing a picture in the shell's flow")
struct InlinePictureTests {
    static let image = RGBAImage(width: 40, height: 40, pixels: [UInt8](repeating: 200, count: 40 * 40 * 4))
    static let cell = PixelSize(width: 10, height: 20)

    @Test func kittyMakesRoomDrawsAtTheSavedCursorAndMovesBelowThePicture() throws {
        let encoded = try Kitty().encode(Self.image, fitting: PixelSize(width: 40, height: 40), cell: Self.cell)
        #expect(encoded.cells == CellSize(columns: 4, rows: 2))
        let out = ImagePresenter.inline(encoded, passthrough: false)
        #expect(out == Array("\n\n\u{1B}[2A\u{1B}7".utf8) + encoded.bytes + Array("\u{1B}8\u{1B}[2B\r".utf8))
        #expect(String(decoding: encoded.bytes, as: UTF8.self).contains("C=1"))   // kitty keeps the cursor: we move it
    }

    @Test func sixelIsBracketedTheSameWayWithNoExtraLineFeeds() throws {
        let encoded = try Sixel().encode(Self.image, fitting: PixelSize(width: 40, height: 40), cell: Self.cell)
        #expect(encoded.cells.rows == 2)                        // 36 px (bands of 6) in 20-px rows
        let out = ImagePresenter.inline(encoded, passthrough: false)
        #expect(out.prefix(2) == [0x0A, 0x0A] && out[2] == 0x1B)  // exactly one line feed per row, no trailing one
        #expect(out.suffix(9) == ArraySlice(Array("\u{1B}\\\u{1B}8\u{1B}[2B\r".utf8)))
    }

    @Test func passthroughWrapsOnlyThePayloadSoTmuxStillMovesTheCursor() throws {
        let encoded = try Kitty().encode(Self.image, fitting: PixelSize(width: 40, height: 40), cell: Self.cell)
        let out = ImagePresenter.inline(encoded, passthrough: true)
        #expect(out == Array("\n\n\u{1B}[2A\u{1B}7".utf8) + ImagePresenter.passthrough(encoded.bytes) + Array("\u{1B}8\u{1B}[2B\r".utf8))
    }

    @Test func cellPicturesAreLinesOfTextThatEndBelow() throws {
        let encoded = try Blocks(palette: .indexed240).encode(Self.image, fitting: PixelSize(width: 40, height: 40), cell: Self.cell)
        let text = String(decoding: ImagePresenter.inline(encoded, passthrough: false), as: UTF8.self)
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == encoded.cells.rows + 1)
        #expect(text.hasSuffix("\u{1B}[0m\n"))
    }
}
