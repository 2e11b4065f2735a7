import EaselCore
import EaselImaging
import EaselTerminal
import EaselUI
import Foundation
import Glibc
import Synchronization

/// The full-screen studio: one loop on a thread of its own ("easel.terminal", never a Swift-concurrency
/// pool thread) owns the terminal. It blocks in `poll()` on stdin and a wake-up pipe, with a timeout
/// only while something animates; idle costs no CPU.
///
/// key/resize → `reduce` → effects → `EffectRunner` → actions (through the inbox and the pipe) → `reduce`;
/// after each batch: `render` → `Screen.draw` → `ImagePresenter.present`.
public final class TerminalApp: Sendable {
    public struct Options: Sendable {
        public var graphics: GraphicsChoice = .auto
        public var sixelColors = 256
        public var probeTimeout: Duration = .seconds(1)
        /// A theme's name, or "auto": `light` on a light terminal background (OSC 11), else `default`.
        public var themeName = "auto"
        public var color = true
        /// Shown in the status bar at start (config warnings).
        public var warnings: [String] = []
        public var notify: NotifyMode = .on
        /// Clicks focus panes and select rows; the wheel scrolls (config `ui.mouse`, `--mouse`).
        public var mouse = false
        /// How Alt+key arrives (config `ui.alt_keys`); nil = decided from the probe (``TerminalCapabilities/autoMeta``).
        public var altKeys: InputDecoder.MetaMode?
        /// Gallery thumbnails on disk (default `$XDG_CACHE_HOME/easel/thumbs`).
        public var thumbnailDirectory = ThumbnailCache.defaultDirectory()
        /// A debugging aid (`EASEL_DEBUG_CRASH=background`): one second after the first frame, a
        /// detached task traps, to prove that a crash off the loop's thread restores the terminal.
        public var crashInBackgroundTask = false
        public init() {}
    }

    private let inbox = Mutex<[Action]>([])
    private let wakeRead: Int32
    private let wakeWrite: Int32

    public init() {
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        SignalTrap.install(wakeFD: wakeWrite)
    }

    /// Queues an action from any thread and wakes the loop.
    public func post(_ action: Action) {
        inbox.withLock { $0.append(action) }
        wake()
    }

    public func wake() {
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
    }

    /// Runs the loop on a thread of its own until the user quits or a terminating signal arrives;
    /// the awaiting task holds no pool thread meanwhile. Restores the terminal before it returns.
    /// - Returns: the exit status (0, or 128 + signal number).
    public func run(state initial: AppState, runner: EffectRunner, options: Options,
                    keymap: Keymap = .default, journal: JournalSync? = nil, restored: [Job] = []) async -> Int32 {
        await withCheckedContinuation { done in
            let thread = Thread { [self] in
                Thread.current.name = "easel.terminal"    // set here: on Linux only the thread itself can name it
                done.resume(returning: loop(state: initial, runner: runner, options: options, keymap: keymap,
                                            journal: journal, restored: restored))
            }
            thread.start()
        }
    }

    /// The loop itself, on the calling thread (`run` gives it one of its own).
    private func loop(state initial: AppState, runner: EffectRunner, options: Options,
                      keymap: Keymap, journal: JournalSync?, restored: [Job]) -> Int32 {
        var typed: [UInt8] = []                   // keys typed during the probe go to the editor
        let caps = TerminalProbe.run(timeout: options.probeTimeout, typed: &typed)
        var selection = options.graphics.resolve(caps, colors: options.sixelColors)
        var picturesOff = "--graphics none"
        var theme = Theme.mono
        var themeWarning: String?
        if options.color {
            let name = options.themeName == "auto" ? Theme.defaultName(lightBackground: caps.lightBackground) : options.themeName
            do { theme = try Theme.load(name) } catch { themeWarning = error.brief }
        }
        // A child that restores the terminal if this process dies without doing it (SIGKILL).
        let terminalGuard = SignalTrap.saveTerminalModes() ? TerminalGuard.start(restoring: SignalTrap.savedModes) : nil
        SignalTrap.guardFD = terminalGuard?.fd ?? -1
        terminalGuard?.arm()
        let screen = Screen(styles: theme.styles, color: options.color)
        if selection?.graphics is Blocks, !options.color || screen.asciiOnly {   // asciiOnly: known after setlocale
            // Character-cell pictures without colours, or as `?` without a UTF-8 locale, are only noise.
            picturesOff = options.color ? "no UTF-8 locale" : "NO_COLOR"
            selection = nil
        }
        SignalTrap.terminalIsOurs = 1
        SignalTrap.installResizeHandler()   // after initscr: replaces ncurses' own, which may run on another thread
        screen.enableMouse(options.mouse)
        screen.meta = options.altKeys ?? caps.autoMeta
        if options.altKeys == nil, caps.turnOnMetaSendsEscape { screen.setMetaSendsEscape() }
        screen.queueInput(typed)
        defer {
            runner.cancelAll()
            journal?.flush()                     // every transition is on disk before we exit
            SignalTrap.terminalIsOurs = 0
            screen.end()
            terminalGuard?.finish()
        }
        let presenter = ImagePresenter(graphics: selection?.graphics, cell: caps.cellPixels,
                                       passthrough: selection?.passthrough ?? false,
                                       thumbnails: ThumbnailCache(directory: options.thumbnailDirectory), wake: wake)
        presenter.background = theme.pictureBackground(terminal: caps.background, colors: screen.colors)
        presenter.sixelDisplayMode = caps.sixelDisplayMode == true && selection?.graphics is Sixel
        var state = initial
        state.themes = ThemeSet(current: theme.name, available: options.color ? Theme.available() : [], colors: options.color)
        if let themeWarning { state.hint = .warning(themeWarning + " — using the mono theme") }
        else if let first = options.warnings.first { state.hint = .warning(first) }
        else if screen.asciiOnly {
            state.hint = .warning("No UTF-8 locale: ASCII borders and symbols (LANG=C.UTF-8 brings the lines back)")
        } else if let passthrough = selection?.startHint { state.hint = .info(passthrough) }
        var lastBuffer: CellBuffer?
        let panes = PaneCache()                       // panes whose inputs did not change are copied, not drawn
        var crashArmed = options.crashInBackgroundTask
        var quitting = false
        let notifier = Notifier(mode: options.notify, caps: caps)
        let hyperlinks = Notifier.supportsHyperlinks(caps)
        var shownLinks: [Hyperlink] = []

        /// The next frame repaints every cell and writes every picture again.
        func repaintAll() {
            presenter.screenWasCleared()
            lastBuffer = nil
        }
        /// C-z or SIGTSTP: the shell gets the terminal until `fg`. Returns a notice when nothing stopped.
        func suspend() -> Action? {
            journal?.sync(state)
            journal?.flush()                              // a stopped job may never be continued
            SignalTrap.terminalIsOurs = 0
            screen.suspend()                              // the shell's screen and modes
            terminalGuard?.disarm()
            let stoppedAt = ContinuousClock.now
            SignalTrap.stopProcessGroup()                 // … until fg (SIGCONT)
            let stopped = ContinuousClock.now - stoppedAt
            terminalGuard?.arm()
            screen.resume()
            SignalTrap.terminalIsOurs = 1
            repaintAll()                                  // sixel/kitty pictures are written again
            if !SignalTrap.takeContinued() && stopped < .milliseconds(50) {
                // The kernel drops SIGTSTP in a process group no job-control shell watches.
                return .notice("C-z: nothing to suspend to (no job-control shell started Easel)")
            }
            return nil
        }
        /// Carries out one order of the reducer to the terminal; returns the action that reports its outcome.
        func execute(_ order: TerminalOrder) -> Action? {
            switch order {
            case .quit:
                quitting = true
            case .redraw:                                     // C-l: repaint every cell, re-emit pictures
                screen.invalidateAll()
                repaintAll()
            case .suspend:
                return suspend()
            case .loadTheme(let name):                        // F2: the next theme, live
                do {
                    let t = try Theme.load(name)
                    screen.apply(styles: t.styles)
                    presenter.background = t.pictureBackground(terminal: caps.background, colors: screen.colors)
                    repaintAll()
                    return .themeLoaded(name, warnings: t.warnings.count)
                } catch {
                    return .notice(error.brief)
                }
            case .copyToClipboard(let text):                 // y / Y: OSC 52 reaches the local clipboard over SSH
                let payload = Data(text.utf8).base64EncodedString()
                screen.writeRaw(Array("\u{1B}]52;c;\(payload)\u{07}".utf8))   // tmux takes OSC 52 itself (set-clipboard)
            case .notify(let id):                             // a job ended: bell / desktop notification
                if let job = state.job(id) { screen.writeRaw(notifier.sequence(for: job)) }
            case .forgetPicture(let path):                    // a deleted image: its job's preview reads the file again
                presenter.forget(path)
            }
            return nil
        }
        /// Reduces `action` (and what the terminal orders answer), runs the terminal orders here and
        /// hands every other effect to the runner.
        func dispatch(_ action: Action) {
            var actions = [action]
            while !actions.isEmpty {
                var work: [Effect] = []
                for effect in reduce(&state, actions.removeFirst(), keymap: keymap) {
                    guard case .terminal(let order) = effect else { work.append(effect); continue }
                    if let answer = execute(order) { actions.append(answer) }
                }
                runner.run(work)
            }
        }
        if !restored.isEmpty {
            dispatch(.tick(.now, wallTime: Date().timeIntervalSince1970))
            journal?.adopt(restored, now: state.now, wallNow: state.wallTime)
            dispatch(.restored(restored))
        }
        journal?.syncPickedModels(state.pickedModels, wallTime: state.wallTime)     // what was read at start

        while true {
            if SignalTrap.takeResize() { screen.resizeToTerminal() }      // queues KEY_RESIZE
            dispatch(.tick(.now, wallTime: Date().timeIntervalSince1970))
            for action in inbox.withLock({ a -> [Action] in defer { a.removeAll() }; return a }) { dispatch(action) }
            for event in screen.readEvents() {
                switch event {
                case .key(let key): dispatch(.key(key))
                case .paste(let text): dispatch(.paste(text))
                case .mouse(let x, let y, let button):
                    let layout = Layout(size: screen.size)
                    for (pane, rect) in [(Pane.prompt, layout.prompt), (.queue, layout.queue), (.history, layout.history)]
                    where x >= rect.x && x < rect.maxX && y >= rect.y && y < rect.maxY {
                        let inner = rect.inset(by: 1)
                        switch button {
                        case .left: dispatch(.clicked(pane, job: PaneRows.job(at: y - inner.y, in: pane, height: inner.height, of: state)))
                        case .wheelUp: dispatch(.scrolled(pane, by: -1))
                        case .wheelDown: dispatch(.scrolled(pane, by: 1))
                        }
                    }
                case .resized:
                    screen.invalidateAll()
                    repaintAll()
                }
            }
            if SignalTrap.takeStopRequest(), let notice = suspend() { dispatch(notice) }   // SIGTSTP from outside
            if SignalTrap.takeContinued() {                   // SIGCONT after a SIGSTOP Easel did not see
                screen.reclaim()
                repaintAll()
            }
            journal?.sync(state)
            journal?.syncDraft(state.editor.prompt.text)
            journal?.syncPickedModels(state.pickedModels, wallTime: state.wallTime)
            if let signal = SignalTrap.pending() { return 128 + signal }
            if quitting { return 0 }

            if let browser = state.gallery {               // the reducer learns the gallery grid from the screen
                let grid = galleryGrid(screen.size)
                if browser.columns != grid.columns || browser.rows != grid.rows {
                    dispatch(.gallery(.grid(columns: grid.columns, rows: grid.rows)))
                }
            }
            if state.showHelp {                            // likewise the help overlay's page
                let page = helpPage(screen.size, keymap: keymap)
                if page != state.helpPage { dispatch(.helpPage(lines: page.lines, shown: page.shown)) }
            }
            let frame = render(state, size: screen.size, keymap: keymap, cell: caps.cellPixels, cache: panes,
                               picturesOff: picturesOff, previewStatus: presenter.status(for:))
            let previous = lastBuffer
            presenter.prepare(screen, showing: frame.pictures) { rect in
                previous.map { !$0.sameCells(as: frame.buffer, in: rect) } ?? true
            }
            screen.draw(frame.buffer)
            presenter.present(screen, showing: frame.pictures)
            if hyperlinks, frame.links != shownLinks || lastBuffer == nil {
                shownLinks = frame.links
                var out: [UInt8] = []
                for link in frame.links {               // the same text again, wrapped in OSC 8
                    out += Array("\u{1B}7\u{1B}[\(link.y + 1);\(link.x + 1)H\u{1B}]8;;\(link.url)\u{1B}\\\(link.text)\u{1B}]8;;\u{1B}\\\u{1B}8".utf8)
                }
                if !out.isEmpty { screen.writeRaw(out) }
            }
            lastBuffer = frame.buffer
            if crashArmed {
                crashArmed = false
                Task.detached {                  // 3 s: a test on a loaded machine sees the studio first
                    try? await Task.sleep(for: .seconds(3))
                    fatalError("EASEL_DEBUG_CRASH=background: a deliberate crash in a background task")
                }
            }

            var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            var timeout: Int32 = state.isAnimating ? 100 : -1
            if let wait = screen.inputTimeout {           // a lone ESC or a cut sequence: decide soon
                let ms = Int32(clamping: wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000 + 1)
                timeout = timeout < 0 ? ms : min(timeout, ms)
            }
            _ = poll(&fds, 2, timeout)
            if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return 129 }   // the terminal went away
            var drain = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &drain, drain.count) > 0 {}
        }
    }
}

extension CellBuffer {
    /// True when both buffers hold the same cells inside `rect`.
    func sameCells(as other: CellBuffer, in rect: Rect) -> Bool {
        guard width == other.width, height == other.height else { return false }
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) where self[x, y] != other[x, y] { return false }
        }
        return true
    }
}
