import Foundation
import Glibc

/// Monotonic clock and the statistics every figure uses.
enum Clock {
    /// Seconds on `CLOCK_MONOTONIC` (cheap enough to bracket a sub-microsecond call batch).
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension Array where Element == Double {
    /// The median (mean of the middle two for an even count); `nil` when empty.
    var median: Double? {
        guard !isEmpty else { return nil }
        let s = sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// Spawn attributes that give a child no blocked signals and default SIGPIPE/SIGCHLD handling, whatever
/// the spawning thread had. Threads of a test runner (and so `easel-bench` started from one) may block
/// most signals; a tmux server inheriting that never sees SIGCHLD, keeps its dead panes, and so never
/// exits on `kill-server`, and a studio would ignore SIGTERM.
/// The caller owns `attr` (`posix_spawnattr_destroy`).
func cleanSignalAttributes(_ attr: inout posix_spawnattr_t, extraFlags: Int32 = 0) {
    posix_spawnattr_init(&attr)
    var none = sigset_t(), defaults = sigset_t()
    sigemptyset(&none)
    sigemptyset(&defaults)
    for sig in [SIGPIPE, SIGCHLD, SIGTERM, SIGHUP, SIGINT] { sigaddset(&defaults, sig) }
    posix_spawnattr_setsigmask(&attr, &none)
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | Int16(extraFlags))
}

/// Runs external programs with `posix_spawnp` + `waitpid` (as the end-to-end harness does) and times
/// the whole command: fork/exec, dynamic linking, decoding, encoding and writing the output file.
enum Subprocess {
    struct Result {
        let status: Int32
        let seconds: Double
        /// The first two lines the command wrote to stderr, joined (kept for error messages).
        let stderr: String
    }

    /// The absolute path of `tool` on `$PATH`, or `nil`.
    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return nil
    }

    /// Runs `argv` with stdout to the file `stdout` (created/truncated) and stdin from `stdinFD`
    /// (or `/dev/null` when -1), timing spawn to exit.
    static func run(_ argv: [String], stdout: String, stdinFD: Int32 = -1) -> Result {
        let errPath = NSTemporaryDirectory() + "easel-bench-err-\(getpid())-\(UInt32.random(in: .min ... .max))"
        defer { unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdinFD >= 0 {
            posix_spawn_file_actions_adddup2(&actions, stdinFD, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var attr = posix_spawnattr_t()
        cleanSignalAttributes(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var pid: pid_t = 0
        let start = Clock.now()
        let spawned = posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, environ)
        guard spawned == 0 else {
            return Result(status: -1, seconds: 0, stderr: "cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let seconds = Clock.now() - start
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let head = err.split(separator: "\n").prefix(2).map { $0.trimmed }.joined(separator: ": ")
        return Result(status: code, seconds: seconds, stderr: head)
    }

    /// Runs `argv` and returns its stdout and stderr together (for version strings), or `nil` when it
    /// cannot be started or exits non-zero.
    static func capture(_ argv: [String]) -> String? {
        guard which(argv[0]) != nil || argv[0].hasPrefix("/") else { return nil }
        let outPath = NSTemporaryDirectory() + "easel-bench-out-\(getpid())-\(UInt32.random(in: .min ... .max))"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var attr = posix_spawnattr_t()
        cleanSignalAttributes(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, environ) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { return nil }
        return try? String(contentsOfFile: outPath, encoding: .utf8)
    }
}

/// A pseudo-terminal whose slave end reports `columns × rows` cells of `pixels` in total through
/// `TIOCGWINSZ`. chafa reads the cell size in pixels from its stdin when stdout is a file; without it,
/// chafa 1.12 falls back to its own cell size and the sixel it makes is not the size Easel's is.
final class PseudoTerminal {
    let master: Int32
    let slave: Int32
    /// The slave's path (`/dev/pts/N`), for a child to open as its controlling terminal.
    let slavePath: String

    init?(columns: Int, rows: Int, pixels: PixelBox) {
        // posix_openpt/grantpt/unlockpt/ptsname are hidden from Swift's Glibc module (_XOPEN_SOURCE), so
        // do what they do: open the multiplexer, unlock the slave (TIOCSPTLCK), get its number (TIOCGPTN).
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { return nil }
        var unlock: Int32 = 0, number: UInt32 = 0
        let tiocsptlck: UInt = 0x4004_5431, tiocgptn: UInt = 0x8004_5430   // _IOW('T', 0x31, int), _IOR('T', 0x30, uint)
        guard ioctl(master, tiocsptlck, &unlock) == 0, ioctl(master, tiocgptn, &number) == 0 else {
            close(master)
            return nil
        }
        slavePath = "/dev/pts/\(number)"
        slave = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else {
            close(master)
            return nil
        }
        var ws = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns),
                         ws_xpixel: UInt16(pixels.width), ws_ypixel: UInt16(pixels.height))
        guard ioctl(slave, UInt(TIOCSWINSZ), &ws) == 0 else {
            close(slave)
            close(master)
            return nil
        }
    }

    deinit {
        close(slave)
        close(master)
    }
}

/// A width × height in pixels, independent of EaselTerminal's `PixelSize` so helpers stay plain.
struct PixelBox: Equatable, CustomStringConvertible {
    var width: Int, height: Int
    var description: String { "\(width)×\(height)" }
}

/// The raster attributes (`" Pan ; Pad ; Ph ; Pv`) of the first sixel DCS in `bytes`: the image size
/// the encoder declared. `nil` when there is no DCS with raster attributes in the first 4 KiB.
func sixelRasterSize(_ bytes: some Collection<UInt8>) -> PixelBox? {
    let head = Array(bytes.prefix(4096))
    guard let esc = head.indices.first(where: { head[$0] == 0x1B && $0 + 1 < head.count && head[$0 + 1] == UInt8(ascii: "P") }),
          let q = head[esc...].firstIndex(of: UInt8(ascii: "q")),
          q + 1 < head.count, head[q + 1] == UInt8(ascii: "\"") else { return nil }
    var fields: [Int] = [], current = 0, digits = 0
    for b in head[(q + 2)...] {
        if b >= 0x30 && b <= 0x39 {
            current = current * 10 + Int(b - 0x30)
            digits += 1
        } else if b == UInt8(ascii: ";") {
            fields.append(current)
            current = 0
            digits = 0
        } else {
            break
        }
    }
    if digits > 0 { fields.append(current) }
    guard fields.count >= 4 else { return nil }
    return PixelBox(width: fields[2], height: fields[3])
}

/// Size of a file in bytes, or `nil`.
func fileSize(_ path: String) -> Int? {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : nil
}

/// Reads a whole file with `read(2)` into one array (what `ImagePresenter` does, without its 64 KiB chunking).
func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw BenchError("\(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw BenchError("\(path): fstat failed") }
    let size = Int(st.st_size)
    var done = 0
    let bytes = try [UInt8](unsafeUninitializedCapacity: size) { buf, count in
        while done < size {
            let n = read(fd, buf.baseAddress! + done, size - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchError("\(path): short read") }
            done += n
        }
        count = size
    }
    return bytes
}

/// Any failure the bench reports (and exits non-zero for).
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
