import EaselTerminal
import EaselUI
import Foundation
import Testing

extension Tmux {
    /// tmux's `#{alternate_on}`: "1" while the pane shows the alternate screen.
    var alternateOn: String {
        Harness.run(["tmux", "-L", socket, "display-message", "-p", "-t", session, "#{alternate_on}"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func resize(columns: Int, rows: Int) {
        Harness.run(["tmux", "-L", socket, "resize-window", "-t", session, "-x", "\(columns)", "-y", "\(rows)"], capture: false)
    }
}

/// Where the pane borders of `size`'s layout are not on `screen`, or lines are too wide; empty when right.
func layoutProblems(_ screen: String, _ size: CellSize) -> [String] {
    let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
    let layout = Layout(size: size)
    var problems: [String] = []
    if lines.contains(where: { $0.count > size.columns }) { problems.append("a line is wider than \(size.columns)") }
    func at(_ x: Int, _ y: Int) -> Character { y < lines.count && x < lines[y].count ? lines[y][x] : " " }
    for pane in [layout.prompt, layout.queue, layout.history, layout.preview] where pane.height >= 2 {
        if at(pane.x, pane.y) != "┌" || at(pane.maxX - 1, pane.y) != "┐" { problems.append("top corners of \(pane)") }
        if at(pane.x, pane.maxY - 1) != "└" || at(pane.maxX - 1, pane.maxY - 1) != "┘" { problems.append("bottom corners of \(pane)") }
        for y in (pane.y + 1)..<(pane.maxY - 1) where at(pane.x, y) != "│" || at(pane.maxX - 1, y) != "│" {
            problems.append("side borders of \(pane) on row \(y)")
        }
    }
    return problems
}

@Suite("Signals: the terminal always comes back", .serialized)
struct SignalsInTmuxTests {
    /// How the studio is ended, and the status the shell must then see.
    struct Ending: Sendable, CustomTestStringConvertible {
        let name: String
        /// `kill -NAME`, or nil for a key / a crash.
        let signal: String?
        let key: String?
        let environment: String
        let status: Int
        var testDescription: String { name }
    }

    static let endings: [Ending] = [
        Ending(name: "C-c (a key in raw mode)", signal: nil, key: "C-c", environment: "", status: 0),
        Ending(name: "SIGINT", signal: "INT", key: nil, environment: "", status: 130),
        Ending(name: "SIGTERM", signal: "TERM", key: nil, environment: "", status: 143),
        Ending(name: "SIGHUP", signal: "HUP", key: nil, environment: "", status: 129),
        Ending(name: "SIGQUIT", signal: "QUIT", key: nil, environment: "", status: 131),
        Ending(name: "SIGKILL (the guard process restores)", signal: "KILL", key: nil, environment: "", status: 137),
        Ending(name: "a crash in a background task", signal: nil, key: nil, environment: "EASEL_DEBUG_CRASH=background", status: 132),
    ]

    @Test(arguments: endings)
    func theTerminalIsRestoredAndTheShellSeesTheExitStatus(_ ending: Ending) async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let tmux = Tmux()
        defer { tmux.kill() }
        let dir = Harness.tempDir("signal")
        let pidFile = dir + "/pid"
        let script = dir + "/run.sh"
        // `sh` is no job-control shell: it restores nothing itself, so the modes it prints are Easel's doing.
        // The pause lets the guard (a child that outlives a SIGKILL by a few milliseconds) finish first;
        // the status is printed after it, since leaving the alternate screen would hide an earlier line.
        try """
        sh -c 'echo $$ > \(pidFile); exec env \(ending.environment) \(Harness.binary) --gallery \(dir) --probe-timeout 0.2 2> \(dir)/stderr.txt'
        status=$?
        sleep 0.3
        echo EXITED $status
        echo MODES $(stty -a | tr ' ' '\\n' | grep -xE -- '-?(isig|icanon|echo)')
        sleep 30
        """.write(toFile: script, atomically: true, encoding: .utf8)
        #expect(tmux.start("sh \(script)"))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") }, "\(tmux.capture())")
        #expect(tmux.alternateOn == "1")
        let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        if let signal = ending.signal { Harness.run(["kill", "-\(signal)", pid]) }
        if let key = ending.key { tmux.keys(key) }
        #expect(await Harness.waitUntil(.seconds(10)) { tmux.capture().contains("MODES") }, "\(tmux.capture())")
        let after = tmux.capture()
        #expect(after.contains("EXITED \(ending.status)"), "\(after)")
        #expect(after.contains("MODES isig icanon echo"), "terminal modes not restored: \(after)")
        #expect(tmux.alternateOn == "0", "still on the alternate screen")
        #expect(!after.contains("┌ Prompt"), "the studio is still on screen: \(after)")
    }

    @Test func ctrlZSuspendsToTheShellAndFgRedrawsTheStudioWithItsPicture() async throws {
        try #require(Harness.which("tmux") && Harness.which("bash"))
        let dir = Harness.tempDir("suspend")
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("env PS1='shell$ ' TERM=tmux-256color bash --norc --noprofile -i"))
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("shell$") })
        tmux.literal("\(Harness.binary) --gallery \(dir)/g --latency 0.5 --poll-interval 0.3 --probe-timeout 0.2 2> \(dir)/stderr.txt")
        tmux.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("┌ Prompt") }, "\(tmux.capture())")
        tmux.literal("a red sun over the sea at dusk")
        tmux.keys("Enter")
        // tmux 3.3a has no sixel: the picture is drawn in Unicode blocks inside the preview pane.
        #expect(await Harness.waitUntil(.seconds(30)) { Harness.showsBlockPicture(tmux.capture()) }, "\(tmux.capture())")

        tmux.keys("C-z")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("Stopped") }, "\(tmux.capture())")
        let shell = tmux.capture()
        #expect(tmux.alternateOn == "0", "still on the alternate screen after C-z")
        #expect(!shell.contains("┌ Prompt") && !Harness.showsBlockPicture(shell), "\(shell)")
        tmux.literal("stty -a | tr ' ' '\\n' | grep -xE -- '-?(isig|icanon|echo)' | tr '\\n' ' '; echo")
        tmux.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("isig icanon echo") }, "modes: \(tmux.capture())")

        tmux.literal("fg")
        tmux.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(10)) {
            let s = tmux.capture()
            return s.contains("┌ Prompt") && Harness.showsBlockPicture(s) && s.contains("a red sun over the sea at dusk")
        }, "after fg: \(tmux.capture())")
        #expect(tmux.alternateOn == "1")
        #expect(layoutProblems(tmux.capture(), CellSize(columns: 120, rows: 36)).isEmpty, "\(tmux.capture())")
        // Still alive and listening to keys; the shell gets it back once more.
        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.alternateOn == "0" }, "\(tmux.capture())")
        tmux.literal("echo EXITED $?")
        tmux.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
    }

    @Test(arguments: ["TSTP", "STOP"])
    func aStopSignalFromOutsideThenFgBringsTheWholeStudioBack(_ signal: String) async throws {
        try #require(Harness.which("tmux") && Harness.which("bash"))
        let dir = Harness.tempDir("stop-\(signal)")
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("env PS1='shell$ ' TERM=tmux-256color bash --norc --noprofile -i"))
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("shell$") })
        tmux.literal("\(Harness.binary) --gallery \(dir)/g --probe-timeout 0.2 2> \(dir)/stderr.txt & echo $! > \(dir)/pid; fg")
        tmux.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("┌ Prompt") }, "\(tmux.capture())")
        tmux.literal("a fox in the snow")
        // The studio has read the keys before it is stopped (a stopped studio's keys would go to the shell).
        #expect(await Harness.waitUntil(.seconds(10)) { tmux.capture().contains("a fox in the snow") }, "\(tmux.capture())")
        let pid = try String(contentsOfFile: dir + "/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        Harness.run(["kill", "-\(signal)", pid])
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("Stopped") }, "\(tmux.capture())")
        if signal == "TSTP" {
            // Caught: Easel handed the terminal back before stopping.
            #expect(tmux.alternateOn == "0", "still on the alternate screen after SIGTSTP")
        }
        tmux.literal("fg")
        tmux.keys("Enter")
        // SIGCONT: modes set again and every cell repainted, so the shell's lines are gone.
        #expect(await Harness.waitUntil(.seconds(10)) {
            let s = tmux.capture()
            return s.contains("┌ Prompt") && s.contains("a fox in the snow") && !s.contains("Stopped") && !s.contains("shell$")
        }, "after fg: \(tmux.capture())")
        #expect(layoutProblems(tmux.capture(), CellSize(columns: 120, rows: 36)).isEmpty, "\(tmux.capture())")
        tmux.literal(" at dawn")                                 // keys reach the editor again (raw mode is back)
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("a fox in the snow at dawn") }, "\(tmux.capture())")
        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.alternateOn == "0" }, "\(tmux.capture())")
    }

    @Test func ctrlZWithoutAJobControlShellSaysSoAndKeepsTheStudio() async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("no-job-control")
        let tmux = Tmux()
        defer { tmux.kill() }
        // `sh -c` in a tmux pane: an orphaned process group, where the kernel drops SIGTSTP.
        #expect(tmux.start("env TERM=tmux-256color \(Harness.binary) --gallery \(dir) --probe-timeout 0.2 2> \(dir)/stderr.txt; echo EXITED $?; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("┌ Prompt") }, "\(tmux.capture())")
        tmux.keys("C-z")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("C-z: nothing to suspend to") }, "\(tmux.capture())")
        #expect(tmux.alternateOn == "1")
        #expect(layoutProblems(tmux.capture(), CellSize(columns: 120, rows: 36)).isEmpty, "\(tmux.capture())")
        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
    }

    @Test func fiftyResizesInQuickSuccessionEndInTheLayoutOfTheLastSize() async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("storm")
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("env TERM=tmux-256color \(Harness.binary) --gallery \(dir) --latency 0.3 --poll-interval 0.2 --probe-timeout 0.2 2> \(dir)/stderr.txt; echo EXITED $?; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") })
        tmux.literal("a lighthouse on a cliff at dusk")
        tmux.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(30)) { Harness.showsBlockPicture(tmux.capture()) }, "\(tmux.capture())")

        // 49 sizes from 60×15 to 150×45 (both layouts, and too small), one shell loop, then 100×30.
        let storm = """
        for i in $(seq 1 49); do tmux -L \(tmux.socket) resize-window -t \(tmux.session) -x $((50 + i * 37 % 100)) -y $((12 + i * 13 % 34)); done
        tmux -L \(tmux.socket) resize-window -t \(tmux.session) -x 100 -y 30
        """
        let start = ContinuousClock.now
        #expect(Harness.run(["sh", "-c", storm]).status == 0)
        let stormTime = ContinuousClock.now - start
        let final = CellSize(columns: 100, rows: 30)
        #expect(await Harness.waitUntil(.seconds(10)) { layoutProblems(tmux.capture(), final).isEmpty },
                "after \(stormTime): \(layoutProblems(tmux.capture(), final))\n\(tmux.capture())")
        // The picture comes back once it is encoded at the new size (a fixed 0.5 s pause missed it at a load of 4).
        let preview = Layout(size: final).preview.inset(by: 1)
        func blockCells(_ lines: [[Character]]) -> [(x: Int, y: Int)] {
            lines.enumerated().flatMap { y, line in
                line.enumerated().filter { $0.element.unicodeScalars.allSatisfy(Harness.isBlockSymbol) }.map { (x: $0.offset, y: y) }
            }
        }
        func rows(_ screen: String) -> [[Character]] { screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) } }
        #expect(await Harness.waitUntil(.seconds(10)) { blockCells(rows(tmux.capture())).count > 20 }, "no picture after the storm: \(tmux.capture())")
        let screen = tmux.capture()
        let lines = rows(screen)
        #expect(lines.count >= 30 && lines[29].contains { $0 != " " }, "status bar not on the last row: \(screen)")
        #expect(lines.count >= 30 && lines.prefix(30).allSatisfy { $0.count <= 100 })
        // The picture is back, and only inside the preview pane.
        let blocks = blockCells(lines)
        for (x, y) in blocks {
            #expect(x >= preview.x && x < preview.maxX && y >= preview.y && y < preview.maxY, "a picture cell at \(x),\(y): \(screen)")
        }
        #expect(blocks.count > 20, "no picture after the storm: \(screen)")
        let stderr = (try? String(contentsOfFile: dir + "/stderr.txt", encoding: .utf8)) ?? ""
        #expect(stderr.isEmpty, "stderr: \(stderr)")
        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
    }
}

@Suite("The journal across SIGHUP", .serialized)
struct SighupResumeTests {
    @Test func aJobInFlightWhenTheTerminalHangsUpResumesOnTheNextStart() async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("hup-resume")
        let gallery = dir + "/gallery"
        let server = try await ServeInTmux("--latency 8 --quiet", in: dir)   // outlives the studio; 8 s: still in flight at the HUP
        defer { server.stop() }

        var studio = Tmux()
        studio.stateHome = dir + "/state"
        defer { studio.kill() }
        let pidFile = dir + "/pid"
        #expect(studio.start("sh -c 'echo $$ > \(pidFile); exec \(Harness.binary) --server \(server.url) --gallery \(gallery) --poll-interval 0.3 --probe-timeout 0.2'; echo EXITED $?; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { studio.capture().contains("Prompt") })
        studio.literal("a harbour in the fog")
        studio.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(5)) { studio.capture().contains("processing") }, "\(studio.capture())")
        let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        Harness.run(["kill", "-HUP", pid])
        #expect(await Harness.waitUntil(.seconds(5)) { studio.capture().contains("EXITED 129") }, "\(studio.capture())")
        // The journal holds the job as in flight, with its remote id.
        let journal = dir + "/state/easel/easel.sqlite"
        let row = Harness.run(["sqlite3", journal, "SELECT state, remoteID IS NOT NULL FROM job"]).out
        #expect(row.trimmingCharacters(in: .whitespacesAndNewlines) == "running|1", "journal: \(row)")
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
        let history = Harness.run([Harness.binary, "history", "--state-dir", dir + "/state/easel", "--json"])
        #expect(history.out.split(separator: "\n").count == 1 && history.out.contains("\"state\":\"complete\""), "\(history.out)")
        again.keys("C-c")
    }
}
