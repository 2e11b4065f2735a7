import EaselCore
import EaselTerminal

/// This run's finished jobs, newest first: glyph, time, duration, prompt or error, seed. While the
/// pane has the focus and room, the selected job's thumbnail sits at its right. When they do not all
/// fit, the title says how many are above and below the rows shown ("History (120) · ↑3 · +93 more ↓").
struct HistoryView {
    let keymap: Keymap
    /// Thumbnail size in cells.
    static let thumbnail = CellSize(columns: 20, rows: 8)
    let status: (ImagePresenter.Request) -> PreviewStatus

    /// - Returns: the thumbnail for the graphics layer to draw after the refresh, if one is ready.
    func render(_ state: AppState, focused: Bool, in area: Rect, into buffer: inout CellBuffer) -> ImagePresenter.Request? {
        var inner = area.inset(by: 1)
        let window = HistoryWindow(state, height: inner.height)
        let count = Self.rowCount(state)
        var title = PaneRows.title("History", count: count, above: window.above, below: count - window.above - window.rows.count)
        if state.filterEditing || !state.history.filter.isEmpty {
            title += " — filter: \(Sanitize.line(state.history.filter))\(state.filterEditing ? "▏ \(keymap.editingName(.previewJob, in: .history)) keeps · \(keymap.editingName(.focusPrompt, in: .history)) clears" : "")"
        }
        buffer.box(area, title: title, role: focused ? .borderFocused : .border,
                   titleRole: focused ? .titleFocused : .title)
        guard !inner.isEmpty else { return nil }
        if window.rows.isEmpty {
            buffer.put(state.history.filter.isEmpty ? "Finished jobs appear here" : "No job matches the filter", in: inner, role: .muted)
            return nil
        }
        let selected = window.selected
        var picture: ImagePresenter.Request?
        if focused, inner.width >= 48, inner.height >= Self.thumbnail.rows,
           case .complete(let image)? = window.rows.first(where: { $0.id == selected })?.state {
            let rect = Rect(x: inner.maxX - Self.thumbnail.columns, y: inner.y, width: Self.thumbnail.columns, height: Self.thumbnail.rows)
            let request = ImagePresenter.Request(path: image.path, rect: rect)
            if case .ready(let encoded) = status(request) { picture = PictureCells.draw(encoded, for: request, into: &buffer) }
            inner = Rect(x: inner.x, y: inner.y, width: inner.width - Self.thumbnail.columns - 1, height: inner.height)
        }
        for (row, job) in zip(inner.rows, window.rows) {
            let isSelected = focused && job.id == selected
            if isSelected { buffer.fill(row, role: .selection) }
            let images = job.savedImages.count > 1 ? "\(job.savedImages.count) images  " : ""
            let head = "\(job.starred ? "★" : Wording.glyph(job.state)) \(Wording.clock(job.createdWallTime))  \(Wording.seconds(job.elapsed(now: state.now)))  \(images)"
            let used = buffer.put(head, in: row, role: isSelected ? .selection : Wording.role(job.state))
            let detail: String
            if case .failed(let error) = job.state {
                detail = "\(DisplayWidth.truncate(Wording.oneLine(job.request.prompt), to: 24)) — \(error.message)"
            } else {
                detail = "\(Wording.oneLine(job.request.prompt))  seed \(job.request.seed)"
                    + (job.backend.map { $0 != state.backendKey ? "  · \(Sanitize.line($0))" : "" } ?? "")
            }
            buffer.put(detail, x: row.x + used, y: row.y, maxWidth: row.width - used, role: isSelected ? .selection : .text)
        }
        return picture
    }

    /// The history's rows: without a filter, every job not in flight (no row is built or matched);
    /// with one, the rows that match it.
    static func rowCount(_ state: AppState) -> Int {
        guard state.history.filter.isEmpty else { return state.historyRows.reduce(0) { n, _ in n + 1 } }
        return state.queue.jobs.count - state.queue.activeIndices.count
    }
}

/// The history rows a pane `height` rows tall shows: the newest first, scrolled so that the selected row is
/// the last one shown once it is below the first screenful. Found by walking ``AppState/historyRows`` and
/// stopping as soon as the window is known, so a frame looks at the rows down to the selection and the
/// screenful shown, never at every job (the whole history only when the selection is not among its rows).
struct HistoryWindow {
    /// The rows shown, top to bottom (at most `height`).
    private(set) var rows: [Job] = []
    /// The selected row: `history.selection`, else the newest row.
    private(set) var selected: JobID?
    /// History rows looked at to find the window.
    private(set) var visited = 0
    /// Rows above the first one shown (scrolled past).
    var above: Int { rows.isEmpty ? 0 : max(0, scrolledTo - rows.count) }
    /// Rows looked at down to the last one shown when the window is scrolled; 0 when it shows the first rows.
    private var scrolledTo = 0

    init(_ state: AppState, height: Int) {
        guard height > 0 else { return }
        selected = state.history.selection
        var head: [Job] = []                // the first screenful: shown while the selection is in it, or not found
        var tail: [Job] = []                // the last `height` rows seen, ending at the selection once it is found
        var found = false
        for job in state.historyRows {
            visited += 1
            if selected == nil { selected = job.id }
            if head.count < height { head.append(job) }
            if found {
                if head.count == height { break }
                continue
            }
            tail.append(job)
            if tail.count > height { tail.removeFirst() }
            if job.id == selected {
                found = true
                if visited > height { rows = tail; scrolledTo = visited; return }     // scrolled: the selection is the bottom row
                if head.count == height { break }
            }
        }
        rows = head
    }
}
