import CSpawn
import Glibc

/// Starting a child process by argument vector (`posix_spawn`; no shell sees an argument unless the
/// caller runs `/bin/sh -c` itself), with standard input, output and error as asked and **every other
/// descriptor closed in the child** (`posix_spawn_file_actions_addclosefrom_np(3)`).
///
/// Without that, a child inherits every socket and file the parent has open: an image viewer started
/// through `xdg-open` kept the studio's loopback server socket after the studio quit, and a PostgreSQL
/// started by the tests inherited ~1,000 of the test process's sockets and refused to start ("insufficient
/// file descriptors available", `max_files_per_process`). The one place Easel spawns: `api_key_cmd`,
/// `xdg-open`, and the tests' private PostgreSQL.
/// - SeeAlso: posix_spawn(3), https://man7.org/linux/man-pages/man3/posix_spawn_file_actions_addclosefrom_np.3.html
public enum ChildProcess {
    /// Where one of the child's standard descriptors goes.
    public enum Stream: Sendable, Equatable {
        /// `/dev/null`.
        case null
        /// A descriptor of the parent (a pipe's end), or of the child set just before (1 for "as stdout").
        case descriptor(Int32)
        /// A file, created or truncated (mode 0644).
        case file(String)
    }

    /// Starts `argv[0]` (a path, or with `searchPath` a name looked up in `PATH`).
    /// - Returns: the child's pid, or the errno `posix_spawn` gave (ENOENT: no such program).
    public static func spawn(_ argv: [String], searchPath: Bool = false,
                             stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .null) -> Result<pid_t, SpawnError> {
        guard let program = argv.first else { return .failure(SpawnError(code: EINVAL)) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let from): posix_spawn_file_actions_adddup2(&actions, from, fd)
            case .file(let path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            }
        }
        let closing = cspawn_addclosefrom(&actions, 3)
        guard closing == 0 else { return .failure(SpawnError(code: closing)) }
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = searchPath ? posix_spawnp(&pid, program, &actions, nil, cArgs, environ)
                            : posix_spawn(&pid, program, &actions, nil, cArgs, environ)
        return rc == 0 ? .success(pid) : .failure(SpawnError(code: rc))
    }

    /// Waits for `pid` to end (blocking; retried on EINTR).
    /// - Returns: the raw wait status (0: exited with status 0).
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }
}

/// `posix_spawn`'s refusal: an errno value, and its `strerror` text as `description`.
public struct SpawnError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32
    public var description: String { String(cString: strerror(code)) }
}
