import Foundation

/// Helpers for driving the real `easel` binary in tmux and in xterm under Xvfb.
enum Harness {
    /// The package root, from this file's path.
    static let root: String = {
        var parts = #filePath.split(separator: "/").map(String.init)
        parts.removeLast(3)                 // Tests/EndToEndTests/Harness.swift
        return "/" + parts.joined(separator: "/")
    }()

    /// `$EASEL_BIN`, else the debug build `swift test` just made.
    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["EASEL_BIN"], !b.isEmpty { return b }
        for candidate in [".build/debug/easel", ".build/x86_64-unknown-linux-gnu/debug/easel", ".build/release/easel"] {
            let p = root + "/" + candidate
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return root + "/.build/debug/easel"
    }

    /// The symbols `Blocks` draws pictures with: ▀ ▄ ▌ ▐ and the quadrants U+2596–U+259F (not the placeholder's █,
    /// nor ▏, the prompt's cursor).
    static func isBlockSymbol(_ s: Unicode.Scalar) -> Bool {
        [0x2580, 0x2584, 0x258C, 0x2590].contains(s.value) || (0x2596...0x259F).contains(s.value)
    }

    /// Whether a captured screen shows a character-cell picture: some line has `run` block symbols in a row.
    static func showsBlockPicture(_ screen: String, run: Int = 4) -> Bool {
        screen.split(separator: "\n").contains { line in
            var count = 0
            for s in line.unicodeScalars {
                count = isBlockSymbol(s) ? count + 1 : 0
                if count >= run { return true }
            }
            return false
        }
    }

    static func which(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    /// Runs a command to completion with `posix_spawnp` and `waitpid` (Foundation's `Process` can
    /// miss a child's exit here). With `capture: false` output is discarded: use that for commands that
    /// leave a daemon behind (tmux), which would otherwise hold a pipe open.
    @discardableResult
    static func run(_ args: [String], env: [String: String] = [:], capture: Bool = true) -> (status: Int32, out: String) {
        let outPath = NSTemporaryDirectory() + "easel-run-\(UInt32.random(in: .min ... .max)).txt"
        defer { unlink(outPath) }
        guard let pid = spawn(args, env: env, stdout: capture ? outPath : "/dev/null") else { return (-1, "cannot run \(args[0])") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let out = capture ? ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "") : ""
        return (code, out)
    }

    /// Starts a command with `posix_spawnp`: stdin from /dev/null, stdout to the file `stdout`, stderr to
    /// the file `stderr` (nil: to stdout's), a journal folder of its own (`XDG_STATE_HOME`) and `env` over
    /// this process's environment. The caller waits for it.
    /// - Returns: the child's pid, or nil when it could not be started.
    static func spawn(_ args: [String], env: [String: String] = [:], stdout: String, stderr: String? = nil) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_STATE_HOME"] = tempDir("state")      // every run gets its own journal
        for (k, v) in env { environment[k] = v }
        let argv = args.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        // No blocked signals in the child, whatever this test thread blocks: a tmux server that inherits a
        // blocked SIGCHLD never reaps its panes and survives kill-server; a studio would ignore SIGTERM.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for sig in [SIGPIPE, SIGCHLD, SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        guard posix_spawnp(&pid, args[0], &actions, &attr, argv, envp) == 0 else { return nil }
        return pid
    }

    /// `run` on a thread of its own, so a long command never blocks the cooperative pool that other
    /// tests (and in-process servers) need.
    static func runAsync(_ args: [String], env: [String: String] = [:]) async -> (status: Int32, out: String) {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: run(args, env: env)) }.start()
        }
    }

    static func tempDir(_ tag: String) -> String {
        let dir = NSTemporaryDirectory() + "easel-\(tag)-\(UInt32.random(in: .min ... .max))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// PNG files under `dir`, recursively.
    static func pngs(in dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".png") }.map { dir + "/" + $0 }
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` passes. Suspends instead of
    /// blocking, so the waiting never starves other tests of the cooperative pool's threads.
    static func waitUntil(_ timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    /// `waitUntil` for a condition that awaits (an actor's state read beside the screen).
    static func waitUntil(_ timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await condition()
    }

    /// Suspends for `seconds` without blocking a thread.
    static func pause(_ seconds: Double) async { try? await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
}

/// A private tmux server running one command in a 120×36 window.
struct Tmux {
    let socket = "easel-e2e-\(UInt32.random(in: .min ... .max))"
    let session = "e2e"
    /// The journal folder of whatever runs in this tmux (fresh per test unless given).
    var stateHome = Harness.tempDir("state")

    /// Starts `command` in a new session, in colour as a user's terminal is (`NO_COLOR` empty: `swift test`
    /// sets it, and Easel draws no character-cell pictures without colour); a command may set it again.
    func start(_ command: String, columns: Int = 120, rows: Int = 36) -> Bool {
        Harness.run(["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", session,
                     "-e", "XDG_STATE_HOME=\(stateHome)", "-e", "NO_COLOR=", "-x", "\(columns)", "-y", "\(rows)", command], capture: false).status == 0
    }

    func capture() -> String { Harness.run(["tmux", "-L", socket, "capture-pane", "-p", "-t", session]).out }
    func keys(_ keys: String...) { Harness.run(["tmux", "-L", socket, "send-keys", "-t", session] + keys, capture: false) }
    func literal(_ text: String) { Harness.run(["tmux", "-L", socket, "send-keys", "-t", session, "-l", text], capture: false) }
    func kill() { Harness.run(["tmux", "-L", socket, "kill-server"], capture: false) }
}
