import EaselCore
import EaselTerminal

/// The jobs in flight, oldest first: state, progress, elapsed time, prompt. When they do not all fit,
/// the title says how many are above and below the rows shown ("Queue (5) · +2 more ↓").
struct QueueView {
    func render(_ state: AppState, focused: Bool, in area: Rect, into buffer: inout CellBuffer) {
        let active = state.activeJobs
        let inner = area.inset(by: 1)
        let selected = state.selectedQueueJob?.id
        let shown = PaneRows.window(active, selected: selected, height: inner.height)
        buffer.box(area, title: Self.title(count: active.count, above: shown.startIndex, below: active.count - shown.endIndex),
                   role: focused ? .borderFocused : .border, titleRole: focused ? .titleFocused : .title)
        guard !inner.isEmpty else { return }
        if active.isEmpty {
            buffer.put("No jobs running", in: inner, role: .muted)
            return
        }
        for (row, job) in zip(inner.rows, shown) {
            let isSelected = focused && job.id == selected
            if isSelected { buffer.fill(row, role: .selection) }
            let glyph = job.state.holdsSlot ? Wording.spinnerFrame(job, now: state.now) : Wording.glyph(job.state)
            var used = buffer.put("\(glyph) ", in: row, role: isSelected ? .selection : Wording.role(job.state))
            if case .running(let p?, _, _) = job.state {
                used += buffer.put(Wording.bar(p, width: 8) + " ", x: row.x + used, y: row.y, maxWidth: row.width - used,
                                   role: isSelected ? .selection : .progress)
            }
            // A pool's job names the member it was bound to once it started ("processing 40% on gpu2").
            let member = job.pool != nil && job.backend != job.pool ? job.backend.map { " on \($0)" } ?? "" : ""
            let head = "\(Wording.stateText(job, in: state))\(member)  \(Wording.seconds(job.elapsed(now: state.now)))  "
            used += buffer.put(head, x: row.x + used, y: row.y, maxWidth: row.width - used,
                               role: isSelected ? .selection : Wording.role(job.state))
            buffer.put("\(Wording.oneLine(job.request.prompt))  seed \(job.request.seed)", x: row.x + used, y: row.y,
                       maxWidth: row.width - used, role: isSelected ? .selection : .text)
        }
    }

    /// "Queue", "Queue (3)", or with jobs out of sight: "Queue (5) · +2 more ↓", "Queue (5) · ↑1 · +1 more ↓".
    static func title(count: Int, above: Int, below: Int) -> String {
        PaneRows.title("Queue", count: count, above: above, below: below)
    }
}
