import Glibc

/// Glyphs for a locale that is not UTF-8 (`ssh` without `LANG`): curses can then only write ASCII,
/// and every box-drawing character or symbol would vanish or show as `?`. `Screen` maps each cell
/// through ``text(_:)`` when ``localeIsUTF8()`` is false; pictures drawn as half blocks become
/// full-cell colour (``paint(_:)``), sixel and kitty pictures are bytes and do not change.
public enum ASCIIFallback {
    /// After `setlocale(LC_ALL, "")`: true when the character set is UTF-8 (`nl_langinfo(CODESET)`).
    public static func localeIsUTF8() -> Bool {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(decoding: UnsafeRawBufferPointer(start: codeset, count: strlen(codeset)), as: UTF8.self)
        return name.uppercased().replacingDashes() == "UTF8"
    }

    /// Box drawing, arrows and the symbols the views use, each as one ASCII character.
    static let table: [Character: Character] = [
        "─": "-", "━": "=", "═": "=", "│": "|", "┃": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+",
        "├": "+", "┤": "+", "┬": "+", "┴": "+", "┼": "+", "·": ".", "×": "x", "—": "-", "–": "-",
        "…": ".", "▏": "|", "✓": "v", "✗": "x", "⊘": "-", "★": "*", "☆": "*", "↑": "^", "↓": "v",
        "←": "<", "→": ">", "◐": "|", "◓": "/", "◑": "-", "◒": "\\", "●": "*", "○": "o",
        "█": "#", "▓": "#", "▒": ":", "░": ".", "▀": " ", "▄": " ", "“": "\"", "”": "\"", "‘": "'", "’": "'",
    ]

    /// `text` (one cell's grapheme) in ASCII with the same width in cells: a mapped glyph, else `?`
    /// per cell; ASCII stays as it is.
    public static func text(_ text: String) -> String {
        var out = ""
        for c in text {
            if c.isASCII { out.append(c); continue }
            if let m = table[c] { out.append(m); continue }
            out += String(repeating: "?", count: DisplayWidth.of(c))
        }
        return out
    }

    /// A half-block picture cell (`▀`, top colour as foreground, bottom as background) as one colour
    /// for the whole cell: the mean of both where both are RGB, else the top one.
    public static func paint(_ p: Paint) -> Paint {
        if case .rgb(let r1, let g1, let b1) = p.fg, case .rgb(let r2, let g2, let b2) = p.bg {
            let mean = Color.rgb(UInt8((Int(r1) + Int(r2)) / 2), UInt8((Int(g1) + Int(g2)) / 2), UInt8((Int(b1) + Int(b2)) / 2))
            return Paint(fg: mean, bg: mean)
        }
        return Paint(fg: p.fg, bg: p.fg)
    }
}

private extension String {
    func replacingDashes() -> String { filter { $0 != "-" && $0 != "_" } }
}
