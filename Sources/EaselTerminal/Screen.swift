import CNCurses
import EaselCore
import Glibc

/// What the terminal sent: a key, a bracketed paste, a mouse click or wheel, or a resize.
public enum InputEvent: Equatable, Sendable {
    case key(Key)
    case paste(String)
    case mouse(x: Int, y: Int, MouseButton)
    case resized
}

public enum MouseButton: Equatable, Sendable { case left, wheelUp, wheelDown }

/// The one owner of ncurses: set-up, drawing a `CellBuffer`, reading keys, restoring the terminal.
/// Every call must come from the thread that created it (ncurses is not thread-safe).
public final class Screen {
    private let win: UnsafeMutablePointer<WINDOW>
    private var pairs: [Role: (pair: Int32, attrs: attr_t)] = [:]
    private var ended = false
    private var colorCount = 0
    private var paintPairs: [Paint: Int32] = [:]          // exact colours → pair (fast path)
    private var quantizedPairs: [Int32: Int32] = [:]      // palette indices → pair (dedupe)
    private var nextPaintPair: Int32 = Int32(Role.allCases.count + 1)
    private var cursorVisible: Int32 = -1
    private var decoder = InputDecoder()

    /// Starts curses on the controlling terminal: raw mode (Ctrl-C and Ctrl-Z arrive as keys),
    /// no echo, keypad decoding, a 25 ms `ESCDELAY`.
    /// - Parameter styles: the resolved theme; ignored when `color` is false (`NO_COLOR`, mono).
    public init(styles: [Role: Style], color: Bool) {
        setlocale(LC_ALL, "")
        win = initscr()
        raw()
        noecho()
        nonl()
        keypad(win, true)
        nodelay(win, true)
        set_escdelay(25)
        if color && has_colors() {
            start_color()
            use_default_colors()
        }
        colorCount = color && has_colors() ? Int(cnc_colors()) : 0
        apply(styles: styles)
        setCursor(visible: false)
        TerminalIO.writeAll(STDOUT_FILENO, Array("\u{1B}[?2004h".utf8))      // bracketed paste
    }

    deinit { end() }

    /// terminfo's facts for `$TERM`, read before curses starts: `colors` (0 without an entry) and whether the
    /// entry has the `RGB` or `Tc` flag (24-bit colour, e.g. `xterm-direct`).
    public static func terminfoColors() -> (colors: Int, direct: Bool) {
        var direct: Int32 = 0
        let colors = cnc_terminfo_colors(&direct)
        return (Int(colors), direct != 0)
    }

    /// Turns mouse reporting on (clicks and the wheel) or off. Off by default: while it is on, the
    /// terminal's own text selection needs Shift.
    public func enableMouse(_ on: Bool) {
        mousemask(on ? cnc_mouse_mask() : 0, nil)
        mouseinterval(0)
    }

    /// Sets every role's colour pair and attributes from `styles` (a theme), and repaints.
    public func apply(styles: [Role: Style]) {
        let colors = colorCount
        for (i, role) in Role.allCases.enumerated() {
            let style = styles[role] ?? Style()
            var attrs = cnc_a_normal()
            if style.bold { attrs |= cnc_a_bold() }
            if style.dim { attrs |= cnc_a_dim() }
            if style.italic { attrs |= cnc_a_italic() }
            if style.underline { attrs |= cnc_a_underline() }
            if style.reverse { attrs |= cnc_a_reverse() }
            var pair: Int32 = 0
            if colors >= 8, i + 1 < Int(cnc_color_pairs()) {
                pair = Int32(i + 1)
                init_extended_pair(pair, style.fg.indexed(limit: colors), style.bg.indexed(limit: colors))
            } else if colors == 0, role == .selection || role == .cursor, !style.reverse {
                attrs |= cnc_a_reverse()          // mono: selection still visible
            }
            pairs[role] = (pair, attrs)
        }
        invalidateAll()
    }

    /// The terminal size in cells.
    public var size: CellSize { CellSize(columns: Int(cnc_getmaxx(win)), rows: Int(cnc_getmaxy(win))) }

    /// Reads the terminal's size (`TIOCGWINSZ`) and resizes curses to it; curses then reports
    /// `KEY_RESIZE`, which `readEvents` returns as `.resized`.
    public func resizeToTerminal() {
        var ws = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 else { return }
        resizeterm(Int32(ws.ws_row), Int32(ws.ws_col))
    }

    /// Reads every pending key without blocking; bracketed pastes arrive whole as `.paste`.
    public func readEvents() -> [InputEvent] {
        var raw: [InputDecoder.Raw] = []
        while true {
            var wc: wint_t = 0
            let r = wget_wch(win, &wc)
            if r == ERR { break }
            if r == KEY_CODE_YES, Int32(wc) == KEY_MOUSE {
                var event = MEVENT()
                if getmouse(&event) == OK {
                    let m = event.bstate
                    if cnc_is_left_click(m) != 0 { raw.append(.mouse(x: Int(event.x), y: Int(event.y), .left)) }
                    else if cnc_is_wheel_up(m) != 0 { raw.append(.mouse(x: Int(event.x), y: Int(event.y), .wheelUp)) }
                    else if cnc_is_wheel_down(m) != 0 { raw.append(.mouse(x: Int(event.x), y: Int(event.y), .wheelDown)) }
                }
                continue
            }
            raw.append(r == KEY_CODE_YES ? .function(Int32(wc)) : .scalar(UInt32(wc)))
        }
        return decoder.decode(raw)
    }

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

    static func functionKey(_ code: Int32) -> InputEvent? {
        switch code {
        case KEY_RESIZE: return .resized
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        case KEY_DC: return .key(.delete)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_ENTER: return .key(.enter)
        case KEY_BTAB: return .key(.backTab)
        case 265...288: return .key(.function(Int(code) - 264))     // KEY_F(1)...KEY_F(24)
        default: return nil
        }
    }

    /// Makes the terminal show `buffer`: curses diffs it against what is on screen and sends only changes.
    public func draw(_ buffer: CellBuffer) {
        let rows = min(buffer.height, Int(cnc_getmaxy(win)))
        let cols = min(buffer.width, Int(cnc_getmaxx(win)))
        for y in 0..<rows {
            var x = 0
            while x < cols {
                let role = buffer[x, y].role, paint = buffer[x, y].paint
                var run = ""
                let start = x
                while x < cols, buffer[x, y].role == role, buffer[x, y].paint == paint {
                    run += buffer[x, y].text
                    x += 1
                }
                put(run, x: start, y: y, role: role, paint: paint)
            }
        }
        if let c = buffer.cursor, c.x < cols, c.y < rows {
            setCursor(visible: true)
            wmove(win, Int32(c.y), Int32(c.x))
        } else {
            setCursor(visible: false)
        }
        wnoutrefresh(win)
        doupdate()
    }

    private func put(_ s: String, x: Int, y: Int, role: Role, paint: Paint?) {
        guard var p = pairs[role] else { return }
        if let paint, let pair = pair(for: paint) { p = (pair, cnc_a_normal()) }
        var ws = s.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
        ws.append(0)
        wattr_set(win, p.attrs, Int16(truncatingIfNeeded: min(p.pair, 255)), &p.pair)
        mvwaddnwstr(win, Int32(y), Int32(x), ws, Int32(ws.count - 1))
        wattr_set(win, cnc_a_normal(), 0, nil)
    }

    /// A colour pair for explicit picture colours, quantized to the terminal's palette; allocated on
    /// first use and kept (ncurses 6 extended pairs). `nil` without colours or when pairs run out.
    private func pair(for paint: Paint) -> Int32? {
        guard colorCount >= 8 else { return nil }
        if let p = paintPairs[paint] { return p }
        let fg = paint.fg.indexed(limit: colorCount), bg = paint.bg.indexed(limit: colorCount)
        let key = (fg + 1) * 257 + (bg + 1)
        if let p = quantizedPairs[key] { paintPairs[paint] = p; return p }
        guard nextPaintPair < cnc_color_pairs() else { return nil }
        let p = nextPaintPair
        nextPaintPair += 1
        init_extended_pair(p, fg, bg)
        quantizedPairs[key] = p
        paintPairs[paint] = p
        return p
    }

    private func setCursor(visible: Bool) {
        let v: Int32 = visible ? 1 : 0
        if v != cursorVisible { curs_set(v); cursorVisible = v }
    }

    /// Marks screen rows as garbage so the next `draw` rewrites every cell in them; this is what
    /// erases a sixel image there (writing text over graphics clears them in xterm).
    public func invalidate(rows: Range<Int>) {
        guard !rows.isEmpty else { return }
        wredrawln(win, Int32(rows.lowerBound), Int32(rows.count))
    }

    /// Repaints everything on the next `draw` (after a resize or `fg`).
    public func invalidateAll() { redrawwin(win) }

    /// Writes bytes straight to the terminal, after curses has flushed: the channel for graphics.
    /// Retries on `EINTR` and partial writes.
    public func writeRaw(_ bytes: [UInt8]) { TerminalIO.writeAll(STDOUT_FILENO, bytes) }

    /// Gives the terminal back to the shell before the process stops (C-z, SIGTSTP): bracketed paste
    /// off, then `endwin()`, which leaves the alternate screen, shows the cursor and restores the
    /// modes curses found at start. `resume()` undoes it.
    public func suspend() {
        guard !ended else { return }
        TerminalIO.writeAll(STDOUT_FILENO, Array("\u{1B}[?2004l".utf8))
        endwin()
    }

    /// Takes the terminal back after `fg` (SIGCONT): `doupdate` after `endwin` restores curses' modes,
    /// the alternate screen and the mouse; then bracketed paste, the terminal's current size (it may
    /// have changed while stopped), and a full repaint on the next `draw`.
    public func resume() {
        guard !ended else { return }
        doupdate()
        TerminalIO.writeAll(STDOUT_FILENO, Array("\u{1B}[?2004h".utf8))
        resizeToTerminal()
        invalidateAll()
    }

    /// After a SIGCONT that Easel did not ask for (`kill -STOP`, then `kill -CONT`): the shell may
    /// have reset the terminal's modes meanwhile, so they are set again and everything is repainted.
    public func reclaim() {
        guard !ended else { return }
        reset_prog_mode()
        TerminalIO.writeAll(STDOUT_FILENO, Array("\u{1B}[?2004h".utf8))
        resizeToTerminal()
        invalidateAll()
    }

    /// Leaves curses and restores the terminal's modes. Safe to call more than once.
    public func end() {
        guard !ended else { return }
        ended = true
        TerminalIO.writeAll(STDOUT_FILENO, Array("\u{1B}[?2004l".utf8))
        curs_set(1)
        endwin()
    }

}

/// Raw writes to a file descriptor, for escape sequences and graphics.
public enum TerminalIO {
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            off += n
        }
    }
}
