// C-r: incremental reverse search through past prompts, and the one-line editing it shares with the
// History filter.

/// Past prompts matching the search, newest first (all of them for an empty query).
private func searchMatches(_ state: AppState) -> [PromptHistoryEntry] {
    guard let search = state.search else { return [] }
    let needle = search.query.lowercased()
    return state.editor.promptHistory.reversed().filter { needle.isEmpty || $0.prompt.lowercased().contains(needle) }
}

/// The match for the search: newest first, skipping `skip` matches; `nil` when nothing matches.
func searchMatch(_ state: AppState) -> PromptHistoryEntry? {
    guard let skip = state.search?.skip else { return nil }
    let matches = searchMatches(state)
    return matches.isEmpty ? nil : matches[min(skip, matches.count - 1)]
}

/// Keys while C-r is active: type to narrow, C-r again for an older match, the prompt's line-editing
/// keys (Backspace, C-w, C-u) edit the query, Enter accepts, the prompt's `focus_prompt` and `quit`
/// keys (Esc, C-g, C-c) restore the prompt.
/// With no match the editor shows the prompt as it was, the hint says so, and Enter keeps it.
func searchKey(_ state: inout AppState, _ key: Key, keymap: Keymap) -> [Effect] {
    guard case .search(var search, let draft)? = state.modal else { return [] }
    let command = keymap.command(for: key, in: .prompt)
    switch key {
    case .char(let c): search.query.append(c); search.skip = 0
    case _ where command == .focusPrompt || command == .quit:
        state.editor.prompt = draft
        state.modal = nil
        return []
    case _ where command == .searchHistory:
        if search.skip + 1 < searchMatches(state).count { search.skip += 1 }
        else { state.hint = .info("No older match for “\(Sanitize.line(search.query))”") }
    case _ where editLine(&search.query, command):
        search.skip = 0
    default:
        // Enter (or any other key) accepts the match and leaves the search; with none, the prompt stays.
        acceptSearch(&state)
        return []
    }
    state.modal = .search(search, draft: draft)
    if let match = searchMatch(state) {
        state.editor.prompt = PromptEditor(match.prompt)
        search.failed = false
    } else {
        state.editor.prompt = draft
        search.failed = true
        state.hint = .info("No past prompt matches “\(Sanitize.line(search.query))”")
    }
    state.modal = .search(search, draft: draft)
    return []
}

/// Leaves the C-r search with its match in the editor; with none, the prompt as it was and a hint.
func acceptSearch(_ state: inout AppState) {
    guard case .search(let search, let draft)? = state.modal else { return }
    if let match = searchMatch(state) {
        state.editor.prompt.replace(with: match.prompt)
        let count = state.editor.parameters.count
        state.editor.parameters = match.parameters
        state.editor.parameters.count = count
    } else {
        state.editor.prompt = draft
        state.hint = .info("No past prompt matches “\(Sanitize.line(search.query))”: the prompt is unchanged")
    }
    state.modal = nil
}

/// Applies a line-editing command to a one-line field (the filter, the search query), the cursor
/// being at its end. - Returns: false for commands that do not edit a line.
func editLine(_ text: inout String, _ command: Command?) -> Bool {
    switch command {
    case .deleteBackward: if !text.isEmpty { text.removeLast() }
    case .killToLineStart: text = ""
    case .deleteWordBackward:
        while let last = text.last, last.isWhitespace { text.removeLast() }
        while let last = text.last, !last.isWhitespace { text.removeLast() }
    default: return false
    }
    return true
}
