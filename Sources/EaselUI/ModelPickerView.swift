import EaselCore
import EaselTerminal

/// The model picker overlay: a box in the middle of the screen listing the backend's models (the one in
/// use marked ✓, the selected one ▸), the filter being typed on its last line. Draws nothing in a rect
/// smaller than 12×5 cells.
struct ModelPickerView {
    let keymap: Keymap

    func render(_ picker: ModelPicker, current: String?, in area: Rect, into buffer: inout CellBuffer) {
        let width = min(area.width - 2, 72), height = min(area.height - 2, 20)
        guard width >= 12, height >= 5 else { return }
        let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width: width, height: height)
        let inner = box.inset(by: 1)
        let backend = Sanitize.line(picker.backend)
        let keys = "\(keymap.name(.useModel, in: .models)) use · \(keymap.name(.closeOverlay, in: .models)) back"
        buffer.fill(box, role: .text)
        buffer.box(box, title: "Model for \(backend) — type to filter · \(keys)", role: .borderFocused, titleRole: .titleFocused)
        let listRows = inner.height - 1
        let filterLine = "filter: \(picker.filter)▏"
        buffer.put(filterLine, x: inner.x + 1, y: inner.maxY - 1, maxWidth: inner.width - 1, role: .hint)
        let message: String?
        switch picker.listing {
        case nil: message = "Asking \(backend) for its models…"
        case .notListed?: message = "\(backend) cannot list its models: set model in its config table, or use --model"
        case .failed(let why)?: message = "Could not list the models of \(backend): \(Sanitize.line(why))"
        case .models(let all)?:
            message = all.isEmpty ? "\(backend) lists no models"
                : picker.matches.isEmpty ? "No model contains “\(Sanitize.line(picker.filter))” (\(all.count) listed)" : nil
        }
        if let message {
            for (i, line) in StatusBar.wrap(message, width: inner.width - 2).prefix(listRows).enumerated() {
                buffer.put(line, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2, role: .muted)
            }
            return
        }
        let rows = picker.matches
        let selected = min(max(0, picker.selection), rows.count - 1)
        let first = max(0, min(selected - listRows / 2, rows.count - listRows))   // keeps the selection in view
        for (i, name) in rows.dropFirst(first).prefix(listRows).enumerated() {
            let index = first + i
            let mark = index == selected ? "▸ " : "  "
            let inUse = name == current ? "  ✓ in use" : ""
            let members = picker.members(listing: name)
            let on = members.isEmpty ? "" : "  on " + members.map(Sanitize.line).joined(separator: ", ")   // a pool: who has it
            buffer.put(mark + Sanitize.line(name) + on + inUse, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2,
                       role: index == selected ? .titleFocused : .text)
        }
    }
}
