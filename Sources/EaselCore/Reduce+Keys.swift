func reduceKey(_ state: inout AppState, _ key: Key, keymap: Keymap) -> [Effect] {
    let context: KeyContext = state.showHelp ? .help : state.focus.keyContext
    guard let command = keymap.command(for: key, in: context) else {
        if context == .prompt, case .char(let c) = key {
            guard !state.isEditorLocked else { state.hint = .locked; return [] }
            state.editor.insert(String(c))
        }
        return []
    }
    return perform(&state, command)
}

private let editingCommands: Set<Command> = [
    .deleteBackward, .deleteForward, .deleteWordBackward, .killToLineEnd, .killToLineStart,
]

func perform(_ state: inout AppState, _ command: Command) -> [Effect] {
    if state.focus == .prompt, state.isEditorLocked, editingCommands.contains(command) {
        state.hint = .locked
        return []
    }
    switch command {
    case .generate: return generate(&state)
    case .quit: state.quitRequested = true
    case .quitIfEmpty:
        if state.editor.isEmpty { state.quitRequested = true }
        else if state.isEditorLocked { state.hint = .locked }
        else { state.editor.deleteForward() }
    case .focusNext: state.focus = Pane.allCases[(Pane.allCases.firstIndex(of: state.focus)! + 1) % Pane.allCases.count]
    case .focusPrevious:
        let n = Pane.allCases.count
        state.focus = Pane.allCases[(Pane.allCases.firstIndex(of: state.focus)! + n - 1) % n]
    case .focusPrompt: state.focus = .prompt
    case .toggleHelp: state.showHelp.toggle()
    case .closeOverlay: state.showHelp = false
    case .selectUp: moveHistorySelection(&state, by: -1)
    case .selectDown: moveHistorySelection(&state, by: 1)
    case .cursorLeft: state.editor.moveLeft()
    case .cursorRight: state.editor.moveRight()
    case .cursorLineStart: state.editor.moveToStart()
    case .cursorLineEnd: state.editor.moveToEnd()
    case .cursorWordLeft: state.editor.moveWordLeft()
    case .cursorWordRight: state.editor.moveWordRight()
    case .deleteBackward: state.editor.deleteBackward()
    case .deleteForward: state.editor.deleteForward()
    case .deleteWordBackward: state.editor.deleteWordBackward()
    case .killToLineEnd: state.editor.killToEnd()
    case .killToLineStart: state.editor.killToStart()
    case .redraw: state.redrawRequests += 1
    case .cycleSize:
        let sizes = GenerationParameters.sizePresets
        let i = sizes.firstIndex { $0 == (state.parameters.width, state.parameters.height) }
        let next = sizes[((i ?? -1) + 1) % sizes.count]
        (state.parameters.width, state.parameters.height) = next
    }
    return []
}

/// Up/down in the history pane (newest first); `nil` selection means the newest row.
private func moveHistorySelection(_ state: inout AppState, by delta: Int) {
    guard state.focus == .history else { return }
    let rows = state.finishedJobs
    guard !rows.isEmpty else { return }
    let current = state.historySelection.flatMap { id in rows.firstIndex { $0.id == id } } ?? 0
    state.historySelection = rows[max(0, min(rows.count - 1, current + delta))].id
}

/// Enter in the prompt: validate, freeze the request, and submit, unless the editor is locked.
private func generate(_ state: inout AppState) -> [Effect] {
    guard !state.isEditorLocked else { state.hint = .locked; return [] }
    let prompt = state.editor.text.trimmingWhitespace()
    guard !prompt.isEmpty else { state.hint = .emptyPrompt; return [] }
    guard prompt.count <= GenerationRequest.maxPromptLength else {
        state.hint = .promptTooLong(characters: prompt.count)
        return []
    }
    let p = state.parameters
    let seed = p.seed ?? state.seeds.next()
    let request = GenerationRequest(prompt: prompt, negativePrompt: p.negativePrompt, width: p.width,
                                    height: p.height, seed: seed, steps: p.steps)
    let id = JobID(state.nextJobID)
    state.nextJobID += 1
    state.jobs.append(Job(id: id, request: request, state: .submitting, createdAt: state.now, createdWallTime: state.wallTime))
    return [.submit(id, request)]
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
