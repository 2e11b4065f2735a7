import Foundation

/// The one function that makes text from a server, a file or history safe to show on a terminal.
public enum Sanitize {
    /// Removes escape sequences (CSI, OSC, DCS, APC, PM, SOS and two-byte ESC forms), C0 and C1
    /// controls, DEL, and the bidirectional formatting characters of "Trojan Source" (CVE-2021-42574:
    /// U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates, U+200E/U+200F/U+061C marks),
    /// which would reorder the rest of a terminal line; tabs, newlines and U+2028/U+2029 become spaces.
    /// The result is a single printable line. Text with nothing to remove (most of it: a view draws
    /// the same prompts every frame) is returned as it is, after one pass over its UTF-8 bytes.
    public static func line(_ text: String) -> String {
        isPrintableLine(text) ? text : rebuiltLine(text)
    }

    /// True when `line(text)` would be `text`: no C0 or C1 control, DEL, bidi control or line/paragraph
    /// separator (ESC is a C0 control, so no escape sequence either). Scans the UTF-8 bytes.
    static func isPrintableLine(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { b in
            let n = b.count
            var i = 0
            while i < n {
                let c = b[i]
                if c < 0x20 || c == 0x7F { return false }
                if c >= 0xC2 {
                    switch c {
                    case 0xC2: if i + 1 < n, b[i + 1] < 0xA0 { return false }        // U+0080–U+009F (C1)
                    case 0xD8: if i + 1 < n, b[i + 1] == 0x9C { return false }       // U+061C
                    case 0xE2:
                        guard i + 2 < n else { break }
                        let c1 = b[i + 1], c2 = b[i + 2]
                        // U+200E, U+200F, U+2028–U+202E; U+2066–U+2069
                        if c1 == 0x80, c2 == 0x8E || c2 == 0x8F || (0xA8...0xAE).contains(c2) { return false }
                        if c1 == 0x81, (0xA6...0xA9).contains(c2) { return false }
                    default: break
                    }
                }
                i += 1
            }
            return true
        }
    }

    /// `line` the long way: scalar by scalar, dropping sequences and controls.
    static func rebuiltLine(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var it = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        while let s = next() {
            switch s.value {
            case 0x1B:                                   // ESC
                guard let t = next() else { break }
                switch t {
                case "[": skipCSI(&it)
                case "]", "P", "_", "^", "X": skipString(&it)
                case "\u{20}"..."\u{2F}":                // nF (ECMA-35), e.g. ESC ( 0: intermediates, then a final byte
                    while let c = it.next() {
                        if !(0x20...0x2F).contains(c.value) { if c.value < 0x20 { pending = c }; break }
                    }
                case "\u{1B}": pending = t              // ESC ESC: the second one starts a sequence
                default: break                           // two-byte sequence: drop both
                }
            case 0x9B: skipCSI(&it)                      // C1 CSI
            case 0x9D, 0x90, 0x9F, 0x9E, 0x98: skipString(&it)   // C1 OSC, DCS, APC, PM, SOS
            case 0x09, 0x0A, 0x0D, 0x2028, 0x2029: out.append(" ")
            case 0x00..<0x20, 0x7F, 0x80..<0xA0: break
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: break   // bidi controls
            default: out.append(s)
            }
        }
        return String(out)
    }

    /// Makes encoded JSON text safe to print on a terminal without changing what it means: C1
    /// controls, DEL, bidi controls and U+2028/U+2029 (which JSON encoders leave raw) become `\uXXXX`
    /// escapes. C0 controls are already escaped by every encoder. For `--json` output of server text.
    public static func json(_ encoded: String) -> String {
        var out = String.UnicodeScalarView()
        for s in encoded.unicodeScalars {
            switch s.value {
            case 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C, 0x2028, 0x2029, 0x00..<0x20:
                out.append(contentsOf: String(format: "\\u%04x", s.value).unicodeScalars)
            default: out.append(s)
            }
        }
        return String(out)
    }

    /// CSI: parameters and intermediates (0x20-0x3F), then one final byte (0x40-0x7E).
    private static func skipCSI(_ it: inout String.UnicodeScalarView.Iterator) {
        while let c = it.next() {
            if (0x40...0x7E).contains(c.value) || c.value < 0x20 { return }
        }
    }

    /// OSC/DCS/APC/PM/SOS: up to BEL, ST (ESC \) or C1 ST.
    private static func skipString(_ it: inout String.UnicodeScalarView.Iterator) {
        var sawEsc = false
        while let c = it.next() {
            if c.value == 0x07 || c.value == 0x9C { return }
            if sawEsc && c == "\\" { return }
            sawEsc = c.value == 0x1B
        }
    }
}
