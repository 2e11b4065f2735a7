import EaselCore
/// One cell: a grapheme cluster (or "" for the right half of a wide character) and its role.
/// Picture cells (Unicode blocks) carry their own colours in `paint`, which overrides the role's.
public struct Cell: Equatable, Sendable {
    public var text: String
    public var role: Role
    public var paint: Paint?
    public init(_ text: String = " ", role: Role = .text, paint: Paint? = nil) {
        self.text = text
        self.role = role
        self.paint = paint
    }
}

/// Explicit cell colours for pictures drawn with characters.
public struct Paint: Equatable, Hashable, Sendable {
    public var fg: Color
    public var bg: Color
    public init(fg: Color, bg: Color) {
        self.fg = fg
        self.bg = bg
    }
}

/// An in-memory grid of cells. Views write here; only `Screen` turns it into terminal output.
public struct CellBuffer: Equatable, Sendable {
    public let width: Int, height: Int
    public private(set) var cells: [Cell]
    /// The cell where the terminal cursor should be shown, if any.
    public var cursor: (x: Int, y: Int)? {
        get { cursorX.map { ($0, cursorY) } }
        set { cursorX = newValue?.x; cursorY = newValue?.y ?? 0 }
    }
    private var cursorX: Int?
    private var cursorY = 0

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// The text of each row, wide characters once each, for tests and golden files.
    public var lines: [String] {
        (0..<height).map { y in (0..<width).map { self[$0, y].text }.joined() }
    }

    /// Fills `rect` (clipped to the buffer) with `text` in `role`.
    public mutating func fill(_ rect: Rect, _ text: String = " ", role: Role) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) { self[x, y] = Cell(text, role: role) }
        }
    }

    /// Writes `text` from (x, y), clipped to `maxWidth` cells and the buffer; text that does not fit
    /// ends in "…". Returns the number of cells written. The text goes through `Sanitize.line` first:
    /// whatever a view passes, no escape sequence, control or bidi override reaches a cell.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int? = nil, role: Role) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(maxWidth ?? (width - x), width - x)
        guard limit > 0 else { return 0 }
        let clean = Sanitize.line(text)
        if let written = putNarrow(clean, x: x, y: y, limit: limit, role: role) { return written }
        let fitted = DisplayWidth.truncate(clean, to: limit)
        var col = x
        for ch in fitted {
            let w = DisplayWidth.of(ch)
            if w == 0 { continue }
            if col >= 0 {
                self[col, y] = Cell(String(ch), role: role)
                if w == 2, col + 1 < width { self[col + 1, y] = Cell("", role: role) }
            }
            col += w
        }
        return col - x
    }

    /// `put` for text in which every scalar is a grapheme of its own and one cell wide (`DisplayWidth.isNarrow`):
    /// the same cells, written in one pass over the scalars instead of grapheme by grapheme. nil (nothing
    /// written) for any other text.
    private mutating func putNarrow(_ text: String, x: Int, y: Int, limit: Int, role: Role) -> Int? {
        var count = 0
        for s in text.unicodeScalars {
            guard DisplayWidth.isNarrow(s.value) else { return nil }
            count += 1
        }
        let shown = count <= limit ? count : limit - 1
        let row = y * width
        var col = x
        for s in text.unicodeScalars.prefix(shown) {
            if col >= 0 { cells[row + col] = Cell(String(Character(s)), role: role) }
            col += 1
        }
        if shown < count {
            if col >= 0 { cells[row + col] = Cell("…", role: role) }
            col += 1
        }
        return col - x
    }

    /// Writes `text` into the first row of `rect`.
    @discardableResult
    public mutating func put(_ text: String, in rect: Rect, role: Role) -> Int {
        guard !rect.isEmpty else { return 0 }
        return put(text, x: rect.x, y: rect.y, maxWidth: rect.width, role: role)
    }

    /// Draws a single-line box around `rect` with an optional title in the top border.
    public mutating func box(_ rect: Rect, title: String? = nil, role: Role, titleRole: Role) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let r = rect.maxX - 1, b = rect.maxY - 1
        for x in rect.x...r {
            let top = x == rect.x ? "┌" : x == r ? "┐" : "─"
            let bottom = x == rect.x ? "└" : x == r ? "┘" : "─"
            if x >= 0, x < width {
                if rect.y >= 0, rect.y < height { self[x, rect.y] = Cell(top, role: role) }
                if b >= 0, b < height { self[x, b] = Cell(bottom, role: role) }
            }
        }
        for y in (rect.y + 1)..<b where y >= 0 && y < height {
            if rect.x >= 0, rect.x < width { self[rect.x, y] = Cell("│", role: role) }
            if r >= 0, r < width { self[r, y] = Cell("│", role: role) }
        }
        if let title, rect.width > 4 {
            put(" \(title) ", x: rect.x + 1, y: rect.y, maxWidth: rect.width - 2, role: titleRole)
        }
    }

    /// The cells of `rect` (clipped to the buffer), row by row: what ``paste(_:in:)`` puts back.
    public func cells(in rect: Rect) -> [Cell] {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        guard x1 > x0 else { return [] }
        var out: [Cell] = []
        out.reserveCapacity((x1 - x0) * max(0, min(height, rect.maxY) - max(0, rect.y)))
        for y in max(0, rect.y)..<max(max(0, rect.y), min(height, rect.maxY)) { out += cells[(y * width + x0)..<(y * width + x1)] }
        return out
    }

    /// Writes `saved` (from ``cells(in:)`` of a buffer of the same width, with the same `rect`) back into `rect`.
    public mutating func paste(_ saved: [Cell], in rect: Rect) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        guard x1 > x0 else { return }
        var i = 0
        for y in max(0, rect.y)..<max(max(0, rect.y), min(height, rect.maxY)) where i + (x1 - x0) <= saved.count {
            cells.replaceSubrange((y * width + x0)..<(y * width + x1), with: saved[i..<(i + x1 - x0)])
            i += x1 - x0
        }
    }

    /// The rows (top to bottom, 0-based) whose cells differ from `previous`'s: every row when there is no
    /// previous buffer or its size differs. The cursor is not compared (it is not part of a row).
    public func rowsDiffering(from previous: CellBuffer?) -> [Int] {
        guard let previous, previous.width == width, previous.height == height else { return Array(0..<height) }
        return (0..<height).filter { y in
            let row = (y * width)..<((y + 1) * width)
            return cells[row] != previous.cells[row]
        }
    }

    public static func == (a: CellBuffer, b: CellBuffer) -> Bool {
        a.width == b.width && a.height == b.height && a.cells == b.cells && a.cursorX == b.cursorX && a.cursorY == b.cursorY
    }
}

/// Terminal display width of text: East Asian wide and emoji take 2 cells, combining marks 0.
public enum DisplayWidth {
    public static func of(_ c: Character) -> Int {
        guard let first = c.unicodeScalars.first else { return 0 }
        let v = first.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        if c.unicodeScalars.count == 1, isZeroWidth(v) { return 0 }
        if isWide(v) || c.unicodeScalars.contains(where: { $0.value == 0xFE0F }) { return 2 }
        return 1
    }

    public static func of(_ s: String) -> Int { s.reduce(0) { $0 + of($1) } }

    /// `s` cut to at most `width` cells, ending in "…" when cut.
    public static func truncate(_ s: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        if of(s) <= width { return s }
        var out = "", used = 0
        for ch in s {
            let w = of(ch)
            if used + w > width - 1 { break }
            out.append(ch)
            used += w
        }
        return out + "…"
    }

    /// True for the scalars that are one cell wide and never join a neighbour into one grapheme
    /// (no combining mark, joiner, variation selector, Hangul jamo or regional indicator): printable
    /// ASCII and Latin-1 to U+02FF, general punctuation from U+2010, arrows, mathematical operators,
    /// box drawing, blocks, geometric shapes, miscellaneous symbols and dingbats. `of` gives 1 for each.
    static func isNarrow(_ v: UInt32) -> Bool {
        switch v {
        case 0x20...0x7E, 0xA0...0x2FF, 0x2010...0x2027, 0x2030...0x205E, 0x2190...0x23FF, 0x2500...0x27BF: true
        default: false
        }
    }

    private static func isZeroWidth(_ v: UInt32) -> Bool {
        (0x0300...0x036F).contains(v) || (0x200B...0x200F).contains(v) || (0x20D0...0x20FF).contains(v)
            || (0xFE00...0xFE0F).contains(v) || (0xFE20...0xFE2F).contains(v)
    }

    private static func isWide(_ v: UInt32) -> Bool {
        (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
            || (0x1F900...0x1F9FF).contains(v) || (0x1F680...0x1F6FF).contains(v) || (0x20000...0x3FFFD).contains(v)
    }
}
