import EaselCore
import EaselStore
import EaselTerminal
import EaselUI
import Foundation

/// The cost of one keystroke in process, split the way the studio's loop spends it: `reduce` (the loop's
/// `.tick` plus the `.key`), `render` into the cell buffer, and `Screen.draw` (ncurses diffs the buffer
/// against what is on screen and writes the changes, here into a pseudo-terminal).
struct KeystrokeBench {
    /// Folder of a journal already holding `jobs` finished jobs (HistoryBench's).
    let journalDir: String
    let jobs: Int
    let keystrokes: Int

    static let title = "Keystroke latency"
    /// Goals for the total: the median, and the 99th percentile (issue 22: well under a 60 Hz frame).
    static let goal = 0.001
    static let goalP99 = 0.002
    static let size = CellSize(columns: 120, rows: 36)

    struct Scenario {
        let label: String
        let focus: Pane
        let keys: [Key]
    }

    struct Timing {
        var reduce: [Double] = [], render: [Double] = [], draw: [Double] = [], total: [Double] = []
        var bytes = 0
        /// Rows `Screen.draw` wrote into curses, over every key.
        var rows = 0
    }

    struct Result {
        var loaded = 0
        var timings: [(Scenario, Timing)] = []
    }

    var scenarios: [Scenario] {
        let text = Array("a lighthouse on a cliff at dusk, oil painting")
        // Type the sentence, then delete it again: every key changes the editor.
        let typing = (0..<keystrokes).map { i -> Key in
            let k = i % (2 * text.count)
            return k < text.count ? .char(text[k]) : .backspace
        }
        let moving = (0..<keystrokes).map { i -> Key in i % 40 < 20 ? .down : .up }
        return [Scenario(label: "prompt editor: typing and deleting a 45-character prompt", focus: .prompt, keys: typing),
                Scenario(label: "history pane: ↓ / ↑ through the rows", focus: .history, keys: moving)]
    }

    /// - Throws: `JobError.storage` from the journal, `BenchError` without a pseudo-terminal.
    func run() throws -> Result {
        let journal = try Journal(directory: journalDir)
        let records = try journal.history(limit: 500)           // what the studio loads at start
        var result = Result(loaded: records.count)
        let pty = try PtyScreen(columns: Self.size.columns, rows: Self.size.rows)
        defer { pty.end() }
        for scenario in scenarios {
            let instant = ContinuousClock.now
            var state = AppState(backendName: "demo backend — procedural, offline", now: instant)
            let panes = PaneCache()                                 // the loop's: unchanged panes are copied
            _ = reduce(&state, .restored(records.reversed().map { $0.job(now: instant, wallNow: Date().timeIntervalSince1970) }))
            state.focus = scenario.focus
            // The frame before the first key is on screen already.
            pty.screen.invalidateAll()
            pty.screen.draw(render(state, size: Self.size, cell: PixelSize(width: 10, height: 20), cache: panes,
                                   previewStatus: { _ in .unavailable }).buffer)
            var t = Timing()
            let bytes0 = pty.bytesWritten
            for key in scenario.keys {
                let t0 = Clock.now()
                _ = reduce(&state, .tick(.now, wallTime: Date().timeIntervalSince1970))
                _ = reduce(&state, .key(key))
                let t1 = Clock.now()
                let frame = render(state, size: Self.size, cell: PixelSize(width: 10, height: 20), cache: panes,
                                   previewStatus: { _ in .unavailable })
                let t2 = Clock.now()
                pty.screen.draw(frame.buffer)
                let t3 = Clock.now()
                t.rows += pty.screen.rowsWritten
                t.reduce.append(t1 - t0); t.render.append(t2 - t1); t.draw.append(t3 - t2); t.total.append(t3 - t0)
            }
            usleep(50_000)
            t.bytes = pty.bytesWritten - bytes0
            result.timings.append((scenario, t))
        }
        return result
    }

    func goals(_ r: Result) -> [GoalRow] {
        r.timings.map { s, t in
            let med = t.total.median ?? .nan, p99 = t.total.percentile(0.99) ?? .nan
            return GoalRow(section: Self.title, figure: "\(s.label) (\(jobs.formatted()) jobs in the journal), median / p99",
                           value: "\(msText(med)) / \(msText(p99)) ms", goal: Self.goalText, met: med < Self.goal && p99 < Self.goalP99)
        }
    }

    static let goalText = "median < \(Int(goal * 1000)) ms, p99 < \(Int(goalP99 * 1000)) ms"

    func shares(_ r: Result) -> String {
        r.timings.map { s, t in
            let total = t.total.median ?? .nan
            func pct(_ xs: [Double]) -> String { String(format: "%.0f %%", (xs.median ?? .nan) / total * 100) }
            return "\(s.label.split(separator: ":").first ?? "") — reduce \(pct(t.reduce)), render \(pct(t.render)), draw \(pct(t.draw))"
        }.joined(separator: "; ")
    }

    func markdown(_ r: Result) -> String {
        var rows = ""
        for (s, t) in r.timings {
            let med = t.total.median ?? .nan, p99 = t.total.percentile(0.99) ?? .nan
            rows += "| \(s.label) | \(msText(t.reduce.median ?? .nan)) | \(msText(t.render.median ?? .nan)) | "
            rows += "\(msText(t.draw.median ?? .nan)) | **\(msText(med))** | \(msText(p99)) | "
            rows += "\(t.bytes / max(1, s.keys.count)) | \(String(format: "%.1f", Double(t.rows) / Double(max(1, s.keys.count)))) | "
            rows += "\(Self.goalText) | \(mark(med < Self.goal && p99 < Self.goalP99)) |\n"
        }
        return """
        ## \(Self.title)

        In process (the build named above): \(jobs.formatted()) finished jobs in the journal, of which the studio's \
        window (the newest \(r.loaded)) is restored into the state, as `easel` does at start. Per keystroke, \
        what the loop does on its own thread: **reduce** = `reduce(.tick)` + `reduce(.key)`; **render** = \
        `render(state)` of the 120×36 screen into a `CellBuffer`, with the loop's `PaneCache` (the queue, history and \
        preview panes are copied from the last frame when their inputs did not change); **draw** = EaselTerminal's real \
        `Screen.draw` (the rows that differ from the previous frame into curses, then ncurses' diff, `doupdate`, `write(2)`) into a pseudo-terminal \
        whose other end a thread drains. Not included: the terminal's own parsing and painting, the \
        journal sync comparison, and pictures (previews answer `.unavailable`, as with `--graphics none`). \
        \(keystrokes) keystrokes per row; medians and the 99th percentile (nearest rank) in ms.

        | Keystrokes | reduce | render | draw | **total median** | total p99 | bytes to the tty per key | rows to curses per key | Goal | Met |
        |---|---:|---:|---:|---:|---:|---:|---:|---|---|
        \(rows)
        Shares of the median total (medians of each part ÷ the median total): \(shares(r)).

        """
    }
}
