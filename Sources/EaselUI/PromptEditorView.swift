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
        // Wrap by words within the display width; keep the cursor's line visible.
        let (lines, cursorLine, cursorCol) = Self.wrap(state.editor.prompt, width: inner.width - 1)
        let first = max(0, cursorLine - textRows + 1)
        let below = max(0, lines.count - first - textRows)
        if first > 0 || below > 0 {                   // lines out of sight: say so on the border
            let note = " " + [first > 0 ? "↑\(first)" : nil, below > 0 ? "↓\(below)" : nil].compactMap { $0 }.joined(separator: " ") + " "
            buffer.put(note, x: area.maxX - 1 - DisplayWidth.of(note), y: area.y, maxWidth: DisplayWidth.of(note),
                       role: focused ? .borderFocused : .border)
        }
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

    /// Lays `prompt` out in lines of at most `width` cells, breaking after the last space that fits (a word
    /// longer than a line is cut), and at each newline.
    /// - Returns: the lines, and the cursor's line and column (cells) in them.
    static func wrap(_ prompt: PromptEditor, width: Int) -> (lines: [[Character]], cursorLine: Int, cursorColumn: Int) {
        let width = max(1, width)
        var lines: [[Character]] = [[]]
        var starts = [0]                             // the character index each line starts at
        var lineWidth = 0
        for (i, ch) in prompt.characters.enumerated() {
            if ch == "\n" { lines.append([]); starts.append(i + 1); lineWidth = 0; continue }
            let w = DisplayWidth.of(ch)
            // A space may hang in the spare column at the end of the line (where the cursor can sit).
            if lineWidth + w > width, !lines[lines.count - 1].isEmpty, !(ch == " " && lineWidth + w <= width + 1) {
                var line = lines.removeLast()
                var carried: [Character] = []
                if ch != " ", let space = line.lastIndex(of: " "), space < line.count - 1 {
                    carried = Array(line[(space + 1)...])  // the word being typed moves down whole
                    line.removeSubrange((space + 1)...)
                }
                lines.append(line)
                lines.append(carried)
                starts.append(i - carried.count)
                lineWidth = carried.reduce(0) { $0 + DisplayWidth.of($1) }
            }
            lines[lines.count - 1].append(ch)
            lineWidth += w
        }
        let cursor = prompt.cursor
        let line = (starts.lastIndex { $0 <= cursor } ?? 0)
        let before = lines[line].prefix(max(0, cursor - starts[line]))
        return (lines, line, before.reduce(0) { $0 + DisplayWidth.of($1) })
    }
}
