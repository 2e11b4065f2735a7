import EaselCore
import EaselTerminal
import EaselUI
import Testing
import TestSupport

/// One function says which job a pane draws on which row: the views draw with it and the loop turns
/// a click into `.clicked(pane, job:)` with it.
@Suite("Pane rows: the click geometry")
struct PaneRowsTests {
    /// Forty finished jobs ("job 1" … "job 40"); the history lists them newest first.
    static func nineFinished() -> AppState {
        var s = AppState.fixture()
        s.queue.jobs = (1...40).map { Job(id: JobID($0), request: .fixture(prompt: "job \($0)"), state: .failed(.network("x")), createdAt: t0) }
        return s
    }

    /// The history pane's rows as drawn at 120×36, with the pane's inner height.
    static func drawnHistory(_ s: AppState) -> (lines: [String], inner: Rect) {
        let size = CellSize(columns: 120, rows: 36)
        let frame = render(s, size: size, cell: PixelSize(width: 10, height: 20), previewStatus: { _ in .encoding })
        let inner = Layout(size: size).history.inset(by: 1)
        let lines = (inner.y..<inner.maxY).map { y in String(frame.buffer.lines[y].dropFirst(inner.x).prefix(inner.width)) }
        return (lines, inner)
    }

    @Test func theClickedRowIsTheJobDrawnThereAlsoWhenTheListIsScrolled() {
        var s = Self.nineFinished()
        s.focus = .history
        s.history.selection = JobID(1)                   // the oldest: the list is scrolled to show it on the last row
        let (lines, inner) = Self.drawnHistory(s)
        for row in 0..<inner.height {
            let id = PaneRows.job(at: row, in: .history, height: inner.height, of: s)
            if let id {
                #expect(lines[row].contains("job \(id.rawValue) "), "row \(row): \(lines[row])")
            } else {
                #expect(!lines[row].contains("job "), "row \(row) shows a job but the click finds none")
            }
        }
        #expect(PaneRows.job(at: inner.height - 1, in: .history, height: inner.height, of: s) == JobID(1))
        #expect(PaneRows.job(at: -1, in: .history, height: inner.height, of: s) == nil)     // the border
        #expect(PaneRows.job(at: 0, in: .prompt, height: inner.height, of: s) == nil)
        // The reducer takes the row's job as it comes: the top row's, which the scrolled list draws first.
        let top = PaneRows.job(at: 0, in: .history, height: inner.height, of: s)
        #expect(reduce(&s, .clicked(.history, job: top)) == [])
        #expect(top != nil && s.history.selection == top && lines[0].contains("job \(top!.rawValue) "))
    }
}
