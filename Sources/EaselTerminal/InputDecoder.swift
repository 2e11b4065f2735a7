import EaselCore

/// Turns the bytes read from the terminal into events, losslessly: every byte becomes part of a key,
/// of a bracketed paste, or of a recognised sequence that is dropped on purpose (focus reports, unknown
/// CSI). Pure; `Screen` keeps one between reads, so sequences cut by a read are joined.
///
/// - UTF-8 is decoded here (not by curses): an invalid sequence becomes U+FFFD, one per maximal
///   subpart (Unicode §3.9, "U+FFFD Substitution of Maximal Subparts"), and never eats the next byte.
/// - Bracketed paste (`ESC [ 200 ~` … `ESC [ 201 ~`) arrives as one `.paste`, invalid bytes inside as
///   U+FFFD; only the exact end marker ends it.
/// - Keys: C0 controls, `CSI`/`SS3` cursor, editing and function keys (normal and application
///   mode, modifiers ignored), SGR (`CSI < b;x;y M`) and X10 (`CSI M b x y`) mouse reports.
/// - Alt: `ESC` then a key (``MetaMode/escapePrefix``); with ``MetaMode/highBit`` also a character
///   U+0080…U+00FF (or a lone byte 0x80…0xFF) as Alt + the character 0x80 lower.
///
/// Trap: a lone `ESC` (or a sequence cut by the read) waits for more bytes; the owner calls
/// ``flush()`` when none came in time (`Screen` waits 25 ms after a lone ESC, 300 ms otherwise).
/// - SeeAlso: https://invisible-island.net/xterm/ctlseqs/ctlseqs.html (PC-Style Function Keys, Mouse Tracking)
public struct InputDecoder: Sendable {
    /// How the terminal sends Alt+key.
    public enum MetaMode: String, Sendable, CaseIterable {
        /// `ESC` then the key (xterm's `metaSendsEscape`, most terminals, tmux).
        case escapePrefix = "escape"
        /// The key's character with the 8th bit set (mlterm's default, xterm's `eightBitInput`), as
        /// the character U+0080…U+00FF (UTF-8 terminals) or the raw byte.
        case highBit = "8bit"
    }

    static let pasteStart: [UInt8] = [0x1B, 0x5B, 0x32, 0x30, 0x30, 0x7E]   // ESC [ 2 0 0 ~
    static let pasteEnd: [UInt8] = [0x1B, 0x5B, 0x32, 0x30, 0x31, 0x7E]     // ESC [ 2 0 1 ~

    /// How Alt arrives; ``MetaMode/escapePrefix`` by default.
    public var meta: MetaMode
    private var buffer: [UInt8] = []
    private var pasted: [UInt8]?

    public init(meta: MetaMode = .escapePrefix) { self.meta = meta }

    /// Bytes of an incomplete key or sequence are waiting (not counting an unfinished paste).
    public var hasIncompleteSequence: Bool { pasted == nil && !buffer.isEmpty }
    /// Only a lone `ESC` waits: the Esc key, unless more bytes follow within the escape delay.
    public var waitsOnLoneEscape: Bool { pasted == nil && buffer == [0x1B] }
    /// A bracketed paste has started and its end marker has not arrived yet.
    public var isPasting: Bool { pasted != nil }

    /// Decodes `bytes` after whatever an earlier read left incomplete.
    /// - Returns: the events completed by these bytes, in order.
    public mutating func decode(_ bytes: [UInt8]) -> [InputEvent] {
        buffer += bytes
        return run(atEnd: false)
    }

    /// No more bytes came in time: an incomplete sequence is taken as typed (a lone `ESC` is Esc,
    /// `ESC [` is Alt+[, a cut UTF-8 sequence is U+FFFD). An unfinished paste keeps waiting.
    public mutating func flush() -> [InputEvent] {
        pasted == nil ? run(atEnd: true) : []
    }

    /// The paste's end marker never came (a terminal that died mid-paste, a marker eaten on the way):
    /// the paste ends with what arrived, so the studio cannot stay stuck in it. A late end marker is
    /// then dropped as a stray sequence. Outside a paste, the same as ``flush()``.
    public mutating func endPaste() -> [InputEvent] {
        guard let text = pasted else { return flush() }
        pasted = nil
        let events: [InputEvent] = [.paste(String(decoding: text + buffer, as: UTF8.self))]
        buffer = []
        return events
    }

    /// Decodes one read that came after `silence` without input. Inside an unfinished paste, a read
    /// that is C-c alone (0x03) after at least ``keyAfterPasteGap`` is the user pressing C-c, not pasted
    /// text: the paste ends with what arrived and C-c follows as a key. A terminal sends a paste as one
    /// burst, so a lone 0x03 after a pause is a key; without this, C-c pressed again and again keeps an
    /// unterminated paste alive (each press restarts `Screen`'s 2 s paste idle limit).
    public mutating func decode(_ bytes: [UInt8], afterSilence silence: Duration) -> [InputEvent] {
        guard pasted != nil, bytes == [0x03], silence >= Self.keyAfterPasteGap else { return decode(bytes) }
        return endPaste() + decode(bytes)
    }

    /// The silence after which a lone C-c inside an unfinished paste is a key (see `decode(_:afterSilence:)`).
    public static let keyAfterPasteGap: Duration = .milliseconds(200)

    private mutating func run(atEnd: Bool) -> [InputEvent] {
        var events: [InputEvent] = []
        var i = 0
        while i < buffer.count {
            if pasted != nil {
                guard let next = collectPaste(from: i, into: &events) else { i = 0; break }   // it kept only what waits
                i = next
                continue
            }
            guard let (event, next) = parse(at: i, atEnd: atEnd) else { break }
            if let event { events += event }
            i = next
        }
        buffer.removeFirst(i)
        return events
    }

    /// Inside a paste: moves bytes up to the end marker into the paste; `nil` when the end is not
    /// here yet (a possible start of the marker stays in the buffer).
    private mutating func collectPaste(from i: Int, into events: inout [InputEvent]) -> Int? {
        let marker = Self.pasteEnd
        var j = i
        while j < buffer.count {
            if buffer[j] == 0x1B {
                let have = min(marker.count, buffer.count - j)
                if buffer[j..<(j + have)].elementsEqual(marker[0..<have]) {
                    if have < marker.count {                     // cut by the read: keep it for later
                        pasted! += buffer[i..<j]
                        buffer.removeFirst(j)
                        return nil
                    }
                    pasted! += buffer[i..<j]
                    events.append(.paste(String(decoding: pasted!, as: UTF8.self)))
                    pasted = nil
                    return j + marker.count
                }
            }
            j += 1
        }
        pasted! += buffer[i...]
        buffer.removeAll()
        return nil
    }

    /// One key or sequence at `i`: the events (none for a dropped sequence) and the index after it;
    /// `nil` when more bytes are needed.
    private mutating func parse(at i: Int, atEnd: Bool) -> ([InputEvent]?, Int)? {
        let b = buffer[i]
        if b == 0x1B { return parseEscape(at: i, atEnd: atEnd) }
        guard let (scalar, length) = Self.utf8(buffer, at: i, atEnd: atEnd) else { return nil }
        return ([key(scalar: scalar, invalidByte: length == 1 && b >= 0x80 ? b : nil)], i + length)
    }

    /// A decoded scalar (or U+FFFD with the invalid lone byte) as a key, Alt for high-bit meta.
    private func key(scalar: Unicode.Scalar?, invalidByte: UInt8?) -> InputEvent {
        if meta == .highBit {
            let v = scalar.map(\.value) ?? invalidByte.map(UInt32.init)
            if let v, (0x80...0xFF).contains(v), let base = Self.character(v - 0x80) {
                return Self.alt(base) ?? base
            }
        }
        guard let scalar else { return .key(.char("\u{FFFD}")) }
        return Self.character(scalar.value) ?? .key(.char("\u{FFFD}"))
    }

    /// `event` with Alt held: characters, Enter and Backspace have Alt forms; `nil` for the rest.
    static func alt(_ event: InputEvent) -> InputEvent? {
        switch event {
        case .key(.char(let c)): .key(.alt(c))
        case .key(.enter): .key(.altEnter)
        case .key(.backspace): .key(.alt("\u{7F}"))
        default: nil
        }
    }

    private mutating func parseEscape(at i: Int, atEnd: Bool) -> ([InputEvent]?, Int)? {
        guard i + 1 < buffer.count else { return atEnd ? ([.key(.escape)], i + 1) : nil }
        switch buffer[i + 1] {
        case UInt8(ascii: "["):
            switch Self.csi(buffer, at: i) {
            case .incomplete: return atEnd ? ([.key(.alt("["))], i + 2) : nil
            case .malformed: return ([.key(.alt("["))], i + 2)
            case .complete(let sequence, let next):
                if sequence == .pasteStart { pasted = []; return (nil, next) }
                return (sequence.event.map { [$0] }, next)
            }
        case UInt8(ascii: "O"):
            guard i + 2 < buffer.count else { return atEnd ? ([.key(.alt("O"))], i + 2) : nil }
            if let key = Self.ss3(buffer[i + 2]) { return ([.key(key)], i + 3) }
            return ([.key(.alt("O"))], i + 2)
        case 0x1B:
            return ([.key(.escape)], i + 1)
        default:
            guard let (scalar, length) = Self.utf8(buffer, at: i + 1, atEnd: atEnd) else { return nil }
            let next = key(scalar: scalar, invalidByte: nil)
            if scalar != nil, let alt = Self.alt(next) { return ([alt], i + 1 + length) }
            return ([.key(.escape)], i + 1)                      // Esc, then that key on its own
        }
    }

    /// The key for a C0 control or a character; `nil` for code points that are not scalars.
    static func character(_ v: UInt32) -> InputEvent? {
        switch v {
        case 0x0D: return .key(.enter)
        case 0x09: return .key(.tab)
        case 0x1B: return .key(.escape)
        case 0x7F: return .key(.backspace)
        case 0x1F: return .key(.ctrl("_"))
        case 0x00: return .key(.ctrl(" "))
        case 0x01...0x1A: return .key(.ctrl(Character(Unicode.Scalar(v + 0x60)!)))
        default:
            guard let s = Unicode.Scalar(v) else { return nil }
            return .key(.char(Character(s)))
        }
    }
}
