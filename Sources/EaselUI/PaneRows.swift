import EaselCore
import EaselTerminal

/// Which jobs the queue and history panes draw on which row: one function for the views that draw
/// them and for the loop that turns a mouse click into `.clicked(pane, job:)`, so the two never differ.
public enum PaneRows {
    /// The jobs shown in a list `height` rows tall: from the first, or scrolled so that the selected
    /// one is on the last row. (The queue's window; the history's is `HistoryWindow`, the same rule
    /// walked lazily over a history that may hold 100,000 jobs.)
    static func window(_ rows: [Job], selected: JobID?, height: Int) -> ArraySlice<Job> {
        let index = rows.firstIndex { $0.id == selected } ?? 0
        return rows.dropFirst(max(0, index - height + 1)).prefix(max(0, height))
    }

    /// The jobs `pane` draws in a list `height` rows tall, top to bottom: the queue's jobs in flight
    /// (oldest first), the history's finished jobs (newest first, filtered); none for the prompt.
    static func shown(in pane: Pane, height: Int, of state: AppState) -> [Job] {
        switch pane {
        case .prompt: return []
        case .queue: return Array(window(state.activeJobs, selected: state.selectedQueueJob?.id, height: height))
        case .history: return HistoryWindow(state, height: height).rows
        }
    }

    /// A list pane's title: `name`, "`name` (3)", or with rows out of sight "`name` (5) · +2 more ↓",
    /// "`name` (5) · ↑1 · +1 more ↓". `count`: rows in the list; `above`, `below`: rows out of sight.
    static func title(_ name: String, count: Int, above: Int, below: Int) -> String {
        guard count > 0 else { return name }
        var title = "\(name) (\(count))"
        if above > 0 { title += " · ↑\(above)" }
        if below > 0 { title += " · +\(below) more ↓" }
        return title
    }

    /// The job drawn on row `row` (0-based, inside the border) of `pane`'s list, `height` rows tall;
    /// nil for the prompt, the border, or below the last job.
    public static func job(at row: Int, in pane: Pane, height: Int, of state: AppState) -> JobID? {
        let rows = shown(in: pane, height: height, of: state)
        return rows.indices.contains(row) ? rows[row].id : nil
    }
}
