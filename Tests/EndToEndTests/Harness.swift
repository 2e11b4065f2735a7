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

    static func which(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    @discardableResult
    static func run(_ args: [String], env: [String: String] = [:]) -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
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

    /// Polls `condition` every 100 ms until it holds or `timeout` passes.
    static func waitUntil(_ timeout: Duration, _ condition: () -> Bool) -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }
}

/// A private tmux server running one command in a 120×36 window.
struct Tmux {
    let socket = "easel-e2e-\(UInt32.random(in: .min ... .max))"
    let session = "e2e"

    func start(_ command: String, columns: Int = 120, rows: Int = 36) -> Bool {
        Harness.run(["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", session,
                     "-x", "\(columns)", "-y", "\(rows)", command]).status == 0
    }

    func capture() -> String { Harness.run(["tmux", "-L", socket, "capture-pane", "-p", "-t", session]).out }
    func keys(_ keys: String...) { Harness.run(["tmux", "-L", socket, "send-keys", "-t", session] + keys) }
    func literal(_ text: String) { Harness.run(["tmux", "-L", socket, "send-keys", "-t", session, "-l", text]) }
    var alive: Bool { Harness.run(["tmux", "-L", socket, "has-session", "-t", session]).status == 0 }
    func kill() { Harness.run(["tmux", "-L", socket, "kill-server"]) }
}
