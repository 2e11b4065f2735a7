/// One image file in the gallery folder.
public struct GalleryEntry: Equatable, Sendable {
    /// Absolute path.
    public let path: String
    /// Path relative to the gallery root, for captions (unsanitized: it may hold anything a file name can).
    public let name: String
    /// Modification time, seconds since 1970.
    public let modified: Double
    /// Bytes.
    public let size: Int
    public var starred: Bool

    public init(path: String, name: String, modified: Double, size: Int, starred: Bool = false) {
        self.path = path
        self.name = name
        self.modified = modified
        self.size = size
        self.starred = starred
    }
}

/// The gallery browser overlay (F4, or `g` in the history pane): a grid of thumbnails of every image
/// in the gallery folder, newest first. The folder is scanned by the effect runner; the grid's size
/// comes from the loop (`.grid`), since the reducer does not know the screen.
public struct GalleryBrowser: Equatable, Sendable {
    public var entries: [GalleryEntry] = []
    /// True until the first scan answers.
    public var loading = true
    /// Index into `entries` of the selected image.
    public var selection = 0
    /// First grid row shown.
    public var top = 0
    /// Grid size in tiles, from the loop.
    public var columns = 1
    public var rows = 1

    public init() {}

    public var selected: GalleryEntry? { entries.indices.contains(selection) ? entries[selection] : nil }

    /// Indices of the entries the grid shows, row by row.
    public var visible: Range<Int> {
        let start = min(entries.count, top * columns)
        return start..<min(entries.count, start + columns * rows)
    }

    /// Moves the selection by `delta` entries (clamped) and scrolls it into view.
    mutating func move(by delta: Int) { select(selection + delta) }

    mutating func select(_ index: Int) {
        selection = entries.isEmpty ? 0 : max(0, min(entries.count - 1, index))
        scrollIntoView()
    }

    mutating func scrollIntoView() {
        let row = selection / max(1, columns)
        if row < top { top = row }
        if row >= top + rows { top = row - rows + 1 }
        let lastRow = max(0, (entries.count - 1) / max(1, columns))
        top = max(0, min(top, max(0, lastRow - rows + 1)))
    }
}

/// What happened in the gallery: effect results and the grid's size.
public enum GalleryEvent: Equatable, Sendable {
    /// The folder was scanned: every image, newest first.
    case scanned([GalleryEntry])
    /// The loop measured the grid: tiles across and down.
    case grid(columns: Int, rows: Int)
    /// Parameters were read from an image (re-run): they go into the editor.
    case parametersRead(ImageParameters)
    case deleted(String)
    /// Reading, deleting or starring failed.
    case failed(JobError)
}

/// What to do in the gallery folder.
public enum GalleryEffect: Equatable, Sendable {
    /// List every image under the gallery root (off the UI thread); answers `.scanned` or `.failed`.
    case scan
    /// Read an image's generation parameters; answers `.parametersRead` or `.failed`.
    case readParameters(String)
    /// Remove an image (and its sidecar); answers `.deleted` or `.failed`.
    case delete(String)
    /// Record or clear a star (the gallery's `.starred` file); answers nothing, or `.failed`.
    case setStar(String, Bool)
}

/// Results from the gallery effects.
func reduceGallery(_ state: inout AppState, _ event: GalleryEvent) -> [Effect] {
    switch event {
    case .scanned(let entries):
        state.modal?.updateGallery { browser in
            let current = browser.selected?.path
            browser.entries = entries
            browser.loading = false
            browser.select(current.flatMap { p in entries.firstIndex { $0.path == p } } ?? browser.selection)
        }
    case .grid(let columns, let rows):
        state.modal?.updateGallery { browser in
            browser.columns = max(1, columns)
            browser.rows = max(1, rows)
            browser.scrollIntoView()
        }
    case .parametersRead(let p):
        state.editor.prompt.replace(with: p.prompt)
        state.editor.parameters.negativePrompt = p.negativePrompt
        if let w = p.width, let h = p.height, Limits.size.contains(w), Limits.size.contains(h) {
            (state.editor.parameters.width, state.editor.parameters.height) = (w, h)
        }
        if let s = p.steps, Limits.steps.contains(s) { state.editor.parameters.steps = s }
        if let seed = p.seed { state.editor.parameters.seed = seed }
        state.editor.browsing = nil
        state.modal = state.modal?.removingLayer { $0.isGallery }
        state.focus = .prompt
        state.hint = .info("Loaded the prompt and parameters from the image (\(p.source)); Enter generates")
    case .deleted(let path):
        guard let i = state.gallery?.entries.firstIndex(where: { $0.path == path }) else { return [] }
        state.modal?.updateGallery { browser in
            browser.entries.remove(at: i)
            browser.select(browser.selection)
        }
        state.hint = .info("Deleted \(path)")
        return [.terminal(.forgetPicture(path))]            // a job's preview of it no longer shows the cached picture
    case .failed(let error):
        state.hint = .warning("Gallery: " + error.fileMessage)
    }
    return []
}

extension JobError {
    /// For problems with local files (the gallery, `--from IMAGE`): the reason alone, sanitized, without
    /// the service-oriented prefix of `message` ("bad response: …").
    public var fileMessage: String {
        switch self {
        case .storage(let why), .badResponse(let why), .invalidPrompt(reason: let why): Sanitize.line(why)
        case .graph, .rateLimited, .unauthorized, .notFound, .timedOut, .network, .server, .inferenceFailed, .canceled, .journal: message
        }
    }
}

/// A key while the gallery is open (and the help overlay is not): the `gallery` key context; other
/// commands (quit, help, redraw) behave as everywhere. (Its y/n question is a `Modal.question`.)
func galleryKey(_ state: inout AppState, _ key: Key, keymap: Keymap) -> [Effect] {
    guard state.gallery != nil else { return [] }
    guard let command = keymap.command(for: key, in: .gallery) else { return [] }
    return galleryCommand(&state, command)
}

/// Commands in the gallery grid; the rest go to `perform` as usual.
func galleryCommand(_ state: inout AppState, _ command: Command) -> [Effect] {
    if command == .openGallery {
        if state.gallery != nil { state.modal = state.modal?.removingLayer { $0.isGallery }; return [] }
        state.modal = .gallery(GalleryBrowser(), under: state.modal?.removingLayer { $0.isHelp })
        return [.gallery(.scan)]
    }
    guard var browser = state.gallery else { return [] }
    let page = browser.columns * browser.rows
    switch command {
    case .closeOverlay: state.modal = state.modal?.removingLayer { $0.isGallery }; return []
    case .selectLeft: browser.move(by: -1)
    case .selectRight: browser.move(by: 1)
    case .selectUp: browser.move(by: -browser.columns)
    case .selectDown: browser.move(by: browser.columns)
    case .pageUp: browser.move(by: -page)
    case .pageDown: browser.move(by: page)
    case .selectFirst: browser.select(0)
    case .selectLast: browser.select(browser.entries.count - 1)
    case .openImage:
        guard let entry = browser.selected else { return [] }
        return [.open(entry.path)]
    case .starImage:
        guard let entry = browser.selected else { return [] }
        browser.entries[browser.selection].starred.toggle()
        state.modal?.updateGallery { $0 = browser }
        return [.gallery(.setStar(entry.path, !entry.starred))]
    case .deleteImage:
        guard let entry = browser.selected else { return [] }
        state.ask(.deleteImage(entry.path))
        return []
    case .loadImage:
        guard let entry = browser.selected else { return [] }
        return [.gallery(.readParameters(entry.path))]
    case .rescanGallery:
        return [.gallery(.scan)]
    default:
        return perform(&state, command)
    }
    state.modal?.updateGallery { $0 = browser }
    return []
}
