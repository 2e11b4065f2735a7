import EaselCore
import EaselTerminal
import EaselUI
import Testing
import TestSupport

/// Without a UTF-8 locale, every cell is drawn in ASCII of the same width.
@Suite("ASCII fallback without a UTF-8 locale")
struct ASCIIFallbackTests {
    @Test func boxesSymbolsAndWideCharactersBecomeASCIIOfTheSameWidth() {
        #expect(["┌", "─", "┐", "│", "└", "┘"].map { ASCIIFallback.text($0) } == ["+", "-", "+", "|", "+", "+"])
        #expect(ASCIIFallback.text("768×768 · seed — ok…") == "768x768 . seed - ok.")
        #expect(ASCIIFallback.text("灯") == "??")
        #expect(ASCIIFallback.text("plain text") == "plain text")
    }

    /// A busy studio (a running job, a failure, a finished one, the help hints) drawn through the
    /// fallback: every line is ASCII and exactly as wide as the screen.
    @Test func aWholeStudioFrameIsASCIIAndKeepsItsColumns() {
        var s = AppState.fixture(prompt: "灯台 at dusk", mode: .queue)
        for p in ["sun", "moon", "star"] { s.editor.prompt = PromptEditor(p); _ = reduce(&s, .key(.enter)) }
        _ = reduce(&s, .failed(JobID(1), .network("x"), during: .submit))
        _ = reduce(&s, .submitted(JobID(2), RemoteJobID("r"), status: .running(progress: 0.5)))
        let frame = render(s, size: CellSize(columns: 120, rows: 36), cell: PixelSize(width: 10, height: 20)) { _ in .encoding }
        var lines: [String] = []
        for y in 0..<frame.buffer.height {
            lines.append((0..<frame.buffer.width).map { ASCIIFallback.text(frame.buffer[$0, y].text) }.joined())
        }
        #expect(lines.joined().contains("+ Prompt"))
        for line in lines {
            #expect(line.unicodeScalars.allSatisfy { $0.isASCII }, "\(line)")
            #expect(line.count == 120, "\(line)")
        }
    }

    @Test func aHalfBlockPictureCellBecomesOneMeanColour() {
        let p = ASCIIFallback.paint(Paint(fg: .rgb(200, 0, 100), bg: .rgb(100, 50, 0)))
        #expect(p == Paint(fg: .rgb(150, 25, 50), bg: .rgb(150, 25, 50)))
    }
}
