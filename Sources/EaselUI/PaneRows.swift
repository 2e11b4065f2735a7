import EaselCore
import EaselTerminal

/// Which jobs the queue and history panes draw on which row: one function for the views that draw
/// them and for the loop that turns a mouse click into `.clicked(pane, job:)`, so the two never differ.
public enum PaneRows {
    /// The jobs `pane` lists, in drawing order, and the one under its cursor: the queue's jobs in flight
    /// (oldest first), the history's finished jobs (newest first, filtered); none for the prompt.
    static func list(_ state: AppState, _ pane: Pane) -> (rows: [Job], selected: JobID?) {
        switch pane {
        case .prompt: return ([], nil)
        case .queue: return (state.activeJobs, state.selectedQueueJob?.id)
        case .history:
            let rows = state.finishedJobs
            return (rows, state.history.selection ?? rows.first?.id)
        }
    }

    /// The jobs shown in a list `height` rows tall: from the first, or scrolled so that the selected
    /// one is on the last row.
    static func window(_ rows: [Job], selected: JobID?, height: Int) -> ArraySlice<Job> {
        let index = rows.firstIndex { $0.id == selected } ?? 0
        return rows.dropFirst(max(0, index - height + 1)).prefix(max(0, height))
    }

    /// The job drawn on row `row` (0-based, inside the border) of `pane`'s list, `height` rows tall;
    /// nil for the prompt, the border, or below the last job.
    public static func job(at row: Int, in pane: Pane, height: Int, of state: AppState) -> JobID? {
        let (rows, selected) = list(state, pane)
        let shown = Array(window(rows, selected: selected, height: height))
        return shown.indices.contains(row) ? shown[row].id : nil
    }
}
