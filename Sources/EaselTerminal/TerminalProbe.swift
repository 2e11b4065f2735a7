import Glibc

/// What the terminal told us about itself: facts only, no decisions.
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

    public init() {}

    /// True when DA1 lists attribute 4 (parsed as integers, so `42` does not count).
    public var sixel: Bool { da1.contains(4) }

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

/// Parses terminal replies: complete `CSI` replies are consumed and recorded; anything else
/// (DCS, OSC, APC, stray bytes) is skipped. Incomplete input stays in the buffer for the next read.
public enum ReplyParser {
    public static func consume(_ buf: inout [UInt8], into caps: inout TerminalCapabilities) {
        var i = 0
        while i < buf.count {
            guard buf[i] == 0x1B else { i += 1; continue }
            guard i + 1 < buf.count else { break }
            if buf[i + 1] != UInt8(ascii: "[") { i += 1; continue }
            var j = i + 2
            var priv = false
            if j < buf.count, buf[j] == UInt8(ascii: "?") { priv = true; j += 1 }
            var params: [Int] = [], cur = 0, have = false
            while j < buf.count, (0x30...0x39).contains(buf[j]) || buf[j] == 0x3B {
                if buf[j] == 0x3B { params.append(cur); cur = 0; have = false }
                else { cur = min(cur * 10 + Int(buf[j] - 0x30), 1_000_000); have = true }
                j += 1
            }
            if j >= buf.count { break }                       // incomplete: wait for more bytes
            if have || !params.isEmpty { params.append(cur) }
            switch (priv, buf[j]) {
            case (true, UInt8(ascii: "c")):
                caps.da1 = Array(params.dropFirst())
                caps.answeredDA1 = true
            case (true, UInt8(ascii: "S")) where params.count >= 3 && params[1] == 0:
                if params[0] == 1 { caps.colorRegisters = params[2] }
                if params[0] == 2, params.count >= 4 { caps.sixelMaxSize = PixelSize(width: params[2], height: params[3]) }
            case (false, UInt8(ascii: "t")) where params.count >= 3:
                if params[0] == 4 { caps.textAreaPixels = PixelSize(width: params[2], height: params[1]) }
                if params[0] == 6 { caps.cellPixelsReported = PixelSize(width: params[2], height: params[1]) }
            default: break
            }
            i = j + 1
        }
        buf.removeFirst(min(i, buf.count))
    }
}

/// Asks the terminal what it can do, before curses starts.
public enum TerminalProbe {
    /// XTSMGRAPHICS (colour registers, sixel geometry), `CSI 14 t`, `CSI 16 t`, then DA1 last:
    /// every terminal answers DA1, so its reply ends the wait.
    static let query = Array("\u{1B}[?1;1;0S\u{1B}[?2;1;0S\u{1B}[14t\u{1B}[16t\u{1B}[c".utf8)

    /// Probes the controlling terminal in non-canonical, no-echo mode, waiting at most `timeout`
    /// for the DA1 reply (about 1 s is safe over SSH). Reply bytes are consumed, never left queued.
    public static func run(timeout: Duration = .seconds(1)) -> TerminalCapabilities {
        var caps = TerminalCapabilities()
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
        var rawMode = saved
        rawMode.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &rawMode.c_cc) { cc in cc[Int(VMIN)] = 0; cc[Int(VTIME)] = 0 }
        tcsetattr(fd, TCSANOW, &rawMode)
        defer { tcsetattr(fd, TCSAFLUSH, &saved) }
        TerminalIO.writeAll(fd, query)
        var buf: [UInt8] = []
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
            ReplyParser.consume(&buf, into: &caps)
        }
        return caps
    }
}
