import Foundation
import Glibc

/// A private tmux server (its own `-L` socket, no config file) in which the bench runs the real `easel`.
/// Each session is one 120×36 window; the pane's process is the command itself (`exec`), so its pid
/// is the studio's.
struct TmuxSession {
    let socket = "easel-bench-\(getpid())-\(UInt32.random(in: .min ... .max))"
    static let columns = 120, rows = 36

    /// Starts the server with a placeholder session, so later sessions do not pay for the server start.
    /// - Throws: `BenchError` when tmux is missing or does not start.
    func startServer() throws {
        guard Subprocess.which("tmux") != nil else { throw BenchError("tmux is not installed (make bench-deps installs it)") }
        guard tmux(["new-session", "-d", "-s", "hold", "-x", "\(Self.columns)", "-y", "\(Self.rows)", "exec sleep 3600"]) else {
            throw BenchError("tmux did not start a session")
        }
    }

    /// Opens session `name` running `command` (through `sh -c`) with `XDG_STATE_HOME=stateHome`, in colour
    /// (`NO_COLOR` empty: a test runner may set it, and Easel draws no character-cell pictures without colour).
    @discardableResult
    func open(_ name: String, stateHome: String, command: String) -> Bool {
        tmux(["new-session", "-d", "-s", name, "-x", "\(Self.columns)", "-y", "\(Self.rows)",
              "-e", "XDG_STATE_HOME=\(stateHome)", "-e", "NO_COLOR=", command])
    }

    /// The visible text of session `name`'s pane, one line per row; "" when it is gone.
    func capture(_ name: String) -> String {
        Subprocess.capture(["tmux", "-L", socket, "capture-pane", "-p", "-t", name]) ?? ""
    }

    /// The pid of the process in session `name`'s pane.
    func panePID(_ name: String) -> pid_t? {
        Subprocess.capture(["tmux", "-L", socket, "display-message", "-p", "-t", name, "#{pane_pid}"])
            .flatMap { pid_t($0.trimmed) }
    }

    /// Types `text` literally into session `name`.
    func literal(_ name: String, _ text: String) { tmux(["send-keys", "-t", name, "-l", text]) }

    /// Sends tmux key names (`Enter`, `C-u`, `Down`) to session `name`.
    func keys(_ name: String, _ keys: String...) { tmux(["send-keys", "-t", name] + keys) }

    func close(_ name: String) { tmux(["kill-session", "-t", name]) }

    func killServer() { tmux(["kill-server"]) }

    @discardableResult
    private func tmux(_ args: [String]) -> Bool {
        Subprocess.run(["tmux", "-L", socket, "-f", "/dev/null"] + args, stdout: "/dev/null").status == 0
    }

    /// Whether `screen` is a complete first frame of the studio: the prompt pane's border on the first
    /// row and the status bar's last hint on the last row (ncurses writes the frame top to bottom).
    static func isFullFrame(_ screen: String) -> Bool {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.hasPrefix("┌ Prompt") else { return false }
        return lines.last(where: { !$0.trimmed.isEmpty })?.contains("C-c quit") == true
    }

    /// Polls `condition` on session `name`'s screen every `interval` seconds until it holds or `timeout`
    /// seconds pass.
    /// - Returns: the `Clock.now()` at which it first held, or `nil` on timeout.
    func waitFor(_ name: String, timeout: Double, interval: Double = 0.005, _ condition: (String) -> Bool) -> Double? {
        let end = Clock.now() + timeout
        while Clock.now() < end {
            if condition(capture(name)) { return Clock.now() }
            if interval > 0 { usleep(useconds_t(interval * 1e6)) }
        }
        return nil
    }
}

/// Where the `easel` binary is: `$EASEL_BIN`, else next to this easel-bench (same build folder).
func easelBinary() throws -> String {
    if let b = ProcessInfo.processInfo.environment["EASEL_BIN"], !b.isEmpty { return b }
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let path = (me as NSString).deletingLastPathComponent + "/easel"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw BenchError("\(path) is missing: build the studio too (`swift build -c release --product easel`)")
    }
    return path
}

/// Quotes `s` for `sh -c` (single quotes).
func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
