// The model picker (`pick_model`, F5): opens over whatever is shown and asks the current backend for its
// models; typing narrows the list, ↑/↓ select, Enter picks the model for that backend (sent with its next
// jobs, shown on the parameters line, kept across runs), Esc backs out changing nothing.

/// Rows PgUp / PgDn move in the picker.
private let modelPickerPage = 10

/// `pick_model`: opens the picker for the backend new jobs go to (again: closes it) and asks for the list.
func openModelPicker(_ state: inout AppState) -> [Effect] {
    if state.modelPicker != nil {
        state.modal = state.modal?.removingLayer { $0.isModelPicker }
        return []
    }
    let backend = state.backendKey
    state.modal = .models(ModelPicker(backend: backend), under: state.modal)
    if let pool = state.pool(named: backend) { return pool.members.map { .listModels(backend: $0) } }   // each member's list
    return [.listModels(backend: backend)]
}

/// A key while the picker is on top: its own commands, the prompt's line-editing keys on the filter,
/// printable keys into the filter; of the global commands only quit, redraw, suspend, help and the theme work.
func modelPickerKey(_ state: inout AppState, _ key: Key, keymap: Keymap) -> [Effect] {
    guard let picker = state.modelPicker else { return [] }
    let command = keymap.command(for: key, in: .models)
    switch command {
    case .closeOverlay?, .pickModel?:
        state.modal = state.modal?.removingLayer { $0.isModelPicker }
        return []
    case .useModel?:
        guard let model = picker.selected else {
            switch picker.listing {
            case nil:
                state.hint = .info("The list of models has not arrived yet")
            case .models(let names) where !names.isEmpty:
                state.hint = .info("No model matches “\(Sanitize.line(picker.filter))”")   // edit the filter, or Esc
            default:                                      // nothing to pick, ever: Enter backs out like Esc
                state.modal = state.modal?.removingLayer { $0.isModelPicker }
                state.hint = .info("No model to pick on \(picker.backend): it uses its configured model")
            }
            return []
        }
        state.modal = state.modal?.removingLayer { $0.isModelPicker }
        state.pickedModels[picker.backend] = model
        state.hint = .info("Model for \(picker.backend): \(Sanitize.line(model)) (new jobs use it)")
        return []
    case .selectUp?: moveModelSelection(&state, by: -1)
    case .selectDown?: moveModelSelection(&state, by: 1)
    case .pageUp?: moveModelSelection(&state, by: -modelPickerPage)
    case .pageDown?: moveModelSelection(&state, by: modelPickerPage)
    case let global? where [Command.quit, .redraw, .suspend, .toggleHelp, .cycleTheme].contains(global):
        return perform(&state, global)
    default:
        if command == nil, case .char(let c) = key {
            state.modal?.updateModelPicker { $0.filter.append(c); $0.selection = 0 }
        } else {
            var filter = picker.filter
            if editLine(&filter, keymap.command(for: key, in: .prompt)) {
                state.modal?.updateModelPicker { $0.filter = filter; $0.selection = 0 }
            }
        }
    }
    return []
}

/// Moves the picker's selection by `rows`, within the rows that match.
func moveModelSelection(_ state: inout AppState, by rows: Int) {
    state.modal?.updateModelPicker { picker in
        let count = picker.matches.count
        picker.selection = count == 0 ? 0 : min(max(0, picker.selection + rows), count - 1)
    }
}

/// The list arrived: shown if the picker is still open for that backend, with the model in use selected.
/// On a pool, each member's list is kept (`AppState.listedModels`: the scheduler then prefers members that
/// list a job's model) and the picker shows their union.
func modelsListed(_ state: inout AppState, backend: String, _ listing: ModelListing) {
    if let pickerFor = state.modelPicker?.backend, let pool = state.pool(named: pickerFor), pool.members.contains(backend) {
        if case .models(let names) = listing { state.listedModels[backend] = names }
        let current = state.model(of: pickerFor)
        state.modal?.updateModelPicker { picker in
            picker.memberListings[backend] = listing
            picker.listing = picker.poolListing(of: pool.members)
            picker.selection = current.flatMap { picker.matches.firstIndex(of: $0) } ?? picker.selection
        }
        return
    }
    guard state.modelPicker?.backend == backend else { return }     // closed, or reopened for another backend
    let current = state.model(of: backend)
    state.modal?.updateModelPicker { picker in
        picker.listing = listing
        picker.selection = current.flatMap { picker.matches.firstIndex(of: $0) } ?? 0
    }
}
