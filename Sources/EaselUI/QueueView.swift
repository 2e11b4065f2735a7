import EaselCore
import EaselTerminal

/// The jobs in flight, oldest first: state, progress, elapsed time, prompt.
struct QueueView {
    func render(_ state: AppState, focused: Bool, in area: Rect, into buffer: inout CellBuffer) {
        let active = state.activeJobs
        buffer.box(area, title: active.isEmpty ? "Queue" : "Queue (\(active.count))",
                   role: focused ? .borderFocused : .border, titleRole: focused ? .titleFocused : .title)
        let inner = area.inset(by: 1)
        guard !inner.isEmpty else { return }
        if active.isEmpty {
            buffer.put("No jobs running", in: inner, role: .muted)
            return
        }
        let selected = state.selectedQueueJob?.id
        for (row, job) in zip(inner.rows, PaneRows.window(active, selected: selected, height: inner.height)) {
            let isSelected = focused && job.id == selected
            if isSelected { buffer.fill(row, role: .selection) }
            let glyph = job.state.holdsSlot ? Wording.spinnerFrame(job, now: state.now) : Wording.glyph(job.state)
            var used = buffer.put("\(glyph) ", in: row, role: isSelected ? .selection : Wording.role(job.state))
            if case .running(let p?, _, _) = job.state {
                used += buffer.put(Wording.bar(p, width: 8) + " ", x: row.x + used, y: row.y, maxWidth: row.width - used,
                                   role: isSelected ? .selection : .progress)
            }
            let head = "\(Wording.stateText(job, in: state))  \(Wording.seconds(job.elapsed(now: state.now)))  "
            used += buffer.put(head, x: row.x + used, y: row.y, maxWidth: row.width - used,
                               role: isSelected ? .selection : Wording.role(job.state))
            buffer.put("\(Wording.oneLine(job.request.prompt))  seed \(job.request.seed)", x: row.x + used, y: row.y,
                       maxWidth: row.width - used, role: isSelected ? .selection : .text)
        }
    }
}
