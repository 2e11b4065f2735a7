import Dispatch
import EaselImaging
import Glibc
import Synchronization

/// What the preview pane can show for a file right now.
public enum PreviewStatus: Equatable, Sendable {
    /// No graphics protocol: the UI names the file instead.
    case unavailable
    /// Being decoded and encoded in the background.
    case encoding
    /// Encoded. Byte payloads are written by `present` after the next refresh; cell payloads
    /// (blocks) are drawn by the view into the cell buffer.
    case ready(EncodedImage)
    case failed(String)
}

/// Keeps images on screen correct: encodes off the UI thread, caches by (file, pixel box, protocol),
/// writes each image once after curses has refreshed, and erases the exact rect it drew before
/// anything else is drawn there. Owned by the UI loop; only the cache is shared with encoders.
public final class ImagePresenter {
    /// A picture to show: the saved file and the cells available for it.
    public struct Request: Hashable, Sendable {
        public let path: String
        public let rect: Rect
        /// Draw from the on-disk thumbnail cache (gallery tiles) instead of decoding the whole file.
        public let thumbnail: Bool
        /// A service's in-progress frame: newer frames replace it, and it stays drawn until the next is encoded.
        public let live: Bool
        public init(path: String, rect: Rect, thumbnail: Bool = false, live: Bool = false) {
            self.path = path
            self.rect = rect
            self.thumbnail = thumbnail
            self.live = live
        }
    }

    public let graphics: (any GraphicsProtocol)?
    /// One cell in pixels, from the probe.
    public let cell: PixelSize
    /// Wrap escape sequences in tmux passthrough (`ESC P tmux; … ESC \`, every ESC doubled).
    public let passthrough: Bool
    private let lanes: PictureLanes
    /// A picture written to the terminal: which encode, and the cells it covers.
    private struct Placement { let serial: UInt64; let image: EncodedImage; let cells: Rect }
    /// What is on screen, per slot (the rect a picture was asked for).
    private var shown: [Rect: Placement] = [:]
    /// The colour of the cells under pictures (the theme's background, else the terminal's), for erasing
    /// sixels by covering them (``GraphicsProtocol/erase(_:background:)``).
    public var background = RGB(0, 0, 0)
    /// The terminal reported sixel display mode set (DECRQM 80, ``TerminalCapabilities/sixelDisplayMode``).
    public var sixelDisplayMode = false
    /// Where thumbnail requests are read from and made (nil: decode the file itself).
    public let thumbnails: ThumbnailCache?
    /// Pictures larger than this many pixels (the image fitted to its box) are first encoded at half the width
    /// and height, shown, then replaced by the full encode. libsixel's time grows with pixels × colours: at
    /// 256 colours a busy 1024² picture takes about 0.4 s at 480×480 px on 2 cores (BENCHMARKS.md), so beyond
    /// 300,000 px the full one can take a second while the draft takes a quarter of it.
    public var draftAbove = 300_000

    /// - Parameter wake: called from a background thread when an encode (or its draft) finishes, so the loop redraws.
    public init(graphics: (any GraphicsProtocol)?, cell: PixelSize, passthrough: Bool = false,
                thumbnails: ThumbnailCache? = nil, wake: @escaping @Sendable () -> Void) {
        self.graphics = graphics
        self.cell = cell
        self.passthrough = passthrough
        self.thumbnails = thumbnails
        self.lanes = PictureLanes(wake: wake)
    }

    /// The status for `request`, starting a background encode when there is none yet. While a picture is
    /// encoded its draft is ready, else (live frames, and the job's image that follows them) the slot's last
    /// finished live frame, so a live preview never goes blank between frames.
    public func status(for request: Request) -> PreviewStatus {
        guard let found = lookup(request) else { return .unavailable }
        if let shown = found.shown { return .ready(shown.image) }
        if case .failed(let m) = found.entry { return .failed(m) }
        return .encoding
    }

    /// Drops every finished (or failed) encode of the file at `path`, so the next `status` for it reads the file
    /// again: after the file was deleted or replaced. An encode under way finishes as it would.
    public func forget(_ path: String) { lanes.forget(path) }

    private func lookup(_ request: Request) -> (shown: PictureLanes.Finished?, entry: PictureLanes.Entry)? {
        guard let graphics else { return nil }
        let key = key(for: request)
        let cell = self.cell, draftAbove = self.draftAbove, background = key.fill, thumbnails = key.thumbnail ? self.thumbnails : nil
        return lanes.status(key) {
            let source = DecodedOnce(path: key.path, thumbnails: thumbnails)
            return PictureLanes.Work(draft: { () throws(GraphicsError) -> EncodedImage? in
                let image = try source.image()
                let fitted = fittedSize(width: image.width, height: image.height, in: key.box)
                guard fitted.width * fitted.height > draftAbove else { return nil }
                return try graphics.encode(image, fitting: PixelSize(width: key.box.width / 2, height: key.box.height / 2),
                                           cell: cell, filling: background)
            }, full: { () throws(GraphicsError) -> EncodedImage in
                try graphics.encode(try source.image(), fitting: key.box, cell: cell, filling: background)
            })
        }
    }

    /// Call before `Screen.draw`: erases every picture that is replaced, moved or hidden, or whose cells
    /// other text was drawn over (`regionChanged`), exactly: kitty deletes it by id, and curses rewrites
    /// the cells it covered, and only those (``PictureSurface/scrub(_:)``), which clears sixel and iTerm2
    /// pixels. A picture the erase touched (gallery tiles that moved onto the old place) is written again by
    /// the next `present`, so erasing one picture never leaves a hole in another.
    public func prepare(_ screen: some PictureSurface, showing requests: [Request], regionChanged: (Rect) -> Bool) {
        var wanted: [Rect: UInt64] = [:]
        for request in requests { if let serial = lookup(request)?.shown?.serial { wanted[request.rect] = serial } }
        var erased: [Rect] = []
        for (slot, placed) in shown where wanted[slot] != placed.serial || regionChanged(placed.cells) {
            if let erase = graphics?.erase(placed.image, background: background) {
                screen.writeRaw(Array("\u{1B}7\(fillRendition)\u{1B}[\(placed.cells.y + 1);\(placed.cells.x + 1)H".utf8)
                                + atCursor(wrap(erase)) + Array("\u{1B}8".utf8))
            }
            screen.scrub(placed.cells)
            erased.append(placed.cells)
            shown[slot] = nil
        }
        for (slot, placed) in shown where erased.contains(where: { $0.intersects(placed.cells) }) {
            shown[slot] = nil                                      // present writes it again, whole
        }
    }

    /// Call after `Screen.draw`: writes each new byte-payload image once, centred in its rect,
    /// inside DECSC/DECRC and synchronized output, in one write.
    public func present(_ screen: some PictureSurface, showing requests: [Request]) {
        guard graphics != nil else { return }
        for request in requests where shown[request.rect] == nil {
            guard let found = lookup(request)?.shown, case .bytes(let payload) = found.image.payload else { continue }
            let cells = Self.placement(of: found.image, in: request.rect)
            var out = Array("\u{1B}[?2026h\u{1B}7\(fillRendition)\u{1B}[\(cells.y + 1);\(cells.x + 1)H".utf8)
            out += atCursor(wrap(payload))
            out += Array("\u{1B}8\u{1B}[?2026l".utf8)
            screen.writeRaw(out)
            shown[request.rect] = Placement(serial: found.serial, image: found.image, cells: cells)
        }
    }

    /// The cells `image` covers when centred in `rect` (clipped to it).
    static func placement(of image: EncodedImage, in rect: Rect) -> Rect {
        let col = rect.x + max(0, (rect.width - image.cells.columns) / 2)
        let row = rect.y + max(0, (rect.height - image.cells.rows) / 2)
        return Rect(x: col, y: row, width: min(image.cells.columns, rect.maxX - col), height: min(image.cells.rows, rect.maxY - row))
    }

    /// The cells of every picture on screen now, for tests and diagnostics.
    public var placedCells: [Rect] { shown.values.map(\.cells) }

    /// Forget what is on screen (after a full repaint, resize or resume): the next `present` redraws it.
    public func screenWasCleared() { shown.removeAll() }

    private func wrap(_ bytes: [UInt8]) -> [UInt8] { passthrough ? Self.passthrough(bytes) : bytes }

    /// `ESC [ 48 ; 2 ; r ; g ; b m`: the cells' colour as the SGR background while a picture is written (the DECRC
    /// after it gives curses its rendition back). mlterm fills what a sixel leaves of its last cell row with the
    /// background current when the sixel arrives: after curses' reset that was its default white, a strip under
    /// every pane picture. Empty through tmux passthrough, where the SGR would reach tmux, not the terminal.
    private var fillRendition: String {
        passthrough ? "" : "\u{1B}[48;2;\(background.red);\(background.green);\(background.blue)m"
    }

    /// With sixel display mode set (xterm's `sixelScrolling: false`), a sixel is drawn at the screen's top-left
    /// whatever the cursor: the mode is reset around the picture (`CSI ? 80 l` … `CSI ? 80 h`) so it goes to the cursor.
    private func atCursor(_ bytes: [UInt8]) -> [UInt8] {
        guard sixelDisplayMode else { return bytes }
        return Array("\u{1B}[?80l".utf8) + bytes + Array("\u{1B}[?80h".utf8)
    }

    /// The bytes that print `image` in the shell's flow at the cursor (`easel show`) and leave the cursor in the
    /// first column of the line just below the picture, whatever the protocol does with the cursor (kitty's `C=1`
    /// keeps it, sixel leaves it on the last band's row or the one below, iTerm2 moves it after the image):
    /// ```
    /// LF × rows   ESC [ rows A   ESC 7   <payload>   ESC 8   ESC [ rows B   CR
    /// ```
    /// The line feeds make room first (scrolling the screen when needed), so the picture never reaches the
    /// bottom row (where xterm would scroll it) and the saved position still holds after it is drawn.
    /// Cell payloads print as lines of SGR text (``Blocks/ansi(_:columns:)``), which already end below.
    /// - Parameter passthrough: wrap the payload in tmux passthrough (the cursor moves stay outside it).
    public static func inline(_ image: EncodedImage, passthrough: Bool) -> [UInt8] {
        switch image.payload {
        case .cells(let cells):
            return Blocks.ansi(cells, columns: image.cells.columns)
        case .bytes(let payload):
            let rows = max(1, image.cells.rows)
            var out = [UInt8](repeating: 0x0A, count: rows)
            out += Array("\u{1B}[\(rows)A\u{1B}7".utf8)
            out += passthrough ? Self.passthrough(payload) : payload
            out += Array("\u{1B}8\u{1B}[\(rows)B\r".utf8)
            return out
        }
    }

    /// tmux passthrough: `ESC P tmux ;` + payload with every ESC doubled + `ESC \`.
    public static func passthrough(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array("\u{1B}Ptmux;".utf8)
        out.reserveCapacity(bytes.count + bytes.count / 8 + 16)
        for b in bytes {
            if b == 0x1B { out.append(0x1B) }
            out.append(b)
        }
        out += [0x1B, 0x5C]
        return out
    }

    private func key(for request: Request) -> PictureLanes.Key {
        PictureLanes.Key(path: request.path, box: PixelSize(width: request.rect.width * cell.width,
                                                            height: request.rect.height * cell.height),
                         thumbnail: request.thumbnail, rect: request.rect, live: request.live, fill: background)
    }
}

/// Where pictures are written: the ``Screen``, or a recorder in tests.
public protocol PictureSurface: AnyObject {
    /// Writes bytes straight to the terminal, after curses has flushed.
    func writeRaw(_ bytes: [UInt8])
    /// Makes the next draw rewrite exactly the cells of `rect` (text over graphics clears sixel and
    /// iTerm2 pixels) and no other cell.
    func scrub(_ rect: Rect)
}

/// A picture's pixels, read and decoded once for both steps of its encode (draft and full). Used by one lane's
/// thread at a time, one step after the other.
final class DecodedOnce: @unchecked Sendable {
    let path: String
    let thumbnails: ThumbnailCache?
    private var decoded: RGBAImage?
    init(path: String, thumbnails: ThumbnailCache?) { self.path = path; self.thumbnails = thumbnails }

    func image() throws(GraphicsError) -> RGBAImage {
        if let decoded { return decoded }
        do {
            let image = if let thumbnails { try thumbnails.thumbnail(for: path) } else { try ImageCodec.decode(try FileBytes.read(path)) }
            decoded = image
            return image
        } catch { throw GraphicsError(error.message) }
    }
}

/// Reads a whole file (at most 256 MiB).
enum FileBytes {
    static func read(_ path: String) throws(ImageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw ImageError("the file is gone (deleted or moved): \(path)") }
            throw ImageError("\(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n < 0 { if errno == EINTR { continue }; throw ImageError("\(path): \(String(cString: strerror(errno)))") }
            if n == 0 { return out }
            out += chunk[0..<n]
            if out.count > 256 << 20 { throw ImageError("\(path): file too large") }
        }
    }
}
