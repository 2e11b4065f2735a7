import EaselImaging
import Glibc

/// How faithful a character-cell picture is: the colours it shows on the half-block grid (one column and two
/// rows per cell), read from cells or from captured terminal text, against the original resampled to that grid.
/// Used by the benchmark (`make bench`) and the tests.
public enum BlocksFidelity {
    /// An sRGB colour, 8 bits per channel.
    public struct RGB: Equatable, Sendable {
        public var r: UInt8, g: UInt8, b: UInt8
        public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    }

    /// The colour shown in the top and bottom half of every cell, row-major: `columns × 2·rows` colours. A half
    /// shows the mean of its two quarters (each the cell's foreground where ``Blocks/coverage(of:)`` says so,
    /// else its background); indexed colours are xterm's palette, the terminal's default is `background`.
    /// - Returns: `nil` when a cell holds a symbol Blocks does not emit.
    public static func halfCells(_ cells: [Cell], columns: Int, background: RGB = RGB(0, 0, 0)) -> [RGB]? {
        guard columns > 0, cells.count % columns == 0 else { return nil }
        let rows = cells.count / columns
        var out = [RGB](repeating: background, count: columns * rows * 2)
        for (i, cell) in cells.enumerated() {
            guard let scalar = cell.text.unicodeScalars.first, let q = Blocks.coverage(of: scalar) else { return nil }
            let fg = rgb(cell.paint?.fg ?? .default, background), bg = rgb(cell.paint?.bg ?? .default, background)
            let x = i % columns, y = i / columns
            out[(y * 2) * columns + x] = mean(q.0 ? fg : bg, q.1 ? fg : bg)
            out[(y * 2 + 1) * columns + x] = mean(q.2 ? fg : bg, q.3 ? fg : bg)
        }
        return out
    }

    /// `image` resampled to `columns × rows` by area averaging (the reference grid), alpha over black.
    public static func reference(_ image: RGBAImage, columns: Int, rows: Int) -> [RGB] {
        let small = scaled(image, to: PixelSize(width: columns, height: rows))
        return (0..<(columns * rows)).map { i in
            let a = Int(small.pixels[i * 4 + 3])
            func c(_ k: Int) -> UInt8 { UInt8(Int(small.pixels[i * 4 + k]) * a / 255) }
            return RGB(c(0), c(1), c(2))
        }
    }

    /// Mean CIE76 colour difference (ΔE*ab, Euclidean distance in CIELAB, D65 white) between two grids of the
    /// same length; about 2.3 is a just-noticeable difference. `nil` for grids of different lengths or empty.
    public static func meanDeltaE(_ a: [RGB], _ b: [RGB]) -> Double? {
        guard a.count == b.count, !a.isEmpty else { return nil }
        var sum = 0.0
        for (p, q) in zip(a, b) {
            let l1 = lab(p), l2 = lab(q)
            sum += ((l1.0 - l2.0) * (l1.0 - l2.0) + (l1.1 - l2.1) * (l1.1 - l2.1) + (l1.2 - l2.2) * (l1.2 - l2.2)).squareRoot()
        }
        return sum / Double(a.count)
    }

    /// Reads terminal text with SGR colours (what `tmux capture-pane -e` or `chafa -f symbols` prints, or the
    /// `.direct` payload of ``Blocks``) into cells: `38;2`/`48;2`, `38;5`/`48;5`, 30–37/40–47, 90–97/100–107,
    /// 39/49, 0, and 7 (inverse, swapping the colours). Lines end at LF; cursor moves `CSI n D`/`CSI B` start
    /// a new line; other escape sequences are skipped. Each line is cut or padded with spaces to `columns`.
    public static func parseSGRText(_ bytes: [UInt8], columns: Int) -> [Cell] {
        var cells: [Cell] = [], line: [Cell] = []
        var fg = Color.default, bg = Color.default, inverse = false
        func endLine() {
            cells += line.prefix(columns) + [Cell](repeating: Cell(" ", paint: Paint(fg: .default, bg: .default)),
                                                    count: max(0, columns - line.count))
            line.removeAll()
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var scalars = text.unicodeScalars.makeIterator()
        while let s = scalars.next() {
            switch s {
            case "\n": endLine()
            case "\r", "\u{07}": continue
            case "\u{1B}":
                guard scalars.next() == "[" else { continue }
                var params = "", final: Unicode.Scalar = "m"
                while let c = scalars.next() {
                    if (0x40...0x7E).contains(c.value) { final = c; break }
                    params.unicodeScalars.append(c)
                }
                if final == "B" { endLine() }
                guard final == "m" else { continue }
                var p = params.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }[...]
                if p.isEmpty { p = [0] }
                while let code = p.popFirst() {
                    switch code {
                    case 0: fg = .default; bg = .default; inverse = false
                    case 7: inverse = true
                    case 27: inverse = false
                    case 30...37: fg = .indexed(UInt8(code - 30))
                    case 40...47: bg = .indexed(UInt8(code - 40))
                    case 90...97: fg = .indexed(UInt8(code - 82))
                    case 100...107: bg = .indexed(UInt8(code - 92))
                    case 39: fg = .default
                    case 49: bg = .default
                    case 38, 48:
                        var c = Color.default
                        if p.first == 5, p.count >= 2 { c = .indexed(UInt8(clamping: p[p.startIndex + 1])); p = p.dropFirst(2) }
                        else if p.first == 2, p.count >= 4 {
                            let i = p.startIndex
                            c = .rgb(UInt8(clamping: p[i + 1]), UInt8(clamping: p[i + 2]), UInt8(clamping: p[i + 3]))
                            p = p.dropFirst(4)
                        }
                        if code == 38 { fg = c } else { bg = c }
                    default: continue
                    }
                }
            default:
                line.append(Cell(String(Character(s)), paint: inverse ? Paint(fg: bg, bg: fg) : Paint(fg: fg, bg: bg)))
            }
        }
        if !line.isEmpty { endLine() }
        return cells
    }

    // MARK: - Colour maths

    private static func rgb(_ c: Color, _ background: RGB) -> RGB {
        switch c {
        case .default: return background
        case .rgb(let r, let g, let b): return RGB(r, g, b)
        case .indexed(let i):
            let v = Color.rgbOf(index: Int(i))
            return RGB(UInt8(v.0), UInt8(v.1), UInt8(v.2))
        }
    }

    private static func mean(_ a: RGB, _ b: RGB) -> RGB {
        RGB(UInt8((Int(a.r) + Int(b.r) + 1) / 2), UInt8((Int(a.g) + Int(b.g) + 1) / 2), UInt8((Int(a.b) + Int(b.b) + 1) / 2))
    }

    /// sRGB → CIELAB (D65).
    private static func lab(_ c: RGB) -> (Double, Double, Double) {
        func linear(_ v: UInt8) -> Double {
            let x = Double(v) / 255
            return x <= 0.04045 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4)
        }
        let r = linear(c.r), g = linear(c.g), b = linear(c.b)
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
        func f(_ t: Double) -> Double { t > 216.0 / 24389 ? cbrt(t) : (24389.0 / 27 * t + 16) / 116 }
        let fx = f(x), fy = f(y), fz = f(z)
        return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))
    }
}
