import Foundation

/// An external `easel serve` (the real binary) in a tmux of its own, on a port the server picks (`--port 0`),
/// that outlives the studios a test starts and stops, as a GPU box does.
struct ServeInTmux {
    let tmux = Tmux()
    /// Where the server's shell writes its pid: `tmux kill-server` alone has been seen to leave it running.
    let pidFile: String
    /// `http://127.0.0.1:PORT`, read from the server's "listening on" line.
    let url: String

    /// Starts `easel serve --port 0 <arguments>` (stderr to `log` when given) and waits up to 30 s for it to listen.
    /// - Throws: when tmux cannot start or no "listening on" line appears; the server is stopped first.
    init(_ arguments: String, log: String? = nil, in dir: String) async throws {
        pidFile = dir + "/server-pid"
        let redirect = log.map { " 2> \($0)" } ?? ""
        guard tmux.start("sh -c 'echo $$ > \(pidFile); exec \(Harness.binary) serve --port 0 \(arguments)\(redirect)'") else {
            throw POSIXError(.ENOENT)
        }
        let tmux = self.tmux
        var found: String?
        _ = await Harness.waitUntil(.seconds(30)) {
            found = tmux.capture().split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("http://127.0.0.1:") }.map(String.init)
            return found != nil
        }
        guard let found else {
            Self.stop(tmux: tmux, pidFile: pidFile)
            throw POSIXError(.ETIMEDOUT)
        }
        url = found
    }

    /// Ends the server by its pid, then its tmux.
    func stop() { Self.stop(tmux: tmux, pidFile: pidFile) }

    private static func stop(tmux: Tmux, pidFile: String) {
        if let pid = try? String(contentsOfFile: pidFile, encoding: .utf8) {
            Harness.run(["kill", "-TERM", pid.trimmingCharacters(in: .whitespacesAndNewlines)], capture: false)
        }
        tmux.kill()
    }
}
