import EaselCore
import EaselTerminal
import Foundation
import Synchronization

/// The preview pane: a pulsing placeholder of the output's aspect ratio while a job runs, the image
/// when it is ready (drawn by the graphics layer into the rect this view leaves blank), or the saved
/// file's name when the terminal has no graphics.
struct PreviewView {
    /// One cell in pixels, to turn the output's aspect ratio into cells.
    let cell: PixelSize
    /// Asks the graphics layer about a picture (and starts encoding it).
    let status: (ImagePresenter.Request) -> PreviewStatus
    /// For the key named in the placeholder.
    let keymap: Keymap
    /// Why there are no pictures ("--graphics none", "NO_COLOR"), said under the saved file's name.
    var picturesOff = "--graphics none"

    /// - Returns: the picture to draw after the refresh, when one is ready.
    func render(_ state: AppState, in area: Rect, into buffer: inout CellBuffer) -> ImagePresenter.Request? {
        buffer.box(area, title: "Preview", role: .border, titleRole: .title)
        let inner = area.inset(by: 1)
        guard inner.width >= 2, inner.height >= 2 else { return nil }
        let picture = Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - 1)
        let caption = Rect(x: inner.x, y: inner.maxY - 1, width: inner.width, height: 1)
        guard let job = state.previewJob else {
            centre(["Type a prompt and press \(keymap.name(.generate, in: .prompt)).", "", "Backend: \(state.backendName)"], in: picture, role: .muted, into: &buffer)
            return nil
        }
        switch job.state {
        case .running where job.livePreview != nil:
            // The service's own in-progress image, over the placeholder until it is encoded.
            let request = ImagePresenter.Request(path: job.livePreview!, rect: picture, live: true)
            buffer.put("\(Wording.stateText(job, in: state)) · live preview · \(Wording.seconds(job.elapsed(now: state.now)))",
                       in: caption, role: .muted)
            if case .ready(let encoded) = status(request) { return PictureCells.draw(encoded, for: request, into: &buffer) }
            placeholder(job, state: state, in: picture, into: &buffer)
            return nil
        case .pending, .waiting, .submitting, .canceling, .queued, .running, .downloading, .saving:
            placeholder(job, state: state, in: picture, into: &buffer)
            buffer.put("\(job.request.width)×\(job.request.height)  seed \(job.request.seed)", in: caption, role: .muted)
            return nil
        case .failed(let error):
            // Wrapped, not cut: a graph error names node, class, message and what the server has instead.
            let width = max(1, picture.width - 2)
            centre(StatusBar.wrap("✗ " + error.message, width: width) + [""] + StatusBar.wrap(error.recovery(keymap: keymap), width: width),
                   in: picture, role: .error, into: &buffer)
            buffer.put(Wording.oneLine(job.request.prompt), in: caption, role: .muted)
            return nil
        case .canceled:
            centre(["canceled"], in: picture, role: .muted, into: &buffer)
            return nil
        case .complete(let image):
            let name = Sanitize.line(String(image.path.split(separator: "/").last ?? ""))
            buffer.put("\(name)  \(image.width)×\(image.height)", in: caption, role: .muted)
            let request = ImagePresenter.Request(path: image.path, rect: picture)
            switch status(request) {
            case .ready(let encoded): return PictureCells.draw(encoded, for: request, into: &buffer)
            case .encoding: centre(["rendering preview…"], in: picture, role: .muted, into: &buffer)
            case .failed(let why):                  // wrapped: it names the file
                centre(StatusBar.wrap("cannot preview: \(Sanitize.line(why))", width: max(1, picture.width - 2)), in: picture, role: .error, into: &buffer)
            case .unavailable:
                centre(["✓ saved", Sanitize.line(image.path), "",
                        "(pictures are off: \(picturesOff))"], in: picture, role: .text, into: &buffer)
            }
            return nil
        }
    }

    /// A block of the output's aspect ratio, fitted and centred, alternating between two shades.
    private func placeholder(_ job: Job, state: AppState, in rect: Rect, into buffer: inout CellBuffer) {
        let now = state.now
        let fitted = fittedSize(width: job.request.width, height: job.request.height,
                                in: PixelSize(width: rect.width * cell.width, height: rect.height * cell.height), band: 1)
        let cols = max(1, min(rect.width, fitted.width / max(1, cell.width)))
        let rows = max(1, min(rect.height, fitted.height / max(1, cell.height)))
        let block = Rect(x: rect.x + (rect.width - cols) / 2, y: rect.y + (rect.height - rows) / 2, width: cols, height: rows)
        let elapsed = job.elapsed(now: now)
        let phase = Int(elapsed.inMilliseconds) / 600
        buffer.fill(block, "█", role: phase % 2 == 0 ? .placeholder : .placeholderPulse)
        var lines = ["\(Wording.spinnerFrame(job, now: now)) \(Wording.stateText(job, in: state))", Wording.seconds(elapsed)]
        if case .running(let p?, _, _) = job.state { lines.append(Wording.bar(p, width: min(20, cols - 2))) }
        centre(lines, in: block, role: .text, into: &buffer)
    }


    private func centre(_ lines: [String], in rect: Rect, role: Role, into buffer: inout CellBuffer) {
        let top = rect.y + max(0, (rect.height - lines.count) / 2)
        for (i, line) in lines.enumerated() where top + i < rect.maxY {
            let text = DisplayWidth.truncate(line, to: rect.width)
            let x = rect.x + max(0, (rect.width - DisplayWidth.of(text)) / 2)
            buffer.put(text, x: x, y: top + i, maxWidth: rect.maxX - x, role: role)
        }
    }
}

/// Pictures made of cells (blocks) are drawn into the buffer here; byte pictures (sixel, kitty,
/// iTerm2) leave their rect blank and are returned for the graphics layer to write after the refresh.
enum PictureCells {
    static func draw(_ image: EncodedImage, for request: ImagePresenter.Request, into buffer: inout CellBuffer) -> ImagePresenter.Request? {
        guard case .cells(let cells) = image.payload else { return request }
        let rect = request.rect
        let x0 = rect.x + max(0, (rect.width - image.cells.columns) / 2)
        let y0 = rect.y + max(0, (rect.height - image.cells.rows) / 2)
        for (i, cell) in cells.enumerated() {
            let x = x0 + i % image.cells.columns, y = y0 + i / image.cells.columns
            if x < rect.maxX, y < rect.maxY, x < buffer.width, y < buffer.height { buffer[x, y] = cell }
        }
        return nil
    }
}

enum Hyperlinks {
    /// `file://HOST/path` with the path percent-encoded (RFC 8089), so links work across SSH too.
    /// The status bar shows one saved path for many frames: the last answer is kept, keyed by the path.
    static func fileURL(_ path: String) -> String {
        if let url = last.withLock({ $0?.path == path ? $0?.url : nil }) { return url }
        let encoded = path.utf8.map { allowed.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        let url = "file://" + host + encoded
        last.withLock { $0 = (path, url) }
        return url
    }

    private static let last = Mutex<(path: String, url: String)?>(nil)

    private static let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)

    /// This machine's name, asked once (not on every frame).
    private static let host: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}

/// The `?` overlay, generated from the keymap: one group per context, one row per command.
struct HelpOverlay {
    let keymap: Keymap
    /// First line shown; clamped so the last page is full.
    var scroll = 0

    /// Every line of the overlay, and where they go in `area`: one column when they fit, else two side by side
    /// (from 100 columns); it scrolls when still too long. nil when `area` is too small for it.
    func layout(in area: Rect) -> (lines: [(String, Role)], columns: Int, box: Rect)? {
        let closing = Command.allCases.filter(Keymap.closesHelpFirst.contains).compactMap { keymap.keyName(for: $0, in: .help) }
        let everywhere = "Everywhere, help too" + (closing.isEmpty ? "" : " (\(closing.joined(separator: ", ")) close it)")
        let groups: [(String, KeyContext)] = [(everywhere, .global), ("Prompt", .prompt), ("Queue", .queue),
                                              ("History", .history), ("Gallery", .gallery), ("Model picker (type to filter)", .models),
                                              ("Questions", .confirm),
                                              ("This help", .help)]
        var lines: [(String, Role)] = []
        for (title, ctx) in groups {
            let rows = keymap.helpRows(in: ctx)
            guard !rows.isEmpty else { continue }
            if !lines.isEmpty { lines.append(("", .text)) }
            lines.append((title, .titleFocused))
            for row in rows { lines += Self.lines(keys: row.keys.joined(separator: ", "), doc: row.doc) }
        }
        let rowsAvailable = max(1, area.height - 4)
        let columns = lines.count <= rowsAvailable || area.width < 100 ? 1 : 2
        let perColumn = min(rowsAvailable, (lines.count + columns - 1) / columns)
        let width = min(area.width - 2, columns == 1 ? 84 : 160), height = min(area.height - 2, perColumn + 2)
        guard width > 10, height > 2 else { return nil }
        return (lines, columns, Rect(x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width: width, height: height))
    }

    func render(in area: Rect, into buffer: inout CellBuffer) {
        guard let (lines, columns, box) = layout(in: area) else { return }
        let inner = box.inset(by: 1)
        let capacity = columns * inner.height
        let start = max(0, min(scroll, lines.count - capacity))
        let visible = Array(lines.dropFirst(start).prefix(capacity))
        let title = lines.count > capacity
            ? "Keys \(start + 1)–\(start + visible.count) of \(lines.count) — ↑↓ PgUp PgDn scroll · \(keymap.name(.closeOverlay, in: .help)) closes"
            : "Keys — \(keymap.name(.closeOverlay, in: .help)) closes"
        buffer.fill(box, role: .text)
        buffer.box(box, title: title, role: .borderFocused, titleRole: .titleFocused)
        let columnWidth = inner.width / columns
        for (i, line) in visible.enumerated() {
            let column = i / inner.height, row = i % inner.height
            buffer.put(line.0, x: inner.x + 1 + column * columnWidth, y: inner.y + row, maxWidth: columnWidth - 1, role: line.1)
        }
    }

    /// Width of the key column, in cells (two of indent included); keys as wide or wider get a line of their own.
    static let keyColumn = 18

    /// One help row: `  keys  doc` with the docs aligned, or, when the keys leave no space before
    /// the doc column, the keys on a line of their own and the doc under them at the doc column.
    static func lines(keys: String, doc: String) -> [(String, Role)] {
        let indent = "  " + keys
        let width = DisplayWidth.of(indent)
        if width < keyColumn { return [(indent + String(repeating: " ", count: keyColumn - width) + doc, .text)] }
        return [(indent, .text), (String(repeating: " ", count: keyColumn) + doc, .text)]
    }
}
