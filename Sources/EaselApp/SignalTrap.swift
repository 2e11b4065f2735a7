import EaselTerminal
import Glibc

/// Signal handling that is async-signal-safe. Handlers only set a flag and write one byte to the
/// loop's wake-up pipe; the loop (its own thread) does the work:
///
/// | Signal | What happens |
/// |---|---|
/// | SIGTERM, SIGHUP, SIGINT, SIGQUIT | the loop returns 128 + signal: journal flushed, terminal restored, exit status 128 + signal |
/// | SIGTSTP (and C-z, a key in raw mode) | the loop gives the terminal back (`endwin`) and stops the process group with the default action |
/// | SIGCONT | the loop takes the terminal back and repaints everything, pictures too |
/// | SIGWINCH | the loop reads the new size (`TIOCGWINSZ`) and re-lays out |
/// | SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP (crashes, on any thread) | the handler itself restores the saved modes and leaves the alternate screen, then dies with the signal's default action |
/// | SIGKILL | cannot be caught: `TerminalGuard`, a child process, restores the terminal |
///
/// Swift 6: the state below is process-wide and touched from signal handlers, so it is
/// `nonisolated(unsafe)` plain integers; every static is touched once in `install` before any handler
/// can run (lazy globals must not initialize inside a handler).
enum SignalTrap {
    nonisolated(unsafe) static var wakeFD: Int32 = -1
    nonisolated(unsafe) static var received: Int32 = 0
    nonisolated(unsafe) static var savedModes = termios()
    /// The terminal is in curses mode (not before start, while suspended, nor after the end).
    nonisolated(unsafe) static var terminalIsOurs: Int32 = 0
    /// The guard's pipe, for the crash handler's disarm; -1 without a guard.
    nonisolated(unsafe) static var guardFD: Int32 = -1
    nonisolated(unsafe) static var stopRequested: Int32 = 0
    nonisolated(unsafe) static var continued: Int32 = 0
    nonisolated(unsafe) static var resized: Int32 = 0
    /// `TerminalRestore.sequence`, copied where a handler can read it without touching Swift arrays.
    nonisolated(unsafe) static var restoreBytes = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

    static func install(wakeFD fd: Int32) {
        wakeFD = fd
        received = 0; stopRequested = 0; continued = 0; resized = 0; terminalIsOurs = 0; guardFD = -1
        if restoreBytes.baseAddress == nil {
            restoreBytes = .allocate(capacity: TerminalRestore.sequence.count)
            _ = restoreBytes.initialize(from: TerminalRestore.sequence)
        }
        for sig in [SIGTERM, SIGHUP, SIGINT, SIGQUIT] {
            signal(sig) { s in
                SignalTrap.received = s
                SignalTrap.wakeLoop()
            }
        }
        installStopHandler()
        signal(SIGCONT) { _ in
            SignalTrap.continued = 1
            SignalTrap.wakeLoop()
        }
        signal(SIGPIPE, SIG_IGN)
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            signal(sig) { s in
                SignalTrap.restoreAfterCrash()
                signal(s, SIG_DFL)
                raise(s)                    // delivered when the handler returns: the default action
            }
        }
    }

    static func installStopHandler() {
        signal(SIGTSTP) { _ in
            SignalTrap.stopRequested = 1
            SignalTrap.wakeLoop()
        }
    }

    static func wakeLoop() {
        var b: UInt8 = 1
        _ = write(wakeFD, &b, 1)
    }

    /// In a crash handler, on whichever thread crashed: put the terminal back if it is in curses mode.
    static func restoreAfterCrash() {
        guard terminalIsOurs != 0 else { return }
        terminalIsOurs = 0
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &savedModes)
        var off = 0
        while off < restoreBytes.count {
            let n = write(STDOUT_FILENO, restoreBytes.baseAddress! + off, restoreBytes.count - off)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            off += n
        }
        if guardFD >= 0 { TerminalGuard.send(UInt8(ascii: "D"), to: guardFD) }
    }

    /// SIGWINCH can be delivered to any thread, where it would not interrupt the loop's `poll()`:
    /// the handler records it and wakes the loop through the pipe.
    static func installResizeHandler() {
        signal(SIGWINCH) { _ in
            SignalTrap.resized = 1
            SignalTrap.wakeLoop()
        }
    }

    static func takeResize() -> Bool { take(&resized) }

    /// A SIGTSTP arrived (kill -TSTP, or the terminal's suspend key when not in raw mode).
    static func takeStopRequest() -> Bool { take(&stopRequested) }

    /// A SIGCONT arrived since the last call.
    static func takeContinued() -> Bool { take(&continued) }

    private static func take(_ flag: inout Int32) -> Bool {
        guard flag != 0 else { return false }
        flag = 0
        return true
    }

    /// Stops the whole process group with SIGTSTP's default action, as the terminal's Ctrl-Z does
    /// (so a wrapper script stops too and the shell sees the job stopped), and returns after
    /// SIGCONT (`fg`). In a process group without a job-control shell (orphaned) the kernel drops
    /// SIGTSTP and this returns at once.
    static func stopProcessGroup() {
        signal(SIGTSTP, SIG_DFL)
        // The kernel hands a process-directed signal to the sending thread when that thread does not
        // block it, on the way out of kill(2), so the stop happens before kill returns. Were it blocked
        // here, another thread would take it a moment later, after the handler below is back: no stop.
        var tstp = sigset_t(), previous = sigset_t()
        sigemptyset(&tstp)
        sigaddset(&tstp, SIGTSTP)
        pthread_sigmask(SIG_UNBLOCK, &tstp, &previous)
        kill(0, SIGTSTP)
        usleep(20_000)                       // and a grace period for a busy machine
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        installStopHandler()
        stopRequested = 0
    }

    static func saveTerminalModes() -> Bool {
        tcgetattr(STDIN_FILENO, &savedModes) == 0
    }

    static func pending() -> Int32? { received == 0 ? nil : received }
}
