import CTerminalGuard
import Glibc

/// The bytes that undo everything the studio turns on, for paths where curses cannot run its own
/// `endwin()` (a crash signal handler, the guard process after SIGKILL).
public enum TerminalRestore {
    /// `CAN ESC \` abandons a half-written DCS (a sixel cut short, terminal-graphics.md §1.3); then
    /// synchronized output off, SGR reset, cursor shown, keypad and cursor keys back to normal,
    /// bracketed paste and mouse reporting off, and the alternate screen left (xterm's `rmcup`).
    /// - SeeAlso: https://invisible-island.net/xterm/ctlseqs/ctlseqs.html
    public static let sequence: [UInt8] = Array(
        ("\u{18}\u{1B}\\\u{1B}[?2026l\u{1B}[0m\u{1B}[?25h\u{1B}[?1l\u{1B}>\u{1B}[?2004l"
         + "\u{1B}[?1000l\u{1B}[?1002l\u{1B}[?1003l\u{1B}[?1006l\u{1B}[?1049l\r\n").utf8)
}

/// A small child process that puts the terminal back if Easel dies while the screen is in curses
/// mode and cannot do it itself (SIGKILL, SIGSTOP then SIGKILL, a crash before the handler runs).
///
/// It is forked once at start-up and waits on a pipe: `arm()` says "the terminal is in curses mode",
/// `disarm()` says "it is the shell's again" (suspended with C-z, or restored at exit). When the pipe
/// reaches end of file — Easel's process is gone — and the last word was `arm`, the guard restores
/// the saved termios modes and writes `TerminalRestore.sequence`, then exits. It ignores the job
/// control and terminal signals (it never stops the shell from seeing the job stop) and holds no
/// other file of Easel's.
///
/// Trap: the restore runs when Easel's process has already ended, so a shell may print its prompt
/// a few milliseconds before the guard leaves the alternate screen.
public final class TerminalGuard: Sendable {
    /// The pipe's write end (close-on-exec). Signal handlers may write `D` to it directly.
    public let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Forks the guard.
    /// - Parameter modes: the terminal's modes before curses started (`tcgetattr` on stdin).
    /// - Returns: nil when `pipe` or `fork` fails (Easel then runs without a guard).
    public static func start(restoring modes: termios) -> TerminalGuard? {
        var copy = modes
        let fd = TerminalRestore.sequence.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                ctg_start_terminal_guard(&copy, chars.baseAddress, Int32(chars.count))
            }
        }
        return fd < 0 ? nil : TerminalGuard(fd: fd)
    }

    /// The terminal is in curses mode: restore it if Easel dies from now on.
    public func arm() { Self.send(UInt8(ascii: "A"), to: fd) }

    /// The terminal is the shell's (suspended, or restored): nothing to do if Easel dies.
    public func disarm() { Self.send(UInt8(ascii: "D"), to: fd) }

    /// Disarms and lets the guard exit (end of file). Call once, after the terminal is restored.
    public func finish() {
        disarm()
        close(fd)
    }

    /// One byte, retried on `EINTR`. Async-signal-safe.
    public static func send(_ byte: UInt8, to fd: Int32) {
        var b = byte
        while write(fd, &b, 1) < 0 && errno == EINTR {}
    }
}
