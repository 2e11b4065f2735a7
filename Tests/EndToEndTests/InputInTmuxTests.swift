import Foundation
import Testing

/// Pastes with invalid UTF-8, and probes that leave no trace, with the real binary in tmux.
@Suite("Input and probing in tmux", .serialized)
struct InputInTmuxTests {
    func studio(_ tmux: Tmux, _ dir: String) -> String {
        "env TERM=tmux-256color \(Harness.binary) --gallery \(dir) --probe-timeout 0.5 2> \(dir)/stderr.txt; echo EXITED $?; sleep 30"
    }

    /// The reproduction: `A\xffB` pasted with `paste-buffer -p` froze the studio.
    @Test func aPasteWithAnInvalidByteIsTypedWithAReplacementAndKeysStillWorkAfterIt() async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("paste-invalid")
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start(studio(tmux, dir)))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") }, "\(tmux.capture())")
        let file = dir + "/paste.bin"
        _ = FileManager.default.createFile(atPath: file, contents: Data([0x41, 0xFF, 0x42]))
        Harness.run(["tmux", "-L", tmux.socket, "load-buffer", file], capture: false)
        Harness.run(["tmux", "-L", tmux.socket, "paste-buffer", "-p", "-t", tmux.session], capture: false)
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("A\u{FFFD}B") }, "\(tmux.capture())")
        tmux.literal("C")                                            // a key after the paste is typed, not pasted
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("A\u{FFFD}BC") }, "\(tmux.capture())")
        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
    }

    /// tmux takes an APC string as the pane title: the kitty query must never reach it.
    @Test func thePaneTitleAndWindowNameAreUnchangedAfterStartAndExit() async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("tmux-title")
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("sh"))
        func names() -> String {
            Harness.run(["tmux", "-L", tmux.socket, "display-message", "-p", "-t", tmux.session, "#{pane_title}|#{window_name}"]).out
        }
        // Until automatic-rename has named the window after its shell (it is "tmux" at first).
        #expect(await Harness.waitUntil(.seconds(15)) { names().trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("|sh") }, "\(names())")
        let before = names()
        // TERM says xterm and TMUX is unset, as after `ssh` from a pane: only XTVERSION can tell.
        tmux.literal("env -u TMUX TERM=xterm-256color \(Harness.binary) --gallery \(dir) --probe-timeout 0.5; echo EXITED $?")
        tmux.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") }, "\(tmux.capture())")
        #expect(!names().contains("Gi="), "\(names())")
        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
        // The window name follows the running command (automatic-rename) and comes back on tmux's next check.
        #expect(await Harness.waitUntil(.seconds(15)) { names() == before }, "\(names()) after, \(before) before")
    }

    /// Typed right after the command, while Easel starts and probes: the probe used to drop these
    /// keys and flush the rest (TCSAFLUSH).
    @Test func keysTypedDuringStartUpReachThePrompt() async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("typeahead")
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("env PS1='shell$ ' sh"))
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("shell$") })
        tmux.literal("TERM=tmux-256color \(Harness.binary) --gallery \(dir) --probe-timeout 1; echo EXITED $?")
        tmux.keys("Enter")
        tmux.literal("early bird")
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("│early bird") }, "\(tmux.capture())")
        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
    }
}
