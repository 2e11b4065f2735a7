/// Applies `action` to `state` and returns the effects to run, in order.
/// Pure: no I/O, no clock (time arrives in `.tick`), no terminal.
public func reduce(_ state: inout AppState, _ action: Action, keymap: Keymap = .default) -> [Effect] {
    switch action {
    case .tick(let now, let wall):
        state.now = now
        state.wallTime = wall
        return []
    case .key(let key):
        state.hint = nil
        return reduceKey(&state, key, keymap: keymap)
    case .paste(let text):
        state.hint = nil
        guard state.focus == .prompt, !state.showHelp else { return [] }
        guard !state.isEditorLocked else { state.hint = .locked; return [] }
        state.editor.insert(Sanitize.line(text))
        return []
    case .submitted, .statusPolled, .downloaded, .saved, .failed:
        return reduceJob(&state, action)
    }
}
