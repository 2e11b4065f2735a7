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
    /// The colours the screen draws with: 8, 16 or 256 palette entries, 0 without colour (`NO_COLOR`, mono).
    public var colors: Int { colorCount }
    private var paintPairs: [Paint: Int32] = [:]          // exact colours → pair (fast path)
    private var quantizedPairs: [Int32: Int32] = [:]      // palette indices → pair (dedupe)
    private var nextPaintPair: Int32 = Int32(Role.allCases.count + 1)
    private var cursorVisible: Int32 = -1
    private var decoder = InputDecoder()
    private var queued: [UInt8] = []
    private var lastInput = ContinuousClock.now
    private var resizePending = false
    private var mouseOn = false
    private var metaForced = false
    private var scrubs: [Rect] = []
    /// The buffer whose cells the curses window holds (the last one drawn), while they are known to be there.
    private var shown: CellBuffer?
    /// Rows written into the curses window by the last `draw` (the others were unchanged).
    public private(set) var rowsWritten = 0
    /// The locale is not UTF-8: cells are drawn through ``ASCIIFallback`` (curses can only write ASCII then).
    public let asciiOnly: Bool

    /// Starts curses on the controlling terminal: raw mode (Ctrl-C and Ctrl-Z arrive as keys),
    /// no echo, keypad mode. Curses never reads the keyboard: ``readEvents()`` reads stdin itself.
    /// - Parameter styles: the resolved theme; ignored when `color` is false (`NO_COLOR`, mono).
    public init(styles: [Role: Style], color: Bool) {
        setlocale(LC_ALL, "")
        asciiOnly = !ASCIIFallback.localeIsUTF8()
        win = initscr()
        raw()
        noecho()
        nonl()
        keypad(win, true)
        nodelay(win, true)
        typeahead(-1)                 // curses must not peek at stdin: its bytes are ours
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

    /// Turns mouse reporting on (clicks and the wheel: xterm's `?1000` with SGR coordinates `?1006`)
    /// or off. Off by default: while it is on, the terminal's own text selection needs Shift.
    public func enableMouse(_ on: Bool) {
        mouseOn = on
        writeMouseMode(on)
    }

    /// Turns xterm's `metaSendsEscape` on (DECSET 1036) so Alt+key arrives as ESC + key; suspend and
    /// end turn it off again, resume on. Call only when the probe found it off.
    public func setMetaSendsEscape() {
        metaForced = true
        writeMetaMode(true)
    }

    private func writeMetaMode(_ on: Bool) {
        TerminalIO.writeAll(STDOUT_FILENO, Array((on ? "\u{1B}[?1036h" : "\u{1B}[?1036l").utf8))
    }

    private func writeMouseMode(_ on: Bool) {
        TerminalIO.writeAll(STDOUT_FILENO, Array((on ? "\u{1B}[?1000h\u{1B}[?1006h" : "\u{1B}[?1006l\u{1B}[?1000l").utf8))
    }

    /// Sets every role's colour pair and attributes from `styles` (a theme), and repaints.
    public func apply(styles: [Role: Style]) {
        let colors = colorCount
        let indices = paletteIndices(styles, colors: max(colors, 8))
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
                init_extended_pair(pair, indices[role]!.fg, indices[role]!.bg)
            } else if colors == 0, role == .selection || role == .cursor, !style.reverse {
                attrs |= cnc_a_reverse()          // mono: selection still visible
            }
            pairs[role] = (pair, attrs)
        }
        shown = nil                                       // every cell gets its role's new attributes
        invalidateAll()
    }

    /// The terminal size in cells.
    public var size: CellSize { CellSize(columns: Int(cnc_getmaxx(win)), rows: Int(cnc_getmaxy(win))) }

    /// Reads the terminal's size (`TIOCGWINSZ`) and resizes curses to it; the next `readEvents`
    /// returns `.resized`.
    public func resizeToTerminal() {
        var ws = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 else { return }
        resizeterm(Int32(ws.ws_row), Int32(ws.ws_col))
        shown = nil
        resizePending = true
    }

    /// Reads every byte waiting on stdin without blocking and decodes it (``InputDecoder``): keys,
    /// whole bracketed pastes, mouse reports, and `.resized` after ``resizeToTerminal()``.
    /// Bytes given to ``queueInput(_:)`` come first. A lone `ESC` becomes Esc once ``escapeDelay``
    /// passed with nothing after it; any other cut sequence after ``sequenceDelay``.
    public func readEvents() -> [InputEvent] {
        var events: [InputEvent] = []
        if resizePending { resizePending = false; events.append(.resized) }
        var bytes = queued
        queued = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            var pfd = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 0) > 0, pfd.revents & Int16(POLLIN) != 0 else { break }
            let n = read(STDIN_FILENO, &chunk, chunk.count)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        if !bytes.isEmpty {
            let now = ContinuousClock.now
            events += decoder.decode(bytes, afterSilence: now - lastInput)
            lastInput = now
        } else if let wait = inputTimeout, wait <= .zero {
            events += decoder.isPasting ? decoder.endPaste() : decoder.flush()
        }
        return events
    }

    /// How long until a waiting `ESC` or cut sequence is taken as typed, or an unfinished paste is
    /// ended, for the loop's `poll` timeout; `nil` when nothing waits.
    public var inputTimeout: Duration? {
        guard decoder.hasIncompleteSequence || decoder.isPasting else { return nil }
        let delay = decoder.isPasting ? Self.pasteIdleLimit : decoder.waitsOnLoneEscape ? Self.escapeDelay : Self.sequenceDelay
        return max(.zero, delay - (ContinuousClock.now - lastInput))
    }

    /// The wait after a lone `ESC` before it is the Esc key (curses' own `ESCDELAY` default is 1 s).
    public static let escapeDelay: Duration = .milliseconds(25)
    /// The wait for the rest of a sequence cut by a read (a slow link may split `ESC [ 200 ~`).
    public static let sequenceDelay: Duration = .milliseconds(300)
    /// The longest silence inside a bracketed paste before it is ended without its end marker.
    public static let pasteIdleLimit: Duration = .seconds(2)

    /// Bytes typed before the screen started (kept by the terminal probe); ``readEvents()`` decodes them first.
    public func queueInput(_ bytes: [UInt8]) { queued += bytes }

    /// How the terminal sends Alt+key (see ``InputDecoder/MetaMode``).
    public var meta: InputDecoder.MetaMode {
        get { decoder.meta }
        set { decoder.meta = newValue }
    }

    /// Makes the terminal show `buffer`: only the rows that differ from the last buffer drawn are written
    /// into the curses window, and curses diffs the window against what is on screen and sends only changes.
    /// Cells given to ``scrub(_:)`` since the last draw are rewritten whatever curses believes is there.
    public func draw(_ buffer: CellBuffer) {
        let rows = min(buffer.height, Int(cnc_getmaxy(win)))
        let cols = min(buffer.width, Int(cnc_getmaxx(win)))
        if !scrubs.isEmpty {
            writeScrubs(rows: rows, columns: cols)
            shown = nil                                   // the scrubbed cells hold blanks now
        }
        // A buffer wider or taller than the window was clipped: its rows are not all in the window.
        let fits = buffer.width <= Int(cnc_getmaxx(win)) && buffer.height <= Int(cnc_getmaxy(win))
        let changed = buffer.rowsDiffering(from: fits ? shown : nil)
        rowsWritten = 0
        for y in changed where y < rows {
            rowsWritten += 1
            var x = 0
            while x < cols {
                let role = buffer[x, y].role, paint = buffer[x, y].paint
                var run = ""
                let start = x
                while x < cols, buffer[x, y].role == role, buffer[x, y].paint == paint {
                    run += asciiOnly ? ASCIIFallback.text(buffer[x, y].text) : buffer[x, y].text
                    x += 1
                }
                put(run, x: start, y: y, role: role, paint: asciiOnly ? paint.map(ASCIIFallback.paint) : paint)
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
        shown = fits ? buffer : nil
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

    /// Makes the next `draw` rewrite exactly the cells of `rect` and no other cell: writing text over
    /// graphics clears sixel and iTerm2 pixels there (xterm, mlterm, foot), while pictures beside it on
    /// the same rows stay. (`wredrawln` would repaint whole rows and cut bands out of those pictures.)
    public func scrub(_ rect: Rect) {
        if !rect.isEmpty { scrubs.append(rect) }
    }

    /// Curses has no call that repaints some cells of a row, so the scrubbed cells first get a blank no
    /// frame ever draws (concealed, no colour pair), sent at once; the frame's own cells then differ from
    /// it and are all sent by the `doupdate` that follows.
    private func writeScrubs(rows: Int, columns: Int) {
        var none: Int32 = 0
        wattr_set(win, cnc_a_invis(), 0, &none)
        for r in scrubs {
            let x0 = max(0, r.x), x1 = min(columns, r.maxX)
            guard x1 > x0 else { continue }
            let blank = [wchar_t](repeating: 0x20, count: x1 - x0) + [0]
            for y in max(0, r.y)..<min(rows, r.maxY) { mvwaddnwstr(win, Int32(y), Int32(x0), blank, Int32(x1 - x0)) }
        }
        wattr_set(win, cnc_a_normal(), 0, nil)
        scrubs.removeAll()
        wnoutrefresh(win)
        doupdate()
    }

    /// Repaints everything on the next `draw` (after a resize or `fg`): every row is written into the
    /// window again and curses repaints the whole terminal.
    public func invalidateAll() {
        shown = nil
        redrawwin(win)
    }

    /// Writes bytes straight to the terminal, after curses has flushed: the channel for graphics.
    /// Retries on `EINTR` and partial writes.
    public func writeRaw(_ bytes: [UInt8]) { TerminalIO.writeAll(STDOUT_FILENO, bytes) }

    /// Gives the terminal back to the shell before the process stops (C-z, SIGTSTP): bracketed paste
    /// off, then `endwin()`, which leaves the alternate screen, shows the cursor and restores the
    /// modes curses found at start. `resume()` undoes it.
    public func suspend() {
        guard !ended else { return }
        TerminalIO.writeAll(STDOUT_FILENO, Array("\u{1B}[?2004l".utf8))
        if mouseOn { writeMouseMode(false) }
        if metaForced { writeMetaMode(false) }
        endwin()
    }

    /// Takes the terminal back after `fg` (SIGCONT): `doupdate` after `endwin` restores curses' modes,
    /// the alternate screen and the mouse; then bracketed paste, the terminal's current size (it may
    /// have changed while stopped), and a full repaint on the next `draw`.
    public func resume() {
        guard !ended else { return }
        doupdate()
        TerminalIO.writeAll(STDOUT_FILENO, Array("\u{1B}[?2004h".utf8))
        if mouseOn { writeMouseMode(true) }
        if metaForced { writeMetaMode(true) }
        resizeToTerminal()
        invalidateAll()
    }

    /// After a SIGCONT that Easel did not ask for (`kill -STOP`, then `kill -CONT`): the shell may
    /// have reset the terminal's modes meanwhile, so they are set again and everything is repainted.
    public func reclaim() {
        guard !ended else { return }
        reset_prog_mode()
        TerminalIO.writeAll(STDOUT_FILENO, Array("\u{1B}[?2004h".utf8))
        if mouseOn { writeMouseMode(true) }
        if metaForced { writeMetaMode(true) }
        resizeToTerminal()
        invalidateAll()
    }

    /// Leaves curses and restores the terminal's modes. Safe to call more than once.
    public func end() {
        guard !ended else { return }
        ended = true
        TerminalIO.writeAll(STDOUT_FILENO, Array("\u{1B}[?2004l".utf8))
        if mouseOn { writeMouseMode(false) }
        if metaForced { writeMetaMode(false) }
        curs_set(1)
        endwin()
    }

}

extension Screen: PictureSurface {}

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
