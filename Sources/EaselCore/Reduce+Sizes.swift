/// Output sizes for backends whose model accepts only a fixed list (`BackendChoice.sizes`, from
/// `ModelSizes`): M-s cycles through that list, M-e names it, and a job's size is moved to the nearest
/// accepted one of the same orientation before it is sent, with one line in the status bar saying so.

/// The sizes M-s cycles through for the current backend: its model's list, else the general presets.
func sizeChoices(_ state: AppState) -> [OutputSize] {
    state.currentBackend?.sizes ?? GenerationParameters.sizePresets.map { OutputSize($0.0, $0.1) }
}

/// M-s: the next size after the current one (the first when the current one is not in the list).
func cycleSize(_ state: inout AppState) {
    let sizes = sizeChoices(state)
    guard !sizes.isEmpty else { return }
    let i = sizes.firstIndex(of: OutputSize(state.editor.parameters.width, state.editor.parameters.height))
    let next = sizes[((i ?? -1) + 1) % sizes.count]
    (state.editor.parameters.width, state.editor.parameters.height) = (next.width, next.height)
}

/// M-e on a fixed-size model: the status line lists what it accepts.
func offerSizes(_ state: inout AppState) {
    guard let backend = state.currentBackend, let sizes = backend.sizes else { return }
    state.hint = .info("\(backend.model ?? backend.name) makes \(list(sizes))")
}

/// A size typed in M-e that the model does not make: the warning to show, or nil when it is accepted.
func refusedSize(_ state: AppState, _ size: OutputSize) -> String? {
    guard let backend = state.currentBackend, let sizes = backend.sizes, !sizes.contains(size) else { return nil }
    return "\(backend.model ?? backend.name) makes only \(list(sizes)); nearest: \(ModelSizes.nearest(to: size, in: sizes))"
}

/// Before jobs are made: moves the editor's size to the nearest one the current model accepts (same
/// orientation), so every later job uses it too, and says so once in the status line.
/// - Returns: the size to request, in pixels.
func fitEditorSize(_ state: inout AppState) -> OutputSize {
    let asked = OutputSize(state.editor.parameters.width, state.editor.parameters.height)
    guard let backend = state.currentBackend, let sizes = backend.sizes else { return asked }
    let made = ModelSizes.nearest(to: asked, in: sizes)
    guard made != asked else { return asked }
    (state.editor.parameters.width, state.editor.parameters.height) = (made.width, made.height)
    state.hint = .info(sizeNote(backend, asked: asked, made: made))
    return made
}

/// A request re-run from the history on the current backend, its size fitted like the editor's.
func fitted(_ request: GenerationRequest, _ state: inout AppState) -> GenerationRequest {
    let asked = OutputSize(request.width, request.height)
    guard let backend = state.currentBackend, let sizes = backend.sizes else { return request }
    let made = ModelSizes.nearest(to: asked, in: sizes)
    guard made != asked else { return request }
    var r = request
    (r.width, r.height) = (made.width, made.height)
    state.hint = .info(sizeNote(backend, asked: asked, made: made))
    return r
}

private func sizeNote(_ backend: BackendChoice, asked: OutputSize, made: OutputSize) -> String {
    "\(backend.model ?? backend.name) does not make \(asked): sending \(made), its nearest size (it makes \(list(backend.sizes ?? [])))"
}

private func list(_ sizes: [OutputSize]) -> String {
    let names = sizes.map(\.description)
    guard names.count > 1 else { return names.first ?? "" }
    return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
}
