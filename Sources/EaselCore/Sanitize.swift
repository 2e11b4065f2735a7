/// The one function that makes text from a server, a file or history safe to show on a terminal.
public enum Sanitize {
    /// Removes escape sequences (CSI, OSC, DCS, APC, PM, SOS and two-byte ESC forms), C0 and C1
    /// controls and DEL; tabs and newlines become spaces. The result is a single printable line.
    public static func line(_ text: String) -> String {
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
                default: break                           // two-byte sequence: drop both
                }
            case 0x9B: skipCSI(&it)                      // C1 CSI
            case 0x9D, 0x90, 0x9F, 0x9E, 0x98: skipString(&it)   // C1 OSC, DCS, APC, PM, SOS
            case 0x09, 0x0A, 0x0D: out.append(" ")
            case 0x00..<0x20, 0x7F, 0x80..<0xA0: break
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
