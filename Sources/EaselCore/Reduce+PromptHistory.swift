// Past prompts: remembered at each submit, browsed with ↑/↓, loaded or re-run from the History pane.

/// Puts a request's prompt and parameters in the editor (seed fixed to the request's).
func load(_ state: inout AppState, _ request: GenerationRequest) {
    state.editor.prompt.replace(with: request.prompt)
    state.editor.parameters.negativePrompt = request.negativePrompt
    state.editor.parameters.width = request.width
    state.editor.parameters.height = request.height
    state.editor.parameters.steps = request.steps
    state.editor.parameters.seed = request.seed
    state.editor.browsing = nil
}

/// One more job with exactly `request` (re-run from history), on the current backend with the model picked for it.
func enqueue(_ state: inout AppState, _ request: GenerationRequest) -> [Effect] {
    var request = fitted(request, &state)
    request.model = state.pickedModels[state.backendKey]
    let id = JobID(state.queue.nextJobID)
    state.queue.nextJobID += 1
    state.queue.jobs.append(Job(id: id, request: request, state: .pending, createdAt: state.now, createdWallTime: state.wallTime,
                              backend: state.backendKey, gallery: state.galleryDirectory))
    return startReady(&state)                  // the History cursor stays where it is (R, then n, works)
}

/// Adds a submitted prompt to the prompt history (an older equal entry moves to the end).
func remember(_ state: inout AppState, _ prompt: String, _ parameters: GenerationParameters) {
    state.editor.promptHistory.removeAll { $0.prompt == prompt }
    state.editor.promptHistory.append(PromptHistoryEntry(prompt: prompt, parameters: parameters))
    if state.editor.promptHistory.count > 1_000 { state.editor.promptHistory.removeFirst() }
    state.editor.browsing = nil
}

/// ↑/↓ past the first/last line: older/newer prompts; past the newest, the draft and its parameters come back.
func browseHistory(_ state: inout AppState, by delta: Int) {
    let count = state.editor.promptHistory.count
    guard count > 0 else { return }
    let current = state.editor.browsing?.index ?? count
    let next = max(0, min(count, current + delta))
    guard next != current else { return }
    let draft = state.editor.browsing?.draft ?? state.editor.prompt
    let draftParameters = state.editor.browsing?.draftParameters ?? state.editor.parameters
    if next == count {
        state.editor.prompt = draft
        let count = state.editor.parameters.count
        state.editor.parameters = draftParameters
        state.editor.parameters.count = count
        state.editor.browsing = nil
    } else {
        let entry = state.editor.promptHistory[next]
        state.editor.prompt.replace(with: entry.prompt)
        let count = state.editor.parameters.count
        state.editor.parameters = entry.parameters
        state.editor.parameters.count = count
        state.editor.browsing = PromptBrowse(index: next, draft: draft, draftParameters: draftParameters)
    }
}
