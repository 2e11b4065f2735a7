import EaselCore
import EaselTerminal
import Testing

/// What `Screen.draw` writes into curses: only the rows that differ from the last buffer drawn.
@Suite("CellBuffer rows that changed")
struct CellBufferRowsTests {
    @Test func onlyTheRowsWithAChangedCellDiffer() {
        var before = CellBuffer(width: 10, height: 4)
        before.put("prompt", x: 1, y: 0, role: .text)
        before.put("history", x: 1, y: 2, role: .text)
        var after = before
        after.put("prompt!", x: 1, y: 0, role: .text)
        #expect(after.rowsDiffering(from: before) == [0])
        after.put("history", x: 1, y: 2, role: .selection)      // same text, another role
        #expect(after.rowsDiffering(from: before) == [0, 2])
        #expect(before.rowsDiffering(from: before) == [])
    }

    @Test func withoutAPreviousBufferOrAtAnotherSizeEveryRowDiffers() {
        let buffer = CellBuffer(width: 6, height: 3)
        #expect(buffer.rowsDiffering(from: nil) == [0, 1, 2])
        #expect(buffer.rowsDiffering(from: CellBuffer(width: 7, height: 3)) == [0, 1, 2])
        #expect(buffer.rowsDiffering(from: CellBuffer(width: 6, height: 2)) == [0, 1, 2])
    }

    @Test func cellsCopiedFromARectPasteBackIntoTheSameRect() {
        var source = CellBuffer(width: 12, height: 5)
        source.box(Rect(x: 2, y: 1, width: 8, height: 3), title: "Q", role: .border, titleRole: .title)
        source.put("日本x", x: 3, y: 2, role: .text)
        let rect = Rect(x: 2, y: 1, width: 8, height: 3)
        var target = CellBuffer(width: 12, height: 5)
        target.paste(source.cells(in: rect), in: rect)
        #expect(target == source)
        #expect(source.cells(in: Rect(x: 10, y: 4, width: 5, height: 5)).count == 2)    // clipped to the buffer
    }
}
