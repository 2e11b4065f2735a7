/// What the user is in besides the panes: one value, so that (say) a C-r search and a field edit, or
/// a gallery question and a history question, cannot both be open. Overlays and questions keep what
/// they opened over in `under`, which comes back when they close (help over a field edit, a quit
/// question over the help). Changed only by `reduce`.
public indirect enum Modal: Equatable, Sendable {
    /// The editor holds a field (M-n, M-e); `stashed` is the prompt that comes back when it closes.
    case field(FieldEdit, stashed: PromptEditor)
    /// C-r: incremental search through past prompts; `draft` is the prompt Esc brings back.
    case search(PromptSearch, draft: PromptEditor)
    /// The History filter (`AppState.history.filter`) is being typed (`/`).
    case filter
    /// The gallery browser overlay (F4, or `g` in the history pane); the browser exists only while open.
    case gallery(GalleryBrowser, under: Modal?)
    /// The help overlay; `scroll` is the first help line shown (it scrolls when the keymap does not fit).
    case help(scroll: Int, under: Modal?)
    /// A question waiting for y/n; every key answers it.
    case question(Confirmation, under: Modal?)
    /// The model picker (`pick_model`, F5): type to filter, Enter picks, Esc backs out.
    case models(ModelPicker, under: Modal?)

    /// What this one opened over (nil for the prompt-bound ones, which open over nothing).
    public var under: Modal? {
        switch self {
        case .gallery(_, let under), .help(_, let under), .question(_, let under), .models(_, let under): under
        case .field, .search, .filter: nil
        }
    }

    /// This one, then what it opened over, and so on: the top first.
    public var layers: [Modal] { [self] + (under?.layers ?? []) }

    /// The same with `below` in place of `under` (the prompt-bound ones have nothing below).
    func replacingUnder(_ below: Modal?) -> Modal {
        switch self {
        case .gallery(let browser, _): .gallery(browser, under: below)
        case .help(let scroll, _): .help(scroll: scroll, under: below)
        case .question(let question, _): .question(question, under: below)
        case .models(let picker, _): .models(picker, under: below)
        case .field, .search, .filter: self
        }
    }

    /// The layers without the first that `matches` (what it opened over takes its place); nil when none remains.
    func removingLayer(where matches: (Modal) -> Bool) -> Modal? {
        if matches(self) { return under }
        return replacingUnder(under?.removingLayer(where: matches))
    }

    /// Changes the gallery browser in whichever layer holds it (a scan answering under the help overlay).
    mutating func updateGallery(_ change: (inout GalleryBrowser) -> Void) {
        if case .gallery(var browser, let below) = self {
            change(&browser)
            self = .gallery(browser, under: below)
        } else if var below = under {
            below.updateGallery(change)
            self = replacingUnder(below)
        }
    }

    /// Changes the model picker in whichever layer holds it (a list arriving under the help overlay).
    mutating func updateModelPicker(_ change: (inout ModelPicker) -> Void) {
        if case .models(var picker, let below) = self {
            change(&picker)
            self = .models(picker, under: below)
        } else if var below = under {
            below.updateModelPicker(change)
            self = replacingUnder(below)
        }
    }

    var isHelp: Bool { if case .help = self { true } else { false } }
    var isModelPicker: Bool { if case .models = self { true } else { false } }
    var isGallery: Bool { if case .gallery = self { true } else { false } }
    var isField: Bool { if case .field = self { true } else { false } }
}

extension AppState {
    /// The help overlay is showing (maybe under a question).
    public var showHelp: Bool { modal?.layers.contains { $0.isHelp } ?? false }
    /// The help overlay's first line shown; 0 when it is closed.
    public var helpScroll: Int {
        for case .help(let scroll, _) in modal?.layers ?? [] { return scroll }
        return 0
    }
    /// The gallery browser, while it is open: a view into `modal`. Setting a browser changes the open
    /// one in place (or opens it over what is open); setting nil closes it.
    public var gallery: GalleryBrowser? {
        get {
            for case .gallery(let browser, _) in modal?.layers ?? [] { return browser }
            return nil
        }
        set {
            guard let browser = newValue else { modal = modal?.removingLayer { $0.isGallery }; return }
            if gallery == nil { modal = .gallery(browser, under: modal) } else { modal?.updateGallery { $0 = browser } }
        }
    }
    /// The field the editor holds (M-n, M-e), while one is being edited.
    public var fieldEdit: FieldEdit? {
        for case .field(let field, _) in modal?.layers ?? [] { return field }
        return nil
    }
    /// The C-r search, while it is active (it is always on top).
    public var search: PromptSearch? {
        if case .search(let search, _)? = modal { return search }
        return nil
    }
    /// The History filter is being typed.
    public var filterEditing: Bool { modal == .filter }
    /// The question waiting for y/n.
    public var confirmation: Confirmation? {
        if case .question(let question, _)? = modal { return question }
        return nil
    }

    /// Asks `question` over whatever is open.
    mutating func ask(_ question: Confirmation) { modal = .question(question, under: modal) }
}
