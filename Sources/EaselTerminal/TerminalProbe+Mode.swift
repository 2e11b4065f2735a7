import Glibc

extension TerminalProbe {
    /// The terminal mode the probe reads in, from the user's `saved` mode: non-canonical, no echo,
    /// reads that never block, and input bytes as the keyboard sent them (no CR→NL or NL→CR mapping,
    /// as curses' `raw()` + `nonl()` read them later), so a key typed during start-up is the same key
    /// when the editor replays it: Enter stays `CR` (Enter), not `NL` (C-j, a newline).
    public static func probeMode(_ saved: termios) -> termios {
        var mode = saved
        mode.c_lflag &= ~tcflag_t(ICANON | ECHO)
        mode.c_iflag &= ~tcflag_t(ICRNL | INLCR | IGNCR)
        withUnsafeMutableBytes(of: &mode.c_cc) { cc in cc[Int(VMIN)] = 0; cc[Int(VTIME)] = 0 }
        return mode
    }

    /// Bytes that reached the terminal before ``probeMode(_:)`` was set went through the user's
    /// `saved` mode: with `ICRNL` there, the Enter key's `CR` arrived as `NL`. Gives them back as typed
    /// (`NL` → `CR`; a C-j typed that early becomes Enter too: the two cannot be told apart). Pure.
    public static func typedBefore(_ bytes: [UInt8], in saved: termios) -> [UInt8] {
        guard saved.c_iflag & tcflag_t(ICRNL) != 0, saved.c_iflag & tcflag_t(INLCR) == 0 else { return bytes }
        return bytes.map { $0 == 0x0A ? 0x0D : $0 }
    }

    /// Every byte waiting on `fd` now, without blocking.
    static func readWaiting(_ fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 0) > 0, pfd.revents & Int16(POLLIN) != 0 else { return bytes }
            let n = read(fd, &chunk, chunk.count)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return bytes }
            bytes += chunk[0..<n]
        }
    }
}
