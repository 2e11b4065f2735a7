func reduceKey(_ state: inout AppState, _ key: Key, keymap: Keymap) -> [Effect] {
    if let question = state.confirmation {
        state.confirmation = nil
        let yes = keymap.command(for: key, in: .confirm) == .confirmYes
        if yes, case .deleteJob(let id) = question {
            state.jobs.removeAll { $0.id == id }            // the journal row goes with it (JournalSync)
            state.historySelection = nil
            state.hint = .info("Deleted job \(id) from the history")
        }
        if case .quitLosingJobs = question {
            // y, or the quit key pressed again, quits; anything else stays.
            let context: KeyContext = state.showHelp ? .help : state.focus.keyContext
            if yes || keymap.command(for: key, in: context) == .quit { return [.terminal(.quit)] }
        }
        return []
    }
    if state.gallery != nil, !state.showHelp { return galleryKey(&state, key, keymap: keymap) }
    if state.filterEditing, state.focus == .history {
        switch key {
        case .char(let c): state.historyFilter.append(c)
        case _ where keymap.command(for: key, in: .history) == .focusPrompt:   // Esc: cleared
            state.historyFilter = ""
            state.filterEditing = false
        default:
            // The prompt's line-editing keys edit the filter; Enter (or anything else) keeps it.
            if !editLine(&state.historyFilter, keymap.command(for: key, in: .prompt)) { state.filterEditing = false }
        }
        state.historySelection = nil
        return []
    }
    if state.search != nil, !state.showHelp, state.focus == .prompt { return searchKey(&state, key, keymap: keymap) }
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
    .insertNewline, .deleteWordForward, .yank, .undo, .historyPrevious, .historyNext, .searchHistory,
]

func perform(_ state: inout AppState, _ command: Command) -> [Effect] {
    if let field = state.fieldEdit, state.focus == .prompt {
        switch command {
        case .generate:
            finishFieldEdit(&state, apply: true)
            return []
        case .editNegative where field == .negativePrompt, .editParameters where field == .parameters:
            finishFieldEdit(&state, apply: true)       // the field's own key again: back, applied
            return []
        case .focusNext, .focusPrevious, .focusPrompt:
            finishFieldEdit(&state, apply: false)             // Esc / Tab: cancel, the prompt comes back
            return []
        case .searchHistory, .historyPrevious, .historyNext, .editNegative, .editParameters:
            if command == .historyPrevious { _ = state.editor.moveLine(-1) }
            if command == .historyNext { _ = state.editor.moveLine(1) }
            return []
        default: break
        }
    }
    if state.focus == .prompt, state.isEditorLocked, editingCommands.contains(command) {
        state.hint = .locked
        return []
    }
    switch command {
    case .generate: return generate(&state)
    case .quit: return requestQuit(&state)
    case .quitIfEmpty:
        if state.editor.isEmpty { return requestQuit(&state) }
        else if state.isEditorLocked { state.hint = .locked }
        else { state.editor.deleteForward() }
    case .focusNext: state.focus = Pane.allCases[(Pane.allCases.firstIndex(of: state.focus)! + 1) % Pane.allCases.count]
    case .focusPrevious:
        let n = Pane.allCases.count
        state.focus = Pane.allCases[(Pane.allCases.firstIndex(of: state.focus)! + n - 1) % n]
    case .focusPrompt: state.focus = .prompt      // Esc: back out of a pane (fields, search and filter close first)
    case .editNegative, .editParameters:
        guard state.focus == .prompt else { return [] }
        guard !state.isEditorLocked else { state.hint = .locked; return [] }
        state.stashedPrompt = state.editor
        if command == .editNegative {
            state.fieldEdit = .negativePrompt
            state.editor = PromptEditor(state.parameters.negativePrompt)
        } else {
            state.fieldEdit = .parameters
            state.editor = PromptEditor(parametersText(state.parameters))
            offerSizes(&state)
        }
    case .toggleSeed:
        state.parameters.seed = state.parameters.seed == nil ? state.seeds.next() : nil
    case .toggleHelp:
        state.showHelp.toggle()
        state.helpScroll = 0
    case .closeOverlay: state.showHelp = false
    case .selectUp where state.showHelp: state.helpScroll = max(0, state.helpScroll - 1)
    case .selectDown where state.showHelp: state.helpScroll += 1
    case .pageUp: if state.showHelp { state.helpScroll = max(0, state.helpScroll - 10) }
    case .pageDown: if state.showHelp { state.helpScroll += 10 }
    case .selectUp: moveSelection(&state, by: -1)
    case .selectDown: moveSelection(&state, by: 1)
    case .toggleMode:
        state.mode = state.mode == .exclusive ? .queue : .exclusive
        state.hint = .info(state.mode == .queue ? "Queue mode: Enter adds to the queue while jobs run"
                                                : "Exclusive mode: one job at a time, the editor locks while it runs")
    case .countUp: state.parameters.count = min(GenerationParameters.maxCount, state.parameters.count + 1)
    case .countDown: state.parameters.count = max(1, state.parameters.count - 1)
    case .cancelJob: return cancelSelected(&state)
    case .clearPending:
        return state.jobs.filter { $0.state == .pending || $0.isWaiting }.flatMap { finish(&state, $0.id, .canceled) }
    case .moveJobUp: movePending(&state, by: -1)
    case .moveJobDown: movePending(&state, by: 1)
    case .retryJob: return retrySelected(&state)
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
    case .insertNewline: state.editor.insert("\n")
    case .deleteWordForward: state.editor.deleteWordForward()
    case .yank: state.editor.yank()
    case .undo: state.editor.undo()
    case .historyPrevious: if !state.editor.moveLine(-1) { browseHistory(&state, by: -1) }
    case .historyNext: if !state.editor.moveLine(1) { browseHistory(&state, by: 1) }
    case .searchHistory:
        state.draft = state.editor
        state.search = PromptSearch()
    case .previewJob:
        if let job = state.selectedHistoryJob { state.historySelection = job.id }
    case .loadJob:
        guard let job = state.selectedHistoryJob else { return [] }
        load(&state, job.request)
        state.focus = .prompt
    case .rerunSameSeed, .rerunNewSeed:
        guard let job = state.selectedHistoryJob else { return [] }
        guard !state.isEditorLocked else { state.hint = .locked; return [] }
        var request = job.request
        if command == .rerunNewSeed { request.seed = state.seeds.next() }
        return enqueue(&state, request)
    case .copyPath, .copyPrompt:
        guard let job = state.selectedHistoryJob ?? state.selectedQueueJob else { return [] }
        let text: String
        if command == .copyPrompt {
            text = job.request.prompt
        } else if case .complete(let image) = job.state {
            text = image.path
        } else {
            state.hint = .info("Only finished images have a path to copy")
            return []
        }
        state.hint = .info("Copied to the clipboard (OSC 52)")
        return [.terminal(.copyToClipboard(text))]
    case .deleteJob:
        guard let job = state.selectedHistoryJob else { return [] }
        state.confirmation = .deleteJob(job.id)
    case .starJob:
        guard let job = state.selectedHistoryJob else { return [] }
        state.update(job.id) { $0.starred.toggle() }
        state.historySelection = job.id
    case .filterHistory:
        state.filterEditing = true
    case .openImage:
        guard case .complete(let image)? = state.selectedHistoryJob?.state else { return [] }
        return [.open(image.path)]
    case .redraw: return [.terminal(.redraw)]
    case .suspend: return [.terminal(.suspend)]
    case .cycleTheme:
        guard state.themes.colors else { state.hint = .info("Colours are off (NO_COLOR)"); return [] }
        guard let next = state.themes.next else { state.hint = .info("No themes found"); return [] }
        return [.terminal(.loadTheme(next))]
    case .switchBackend:
        guard state.backends.count > 1 else {
            state.hint = .info("Only one backend: add [backends.NAME] tables to the config (easel config --print-default)")
            return []
        }
        let i = state.backends.firstIndex { $0.name == state.backendKey } ?? -1
        let next = state.backends[(i + 1) % state.backends.count]
        state.backendKey = next.name
        state.backendName = next.summary
        state.hint = .info("New jobs go to \(next.summary); jobs in flight stay where they are")
        return [.selectBackend(next.name)]
    case .openGallery, .selectLeft, .selectRight, .selectFirst, .selectLast, .starImage, .deleteImage, .loadImage, .rescanGallery:
        return galleryCommand(&state, command)
    case .cycleSize: cycleSize(&state)
    case .confirmYes, .confirmNo: break          // only while a question waits (reduceKey)
    }
    return []
}

/// Up/down in the focused list: the queue (oldest first) or the history (newest first).
private func moveSelection(_ state: inout AppState, by delta: Int) {
    switch state.focus {
    case .prompt: return
    case .queue:
        let rows = state.activeJobs
        guard let current = state.selectedQueueJob, let i = rows.firstIndex(where: { $0.id == current.id }) else { return }
        state.queueSelection = rows[max(0, min(rows.count - 1, i + delta))].id
    case .history:
        let rows = state.finishedJobs
        guard !rows.isEmpty else { return }
        let current = state.historySelection.flatMap { id in rows.firstIndex { $0.id == id } } ?? 0
        state.historySelection = rows[max(0, min(rows.count - 1, current + delta))].id
    }
}

/// Cancel the selected queue job: unsent jobs are dropped; a job on the service gets the backend's
/// cancel call; a submit in flight is canceled as soon as the service answers with its id.
private func cancelSelected(_ state: inout AppState) -> [Effect] {
    guard state.focus == .queue, let job = state.selectedQueueJob else { return [] }
    let index = state.activeJobs.firstIndex { $0.id == job.id } ?? 0
    defer {                                   // the cursor stays on the same row: the next job moves up into it
        let rest = state.activeJobs
        state.queueSelection = rest.isEmpty ? nil : rest[min(index, rest.count - 1)].id
    }
    switch job.state {
    case .pending, .waiting, .downloading, .saving:
        return finish(&state, job.id, .canceled) + startReady(&state)
    case .submitting:
        state.update(job.id) { $0.cancelRequested = true }
        return []
    case .queued, .running:
        let ended = finish(&state, job.id, .canceled)
        if let remote = job.remoteID { return ended + [.cancel(job.id, remote)] + startReady(&state) }
        return ended + startReady(&state)
    case .complete, .failed, .canceled:
        return []
    }
}

/// Swap the selected pending job with its pending neighbour; jobs start in list order.
private func movePending(_ state: inout AppState, by delta: Int) {
    guard state.focus == .queue, let job = state.selectedQueueJob, job.state == .pending,
          let i = state.jobs.firstIndex(where: { $0.id == job.id }) else { return }
    var j = i + delta
    while j >= 0, j < state.jobs.count, state.jobs[j].state != .pending { j += delta }
    guard j >= 0, j < state.jobs.count else { return }
    state.jobs.swapAt(i, j)
}

/// Quits, unless jobs run on a backend that stops with Easel: then asks first (y / n).
/// Jobs on other backends keep running on the service and resume at the next start.
private func requestQuit(_ state: inout AppState) -> [Effect] {
    let lost = state.activeJobs.filter { state.ephemeralBackends.contains($0.backend ?? "") }.count
    guard lost == 0 else { state.confirmation = .quitLosingJobs(lost); return [] }
    return [.terminal(.quit)]
}

/// Retry the selected finished job without paying twice: after the service finished (download or
/// save failed) only the download runs again; a timed-out job resumes polling its remote id;
/// anything else is sent again as the same frozen request.
private func retrySelected(_ state: inout AppState) -> [Effect] {
    let candidate = state.focus == .history ? state.selectedHistoryJob : state.focus == .queue ? state.selectedQueueJob : nil
    guard let job = candidate else { return [] }
    let now = state.now
    switch job.state {
    case .failed(let error):
        state.historySelection = nil
        if case .storage = error {                    // the image is kept: save it again, never regenerate
            reopen(&state, job.id, .downloading, now)
            return [.loadPending(job.id, fallback: job.imageRef)]
        }
        if let ref = job.imageRef {
            reopen(&state, job.id, .downloading, now)
            return [.download(job.id, ref)]
        }
        if error.kind == "timed_out" || error.kind == "journal", let remote = job.remoteID {
            // Resume the same remote job: it may still finish, or have finished (never pay twice).
            reopen(&state, job.id, .running(progress: nil), now)
            state.update(job.id) { $0.startedAt = now; $0.pollFailures = 0 }
            return [.poll(job.id, remote, after: .zero)]
        }
    case .canceled: break
    default: return []
    }
    reopen(&state, job.id, .pending, now)
    return startReady(&state)
}

private func reopen(_ state: inout AppState, _ id: JobID, _ to: JobState, _ now: ContinuousClock.Instant) {
    state.update(id) {
        $0.state = to
        $0.finishedAt = nil
    }
    if state.mode == .exclusive, state.focus == .prompt { state.hint = .locked }
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
    _ = fitEditorSize(&state)
    let p = state.parameters
    for n in 0..<max(1, p.count) {
        let seed = p.seed.map { $0 &+ UInt32(n) } ?? state.seeds.next()
        let request = GenerationRequest(prompt: prompt, negativePrompt: p.negativePrompt, width: p.width,
                                        height: p.height, seed: seed, steps: p.steps)
        let id = JobID(state.nextJobID)
        state.nextJobID += 1
        state.jobs.append(Job(id: id, request: request, state: .pending, createdAt: state.now, createdWallTime: state.wallTime,
                              backend: state.backendKey, gallery: state.galleryDirectory))
    }
    remember(&state, prompt, p)
    if state.mode == .queue { state.editor.replace(with: "") }   // ready for the next prompt; ↑ brings it back
    if state.mode == .queue, p.count > 1 || state.activeJobs.count > p.count {
        state.hint = .info("\(p.count) job\(p.count == 1 ? "" : "s") queued; \(state.activeJobs.count) waiting or running")
    }
    return startReady(&state)
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// Puts a request's prompt and parameters in the editor (seed fixed to the request's).
private func load(_ state: inout AppState, _ request: GenerationRequest) {
    state.editor.replace(with: request.prompt)
    state.parameters.negativePrompt = request.negativePrompt
    state.parameters.width = request.width
    state.parameters.height = request.height
    state.parameters.steps = request.steps
    state.parameters.seed = request.seed
    state.historyBrowse = nil
}

/// One more job with exactly `request` (re-run from history).
private func enqueue(_ state: inout AppState, _ request: GenerationRequest) -> [Effect] {
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
private func browseHistory(_ state: inout AppState, by delta: Int) {
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
