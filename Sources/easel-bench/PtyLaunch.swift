import Foundation
import Glibc

/// Starts a program on a fresh pseudo-terminal of its own (new session, the pty as its controlling
/// terminal, stdin and stdout; stderr to /dev/null) and times how long until given bytes come out.
enum PtyLaunch {
    /// DA1 answer of a VT220-class terminal with colour and no sixel, sent when `answerDA1` is set.
    static let da1Reply = Array("\u{1B}[?62;22c".utf8)

    /// Seconds from `posix_spawn` until `marker` has been read from the pty's master side.
    /// - Parameter answerDA1: answer each of the program's `CSI c` queries at once, as a local terminal would
    ///   (the probe sends two rounds, each ending with DA1, outside a multiplexer).
    /// - Throws: `BenchError` when the program cannot start, exits, or `marker` does not appear in `timeout` s.
    static func timeToOutput(_ argv: [String], environment: [String: String], marker: String,
                             answerDA1: Bool, timeout: Double = 30) throws -> Double {
        guard let pty = PseudoTerminal(columns: TmuxSession.columns, rows: TmuxSession.rows,
                                       pixels: PixelBox(width: TmuxSession.columns * 10, height: TmuxSession.rows * 20)) else {
            throw BenchError("cannot open a pseudo-terminal")
        }
        var attr = posix_spawnattr_t()
        cleanSignalAttributes(&attr, extraFlags: 0x80)     // 0x80 = POSIX_SPAWN_SETSID: a session of its own
        defer { posix_spawnattr_destroy(&attr) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Opened by a session leader without O_NOCTTY: the pty becomes its controlling terminal (/dev/tty).
        posix_spawn_file_actions_addopen(&actions, 0, pty.slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Clock.now()
        let spawned = posix_spawn(&pid, argv[0], &actions, &attr, cArgs, cEnv)
        guard spawned == 0 else { throw BenchError("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        let needle = Array(marker.utf8), query = Array("\u{1B}[c".utf8)
        var seen: [UInt8] = [], answered = 0, found: Double?
        var buf = [UInt8](repeating: 0, count: 65536)
        let end = start + timeout
        while found == nil, Clock.now() < end {
            var fds = [pollfd(fd: pty.master, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 50) > 0 else { continue }
            let n = read(pty.master, &buf, buf.count)
            if n <= 0 { break }
            let now = Clock.now()
            seen += buf[0..<n]
            while answerDA1, occurrences(of: query, in: seen) > answered {
                answered += 1
                _ = da1Reply.withUnsafeBytes { write(pty.master, $0.baseAddress, $0.count) }
            }
            if contains(seen, needle) { found = now }
        }
        // Stop it, draining the pty so it never blocks on a full buffer while it cleans up.
        kill(pid, SIGTERM)
        var status: Int32 = 0
        let stopBy = Clock.now() + 5
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Clock.now() > stopBy { kill(pid, SIGKILL) }
            var fds = [pollfd(fd: pty.master, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, 20) > 0 { _ = read(pty.master, &buf, buf.count) }
        }
        guard let found else {
            throw BenchError("\(argv[0]): \"\(marker)\" did not appear on the pty within \(Int(timeout)) s")
        }
        return found - start
    }

    private static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool { occurrences(of: needle, in: hay) > 0 }

    private static func occurrences(of needle: [UInt8], in hay: [UInt8]) -> Int {
        guard hay.count >= needle.count else { return 0 }
        var count = 0
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) {
            count += 1
        }
        return count
    }
}
