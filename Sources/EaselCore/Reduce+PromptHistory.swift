// Past prompts: remembered at each submit, browsed with ↑/↓, loaded or re-run from the History pane.

/// Puts a request's prompt and parameters in the editor (seed fixed to the request's).
func load(_ state: inout AppState, _ request: GenerationRequest) {
    state.editor.replace(with: request.prompt)
    state.parameters.negativePrompt = request.negativePrompt
    state.parameters.width = request.width
    state.parameters.height = request.height
    state.parameters.steps = request.steps
    state.parameters.seed = request.seed
    state.historyBrowse = nil
}

/// One more job with exactly `request` (re-run from history).
func enqueue(_ state: inout AppState, _ request: GenerationRequest) -> [Effect] {
    let request = fitted(request, &state)
    let id = JobID(state.nextJobID)
    state.nextJobID += 1
    state.jobs.append(Job(id: id, request: request, state: .pending, createdAt: state.now, createdWallTime: state.wallTime,
                              backend: state.backendKey, gallery: state.galleryDirectory))
    return startReady(&state)                  // the History cursor stays where it is (R, then n, works)
}

/// Adds a submitted prompt to the prompt history (an older equal entry moves to the end).
func remember(_ state: inout AppState, _ prompt: String, _ parameters: GenerationParameters) {
    state.promptHistory.removeAll { $0.prompt == prompt }
    state.promptHistory.append(PromptHistoryEntry(prompt: prompt, parameters: parameters))
    if state.promptHistory.count > 1_000 { state.promptHistory.removeFirst() }
    state.historyBrowse = nil
    state.draft = nil
}

/// ↑/↓ past the first/last line: older/newer prompts; past the newest, the draft comes back.
func browseHistory(_ state: inout AppState, by delta: Int) {
    let count = state.promptHistory.count
    guard count > 0 else { return }
    let current = state.historyBrowse ?? count
    let next = max(0, min(count, current + delta))
    guard next != current else { return }
    if state.historyBrowse == nil { state.draft = state.editor }
    if next == count {
        state.editor = state.draft ?? PromptEditor()
        state.historyBrowse = nil
        state.draft = nil
    } else {
        let entry = state.promptHistory[next]
        state.editor.replace(with: entry.prompt)
        let count = state.parameters.count
        state.parameters = entry.parameters
        state.parameters.count = count
        state.historyBrowse = next
    }
}
