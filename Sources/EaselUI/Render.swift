import EaselCore
import EaselTerminal

/// One frame: the cells, the pictures the graphics layer should write after the refresh, and the
/// spans of text that link to files (OSC 8, where the terminal supports it).
public struct Frame {
    public var buffer: CellBuffer
    public var pictures: [ImagePresenter.Request]
    public var links: [Hyperlink] = []
}

/// Text already drawn at (x, y) that should link to `url`.
public struct Hyperlink: Equatable, Sendable {
    public let x: Int, y: Int
    public let text: String
    public let url: String
}

/// Renders the whole screen for `state` at `size`. Pure apart from `previewStatus`, which asks the
/// graphics layer (and may start a background encode).
/// - Parameter cache: the panes of the last frame (the loop's); the queue, history and preview panes are
///   copied from it when their inputs did not change. nil draws every pane.
/// - Parameter picturesOff: why there are no pictures, when `previewStatus` says `.unavailable` ("--graphics none").
public func render(_ state: AppState, size: CellSize, keymap: Keymap = .default, cell: PixelSize,
                   cache: PaneCache? = nil, picturesOff: String = "--graphics none",
                   previewStatus: @escaping (ImagePresenter.Request) -> PreviewStatus) -> Frame {
    var buffer = CellBuffer(width: size.columns, height: size.rows)
    let layout = Layout(size: size)
    if layout.tooSmall {
        let msg = ["Terminal too small", "\(size.columns)×\(size.rows); need \(Layout.minimum.columns)×\(Layout.minimum.rows)"]
        for (i, line) in msg.enumerated() where i < size.rows {
            buffer.put(line, x: max(0, (size.columns - DisplayWidth.of(line)) / 2), y: max(0, size.rows / 2 - 1) + i, role: .error)
        }
        return Frame(buffer: buffer, pictures: [])
    }
    PromptEditorView(keymap: keymap).render(state, focused: state.focus == .prompt, in: layout.prompt, into: &buffer)
    let cache = cache ?? PaneCache()
    let clock = cache.clock(state)
    var key = PaneCache.Key(focused: state.focus == .queue, jobs: state.jobs, selection: state.queue.selection,
                            clock: clock, pacerReadyAt: state.queue.pacerReadyAt)
    _ = cache.pane(.queue, key: key, rect: layout.queue, status: previewStatus, into: &buffer) { _, buffer in
        QueueView().render(state, focused: state.focus == .queue, in: layout.queue, into: &buffer)
        return nil
    }
    key = PaneCache.Key(focused: state.focus == .history, jobs: state.jobs, selection: state.history.selection,
                        filter: state.history.filter, filterEditing: state.filterEditing, backend: state.backendKey,
                        clock: cache.clock(state, finishedOnly: true), keymap: keymap)
    let thumbnail = cache.pane(.history, key: key, rect: layout.history, status: previewStatus, into: &buffer) { status, buffer in
        HistoryView(keymap: keymap, status: status).render(state, focused: state.focus == .history, in: layout.history, into: &buffer)
    }
    // A status message too long for the bar wraps into rows taken from the bottom of the preview column.
    let wrapped = StatusBar.layout(state, keymap: keymap, width: layout.statusBar.width, previewWidth: layout.preview.width).overflow.count
    let taken = min(wrapped, max(0, layout.preview.height - 3))
    let previewArea = Rect(x: layout.preview.x, y: layout.preview.y, width: layout.preview.width, height: layout.preview.height - taken)
    let overflowArea = Rect(x: layout.preview.x, y: previewArea.maxY, width: layout.preview.width, height: taken)
    // Covered by the gallery or the help, the pane starts no encode (a live preview changes a few times a second).
    let covered = state.gallery != nil || state.showHelp || state.modelPicker != nil
    key = PaneCache.Key(jobs: state.jobs, selection: state.history.selection, filter: state.history.filter, backend: state.backendName,
                        clock: clock, pacerReadyAt: state.queue.pacerReadyAt, covered: covered, cell: cell, keymap: keymap)
    let preview = cache.pane(.preview, key: key, rect: previewArea, status: covered ? { _ in .encoding } : previewStatus,
                             into: &buffer) { status, buffer in
        PreviewView(cell: cell, status: status, keymap: keymap, picturesOff: picturesOff).render(state, in: previewArea, into: &buffer)
    }
    var pictures = [preview, thumbnail].compactMap { $0 }
    if let browser = state.gallery {              // the gallery covers the panes; its tiles replace their pictures
        var deleting: String?
        if case .deleteImage(let path)? = state.confirmation { deleting = path }
        pictures = GalleryView(status: previewStatus, keymap: keymap).render(browser, deleting: deleting, in: galleryArea(size), into: &buffer)
    }
    let links = StatusBar(keymap: keymap).render(state, in: layout.statusBar, overflowArea: overflowArea, into: &buffer)
    if let picker = state.modelPicker {           // over the panes: no picture is written under it
        ModelPickerView(keymap: keymap).render(picker, current: state.model(of: picker.backend),
                                               in: Rect(x: 0, y: 0, width: size.columns, height: size.rows - 1), into: &buffer)
        pictures = []
    }
    if state.showHelp {
        HelpOverlay(keymap: keymap, scroll: state.helpScroll).render(in: helpArea(size), into: &buffer)
        pictures = []
    }
    return Frame(buffer: buffer, pictures: pictures, links: state.showHelp ? [] : links)
}

/// The help overlay on a screen of `size`: its lines in all and how many show at once (the loop tells the
/// reducer with `.helpPage`, so scrolling ends on the last page).
public func helpPage(_ size: CellSize, keymap: Keymap) -> HelpPage {
    guard let (lines, columns, box) = HelpOverlay(keymap: keymap).layout(in: helpArea(size)) else { return HelpPage(lines: 0, shown: 1) }
    return HelpPage(lines: lines.count, shown: columns * max(1, box.height - 2))
}

func helpArea(_ size: CellSize) -> Rect { Rect(x: 0, y: 0, width: size.columns, height: size.rows - 1) }

/// Where the gallery browser goes: the whole screen above the status bar.
public func galleryArea(_ size: CellSize) -> Rect { Rect(x: 0, y: 0, width: size.columns, height: max(0, size.rows - 1)) }

/// The gallery grid for a screen `size`: tiles across and down (the loop tells the reducer with `.gallery(.grid)`).
public func galleryGrid(_ size: CellSize) -> (columns: Int, rows: Int) { GalleryView.grid(in: galleryArea(size)) }

/// The rect of the tile in grid slot `slot` (0 = the top-left one shown) for a screen `size`, in cells.
public func galleryTile(_ slot: Int, _ size: CellSize) -> Rect { GalleryView.tile(slot, in: galleryArea(size)) }
