import EaselCore
import EaselTerminal

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
        for (i, ch) in state.editor.prompt.characters.enumerated() {
            if i == state.editor.prompt.cursor { cursorLine = lines.count - 1; cursorCol = width }
            if ch == "\n" { lines.append([]); width = 0; continue }
            let w = DisplayWidth.of(ch)
            if width + w > inner.width - 1 { lines.append([]); width = 0 }
            lines[lines.count - 1].append(ch)
            width += w
        }
        if state.editor.prompt.cursor == state.editor.prompt.characters.count { cursorLine = lines.count - 1; cursorCol = width }
        let first = max(0, cursorLine - textRows + 1)
        if state.editor.prompt.isEmpty && !locked {
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
        let p = state.editor.parameters
        var params = "seed: \(p.seed.map(String.init) ?? "random")   \(p.width)×\(p.height)   steps: \(p.steps)"
        if p.count > 1 { params += "   count: \(p.count)" }
        if let model = state.model(of: state.backendKey) { params += "   model: \(Wording.oneLine(model))" }
        if let i = state.editor.browsing?.index { params += "   history \(i + 1)/\(state.editor.promptHistory.count)" }
        if !p.negativePrompt.isEmpty { params = "neg: \(Wording.oneLine(p.negativePrompt))   " + params }
        buffer.put(params, x: inner.x, y: inner.maxY - 1, maxWidth: inner.width, role: .muted)
    }
}
