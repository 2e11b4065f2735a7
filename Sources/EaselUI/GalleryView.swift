import EaselCore
import EaselTerminal

/// The gallery browser: a box over the panes with a grid of tiles, each a thumbnail (drawn by the
/// graphics layer; blocks where there is no image protocol) over its file name. Only visible tiles
/// ask for a picture, so a gallery of thousands costs what one screen costs.
struct GalleryView {
    /// Asks the graphics layer about a picture (and starts making its thumbnail).
    let status: (ImagePresenter.Request) -> PreviewStatus
    /// For the key names in the title.
    let keymap: Keymap

    /// The smallest tile in cells: a border, the picture, the caption. Tiles grow to share the room left.
    static let tileWidth = 22
    static let tileHeight = 9

    /// The grid that fits `area` (the screen less the status bar): tiles across and down.
    static func grid(in area: Rect) -> (columns: Int, rows: Int) {
        let inner = area.inset(by: 1)
        return (max(1, inner.width / tileWidth), max(1, (inner.height - 1) / tileHeight))
    }

    /// Where the tile in grid slot `slot` (row by row, from the top-left visible tile) goes in `area`.
    static func tile(_ slot: Int, in area: Rect) -> Rect {
        let inner = area.inset(by: 1)
        let (columns, rows) = grid(in: area)
        let w = max(tileWidth, inner.width / columns), h = max(tileHeight, (inner.height - 1) / rows)
        return Rect(x: inner.x + (slot % columns) * w, y: inner.y + (slot / columns) * h, width: w, height: h)
    }

    /// - Returns: the pictures to write after the refresh (none for blocks: they are cells).
    /// - Parameter deleting: the image whose deletion waits for y/n (`Confirmation.deleteImage`), asked on the last line.
    func render(_ browser: GalleryBrowser, deleting: String? = nil, in area: Rect, into buffer: inout CellBuffer) -> [ImagePresenter.Request] {
        guard area.width >= 4, area.height >= 4 else { return [] }
        buffer.fill(area, role: .text)
        let count = browser.entries.count
        let title = browser.loading ? "Gallery — scanning…"
            : count == 0 ? "Gallery — empty"
            : "Gallery — \(browser.selection + 1) of \(count) — ←↓↑→ move · " + [(Command.openImage, "open"), (.loadImage, "re-run"),
                (.starImage, "star"), (.deleteImage, "delete"), (.closeOverlay, "close")]
                .map { "\(keymap.name($0.0, in: .gallery)) \($0.1)" }.joined(separator: " · ")
        buffer.box(area, title: title, role: .borderFocused, titleRole: .titleFocused)
        let inner = area.inset(by: 1)
        if let path = deleting {
            buffer.put(" Delete \(Sanitize.line(path))? \(keymap.answerKeys)", x: inner.x, y: inner.maxY - 1, maxWidth: inner.width, role: .error)
        } else if let entry = browser.selected {
            let star = entry.starred ? "★ " : ""
            buffer.put("\(star)\(Sanitize.line(entry.name))  \(Self.size(entry.size))", x: inner.x, y: inner.maxY - 1,
                       maxWidth: inner.width, role: .muted)
        }
        guard count > 0 else {
            if !browser.loading {
                buffer.put("No images yet: finished images are saved here.", x: inner.x + 1, y: inner.y + 1,
                           maxWidth: inner.width - 1, role: .muted)
            }
            return []
        }
        var pictures: [ImagePresenter.Request] = []
        let columns = max(1, browser.columns)
        for index in browser.visible {
            let slot = index - browser.top * columns
            let tile = Self.tile(slot, in: area)
            guard tile.maxX <= inner.maxX, tile.maxY <= inner.maxY - 1 else { continue }
            let entry = browser.entries[index]
            let selected = index == browser.selection
            buffer.box(tile, title: nil, role: selected ? .borderFocused : .border, titleRole: .title)
            let body = tile.inset(by: 1)
            let picture = Rect(x: body.x, y: body.y, width: body.width, height: body.height - 1)
            let file = String(entry.name.split(separator: "/").last ?? "")
            buffer.put((entry.starred ? "★" : "") + Sanitize.line(file), x: body.x, y: body.maxY - 1, maxWidth: body.width,
                       role: selected ? .selection : .muted)
            let request = ImagePresenter.Request(path: entry.path, rect: picture, thumbnail: true)
            switch status(request) {
            case .ready(let encoded):
                if let bytes = PictureCells.draw(encoded, for: request, into: &buffer) { pictures.append(bytes) }
            case .encoding: buffer.put("…", x: picture.x + picture.width / 2, y: picture.y + picture.height / 2, role: .muted)
            case .failed: buffer.put("✗ unreadable", x: picture.x, y: picture.y + picture.height / 2, maxWidth: picture.width, role: .error)
            case .unavailable: buffer.put("(no pictures)", x: picture.x, y: picture.y + picture.height / 2, maxWidth: picture.width, role: .muted)
            }
        }
        return pictures
    }

    /// "812 KB", "2.1 MB".
    static func size(_ bytes: Int) -> String {
        bytes < 1_000_000 ? "\(max(1, bytes / 1000)) KB" : "\(Double(bytes / 100_000) / 10) MB"
    }
}
