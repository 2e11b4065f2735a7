import EaselCore
import EaselTerminal
import Glibc

/// Text shared by the views, so every pane says a state the same way.
enum Wording {
    static let spinner = ["◐", "◓", "◑", "◒"]

    static func spinnerFrame(_ job: Job, now: ContinuousClock.Instant) -> String {
        let ms = Int(job.elapsed(now: now).components.seconds * 1000 + job.elapsed(now: now).components.attoseconds / 1_000_000_000_000_000)
        return spinner[(ms / 250) % spinner.count]
    }

    static func seconds(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return s < 10 ? String(format: "%.1fs", s) : "\(Int(s))s"
    }

    static func clock(_ wall: Double) -> String {
        var t = time_t(wall)
        var parts = tm()
        localtime_r(&t, &parts)
        return String(format: "%02d:%02d", Int(parts.tm_hour), Int(parts.tm_min))
    }

    static func percent(_ p: Double?) -> String { p.map { "\(Int(($0 * 100).rounded(.down)))%" } ?? "" }

    static func glyph(_ state: JobState) -> String {
        switch state {
        case .pending, .waiting, .submitting, .queued: "·"
        case .running, .downloading, .saving: "◐"
        case .complete: "✓"
        case .failed: "✗"
        case .canceled: "⊘"
        }
    }

    static func role(_ state: JobState) -> Role {
        switch state {
        case .pending, .waiting, .submitting, .queued: .jobQueued
        case .running, .downloading, .saving: .jobRunning
        case .complete: .jobComplete
        case .failed, .canceled: .jobFailed
        }
    }

    /// Like `stateText`, plus the pacer's countdown for pending jobs ("pending — rate limit, next slot in 12s").
    static func stateText(_ job: Job, in state: AppState) -> String {
        if job.state == .pending, let ready = state.pacerReadyAt, ready > state.now {
            return "pending — rate limit, next slot in \(Int((ready - state.now).components.seconds) + 1)s"
        }
        return stateText(job, now: state.now)
    }

    /// "processing 42% 12/30 ETA 4s", "queued #2", "rate limited — retry in 3s", "submitting", "downloading 2/4"
    /// (the image in hand, of the several the service made).
    static func stateText(_ job: Job, now: ContinuousClock.Instant) -> String {
        switch job.state {
        case .queued(let position?): return "queued #\(position)"
        case .pending: return "pending"
        case .waiting(let until):
            let left = max(0, Int((until - now).components.seconds) + 1)
            return "rate limited — retry in \(left)s"
        case .running(let p?):
            var text = "processing \(percent(p)) \(Int(p * Double(job.request.steps)))/\(job.request.steps)"
            if p > 0.05, let since = job.runningSince {
                let spent = now - since
                let left = spent * ((1 - p) / p)
                text += " ETA \(Int(left.components.seconds) + 1)s"
            }
            return text
        case .downloading, .saving:
            guard job.imageRefs.count > 1 else { return job.state.label }
            return "\(job.state.label) \(job.savedImages.count + 1)/\(job.imageRefs.count)"
        default: return job.state.label
        }
    }

    /// A progress bar `width` cells wide: `━` done, `─` to go.
    static func bar(_ p: Double, width: Int) -> String {
        guard width > 0 else { return "" }
        let filled = Int((min(1, max(0, p)) * Double(width)).rounded(.down))
        return String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
    }

    /// Prompt text on one line, sanitized.
    static func oneLine(_ s: String) -> String { Sanitize.line(s) }
}

/// The prompt editor: the text (wrapped, up to the pane's height less one) and a parameters line.
struct PromptEditorView {
    let keymap: Keymap

    func render(_ state: AppState, focused: Bool, in area: Rect, into buffer: inout CellBuffer) {
        let locked = state.isEditorLocked
        let title = state.fieldEdit?.title(keymap: keymap) ?? (locked ? "Prompt — locked while a job processes" : "Prompt")
        buffer.box(area, title: title, role: focused ? .borderFocused : .border,
                   titleRole: locked ? .locked : focused ? .titleFocused : .title)
        let inner = area.inset(by: 1)
        guard !inner.isEmpty else { return }
        let textRows = max(1, inner.height - 1)
        let role: Role = locked ? .locked : .text
        // Wrap by display width; keep the cursor's line visible.
        var lines: [[Character]] = [[]]
        var cursorLine = 0, cursorCol = 0, width = 0
        for (i, ch) in state.editor.characters.enumerated() {
            if i == state.editor.cursor { cursorLine = lines.count - 1; cursorCol = width }
            if ch == "\n" { lines.append([]); width = 0; continue }
            let w = DisplayWidth.of(ch)
            if width + w > inner.width - 1 { lines.append([]); width = 0 }
            lines[lines.count - 1].append(ch)
            width += w
        }
        if state.editor.cursor == state.editor.characters.count { cursorLine = lines.count - 1; cursorCol = width }
        let first = max(0, cursorLine - textRows + 1)
        if state.editor.isEmpty && !locked {
            buffer.put("Describe an image and press \(keymap.name(.generate, in: .prompt))…", x: inner.x, y: inner.y, maxWidth: inner.width, role: .muted)
        }
        for (row, line) in lines.dropFirst(first).prefix(textRows).enumerated() {
            buffer.put(String(line), x: inner.x, y: inner.y + row, maxWidth: inner.width, role: role)
        }
        if focused && !locked && !state.showHelp {
            buffer.cursor = (inner.x + cursorCol, inner.y + cursorLine - first)
        }
        if let search = state.search {
            buffer.put("(\(search.failed ? "failing " : "")reverse-i-search)`\(search.query)': \(keymap.name(.searchHistory, in: .prompt)) older · \(keymap.editingName(.generate, in: .prompt)) accept · \(keymap.editingName(.focusPrompt, in: .prompt)) cancel", x: inner.x, y: inner.maxY - 1,
                       maxWidth: inner.width, role: .hint)
            return
        }
        let p = state.parameters
        var params = "seed: \(p.seed.map(String.init) ?? "random")   \(p.width)×\(p.height)   steps: \(p.steps)"
        if p.count > 1 { params += "   count: \(p.count)" }
        if let i = state.historyBrowse { params += "   history \(i + 1)/\(state.promptHistory.count)" }
        if !p.negativePrompt.isEmpty { params = "neg: \(Wording.oneLine(p.negativePrompt))   " + params }
        buffer.put(params, x: inner.x, y: inner.maxY - 1, maxWidth: inner.width, role: .muted)
    }
}

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
        let index = active.firstIndex { $0.id == selected } ?? 0
        let top = max(0, index - inner.height + 1)
        for (row, job) in zip(inner.rows, active.dropFirst(top)) {
            let isSelected = focused && job.id == selected
            if isSelected { buffer.fill(row, role: .selection) }
            let glyph = job.state.holdsSlot ? Wording.spinnerFrame(job, now: state.now) : Wording.glyph(job.state)
            var used = buffer.put("\(glyph) ", in: row, role: isSelected ? .selection : Wording.role(job.state))
            if case .running(let p?) = job.state {
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

/// This run's finished jobs, newest first: glyph, time, duration, prompt or error, seed. While the
/// pane has the focus and room, the selected job's thumbnail sits at its right.
struct HistoryView {
    let keymap: Keymap
    /// Thumbnail size in cells.
    static let thumbnail = CellSize(columns: 20, rows: 8)
    let status: (ImagePresenter.Request) -> PreviewStatus

    /// - Returns: the thumbnail for the graphics layer to draw after the refresh, if one is ready.
    func render(_ state: AppState, focused: Bool, in area: Rect, into buffer: inout CellBuffer) -> ImagePresenter.Request? {
        let rows = state.finishedJobs
        var title = "History"
        if state.filterEditing || !state.historyFilter.isEmpty {
            title += " — filter: \(Sanitize.line(state.historyFilter))\(state.filterEditing ? "▏ \(keymap.editingName(.previewJob, in: .history)) keeps · \(keymap.editingName(.focusPrompt, in: .history)) clears" : "")"
        }
        buffer.box(area, title: title, role: focused ? .borderFocused : .border,
                   titleRole: focused ? .titleFocused : .title)
        var inner = area.inset(by: 1)
        guard !inner.isEmpty else { return nil }
        if rows.isEmpty {
            buffer.put(state.historyFilter.isEmpty ? "Finished jobs appear here" : "No job matches the filter", in: inner, role: .muted)
            return nil
        }
        let selected = state.historySelection ?? rows.first?.id
        var picture: ImagePresenter.Request?
        if focused, inner.width >= 48, inner.height >= Self.thumbnail.rows,
           case .complete(let image)? = rows.first(where: { $0.id == selected })?.state {
            let rect = Rect(x: inner.maxX - Self.thumbnail.columns, y: inner.y, width: Self.thumbnail.columns, height: Self.thumbnail.rows)
            let request = ImagePresenter.Request(path: image.path, rect: rect)
            if case .ready(let encoded) = status(request) { picture = PictureCells.draw(encoded, for: request, into: &buffer) }
            inner = Rect(x: inner.x, y: inner.y, width: inner.width - Self.thumbnail.columns - 1, height: inner.height)
        }
        let index = rows.firstIndex { $0.id == selected } ?? 0
        let top = max(0, index - inner.height + 1)
        for (row, job) in zip(inner.rows, rows.dropFirst(top)) {
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
}

extension Keymap {
    /// The first key bound to `command` in `context` (see ``Keymap/keyName(for:in:)``), else the
    /// command's keymap name, so hints stay true when a user rebinds or unbinds keys.
    func name(_ command: Command, in context: KeyContext) -> String {
        keyName(for: command, in: context) ?? command.rawValue
    }

    /// Like ``name(_:in:)``, skipping printable keys: for one-line fields (the C-r search, the History
    /// filter) where a printable key types itself.
    func editingName(_ command: Command, in context: KeyContext) -> String {
        for ctx in [context, .global] {
            for (key, bound) in bindings[ctx] ?? [] where bound == command {
                if case .char = key { continue }
                if ctx == .global, self.command(for: key, in: context) != command { continue }   // shadowed
                return key.name
            }
        }
        return command.rawValue
    }
}
