/// Applies `action` to `state` and returns the effects to run, in order.
/// Pure: no I/O, no clock (time arrives in `.tick`), no terminal.
public func reduce(_ state: inout AppState, _ action: Action, keymap: Keymap = .default) -> [Effect] {
    switch action {
    case .tick(let now, let wall):
        state.now = now
        state.wallTime = wall
        if let wake = state.queue.scheduledWake, wake <= now { state.queue.scheduledWake = nil }
        guard state.queue.activeIndices.contains(where: { state.queue.jobs[$0].state == .pending || state.queue.jobs[$0].isWaiting })
            || !state.queue.health.isEmpty else { return [] }     // down pool members are probed on time
        return startReady(&state)
    case .key(let key):
        state.hint = nil
        return reduceKey(&state, key, keymap: keymap)
    case .paste(let text):
        state.hint = nil
        if state.modelPicker != nil, !state.showHelp {
            state.modal?.updateModelPicker { $0.filter += Sanitize.line(text); $0.selection = 0 }
            return []
        }
        guard state.focus == .prompt, !state.showHelp, state.gallery == nil else { return [] }
        guard !state.isEditorLocked else { state.hint = .locked; return [] }
        if case .search(var search, let draft)? = state.modal {
            search.query += Sanitize.line(text)
            state.modal = .search(search, draft: draft)
            return []
        }
        // Newlines stay newlines (the prompt is multi-line); everything else is sanitized.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        state.editor.prompt.insert(lines.map { Sanitize.line(String($0)) }.joined(separator: "\n"))
        return []
    case .clicked(let pane, let job):
        state.hint = nil
        guard !state.showHelp, state.gallery == nil, state.modelPicker == nil else { return [] }
        leaveForClick(&state, to: pane)
        state.focus = pane
        switch pane {
        case .prompt: break
        case .queue: if let job { state.queue.selection = job }
        case .history: if let job { state.history.selection = job }
        }
        return []
    case .scrolled(let pane, let delta):
        if state.modelPicker != nil, !state.showHelp { moveModelSelection(&state, by: delta < 0 ? -1 : 1); return [] }
        if state.gallery != nil, !state.showHelp { return galleryCommand(&state, delta < 0 ? .selectUp : .selectDown) }
        guard !state.showHelp, pane != .prompt else { return [] }
        state.focus = pane
        return perform(&state, delta < 0 ? .selectUp : .selectDown)
    case .restored(let jobs):
        return restore(&state, jobs)
    case .notice(let text):
        state.hint = .info(text)
        return []
    case .helpPage(let lines, let shown):
        state.helpPage = HelpPage(lines: max(0, lines), shown: max(1, shown))
        scrollHelp(&state, by: 0)                            // a larger screen shows more: the scroll comes back
        return []
    case .warning(let text):
        state.hint = .warning(text)
        return []
    case .themeLoaded(let name, let warnings):
        state.themes.current = name
        state.hint = .info("Theme: \(name)" + (warnings == 0 ? "" : " (\(warnings) warnings)"))
        return []
    case .submitted, .statusPolled, .downloaded, .saved, .failed, .livePreview, .probed:
        return reduceJob(&state, action)
    case .gallery(let event):
        return reduceGallery(&state, event)
    case .modelsListed(let backend, let listing):
        modelsListed(&state, backend: backend, listing)
        return []
    }
}

/// A click on another pane leaves what belongs to the pane it leaves as Tab would: a field edit ends
/// (the negative prompt kept, the parameters canceled; the prompt comes back), a C-r search accepts
/// its match, the History filter is kept.
private func leaveForClick(_ state: inout AppState, to pane: Pane) {
    switch state.modal {
    case .field(let field, _)? where pane != .prompt: finishFieldEdit(&state, apply: field.keepsTextOnLeaving)
    case .search? where pane != .prompt: acceptSearch(&state)
    case .filter? where pane != .history: state.modal = nil
    default: break
    }
}
