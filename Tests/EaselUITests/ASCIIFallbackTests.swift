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
        for (i, p) in ["sun", "moon", "star"].enumerated() {     // queue mode, one slot: the first is sent
            s.editor.prompt = PromptEditor(p)
            #expect(reduce(&s, .key(.enter)) == (i == 0 ? [.submit(JobID(1), .fixture(prompt: p), backend: "demo")] : []))
        }
        #expect(reduce(&s, .failed(JobID(1), .network("x"), during: .submit)) == [.terminal(.notify(JobID(1))), .submit(JobID(2), .fixture(prompt: "moon"), backend: "demo")])
        #expect(reduce(&s, .submitted(JobID(2), RemoteJobID("r"), status: .running(progress: 0.5))) == [.poll(JobID(2), RemoteJobID("r"), after: .seconds(2), backend: "demo")])
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
