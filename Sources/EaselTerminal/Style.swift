/// A semantic role a view gives a cell; the theme decides what it looks like.
/// Raw values are the theme file's keys.
public enum Role: String, CaseIterable, Sendable {
    case text = "ui.text"
    case muted = "ui.text.muted"
    case border = "ui.border"
    case borderFocused = "ui.border.focus"
    case title = "ui.title"
    case titleFocused = "ui.title.focus"
    case selection = "ui.selection"
    case cursor = "ui.cursor"
    case locked = "ui.text.locked"
    case statusBar = "ui.statusline"
    case statusKey = "ui.statusline.key"
    case hint = "ui.hint"
    case error = "ui.error"
    case progress = "ui.progress"
    case progressTrack = "ui.progress.track"
    case placeholder = "ui.placeholder"
    case placeholderPulse = "ui.placeholder.pulse"
    case jobQueued = "job.queued"
    case jobRunning = "job.running"
    case jobComplete = "job.complete"
    case jobFailed = "job.failed"

    /// The broader scope this role falls back to: "ui.border.focus" → "ui.border"; `nil` at the top.
    public var parentKey: String? {
        guard let dot = rawValue.lastIndex(of: ".") else { return nil }
        return String(rawValue[..<dot])
    }
}

/// A terminal colour.
public enum Color: Equatable, Hashable, Sendable {
    /// The terminal's own default foreground or background.
    case `default`
    /// One of the 256 indexed colours (0–15 are the terminal's palette).
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    /// Parses `#rrggbb`, an index `0`...`255`, a 16-colour name (`red`, `light-blue`), or `default`.
    public init?(parsing text: String) {
        let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
        let t = text.lowercased()
        if t == "default" || t == "reset" { self = .default; return }
        if t.hasPrefix("#"), t.count == 7, let v = UInt32(t.dropFirst(), radix: 16) {
            self = .rgb(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)); return
        }
        if let n = Int(t), (0...255).contains(n) { self = .indexed(UInt8(n)); return }
        if let i = names.firstIndex(of: t) { self = .indexed(UInt8(i)); return }
        if t.hasPrefix("light-"), let i = names.firstIndex(of: String(t.dropFirst(6))) { self = .indexed(UInt8(i + 8)); return }
        if t == "gray" || t == "grey" { self = .indexed(8); return }
        return nil
    }

    /// The sRGB value (xterm's palette for indexed colours); `nil` for the terminal's default.
    public var rgb: RGB? {
        switch self {
        case .default: return nil
        case .indexed(let i): let c = Self.rgbOf(index: Int(i)); return RGB(UInt8(c.0), UInt8(c.1), UInt8(c.2))
        case .rgb(let r, let g, let b): return RGB(r, g, b)
        }
    }

    /// The nearest colour among the first `count` indexed colours (8, 16 or 256).
    public func indexed(limit count: Int) -> Int32 {
        switch self {
        case .default: return -1
        case .indexed(let i): return count >= 256 || Int(i) < count ? Int32(i) : Int32(Self.nearest16(Self.rgbOf(index: Int(i)), count))
        case .rgb(let r, let g, let b):
            if count >= 256 { return Int32(Self.nearest256(r, g, b)) }
            return Int32(Self.nearest16((Int(r), Int(g), Int(b)), count))
        }
    }

    /// Like ``indexed(limit:)``, but never one of `avoiding`: the nearest other colour of the palette.
    public func indexed(limit count: Int, avoiding: Set<Int32>) -> Int32 {
        let first = indexed(limit: count)
        guard first >= 0, avoiding.contains(first), let c = rgb else { return first }
        let candidates = count >= 256 ? Array(0..<256) : Array(0..<min(count, 16))
        var best = first, bestD = Int.max
        for i in candidates where !avoiding.contains(Int32(i)) {
            let p = Self.rgbOf(index: i)
            let d = (p.0 - Int(c.red)) * (p.0 - Int(c.red)) + (p.1 - Int(c.green)) * (p.1 - Int(c.green)) + (p.2 - Int(c.blue)) * (p.2 - Int(c.blue))
            if d < bestD { bestD = d; best = Int32(i) }
        }
        return best
    }

    private static let ansi: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    static func rgbOf(index i: Int) -> (Int, Int, Int) {
        if i < 16 { return ansi[i] }
        if i >= 232 { let v = 8 + (i - 232) * 10; return (v, v, v) }
        let c = i - 16, levels = [0, 95, 135, 175, 215, 255]
        return (levels[c / 36], levels[(c / 6) % 6], levels[c % 6])
    }

    static func nearest16(_ c: (Int, Int, Int), _ count: Int) -> Int {
        var best = 0, bestD = Int.max
        for i in 0..<min(count, 16) {
            let p = ansi[i]
            let d = (p.0 - c.0) * (p.0 - c.0) + (p.1 - c.1) * (p.1 - c.1) + (p.2 - c.2) * (p.2 - c.2)
            if d < bestD { bestD = d; best = i }
        }
        return best
    }

    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        var best = 16, bestD = Int.max
        for i in 16..<256 {
            let p = rgbOf(index: i)
            let d = (p.0 - Int(r)) * (p.0 - Int(r)) + (p.1 - Int(g)) * (p.1 - Int(g)) + (p.2 - Int(b)) * (p.2 - Int(b))
            if d < bestD { bestD = d; best = i }
        }
        return best
    }
}

/// The palette indices (-1: the terminal's default) each role is drawn with in a terminal of `colors` colours
/// (8, 16, 256). Where the palette is too small to tell a role's colour from its background, the nearest
/// other colour is taken; the placeholder's pulse also differs from the placeholder, so the pulsing block
/// is seen in 8 and 16 colours too.
public func paletteIndices(_ styles: [Role: Style], colors: Int) -> [Role: (fg: Int32, bg: Int32)] {
    var out: [Role: (fg: Int32, bg: Int32)] = [:]
    for role in Role.allCases {
        let style = styles[role] ?? Style()
        let bg = style.bg.indexed(limit: colors)
        var avoid: Set<Int32> = style.fg != style.bg && bg >= 0 ? [bg] : []
        if role == .placeholderPulse, let block = out[.placeholder]?.fg, block >= 0 { avoid.insert(block) }
        out[role] = (style.fg.indexed(limit: colors, avoiding: avoid), bg)
    }
    return out
}

/// An sRGB colour, 8 bits per channel.
public struct RGB: Equatable, Hashable, Sendable {
    public var red: UInt8, green: UInt8, blue: UInt8
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// How a role looks: colours and attributes.
public struct Style: Equatable, Hashable, Sendable {
    public var fg: Color = .default
    public var bg: Color = .default
    public var bold = false, dim = false, italic = false, underline = false, reverse = false

    public init(fg: Color = .default, bg: Color = .default, bold: Bool = false, dim: Bool = false,
                italic: Bool = false, underline: Bool = false, reverse: Bool = false) {
        self.fg = fg
        self.bg = bg
        self.bold = bold
        self.dim = dim
        self.italic = italic
        self.underline = underline
        self.reverse = reverse
    }
}
