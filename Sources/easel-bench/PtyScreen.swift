import EaselTerminal
import EaselUI
import Foundation
import Glibc
import Synchronization

/// EaselTerminal's real `Screen` (ncurses) drawing into a pseudo-terminal inside this process, so the
/// diff-and-flush share of a keystroke can be timed: while it lives, fds 0 and 1 are the pty's slave
/// (`TERM=xterm-256color`), and a thread drains (and counts) what ncurses writes to the master.
/// Only one may exist at a time, and nothing else may print to stdout meanwhile.
final class PtyScreen {
    let screen: Screen
    private let pty: PseudoTerminal
    private let savedIn: Int32, savedOut: Int32
    private let savedEnv: [String: String?]
    private let drain = Drain()

    /// Shared with the thread that reads the master side.
    private final class Drain: Sendable {
        let stop = Atomic<Bool>(false)
        let bytes = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
    }

    /// Bytes ncurses has written so far.
    var bytesWritten: Int { drain.bytes.load(ordering: .acquiring) }

    /// - Throws: `BenchError` when no pseudo-terminal can be opened.
    init(columns: Int, rows: Int) throws {
        guard let pty = PseudoTerminal(columns: columns, rows: rows, pixels: PixelBox(width: columns * 10, height: rows * 20)) else {
            throw BenchError("cannot open a pseudo-terminal for the draw timing")
        }
        self.pty = pty
        fflush(nil)
        savedIn = dup(0)
        savedOut = dup(1)
        var env: [String: String?] = [:]
        for k in ["TERM", "LINES", "COLUMNS"] { env[k] = ProcessInfo.processInfo.environment[k] }
        savedEnv = env
        setenv("TERM", "xterm-256color", 1)
        unsetenv("LINES")
        unsetenv("COLUMNS")
        dup2(pty.slave, 0)
        dup2(pty.slave, 1)
        let master = pty.master, drain = drain
        Thread {
            var buf = [UInt8](repeating: 0, count: 65536)
            while !drain.stop.load(ordering: .acquiring) {
                var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
                guard poll(&fds, 1, 20) > 0 else { continue }
                let n = read(master, &buf, buf.count)
                if n > 0 { drain.bytes.add(n, ordering: .releasing) } else if n < 0 && errno != EINTR && errno != EAGAIN { break }
            }
            drain.done.store(true, ordering: .releasing)
        }.start()
        let theme = (try? Theme.load("default")) ?? Theme.mono
        screen = Screen(styles: theme.styles, color: true)
    }

    /// Ends curses and gives stdin/stdout back.
    func end() {
        screen.end()
        fflush(nil)
        usleep(50_000)                                 // let the drain thread take the last bytes
        drain.stop.store(true, ordering: .releasing)
        while !drain.done.load(ordering: .acquiring) { usleep(5_000) }
        dup2(savedIn, 0)
        dup2(savedOut, 1)
        close(savedIn)
        close(savedOut)
        for (k, v) in savedEnv {
            if let v { setenv(k, v, 1) } else { unsetenv(k) }
        }
    }
}
