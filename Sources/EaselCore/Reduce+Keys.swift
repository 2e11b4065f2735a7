/// Rows PgUp / PgDn move the cursor in the queue and history panes.
let listPage = 10

func reduceKey(_ state: inout AppState, _ key: Key, keymap: Keymap) -> [Effect] {
    if case .question(let question, let under)? = state.modal {
        state.modal = under
        let yes = keymap.command(for: key, in: .confirm) == .confirmYes
        if case .deleteImage(let path) = question { return yes ? [.gallery(.delete(path))] : [] }
        if yes, case .deleteJob(let id) = question {
            state.queue.jobs.removeAll { $0.id == id }            // the journal row goes with it (JournalSync)
            state.history.selection = nil
            state.hint = .info("Deleted job \(id) from the history")
        }
        if case .quitLosingJobs = question {
            // y, or the quit key pressed again, quits; anything else stays.
            let context: KeyContext = state.showHelp ? .help : state.focus.keyContext
            if yes || keymap.command(for: key, in: context) == .quit { return [.terminal(.quit)] }
        }
        return []
    }
    if state.modelPicker != nil, !state.showHelp { return modelPickerKey(&state, key, keymap: keymap) }
    if state.gallery != nil, !state.showHelp { return galleryKey(&state, key, keymap: keymap) }
    if state.filterEditing, state.focus == .history {
        switch key {
        case .char(let c): state.history.filter.append(c)
        case _ where keymap.command(for: key, in: .history) == .focusPrompt:   // Esc: cleared
            state.history.filter = ""
            state.modal = nil
        default:
            // The prompt's line-editing keys edit the filter; Enter (or anything else) keeps it.
            if !editLine(&state.history.filter, keymap.command(for: key, in: .prompt)) { state.modal = nil }
        }
        state.history.selection = nil
        return []
    }
    if state.search != nil, state.focus == .prompt { return searchKey(&state, key, keymap: keymap) }
    let context: KeyContext = state.showHelp ? .help : state.focus.keyContext
    guard let command = keymap.command(for: key, in: context) else {
        if context == .prompt, case .char(let c) = key {
            guard !state.isEditorLocked else { state.hint = .locked; return [] }
            state.editor.prompt.insert(String(c))
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
    if state.showHelp, Keymap.closesHelpFirst.contains(command) {
        state.modal = state.modal?.removingLayer { $0.isHelp }   // Tab, S-Tab, F4 over the help: it closes first
    }
    if let field = state.fieldEdit, state.focus == .prompt {
        switch command {
        case .generate:
            finishFieldEdit(&state, apply: true)
            return []
        case .editNegative where field == .negativePrompt, .editParameters where field == .parameters:
            finishFieldEdit(&state, apply: true)       // the field's own key again: back, applied
            return []
        case .focusNext, .focusPrevious, .focusPrompt:
            // Esc / Tab: back to the prompt. The negative prompt keeps what was typed; the parameters,
            // whose text may not parse, are canceled (their title says so).
            finishFieldEdit(&state, apply: field.keepsTextOnLeaving)
            return []
        case .searchHistory, .historyPrevious, .historyNext, .editNegative, .editParameters:
            if command == .historyPrevious { _ = state.editor.prompt.moveLine(-1) }
            if command == .historyNext { _ = state.editor.prompt.moveLine(1) }
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
        if state.editor.prompt.isEmpty { return requestQuit(&state) }
        else if state.isEditorLocked { state.hint = .locked }
        else { state.editor.prompt.deleteForward() }
    case .focusNext: state.focus = Pane.allCases[(Pane.allCases.firstIndex(of: state.focus)! + 1) % Pane.allCases.count]
    case .focusPrevious:
        let n = Pane.allCases.count
        state.focus = Pane.allCases[(Pane.allCases.firstIndex(of: state.focus)! + n - 1) % n]
    case .focusPrompt: state.focus = .prompt      // Esc: back out of a pane (fields, search and filter close first)
    case .editNegative, .editParameters:
        guard state.focus == .prompt else { return [] }
        guard !state.isEditorLocked else { state.hint = .locked; return [] }
        let stashed = state.editor.prompt
        if command == .editNegative {
            state.modal = .field(.negativePrompt, stashed: stashed)
            state.editor.prompt = PromptEditor(state.editor.parameters.negativePrompt)
        } else {
            state.modal = .field(.parameters, stashed: stashed)
            state.editor.prompt = PromptEditor(parametersText(state.editor.parameters))
            offerSizes(&state)
        }
    case .toggleSeed:
        state.editor.parameters.seed = state.editor.parameters.seed == nil ? state.editor.seeds.next() : nil
    case .toggleHelp:
        state.modal = state.showHelp ? state.modal?.removingLayer { $0.isHelp } : .help(scroll: 0, under: state.modal)
    case .closeOverlay: state.modal = state.modal?.removingLayer { $0.isHelp }
    case .selectUp where state.showHelp: scrollHelp(&state, by: -1)
    case .selectDown where state.showHelp: scrollHelp(&state, by: 1)
    case .pageUp: if state.showHelp { scrollHelp(&state, by: -state.helpPage.shown) } else { moveSelection(&state, by: -listPage) }
    case .pageDown: if state.showHelp { scrollHelp(&state, by: state.helpPage.shown) } else { moveSelection(&state, by: listPage) }
    case .selectUp: moveSelection(&state, by: -1)
    case .selectDown: moveSelection(&state, by: 1)
    case .selectFirst where state.gallery == nil: moveSelection(&state, by: -Int.max)   // the queue's oldest, the history's newest
    case .selectLast where state.gallery == nil: moveSelection(&state, by: Int.max)
    case .toggleMode:
        state.mode = state.mode == .exclusive ? .queue : .exclusive
        state.hint = .info(state.mode == .queue ? "Queue mode: Enter adds to the queue while jobs run"
                                                : "Exclusive mode: one job at a time, the editor locks while it runs")
    case .countUp: state.editor.parameters.count = min(GenerationParameters.maxCount, state.editor.parameters.count + 1)
    case .countDown: state.editor.parameters.count = max(1, state.editor.parameters.count - 1)
    case .cancelJob: return cancelSelected(&state)
    case .clearPending:
        return state.queue.jobs.filter { $0.state == .pending || $0.isWaiting }.flatMap { finish(&state, $0.id, .canceled) }
    case .moveJobUp: movePending(&state, by: -1)
    case .moveJobDown: movePending(&state, by: 1)
    case .retryJob: return retrySelected(&state)
    case .cursorLeft: state.editor.prompt.moveLeft()
    case .cursorRight: state.editor.prompt.moveRight()
    case .cursorLineStart: state.editor.prompt.moveToStart()
    case .cursorLineEnd: state.editor.prompt.moveToEnd()
    case .cursorWordLeft: state.editor.prompt.moveWordLeft()
    case .cursorWordRight: state.editor.prompt.moveWordRight()
    case .deleteBackward: state.editor.prompt.deleteBackward()
    case .deleteForward: state.editor.prompt.deleteForward()
    case .deleteWordBackward: state.editor.prompt.deleteWordBackward()
    case .killToLineEnd: state.editor.prompt.killToEnd()
    case .killToLineStart: state.editor.prompt.killToStart()
    case .insertNewline: state.editor.prompt.insert("\n")
    case .deleteWordForward: state.editor.prompt.deleteWordForward()
    case .yank: state.editor.prompt.yank()
    case .undo: state.editor.prompt.undo()
    case .historyPrevious: if !state.editor.prompt.moveLine(-1) { browseHistory(&state, by: -1) }
    case .historyNext: if !state.editor.prompt.moveLine(1) { browseHistory(&state, by: 1) }
    case .searchHistory:
        state.modal = .search(PromptSearch(), draft: state.editor.prompt)
    case .previewJob:
        if let job = state.selectedHistoryJob { state.history.selection = job.id }
    case .loadJob:
        guard let job = state.selectedHistoryJob else { return [] }
        load(&state, job.request)
        state.focus = .prompt
    case .rerunSameSeed, .rerunNewSeed:
        guard let job = state.selectedHistoryJob else { return [] }
        guard !state.isEditorLocked else { state.hint = .locked; return [] }
        var request = job.request
        if command == .rerunNewSeed { request.seed = state.editor.seeds.next() }
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
        state.ask(.deleteJob(job.id))
    case .starJob:
        guard let job = state.selectedHistoryJob else { return [] }
        state.update(job.id) { $0.starred.toggle() }
        state.history.selection = job.id
    case .filterHistory:
        if state.modal == nil { state.modal = .filter }
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
        return []                                 // jobs made before stay on their backend (Job.backend)
    case .openGallery, .selectLeft, .selectRight, .selectFirst, .selectLast, .starImage, .deleteImage, .loadImage, .rescanGallery:
        return galleryCommand(&state, command)
    case .cycleSize: cycleSize(&state)
    case .pickModel: return openModelPicker(&state)
    case .useModel: break                        // only while the model picker is open (modelPickerKey)
    case .confirmYes, .confirmNo: break          // only while a question waits (reduceKey)
    }
    return []
}

/// Quits, unless jobs run on a backend that stops with Easel: then asks first (y / n).
/// Jobs on other backends keep running on the service and resume at the next start.
private func requestQuit(_ state: inout AppState) -> [Effect] {
    let lost = state.activeJobs.filter { state.ephemeralBackends.contains($0.backend ?? "") }.count
    guard lost == 0 else { state.ask(.quitLosingJobs(lost)); return [] }
    return [.terminal(.quit)]
}

/// Scrolls the help overlay by `lines` (not above its first line).
/// Moves the help overlay's first line by `lines`, within its first and last page (`AppState.helpPage`).
func scrollHelp(_ state: inout AppState, by lines: Int) {
    guard case .help(let scroll, let under)? = state.modal else { return }
    let last = state.helpPage.lines == .max ? Int.max : max(0, state.helpPage.lines - state.helpPage.shown)
    state.modal = .help(scroll: max(0, min(last, scroll + lines)), under: under)
}

/// Enter in the prompt: validate, freeze the request, and submit, unless the editor is locked.
private func generate(_ state: inout AppState) -> [Effect] {
    guard !state.isEditorLocked else { state.hint = .locked; return [] }
    let prompt = state.editor.prompt.text.trimmingWhitespace()
    guard !prompt.isEmpty else { state.hint = .emptyPrompt; return [] }
    guard prompt.count <= GenerationRequest.maxPromptLength else {
        state.hint = .promptTooLong(characters: prompt.count)
        return []
    }
    _ = fitEditorSize(&state)
    let p = state.editor.parameters
    for n in 0..<max(1, p.count) {
        let seed = p.seed.map { $0 &+ UInt32(n) } ?? state.editor.seeds.next()
        let request = GenerationRequest(prompt: prompt, negativePrompt: p.negativePrompt, width: p.width,
                                        height: p.height, seed: seed, steps: p.steps, model: state.pickedModels[state.backendKey])
        let id = JobID(state.queue.nextJobID)
        state.queue.nextJobID += 1
        state.queue.jobs.append(Job(id: id, request: request, state: .pending, createdAt: state.now, createdWallTime: state.wallTime,
                              backend: state.backendKey, gallery: state.galleryDirectory))
    }
    remember(&state, prompt, p)
    if state.mode == .queue { state.editor.prompt.replace(with: "") }   // ready for the next prompt; ↑ brings it back
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

