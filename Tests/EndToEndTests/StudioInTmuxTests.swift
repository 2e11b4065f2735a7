import EaselUI
import Foundation
import Testing

@Suite("The real binary in tmux", .serialized)
struct StudioInTmuxTests {
    @Test func aTypedPromptIsSubmittedProcessedWithTheEditorLockedThenSaved() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let gallery = Harness.tempDir("tmux-gallery")
        let tmux = Tmux()
        defer { tmux.kill() }
        let log = gallery + "/stderr.txt"
        #expect(tmux.start("env TERM=tmux-256color NO_COLOR= \(Harness.binary) --gallery \(gallery) --latency 10 --poll-interval 0.5 --probe-timeout 0.3 2> \(log); echo EXITED $?; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") }, "\(tmux.capture())")
        #expect(tmux.capture().contains("demo backend — procedural, offline"))

        tmux.literal("a red sun over the sea at dusk")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("a red sun over the sea at dusk") })
        tmux.keys("Enter")
        var sawBusy = false
        #expect(await Harness.waitUntil(.seconds(5)) {
            let s = tmux.capture()
            sawBusy = sawBusy || (s.contains("submitting") || s.contains("processing"))
            return s.contains("processing") && s.contains("locked while a job processes")
        }, "\(tmux.capture())")
        #expect(sawBusy)

        // Typing while locked changes nothing and explains why.
        tmux.literal("zzz")
        #expect(await Harness.waitUntil(.seconds(8)) { tmux.capture().contains("the editor is locked") }, "\(tmux.capture())")
        #expect(!tmux.capture().contains("zzz"))

        // tmux 3.3a has no sixel: the picture falls back to Unicode blocks inside the preview pane.
        #expect(await Harness.waitUntil(.seconds(40)) { Harness.showsBlockPicture(tmux.capture()) }, "\(tmux.capture())")
        let screen = tmux.capture()
        #expect(!screen.contains("locked while"))
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.filter { Harness.showsBlockPicture(String($0), run: 1) }.allSatisfy { line in
            // Blocks only right of the left column (inside the preview pane), borders intact.
            let prefix = String(line.prefix(66))
            return !Harness.showsBlockPicture(prefix, run: 1) && line.hasSuffix("│")
        }, "\(screen)")
        #expect(lines.last { !$0.isEmpty }?.contains("Saved ") == true, "status bar: \(screen)")
        let files = Harness.pngs(in: gallery)
        #expect(files.count == 1)
        #expect(files.first?.contains("a-red-sun-over-the-sea-at-dusk") == true)

        // Resizing re-lays out at once: stacked panes at 80×24, a notice when too small.
        Harness.run(["tmux", "-L", tmux.socket, "resize-window", "-t", tmux.session, "-x", "80", "-y", "24"], capture: false)
        #expect(await Harness.waitUntil(.seconds(3)) { tmux.capture().split(separator: "\n").contains { $0.hasPrefix("┌ Preview") } },
                "\(tmux.capture())")
        Harness.run(["tmux", "-L", tmux.socket, "resize-window", "-t", tmux.session, "-x", "30", "-y", "8"], capture: false)
        #expect(await Harness.waitUntil(.seconds(3)) { tmux.capture().contains("Terminal too small") }, "\(tmux.capture())")

        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
    }

    @Test func inQueueModeThreePromptsTypedWhileTheFirstRunsAllCompleteInOrder() async throws {
        try #require(Harness.which("tmux"))
        let gallery = Harness.tempDir("tmux-queue")
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("env TERM=tmux-256color \(Harness.binary) --mode queue --gallery \(gallery) --latency 1.5 --poll-interval 0.3 --probe-timeout 0.3 --notify bell; echo EXITED $?; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") })
        for prompt in ["first red sun", "second blue moon", "third green forest"] {
            tmux.keys("C-u")                                    // the editor keeps the last prompt: clear it
            tmux.literal(prompt)
            tmux.keys("Enter")
        }
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("Queue (3)") }, "\(tmux.capture())")
        #expect(!tmux.capture().contains("locked while"))
        #expect(await Harness.waitUntil(.seconds(30)) { Harness.pngs(in: gallery).count == 3 }, "\(tmux.capture())")
        #expect(await Harness.waitUntil(.seconds(5)) { !tmux.capture().contains("Queue (") })
        // History is newest first: third, second, first.
        let rows = tmux.capture().split(separator: "\n").filter { $0.contains("✓") }
        let order = rows.compactMap { row in ["third", "second", "first"].first { row.contains($0) } }
        #expect(order == ["third", "second", "first"], "\(tmux.capture())")
        let stamps = Harness.pngs(in: gallery).sorted().map { $0.split(separator: "/").last.map(String.init) ?? "" }
        #expect(stamps.count == 3)
        tmux.keys("C-c")
    }

    @Test func sigtermAndSighupRestoreTheTerminalAndExit() async throws {
        try #require(Harness.which("tmux"))
        for signal in ["TERM", "HUP"] {
            let tmux = Tmux()
            defer { tmux.kill() }
            let dir = Harness.tempDir("tmux-signal")
            let pidFile = dir + "/pid"
            let script = dir + "/run.sh"
            try """
            sh -c 'echo $$ > \(pidFile); exec \(Harness.binary) --gallery \(dir) --probe-timeout 0.2'
            echo EXITED $?
            echo MODES $(stty -a | tr ' ' '\\n' | grep -xE -- '-?(icanon|echo)')
            sleep 30
            """.write(toFile: script, atomically: true, encoding: .utf8)
            #expect(tmux.start("sh \(script)"))
            #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") })
            let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            Harness.run(["kill", "-\(signal)", pid])
            #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("MODES") }, "\(tmux.capture())")
            let after = tmux.capture()
            #expect(after.contains(signal == "TERM" ? "EXITED 143" : "EXITED 129"), "\(after)")
            #expect(after.contains("MODES icanon echo"), "terminal modes not restored: \(after)")
            #expect(!after.contains("┌ Prompt"), "the studio is still on screen")
        }
    }
}

@Suite("The journal across a crash", .serialized)
struct JournalResumeTests {
    @Test func aJobKilledWithSigkillResumesOnTheNextStartAndSavesExactlyOneImage() async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("resume")
        let gallery = dir + "/gallery"
        // An external server that outlives the studio (the embedded one would die with it). 8 s of latency
        // keep the job in flight at the kill even when a loaded machine is slow to show "processing" and act.
        let server = try await ServeInTmux("--latency 8 --quiet", in: dir)
        defer { server.stop() }

        var studio = Tmux()
        studio.stateHome = dir + "/state"
        defer { studio.kill() }
        let pidFile = dir + "/pid"
        let command = "sh -c 'echo $$ > \(pidFile); exec \(Harness.binary) --server \(server.url) --gallery \(gallery) --poll-interval 0.3 --probe-timeout 0.2'; sleep 30"
        #expect(studio.start(command))
        #expect(await Harness.waitUntil(.seconds(20)) { studio.capture().contains("Prompt") })
        studio.literal("a moon over the mountains")
        studio.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(5)) { studio.capture().contains("processing") })
        let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        Harness.run(["kill", "-KILL", pid])
        await Harness.pause(0.5)
        #expect(Harness.pngs(in: gallery).isEmpty)
        studio.kill()

        var again = Tmux()
        again.stateHome = dir + "/state"
        defer { again.kill() }
        #expect(again.start("\(Harness.binary) --server \(server.url) --gallery \(gallery) --poll-interval 0.3 --probe-timeout 0.2; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { again.capture().contains("Prompt") })
        #expect(await Harness.waitUntil(.seconds(30)) { Harness.pngs(in: gallery).count == 1 }, "\(again.capture())")
        await Harness.pause(1)
        #expect(Harness.pngs(in: gallery).count == 1)
        #expect(again.capture().contains("a moon over the mountains"))
        let history = Harness.run([Harness.binary, "history", "--state-dir", dir + "/state/easel", "--json"])
        #expect(history.out.split(separator: "\n").count == 1 && history.out.contains("\"state\":\"complete\""), "\(history.out)")
        again.keys("C-c")
    }
}
