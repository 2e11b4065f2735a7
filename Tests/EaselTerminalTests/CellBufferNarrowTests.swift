@testable import EaselTerminal
import Testing

/// `CellBuffer.put` writes narrow text (each scalar one cell, no joining) scalar by scalar; the cells
/// must be the ones the grapheme-by-grapheme way gives: `DisplayWidth.truncate`, one cell a character.
@Suite("CellBuffer narrow text")
struct CellBufferNarrowTests {
    static let samples = ["a lighthouse at dusk", "┌ Prompt ─┐", "✓ 14:02  2.1s · seed 42 ◐ 63%", "naïve café ±½", "→ ⊘ █▏…", ""]

    @Test(arguments: samples)
    func narrowTextFillsTheSameCellsAsTheGraphemeWay(_ text: String) {
        #expect(text.unicodeScalars.allSatisfy { DisplayWidth.isNarrow($0.value) })
        for limit in 1...(text.unicodeScalars.count + 2) {
            var buffer = CellBuffer(width: 40, height: 1)
            let written = buffer.put(text, x: 3, y: 0, maxWidth: limit, role: .muted)
            let expected = DisplayWidth.truncate(text, to: limit)
            #expect(written == DisplayWidth.of(expected), "limit \(limit)")
            #expect(buffer.lines[0] == "   " + expected + String(repeating: " ", count: 37 - DisplayWidth.of(expected)), "limit \(limit)")
            #expect(buffer.cells[3..<(3 + written)].allSatisfy { $0.role == .muted })
        }
    }

    @Test func textThatJoinsOrIsWideTakesTheGraphemeWay() {
        for text in ["e\u{301}", "日本", "👍🏽", "ok\u{FE0F}"] {
            #expect(!text.unicodeScalars.allSatisfy { DisplayWidth.isNarrow($0.value) })
        }
        var buffer = CellBuffer(width: 6, height: 1)
        #expect(buffer.put("e\u{301}日", x: 0, y: 0, role: .text) == 3)
        #expect(buffer[0, 0].text == "e\u{301}" && buffer[1, 0].text == "日" && buffer[2, 0].text == "")
    }

    @Test func aWriteStartingLeftOfTheBufferKeepsOnlyTheVisibleCells() {
        var buffer = CellBuffer(width: 4, height: 1)
        #expect(buffer.put("abcdefgh", x: -2, y: 0, maxWidth: 6, role: .text) == 6)
        #expect(buffer.lines[0] == "cde…")
    }
}
