import EaselCore
import EaselTerminal

/// The bottom line: backend, mode, the hint or error of the moment, and key hints whose key names
/// come from the keymap in use.
///
/// Nothing important is cut: a message takes the room of the less important part first (the
/// backend's description, then the mode; the backend's name stays), and what still does not fit wraps
/// into the overflow lines of ``layout(_:keymap:width:previewWidth:)``, which `render` puts at the
/// bottom of the preview column.
struct StatusBar {
    let keymap: Keymap

    /// The message of the moment (a y/n question, else the hint) and its role; `nil` when there is none.
    static func message(_ state: AppState, keymap: Keymap) -> (text: String, role: Role)? {
        switch state.confirmation {
        case .deleteImage?: break                     // asked in the gallery's own last line (GalleryView)
        case let question?: return (question.question(keymap: keymap), .error)
        case nil: break
        }
        if let hint = state.hint, !hint.isSaved { return (hint.message(keymap: keymap), hint.isError ? .error : .hint) }
        return nil
    }

    /// The prefixes tried in order, most informative first: " backend description · mode ",
    /// " backend · mode ", " backend " (the config table's name, which new jobs go to); each ends with
    /// the pool members that are down ("· gpu2 down "), which get no new jobs until a probe answers.
    static func prefixes(_ state: AppState) -> [String] {
        let down = state.downMembers.map(\.name)
        let note = down.isEmpty ? "" : "· \(down.joined(separator: ", ")) down "
        return [" \(state.backendName) · \(state.mode.rawValue) \(note)", " \(state.backendKey) · \(state.mode.rawValue) \(note)",
                " \(state.backendKey) \(note)"]
    }

    /// Splits the message into the part on the status bar and the lines that wrap above it.
    /// - Returns: the prefix kept, the status-bar part, and the overflow lines (each at most `previewWidth` cells).
    static func layout(_ state: AppState, keymap: Keymap, width: Int, previewWidth: Int)
        -> (prefix: String, first: String, overflow: [String]) {
        let prefixes = prefixes(state)
        guard let (text, _) = message(state, keymap: keymap) else { return (prefixes[0], "", []) }
        let line = " " + text
        for prefix in prefixes where DisplayWidth.of(prefix) + DisplayWidth.of(line) <= width {
            return (prefix, line, [])
        }
        // The backend's name stays unless it would take more than a third of the bar.
        let prefix = DisplayWidth.of(prefixes[2]) * 3 <= width ? prefixes[2] : ""
        var lines = wrap(line, width: max(1, width - DisplayWidth.of(prefix) - 1))
        let first = lines.removeFirst()
        return (prefix, first, lines.flatMap { wrap(" " + $0, width: max(1, previewWidth)) })
    }

    /// Word-wraps `text` to lines of at most `width` cells (a longer word is cut across lines).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if DisplayWidth.of(candidate) <= width { current = candidate; continue }
            if !current.isEmpty { lines.append(current) }
            current = word
            while DisplayWidth.of(current) > width {
                var head = "", rest = Substring(current)
                while let c = rest.first, DisplayWidth.of(head) + DisplayWidth.of(c) <= width { head.append(c); rest = rest.dropFirst() }
                if head.isEmpty { break }
                lines.append(head)
                current = String(rest)
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// Draws the bar in `area`, and the overflow lines bottom-up in `overflowArea` (the freed rows
    /// at the bottom of the preview column; lines that find no row there are dropped).
    /// - Returns: the saved file's path as a link, when the bar shows one.
    @discardableResult
    func render(_ state: AppState, in area: Rect, overflowArea: Rect, into buffer: inout CellBuffer) -> [Hyperlink] {
        guard !area.isEmpty else { return [] }
        buffer.fill(area, role: .statusBar)
        var (prefix, first, overflow) = Self.layout(state, keymap: keymap, width: area.width, previewWidth: overflowArea.width)
        var x = area.x + buffer.put(prefix, in: area, role: .statusBar)
        let room = overflowArea.isEmpty ? 0 : overflowArea.height
        if overflow.count > room {                    // what finds no row is cut, and the cut says so
            overflow = Array(overflow.prefix(room))
            if let last = overflow.popLast() { overflow.append(DisplayWidth.truncate(last + "…", to: overflowArea.width)) }
            else { first = DisplayWidth.truncate(first + "…", to: area.maxX - x) }
        }
        if let (_, role) = Self.message(state, keymap: keymap) {
            buffer.put(first, x: x, y: area.y, maxWidth: area.maxX - x, role: role)
            if !overflowArea.isEmpty { buffer.fill(overflowArea, role: .statusBar) }
            for (i, line) in overflow.enumerated() where i < overflowArea.height {
                buffer.put(line, x: overflowArea.x, y: overflowArea.y + i, maxWidth: overflowArea.width, role: role)
            }
            return []
        }
        if case .saved(_, let path)? = state.hint {
            x += buffer.put(" Saved ", x: x, y: area.y, maxWidth: area.maxX - x, role: .hint)
            let shown = DisplayWidth.truncate(Sanitize.line(path), to: area.maxX - x)
            buffer.put(shown, x: x, y: area.y, maxWidth: area.maxX - x, role: .hint)
            return shown.isEmpty ? [] : [Hyperlink(x: x, y: area.y, text: shown, url: Hyperlinks.fileURL(path))]
        }
        if let job = state.activeJobs.first(where: { $0.state.holdsSlot }) ?? state.activeJobs.first {
            let more = state.activeJobs.count > 1 ? " (+\(state.activeJobs.count - 1))" : ""
            x += buffer.put("· \(job.id) ", x: x, y: area.y, maxWidth: area.maxX - x, role: .statusKey)
            if case .running(let p?, _, _) = job.state {
                x += buffer.put(Wording.bar(p, width: 10) + " ", x: x, y: area.y, maxWidth: area.maxX - x, role: .statusKey)
            }
            x += buffer.put("\(Wording.stateText(job, now: state.now)) \(Wording.seconds(job.elapsed(now: state.now)))\(more) ",
                            x: x, y: area.y, maxWidth: area.maxX - x, role: .statusKey)
        }
        for (key, what) in hints(state) where x < area.maxX {
            x += buffer.put("· ", x: x, y: area.y, maxWidth: area.maxX - x, role: .statusBar)
            x += buffer.put(key, x: x, y: area.y, maxWidth: area.maxX - x, role: .statusKey)
            x += buffer.put(" \(what) ", x: x, y: area.y, maxWidth: area.maxX - x, role: .statusBar)
        }
        return []
    }

    /// Key hints for the moment, each named by the first key the keymap binds to the command there;
    /// a command with no key is left out.
    func hints(_ state: AppState) -> [(String, String)] {
        let context: KeyContext = state.showHelp ? .help : state.modelPicker != nil ? .models
            : state.gallery != nil ? .gallery : state.focus.keyContext
        let wanted: [(Command, String)]
        if state.showHelp { wanted = [(.closeOverlay, "close help"), (.quit, "quit")] }
        else if state.modelPicker != nil { wanted = [(.useModel, "use"), (.selectDown, "select"), (.closeOverlay, "back"), (.quit, "quit")] }
        else if state.gallery != nil { wanted = [(.closeOverlay, "close gallery"), (.toggleHelp, "help"), (.quit, "quit")] }
        else if state.focus == .prompt && state.isEditorLocked { wanted = [(.focusNext, "focus"), (.toggleHelp, "help"), (.quit, "quit")] }
        else if state.focus == .prompt { wanted = [(.generate, "generate"), (.focusNext, "focus"), (.toggleHelp, "help"), (.quit, "quit")] }
        else { wanted = [(.focusNext, "focus"), (.selectDown, "select"), (.toggleHelp, "help"), (.quit, "quit")] }
        return wanted.compactMap { command, what in
            guard let key = keymap.keyName(for: command, in: context) else { return nil }
            if command == .selectDown, let up = keymap.keyName(for: .selectUp, in: context) { return ("\(up)/\(key)", what) }
            return (key, what)
        }
    }
}

private extension Hint {
    var isSaved: Bool { if case .saved = self { true } else { false } }
}
