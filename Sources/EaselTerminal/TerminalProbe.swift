import Foundation
import Glibc

/// What the terminal and the environment told us: facts, plus ``bestProtocol``, the one decision derived from them.
public struct TerminalCapabilities: Equatable, Sendable {
    /// DA1 attributes (`CSI ? 63 ; 1 ; 4 … c` → [1, 4, …]); 4 means sixel graphics.
    public var da1: [Int] = []
    public var answeredDA1 = false
    /// XTSMGRAPHICS colour registers.
    public var colorRegisters: Int?
    /// XTSMGRAPHICS maximum sixel geometry, pixels.
    public var sixelMaxSize: PixelSize?
    /// `CSI 14 t`: text area in pixels.
    public var textAreaPixels: PixelSize?
    /// `CSI 16 t`: one cell in pixels.
    public var cellPixelsReported: PixelSize?
    /// `TIOCGWINSZ`: cells and pixels (pixels are 0 where the terminal or transport does not say).
    public var windowCells = CellSize(columns: 0, rows: 0)
    public var windowPixels = PixelSize(width: 0, height: 0)
    /// XTVERSION (`CSI > q` → `DCS > | text ST`): "XTerm(379)", "tmux 3.4", "kitty(0.35.2)", "WezTerm 20240203", ….
    /// Only printable ASCII is kept, at most 64 characters; `nil` when there was no reply or it was empty.
    public var brand: String?
    /// The kitty graphics query (`a=q`, id 31) was answered `OK`.
    public var kittyGraphics = false
    /// `$TMUX` is set and not empty (`TMUX= cmd` is the usual way to unset it).
    public var inTmux = false
    /// `$TERM`, `nil` when unset or empty.
    public var term: String?
    /// `$TERM_PROGRAM`, `nil` when unset or empty.
    public var termProgram: String?
    /// `$KITTY_WINDOW_ID` is set and not empty. A hint only: tmux and programs started from kitty inherit it.
    public var kittyWindow = false
    /// GNU screen or tmux by the environment without `$TMUX`: `$STY` is set, or `$TERM` starts with
    /// `screen` or `tmux` (what `ssh` from a tmux pane passes on).
    public var multiplexerTerm = false
    /// xterm's `metaSendsEscape` (DECRQM `CSI ? 1036 $ p`): `true` set, `false` reset (Alt then sets
    /// the 8th bit, `eightBitInput`), `nil` when the terminal does not know the mode or did not answer.
    public var metaSendsEscape: Bool?
    /// `$MLTERM` is set (mlterm exports its version): Alt sets the 8th bit unless configured otherwise.
    public var mlterm = false
    /// `$COLORTERM` (`truecolor`, `24bit`, …), `nil` when unset or empty.
    public var colorTerm: String?
    /// terminfo's `colors` for `$TERM` (0 when unknown) and its `RGB`/`Tc` direct-colour flag.
    public var terminfoColors = 0
    public var terminfoDirectColor = false
    /// Inside tmux: the attached client's features (`tmux display -p '#{client_termfeatures}'`) include `RGB`,
    /// so tmux passes 24-bit SGR on instead of reducing it to 256 colours.
    public var tmuxRGB = false
    /// The terminal's default background (OSC 11 `rgb:RRRR/GGGG/BBBB`), 8 bits per channel; `nil` without a reply.
    public var background: RGB?
    /// Sixel display mode (DECSDM, DECRQM `CSI ? 80 $ p`): `true` set (xterm's `sixelScrolling: false`: a sixel is
    /// drawn at the screen's top-left whatever the cursor), `false` reset, `nil` when not known or not answered.
    public var sixelDisplayMode: Bool?

    public init() {}

    /// The background is light (relative luminance above one half, sRGB weights), so a light theme suits;
    /// `nil` when the terminal did not say.
    public var lightBackground: Bool? {
        guard let bg = background else { return nil }
        let y = 0.2126 * Double(bg.red) + 0.7152 * Double(bg.green) + 0.0722 * Double(bg.blue)
        return y > 127.5
    }

    /// The terminal shows 24-bit SGR colour (`38;2;r;g;b`). Inside tmux only when tmux was configured for it
    /// (``tmuxRGB``: `terminal-features …:RGB` or `terminal-overrides …:Tc`), whatever `$COLORTERM` says;
    /// elsewhere when `$COLORTERM` is `truecolor` or `24bit`, or terminfo has `RGB`/`Tc`.
    public var directColor: Bool {
        if inMultiplexer { return tmuxRGB }
        return colorTerm == "truecolor" || colorTerm == "24bit" || terminfoDirectColor
    }

    /// Whether a `#{client_termfeatures}` list (`bpaste,ccolour,clipboard,RGB,title`) has `RGB`.
    public static func tmuxFeaturesHaveRGB(_ features: String) -> Bool {
        features.split(whereSeparator: { $0 == "," || $0.isWhitespace }).contains("RGB")
    }

    /// Capabilities with only the environment facts filled in (`TMUX`, `TERM`, `TERM_PROGRAM`, `KITTY_WINDOW_ID`).
    /// Pure: pass `ProcessInfo.processInfo.environment`, or a dictionary in tests.
    public init(environment env: [String: String]) {
        func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        inTmux = value("TMUX") != nil
        term = value("TERM")
        termProgram = value("TERM_PROGRAM")
        kittyWindow = value("KITTY_WINDOW_ID") != nil
        multiplexerTerm = value("STY") != nil || term.map { $0.hasPrefix("screen") || $0.hasPrefix("tmux") } == true
        mlterm = value("MLTERM") != nil
        colorTerm = value("COLORTERM")?.lowercased()
    }

    /// True when DA1 lists attribute 4 (parsed as integers, so `42` does not count).
    public var sixel: Bool { da1.contains(4) }

    /// Inside tmux or GNU screen, by `$TMUX`, `$STY`, `$TERM`, or by tmux answering XTVERSION.
    public var inMultiplexer: Bool { inTmux || multiplexerTerm || brand?.hasPrefix("tmux") == true }

    /// How Alt+key arrives when the user did not say (config `ui.alt_keys = "auto"`):
    /// ``InputDecoder/MetaMode/highBit`` in mlterm (by `$MLTERM` or XTVERSION) when it did not report
    /// `metaSendsEscape`; otherwise ESC-prefixed, which xterm is asked for (``turnOnMetaSendsEscape``).
    public var autoMeta: InputDecoder.MetaMode {
        if metaSendsEscape == nil, mlterm || brand?.lowercased().hasPrefix("mlterm") == true { return .highBit }
        return .escapePrefix
    }

    /// The terminal reported `metaSendsEscape` off: Easel turns it on (`CSI ? 1036 h`) while it runs,
    /// so Alt arrives as ESC + key, and off again when it gives the terminal back.
    public var turnOnMetaSendsEscape: Bool { metaSendsEscape == false }

    /// The graphics protocol to use when the user asked for `auto`: "kitty", "iterm", "sixel" or "blocks".
    /// The order follows the reference's fallback rule (terminal-graphics.md §0 rule 9):
    /// 1. "kitty" when the kitty query was answered `OK`;
    /// 2. "blocks" inside tmux. Our sequences are not wrapped in passthrough, so tmux would drop kitty and
    ///    iTerm2 images. tmux ≥ 3.4 with sixel also answers DA1 with 4 whatever the outer terminal can do (§0 rule 8, §4);
    /// 3. "iterm" for brands known to speak OSC 1337: `TERM_PROGRAM` iTerm.app or WezTerm, or XTVERSION iTerm2… or WezTerm…;
    /// 4. "sixel" when DA1 lists 4;
    /// 5. "blocks" otherwise, including when nothing answered.
    public var bestProtocol: String {
        if kittyGraphics { return "kitty" }
        if inMultiplexer { return "blocks" }
        if termProgram == "iTerm.app" || termProgram == "WezTerm" { return "iterm" }
        if let brand, brand.hasPrefix("iTerm2") || brand.hasPrefix("WezTerm") { return "iterm" }
        if sixel { return "sixel" }
        return "blocks"
    }

    /// The size of one cell in pixels: TIOCGWINSZ when plausible, then `CSI 16 t`, then `CSI 14 t` ÷ cells,
    /// then XTSMGRAPHICS geometry ÷ cells, else 10×20.
    public var cellPixels: PixelSize {
        let c = windowCells, p = windowPixels
        if c.columns > 0, c.rows > 0, p.width >= 2 * c.columns, p.height >= 4 * c.rows {
            return PixelSize(width: p.width / c.columns, height: p.height / c.rows)
        }
        if let r = cellPixelsReported, r.width > 0, r.height > 0 { return r }
        if c.columns > 0, c.rows > 0 {
            for area in [textAreaPixels, sixelMaxSize].compactMap({ $0 }) where area.width >= 2 * c.columns && area.height >= 4 * c.rows {
                return PixelSize(width: area.width / c.columns, height: area.height / c.rows)
            }
        }
        return PixelSize(width: 10, height: 20)
    }
}

/// Parses terminal replies and records the ones the probe asked for:
/// - CSI: DA1 `CSI ? … c`, XTSMGRAPHICS `CSI ? Pi ; 0 ; … S`, XTWINOPS `CSI 4|6 ; h ; w t`;
/// - DCS: XTVERSION `ESC P > | text ESC \`;
/// - APC: the kitty graphics reply `ESC _ G i=31 ; OK ESC \`.
///
/// Other CSI, DCS, OSC (`ESC ] 11 ; rgb:… BEL`), APC, PM and SOS strings are skipped whole, and so are stray
/// bytes. A string ends at ST (`ESC \`), or at BEL for OSC. An `ESC` that is not followed by `\`, or a CAN/SUB,
/// aborts the string, so an unterminated string cannot swallow the DA1 reply after it. Incomplete input
/// (a lone `ESC`, a CSI without its final byte, a string without its terminator) stays in the buffer for
/// the next read. An unterminated string longer than ``maxStringLength`` is dropped.
public enum ReplyParser {
    /// The longest string kept while waiting for its terminator, in bytes.
    public static let maxStringLength = 4096

    public static func consume(_ buf: inout [UInt8], into caps: inout TerminalCapabilities) {
        var typed: [UInt8] = []
        consume(&buf, into: &caps, typed: &typed)
    }

    /// Like ``consume(_:into:)``, and appends to `typed` every byte that is not part of a reply: keys
    /// typed while the probe waited (text, C0 controls, `ESC` + key, CSI/SS3 keys, a bracketed paste),
    /// in order, for the editor. A CSI is a reply when it has a `<=>?` prefix, an intermediate byte
    /// (DECRQM `$ y`) or the final `t`; DCS, OSC, APC, PM and SOS strings are always replies.
    public static func consume(_ buf: inout [UInt8], into caps: inout TerminalCapabilities, typed: inout [UInt8]) {
        var i = 0
        scan: while i < buf.count {
            guard buf[i] == 0x1B else { typed.append(buf[i]); i += 1; continue }
            guard i + 1 < buf.count else { break }
            switch buf[i + 1] {
            case UInt8(ascii: "["):
                guard let (next, reply) = csi(buf, at: i, into: &caps) else { break scan }
                if !reply { typed += buf[i..<next] }
                i = next
            case UInt8(ascii: "P"), UInt8(ascii: "]"), UInt8(ascii: "_"), UInt8(ascii: "^"), UInt8(ascii: "X"):
                switch string(buf, at: i) {
                case .incomplete: break scan
                case .aborted(let next): i = next
                case .complete(let body, let next):
                    record(introducer: buf[i + 1], body: buf[body], into: &caps)
                    i = next
                }
            default:
                typed.append(buf[i])
                i += 1
            }
        }
        buf.removeFirst(min(i, buf.count))
    }

    /// Parses the CSI at `start` (`ESC [`), records it, and returns the index after it and whether it
    /// was a reply (not a key); `nil` when incomplete.
    private static func csi(_ buf: [UInt8], at start: Int, into caps: inout TerminalCapabilities) -> (Int, Bool)? {
        var j = start + 2
        var prefix: UInt8 = 0
        if j < buf.count, (0x3C...0x3F).contains(buf[j]) { prefix = buf[j]; j += 1 }     // < = > ?
        var params: [Int] = [], cur = 0, have = false, odd = false
        while j < buf.count, (0x30...0x3F).contains(buf[j]) {                          // parameter bytes
            switch buf[j] {
            case 0x3B: params.append(cur); cur = 0; have = false
            case 0x30...0x39: cur = min(cur * 10 + Int(buf[j] - 0x30), 1_000_000); have = true
            default: odd = true                                                        // ':' or a late prefix
            }
            j += 1
        }
        var intermediates: [UInt8] = []
        while j < buf.count, (0x20...0x2F).contains(buf[j]) { intermediates.append(buf[j]); j += 1 }
        guard j < buf.count else { return nil }                                        // wait for more bytes
        let final = buf[j]
        guard (0x40...0x7E).contains(final) else { return (j, false) }                 // malformed: resume at that byte
        if have || !params.isEmpty { params.append(cur) }
        let reply = prefix != 0 || !intermediates.isEmpty || final == UInt8(ascii: "t")
        if prefix == UInt8(ascii: "?"), intermediates == [UInt8(ascii: "$")], final == UInt8(ascii: "y"),
           !odd, params.count == 2, params[0] == 1036 {                                // DECRQM metaSendsEscape
            caps.metaSendsEscape = params[1] == 1 || params[1] == 3 ? true : params[1] == 2 || params[1] == 4 ? false : nil
        }
        if prefix == UInt8(ascii: "?"), intermediates == [UInt8(ascii: "$")], final == UInt8(ascii: "y"),
           !odd, params.count == 2, params[0] == 80 {                                  // DECRQM DECSDM
            caps.sixelDisplayMode = params[1] == 1 || params[1] == 3 ? true : params[1] == 2 || params[1] == 4 ? false : nil
        }
        guard !odd, intermediates.isEmpty else { return (j + 1, reply) }
        switch (prefix, final) {
        case (UInt8(ascii: "?"), UInt8(ascii: "c")):
            caps.da1 = Array(params.dropFirst())
            caps.answeredDA1 = true
        case (UInt8(ascii: "?"), UInt8(ascii: "S")) where params.count >= 3 && params[1] == 0:
            if params[0] == 1 { caps.colorRegisters = params[2] }
            if params[0] == 2, params.count >= 4 { caps.sixelMaxSize = PixelSize(width: params[2], height: params[3]) }
        case (0, UInt8(ascii: "t")) where params.count >= 3:
            if params[0] == 4 { caps.textAreaPixels = PixelSize(width: params[2], height: params[1]) }
            if params[0] == 6 { caps.cellPixelsReported = PixelSize(width: params[2], height: params[1]) }
        default: break
        }
        return (j + 1, reply)
    }

    private enum StringEnd {
        case complete(body: Range<Int>, next: Int)
        case aborted(next: Int)
        case incomplete
    }

    /// Finds the end of the DCS/OSC/APC/PM/SOS string introduced at `start` (`ESC P`, `ESC ]`, …).
    private static func string(_ buf: [UInt8], at start: Int) -> StringEnd {
        let isOSC = buf[start + 1] == UInt8(ascii: "]")
        var k = start + 2
        while k < buf.count {
            switch buf[k] {
            case 0x07 where isOSC:
                return .complete(body: (start + 2)..<k, next: k + 1)
            case 0x18, 0x1A:                                                           // CAN, SUB
                return .aborted(next: k + 1)
            case 0x1B:
                guard k + 1 < buf.count else { return .incomplete }
                if buf[k + 1] == UInt8(ascii: "\\") { return .complete(body: (start + 2)..<k, next: k + 2) }
                return .aborted(next: k)                                               // resume at that ESC
            default:
                k += 1
            }
        }
        return buf.count - start > maxStringLength ? .aborted(next: buf.count) : .incomplete
    }

    /// Parses an OSC 11 reply body `11;rgb:R/G/B` (1–4 hex digits per channel, as XParseColor) to 8 bits per channel.
    static func background(_ body: ArraySlice<UInt8>) -> RGB? {
        let text = String(decoding: body, as: UTF8.self)
        guard text.hasPrefix("11;rgb:") else { return nil }
        let parts = text.dropFirst(7).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard (1...4).contains(p.count), let v = UInt32(p, radix: 16) else { return nil }
            let max = (UInt32(1) << (4 * UInt32(p.count))) - 1
            out.append(UInt8((v * 255 + max / 2) / max))
        }
        return RGB(out[0], out[1], out[2])
    }

    /// Records an XTVERSION, OSC 11 or kitty graphics reply; other strings are ignored.
    private static func record(introducer: UInt8, body: ArraySlice<UInt8>, into caps: inout TerminalCapabilities) {
        switch introducer {
        case UInt8(ascii: "P") where body.starts(with: Array(">|".utf8)):
            let text = body.dropFirst(2).filter { (0x20...0x7E).contains($0) }.prefix(64)
            caps.brand = text.isEmpty ? nil : String(decoding: text, as: UTF8.self)
        case UInt8(ascii: "]"):
            if let bg = background(body) { caps.background = bg }
        case UInt8(ascii: "_") where body.first == UInt8(ascii: "G"):
            let parts = body.dropFirst().split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return }
            let keys = parts[0].split(separator: UInt8(ascii: ","))
            if keys.contains(where: { $0.elementsEqual("i=31".utf8) }), parts[1].elementsEqual("OK".utf8) {
                caps.kittyGraphics = true
            }
        default: break
        }
    }
}

/// Asks the terminal what it can do, before curses starts.
public enum TerminalProbe {
    /// The kitty graphics query: a 1×1 RGB image with id 31 and action `a=q`, which checks the upload
    /// without storing it. Kitty-protocol terminals answer `ESC _ G i=31 ; OK ESC \`.
    public static let kittyQuery = "\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\"

    /// The first round, in one write: XTVERSION, DECRQM `metaSendsEscape` (1036) and sixel display mode (80),
    /// the background colour (OSC 11), XTSMGRAPHICS (colour registers, sixel geometry), `CSI 14 t`, `CSI 16 t`,
    /// then DA1 last. Every terminal answers DA1, so its reply ends the wait.
    public static let query = Array(("\u{1B}[>q\u{1B}[?1036$p\u{1B}[?80$p\u{1B}]11;?\u{1B}\\"
        + "\u{1B}[?1;1;0S\u{1B}[?2;1;0S\u{1B}[14t\u{1B}[16t\u{1B}[c").utf8)

    /// The second round, only outside tmux and GNU screen: the kitty query, then DA1. Multiplexers take
    /// an APC string (`ESC _ … ESC \`) as a pane or window title, so it is never sent to them; the first
    /// round's XTVERSION tells tmux apart even when neither `$TMUX` nor `$TERM` says so (ssh from a pane).
    public static let kittyRound = Array("\(kittyQuery)\u{1B}[c".utf8)

    /// The rounds to send, in order, given what the previous rounds found: ``query``, then
    /// ``kittyRound`` unless the terminal is a multiplexer or did not answer DA1. Pure.
    public static func nextRound(after rounds: Int, _ caps: TerminalCapabilities) -> [UInt8]? {
        switch rounds {
        case 0: query
        case 1 where caps.answeredDA1 && !caps.inMultiplexer: kittyRound
        default: nil
        }
    }

    /// Probes the controlling terminal; see ``run(timeout:typed:)``. Keys typed meanwhile are dropped.
    public static func run(timeout: Duration = .seconds(1)) -> TerminalCapabilities {
        var typed: [UInt8] = []
        return run(timeout: timeout, typed: &typed)
    }

    /// Probes the controlling terminal in non-canonical, no-echo mode, waiting at most `timeout`
    /// for each round's DA1 reply (about 1 s is safe over SSH). Reply bytes are consumed; anything else
    /// (keys typed during start-up) is appended to `typed`, and input still unread stays queued (the
    /// terminal's modes are restored without flushing). The environment facts come from
    /// `ProcessInfo.processInfo.environment` and are filled even without a terminal.
    public static func run(timeout: Duration, typed: inout [UInt8]) -> TerminalCapabilities {
        var caps = TerminalCapabilities(environment: ProcessInfo.processInfo.environment)
        (caps.terminfoColors, caps.terminfoDirectColor) = Screen.terminfoColors()
        if caps.inTmux { caps.tmuxRGB = tmuxClientHasRGB() }
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { return caps }
        defer { close(fd) }
        var ws = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0 {
            caps.windowCells = CellSize(columns: Int(ws.ws_col), rows: Int(ws.ws_row))
            caps.windowPixels = PixelSize(width: Int(ws.ws_xpixel), height: Int(ws.ws_ypixel))
        }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return caps }
        var rawMode = probeMode(saved)
        tcsetattr(fd, TCSANOW, &rawMode)
        defer { tcsetattr(fd, TCSANOW, &saved) }                   // never TCSAFLUSH: typed keys stay
        var buf = typedBefore(readWaiting(fd), in: saved)          // typed before the probe began
        ReplyParser.consume(&buf, into: &caps, typed: &typed)
        var rounds = 0
        while let round = nextRound(after: rounds, caps) {
            rounds += 1
            let answered = caps.answeredDA1
            caps.answeredDA1 = false
            TerminalIO.writeAll(fd, round)
            wait(fd, timeout, &buf, &caps, &typed)
            caps.answeredDA1 = caps.answeredDA1 || answered
        }
        typed += buf                                                // an incomplete key at the end
        return caps
    }

    /// Reads and parses replies until DA1 is answered or `timeout` passes.
    private static func wait(_ fd: Int32, _ timeout: Duration, _ buf: inout [UInt8],
                             _ caps: inout TerminalCapabilities, _ typed: inout [UInt8]) {
        let deadline = ContinuousClock.now + timeout
        while !caps.answeredDA1 {
            let left = deadline - .now
            guard left > .zero else { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            let r = poll(&pfd, 1, ms)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { break }
            var chunk = [UInt8](repeating: 0, count: 512)
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            buf += chunk[0..<n]
            ReplyParser.consume(&buf, into: &caps, typed: &typed)
        }
    }

    /// Asks the tmux server this process runs in for its client's terminal features; false when tmux cannot
    /// be run or no client is attached.
    static func tmuxClientHasRGB() -> Bool {
        let tmux = Process()
        tmux.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tmux.arguments = ["tmux", "display-message", "-p", "#{client_termfeatures}"]
        let out = Pipe()
        tmux.standardOutput = out
        tmux.standardError = FileHandle.nullDevice
        tmux.standardInput = FileHandle.nullDevice
        do { try tmux.run() } catch { return false }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        tmux.waitUntilExit()
        guard tmux.terminationStatus == 0 else { return false }
        return TerminalCapabilities.tmuxFeaturesHaveRGB(String(decoding: data, as: UTF8.self))
    }
}
