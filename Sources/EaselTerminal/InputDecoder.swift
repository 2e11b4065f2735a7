import EaselCore

/// Turns what curses read (characters and its function-key codes) into events: Alt as an ESC prefix,
/// and bracketed paste (`ESC [ 200 ~` … `ESC [ 201 ~`) collected into one `.paste`, even when it spans
/// several reads. Pure; kept by `Screen` between reads.
public struct InputDecoder: Sendable {
    public enum Raw: Equatable, Sendable {
        case scalar(UInt32)
        case function(Int32)
        case mouse(x: Int, y: Int, MouseButton)
    }

    private static let start: [UInt32] = [0x1B, 0x5B, 0x32, 0x30, 0x30, 0x7E]   // ESC [ 2 0 0 ~
    private static let end: [UInt32] = [0x1B, 0x5B, 0x32, 0x30, 0x31, 0x7E]     // ESC [ 2 0 1 ~
    private var pasting: [UInt32]?
    private var pending: [Raw] = []

    public init() {}

    public mutating func decode(_ input: [Raw]) -> [InputEvent] {
        var events: [InputEvent] = []
        var items = pending + input
        pending = []
        var i = 0
        func scalars(at i: Int, count: Int) -> [UInt32]? {
            guard i + count <= items.count else { return nil }
            var out: [UInt32] = []
            for item in items[i..<(i + count)] {
                guard case .scalar(let v) = item else { return [] }
                out.append(v)
            }
            return out
        }
        while i < items.count {
            if var text = pasting {
                if case .scalar(0x1B) = items[i] {
                    guard let marker = scalars(at: i, count: Self.end.count) else { pending = Array(items[i...]); return events }
                    if marker == Self.end {
                        events.append(.paste(String(String.UnicodeScalarView(text.compactMap(Unicode.Scalar.init)))))
                        pasting = nil
                        i += Self.end.count
                        continue
                    }
                }
                if case .scalar(let v) = items[i] { text.append(v) }
                pasting = text
                i += 1
                continue
            }
            if case .scalar(0x1B) = items[i] {
                if let marker = scalars(at: i, count: Self.start.count), marker == Self.start {
                    pasting = []
                    i += Self.start.count
                    continue
                }
                let rest = items.count - i
                if rest > 1, rest < Self.start.count, scalars(at: i, count: rest) == Array(Self.start.prefix(rest)) {
                    pending = Array(items[i...])             // a paste marker cut by the read: wait for the rest
                    return events
                }
                // Alt+key: ESC then the key.
                if i + 1 < items.count, let next = Self.event(items[i + 1]) {
                    switch next {
                    case .key(.char(let c)): events.append(.key(.alt(c))); i += 2; continue
                    case .key(.enter): events.append(.key(.altEnter)); i += 2; continue
                    case .key(.backspace): events.append(.key(.alt("\u{7F}"))); i += 2; continue
                    default: break
                    }
                }
                events.append(.key(.escape))
                i += 1
                continue
            }
            if let e = Self.event(items[i]) { events.append(e) }
            i += 1
        }
        return events
    }

    static func event(_ raw: Raw) -> InputEvent? {
        switch raw {
        case .scalar(let v): Screen.character(v)
        case .function(let code): Screen.functionKey(code)
        case .mouse(let x, let y, let button): .mouse(x: x, y: y, button)
        }
    }
}
