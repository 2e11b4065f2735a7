import EaselCore

// MARK: - CSI, SS3 and UTF-8: pure lookups over a byte buffer

extension InputDecoder {
    /// A complete control sequence the terminal sent.
    enum ControlSequence: Equatable {
        case key(Key)
        case mouse(x: Int, y: Int, MouseButton)
        case pasteStart
        /// Recognised and dropped: a stray paste end, focus reports, releases, unknown CSI.
        case ignored

        var event: InputEvent? {
            switch self {
            case .key(let key): .key(key)
            case .mouse(let x, let y, let button): .mouse(x: x, y: y, button)
            case .pasteStart, .ignored: nil
            }
        }
    }

    enum CSIResult: Equatable {
        case complete(ControlSequence, next: Int)
        case incomplete
        /// Not a CSI after all (a byte outside the grammar): `ESC [` was Alt+[.
        case malformed
    }

    /// The longest CSI accepted, in bytes after `ESC [`; longer is malformed.
    static let maxCSILength = 32

    /// Parses the CSI at `start` (`ESC [`): `ESC [ <?>params <intermediates> final` (ECMA-48 §5.4),
    /// plus the X10 mouse report `ESC [ M b x y` (three raw bytes after the final) and the Linux
    /// console's `ESC [ [ A`…`E` (F1–F5).
    static func csi(_ buf: [UInt8], at start: Int) -> CSIResult {
        var j = start + 2
        var prefix: UInt8 = 0
        if j < buf.count, (0x3C...0x3F).contains(buf[j]) { prefix = buf[j]; j += 1 }
        var params: [Int] = [], cur = 0, have = false
        while j < buf.count, (0x30...0x3F).contains(buf[j]) {
            switch buf[j] {
            case 0x3B: params.append(cur); cur = 0; have = false
            case 0x30...0x39: cur = min(cur * 10 + Int(buf[j] - 0x30), 100_000); have = true
            default: break                                                   // ':' sub-parameters
            }
            j += 1
        }
        if have || !params.isEmpty { params.append(cur) }
        var intermediates = false
        while j < buf.count, (0x20...0x2F).contains(buf[j]) { intermediates = true; j += 1 }
        guard j - start - 2 <= maxCSILength else { return .malformed }
        guard j < buf.count else { return .incomplete }
        let final = buf[j]
        guard (0x40...0x7E).contains(final) else { return .malformed }
        if final == UInt8(ascii: "M"), prefix == 0, params.isEmpty, !intermediates {       // X10 mouse
            guard j + 3 < buf.count else { return .incomplete }
            let b = Int(buf[j + 1]) - 32, x = Int(buf[j + 2]) - 33, y = Int(buf[j + 3]) - 33
            return .complete(mouse(button: b, x: x, y: y, press: true), next: j + 4)
        }
        if final == UInt8(ascii: "["), prefix == 0, params.isEmpty {                       // Linux console F1–F5
            guard j + 1 < buf.count else { return .incomplete }
            let k = buf[j + 1]
            guard (UInt8(ascii: "A")...UInt8(ascii: "E")).contains(k) else { return .complete(.ignored, next: j + 1) }
            return .complete(.key(.function(Int(k - UInt8(ascii: "A")) + 1)), next: j + 2)
        }
        let next = j + 1
        if intermediates { return .complete(.ignored, next: next) }
        if prefix == UInt8(ascii: "<") {                                                   // SGR mouse
            guard params.count == 3, final == UInt8(ascii: "M") || final == UInt8(ascii: "m") else {
                return .complete(.ignored, next: next)
            }
            return .complete(mouse(button: params[0], x: params[1] - 1, y: params[2] - 1,
                                   press: final == UInt8(ascii: "M")), next: next)
        }
        guard prefix == 0 else { return .complete(.ignored, next: next) }                  // replies (DA1 …)
        return .complete(csiKey(final: final, params: params), next: next)
    }

    private static func csiKey(final: UInt8, params: [Int]) -> ControlSequence {
        switch final {
        case UInt8(ascii: "A"): return .key(.up)
        case UInt8(ascii: "B"): return .key(.down)
        case UInt8(ascii: "C"): return .key(.right)
        case UInt8(ascii: "D"): return .key(.left)
        case UInt8(ascii: "H"): return .key(.home)
        case UInt8(ascii: "F"): return .key(.end)
        case UInt8(ascii: "Z"): return .key(.backTab)
        case UInt8(ascii: "P")...UInt8(ascii: "S"): return .key(.function(Int(final - UInt8(ascii: "P")) + 1))
        case UInt8(ascii: "~"):
            switch params.first ?? 0 {
            case 1, 7: return .key(.home)
            case 4, 8: return .key(.end)
            case 3: return .key(.delete)
            case 5: return .key(.pageUp)
            case 6: return .key(.pageDown)
            case 200: return .pasteStart
            case let n where (11...15).contains(n): return .key(.function(n - 10))
            case let n where (17...21).contains(n): return .key(.function(n - 11))
            case let n where (23...26).contains(n): return .key(.function(n - 12))
            case let n where (28...29).contains(n): return .key(.function(n - 13))
            case let n where (31...34).contains(n): return .key(.function(n - 14))
            default: return .ignored                                  // Insert, 201 outside a paste, …
            }
        default: return .ignored                                      // focus in/out (I, O), kitty `u`, …
        }
    }

    /// A mouse report as an event: a left press, or the wheel; releases, drags and other buttons are
    /// dropped. `button` carries xterm's modifier bits (4 Shift, 8 Meta, 16 Control), ignored here.
    private static func mouse(button: Int, x: Int, y: Int, press: Bool) -> ControlSequence {
        guard press, x >= 0, y >= 0 else { return .ignored }
        switch button & ~0b11100 {
        case 0: return .mouse(x: x, y: y, .left)
        case 64: return .mouse(x: x, y: y, .wheelUp)
        case 65: return .mouse(x: x, y: y, .wheelDown)
        default: return .ignored
        }
    }

    /// `ESC O x` (application cursor and keypad mode, VT100 F1–F4).
    static func ss3(_ byte: UInt8) -> Key? {
        switch byte {
        case UInt8(ascii: "A"): .up
        case UInt8(ascii: "B"): .down
        case UInt8(ascii: "C"): .right
        case UInt8(ascii: "D"): .left
        case UInt8(ascii: "H"): .home
        case UInt8(ascii: "F"): .end
        case UInt8(ascii: "M"): .enter
        case UInt8(ascii: "P")...UInt8(ascii: "S"): .function(Int(byte - UInt8(ascii: "P")) + 1)
        default: nil
        }
    }

    /// Decodes one UTF-8 sequence at `i` (Unicode Table 3-7, well-formed byte sequences).
    /// - Returns: the scalar and its length, or `nil` scalar with the length of the maximal invalid
    ///   subpart (at least 1); `nil` when the buffer ends inside a sequence that is still valid,
    ///   unless `atEnd`, when that cut sequence is one invalid subpart.
    static func utf8(_ buf: [UInt8], at i: Int, atEnd: Bool) -> (Unicode.Scalar?, Int)? {
        let lead = buf[i]
        let count: Int, second: ClosedRange<UInt8>
        switch lead {
        case 0x00...0x7F: return (Unicode.Scalar(lead), 1)
        case 0xC2...0xDF: count = 2; second = 0x80...0xBF
        case 0xE0: count = 3; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: count = 3; second = 0x80...0xBF
        case 0xED: count = 3; second = 0x80...0x9F
        case 0xF0: count = 4; second = 0x90...0xBF
        case 0xF1...0xF3: count = 4; second = 0x80...0xBF
        case 0xF4: count = 4; second = 0x80...0x8F
        default: return (nil, 1)
        }
        var value = UInt32(lead) & (count == 2 ? 0x1F : count == 3 ? 0x0F : 0x07)
        for k in 1..<count {
            guard i + k < buf.count else { return atEnd ? (nil, k) : nil }
            let b = buf[i + k]
            guard (k == 1 ? second : 0x80...0xBF).contains(b) else { return (nil, k) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return (Unicode.Scalar(value), count)
    }
}
