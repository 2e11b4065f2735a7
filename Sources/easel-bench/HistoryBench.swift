import EaselCore
import EaselStore
import EaselTerminal
import EaselUI
import Foundation

/// The journal at scale: start-up work before the first frame, and the cost of one keystroke in the
/// history pane, with `jobs` finished jobs in the journal.
struct HistoryBench {
    let jobs: Int
    let keystrokes: Int
    let dir: String

    struct Result {
        var fill: Duration = .zero
        var startup: [Duration] = []
        var keystroke: [Duration] = []
        var keystrokeAll: [Duration] = []
        var loaded = 0
    }

    func run() throws -> Result {
        var result = Result()
        let journalDir = dir + "/journal"
        let journal = try Journal(directory: journalDir)
        result.fill = try JournalSeed.fill(journal, jobs: jobs)

        // Start-up: what the studio does between opening the journal and its first frame.
        for _ in 0..<5 {
            let t0 = ContinuousClock.now
            let j = try Journal(directory: journalDir)
            let wall = Date().timeIntervalSince1970, instant = ContinuousClock.now
            let restored = try j.history(limit: 500).reversed().map { $0.job(now: instant, wallNow: wall) }
                + (try j.claimOrphans(backends: ["demo"])).claimed.map { $0.job(now: instant, wallNow: wall) }
            var state = AppState(backendName: "demo", now: instant)
            state.queue.nextJobID = j.firstJobID
            _ = reduce(&state, .restored(restored))
            _ = render(state, size: CellSize(columns: 120, rows: 36), cell: PixelSize(width: 10, height: 20), previewStatus: { _ in .unavailable })
            result.startup.append(.now - t0)
            result.loaded = restored.count
        }

        // One keystroke in the history pane: reduce + a render (with the loop's pane cache), with the loaded window
        // and (worst case) with every journal row in memory.
        func measureKeys(_ records: [JobRecord], count: Int) -> [Duration] {
            let instant = ContinuousClock.now
            var state = AppState(backendName: "demo", now: instant)
            _ = reduce(&state, .restored(records.reversed().map { $0.job(now: instant, wallNow: 1_800_000_000) }))
            state.focus = .history
            let panes = PaneCache()                                 // as the studio's loop keeps one
            var times: [Duration] = []
            for i in 0..<count {
                let t0 = ContinuousClock.now
                _ = reduce(&state, .key(i % 40 < 20 ? .down : .up))
                _ = render(state, size: CellSize(columns: 120, rows: 36), cell: PixelSize(width: 10, height: 20), cache: panes,
                           previewStatus: { _ in .unavailable })
                times.append(.now - t0)
            }
            return times
        }
        result.keystroke = measureKeys(try journal.history(limit: 500), count: keystrokes)
        // ~0.2 s per key with every row in memory: a few keys give the reference figure.
        result.keystrokeAll = measureKeys(try journal.history(limit: jobs), count: min(keystrokes, Self.worstCaseKeystrokes))
        return result
    }

    static let worstCaseKeystrokes = 50

    static func median(_ d: [Duration]) -> Duration { d.sorted()[d.count / 2] }

    static func ms(_ d: Duration) -> String {
        String(format: "%.2f", Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
    }

    func goals(_ r: Result) -> [GoalRow] {
        let startup = Self.median(r.startup), key = Self.median(r.keystroke)
        return [GoalRow(section: "History and journal", figure: "start-up work in process, \(jobs.formatted()) jobs in the journal",
                        value: "\(Self.ms(startup)) ms", goal: "< 100 ms", met: startup < .milliseconds(100)),
                GoalRow(section: "History and journal", figure: "keystroke (reduce + render) in the history pane, \(r.loaded) jobs in memory",
                        value: "\(Self.ms(key)) ms", goal: "< 2 ms", met: key < .milliseconds(2))]
    }

    func markdown(_ r: Result) -> String {
        let startup = Self.median(r.startup), key = Self.median(r.keystroke), keyAll = Self.median(r.keystrokeAll)
        let okStart = startup < .milliseconds(100), okKey = key < .milliseconds(2)
        return """
        ## History and journal

        \(jobs.formatted()) finished jobs written to a fresh journal (SQLite via GRDB, WAL) in \(Self.ms(r.fill)) ms
        (batches of 10,000 rows per transaction). Release build; medians.

        - **Start-up work before the first frame**: open the journal (new session row), read the newest
          \(r.loaded) jobs and claim orphans, restore them into the state, render the first 120×36 frame
          (in process; the terminal probe, ncurses set-up and the embedded server are not included).
        - **Keystroke**: `reduce(.key(.down/.up))` in the history pane plus a 120×36 render into the cell
          buffer with the loop's `PaneCache` (unchanged panes copied; what the loop does per key before
          curses diffs it), \(keystrokes) keystrokes
          (\(min(keystrokes, Self.worstCaseKeystrokes)) with every job in memory).

        | Figure | Median | Goal | Met |
        |---|---:|---|---|
        | start-up work, \(jobs.formatted()) jobs in the journal (newest \(r.loaded) loaded) | \(Self.ms(startup)) ms | < 100 ms | \(okStart ? "✓" : "✗") |
        | keystroke in the history pane, \(r.loaded) jobs in memory | \(Self.ms(key)) ms | < 2 ms | \(okKey ? "✓" : "✗") |
        | keystroke in the history pane, all \(jobs.formatted()) jobs in memory (worst case) | \(Self.ms(keyAll)) ms | reference | |

        The studio keeps the newest 500 finished jobs in memory; `easel history --search` reads the rest.

        """
    }
}
