import Foundation
import Testing

/// The promise that a job in flight survives the end of the studio, for every way it ends, on every
/// configured backend (names that sort before and after "demo"): the next start resumes each job,
/// saves exactly one image per job, and the server sees exactly one submit per job.
@Suite("Restarts resume every backend's jobs", .serialized)
struct RestartResumeTests {
    struct Ending: Sendable, CustomTestStringConvertible {
        let name: String
        /// `kill -NAME` sent to the studio, or nil for the quit key.
        let signal: String?
        var testDescription: String { name }
    }

    static let endings = [Ending(name: "kill -9", signal: "KILL"), Ending(name: "SIGHUP", signal: "HUP"),
                          Ending(name: "C-c", signal: nil)]

    @Test(arguments: endings)
    func jobsOnTwoBackendsResumeAfterTheStudioEnds(_ ending: Ending) async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let dir = Harness.tempDir("restart")
        let gallery = dir + "/gallery", serverLog = dir + "/server.log"
        // An external server that outlives the studio, as a GPU box does; it logs every request.
        let server = try await ServeInTmux("--latency 4 --rate-limit 100/60s", log: serverLog, in: dir)
        defer { server.stop() }
        let url = server.url
        let config = dir + "/config.toml"
        try """
        default_backend = "gpu"
        [queue]
        mode = "queue"
        concurrency = 2
        [backends.aaa]
        kind = "jobapi"
        url = "\(url)"
        [backends.gpu]
        kind = "jobapi"
        url = "\(url)"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let studioCommand = "\(Harness.binary) --config \(config) --gallery \(gallery) --poll-interval 0.3 --probe-timeout 0.2"

        var studio = Tmux()
        studio.stateHome = dir + "/state"
        defer { studio.kill() }
        let pidFile = dir + "/pid"
        #expect(studio.start("sh -c 'echo $$ > \(pidFile); exec \(studioCommand) 2> \(dir)/stderr.txt'; echo EXITED $?; sleep 60"))
        #expect(await Harness.waitUntil(.seconds(20)) { studio.capture().contains("Prompt") }, "\(studio.capture())")
        studio.literal("a moon over the mountains")
        studio.keys("Enter")
        // F3 cycles aaa → gpu → demo → aaa (config order, the demo last): twice from gpu reaches aaa.
        studio.keys("F3")
        studio.keys("F3")
        #expect(await Harness.waitUntil(.seconds(5)) { studio.capture().contains("aaa") }, "\(studio.capture())")
        studio.literal("a harbour in the fog")
        studio.keys("Enter")
        // Both jobs accepted by the server (their remote ids journaled) before the studio ends.
        let journaled = { Harness.run([Harness.binary, "history", "--state-dir", dir + "/state/easel"]).out }
        #expect(await Harness.waitUntil(.seconds(10)) { journaled().components(separatedBy: "(remote id").count - 1 == 2 },
                "both jobs should be in flight: \(journaled())\n\(studio.capture())")

        let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        if let signal = ending.signal { Harness.run(["kill", "-\(signal)", pid]) } else { studio.keys("C-c") }
        // Waits for the process to be gone, not for the shell's "EXITED": a studio killed while it wrote an escape
        // sequence (an OSC 8 link of the status bar) leaves tmux's parser inside it, and the line is swallowed.
        #expect(await Harness.waitUntil(.seconds(10)) { Harness.run(["kill", "-0", pid]).status != 0 }, "\(studio.capture())")
        if ending.signal == nil {
            // Quitting with jobs on services that keep them: one line says they go on and resume.
            let said = (try? String(contentsOfFile: dir + "/stderr.txt", encoding: .utf8)) ?? ""
            #expect(said.contains("2 jobs are still in flight (1 on aaa, 1 on gpu)"), "stderr: \(said)")
        }
        #expect(Harness.pngs(in: gallery).isEmpty, "the jobs finished before the studio ended: the test proves nothing")
        let inFlight = journaled()
        #expect(inFlight.components(separatedBy: "… ").count - 1 == 2, "easel history should list both jobs in flight: \(inFlight)")
        studio.kill()

        var again = Tmux()
        again.stateHome = dir + "/state"
        defer { again.kill() }
        #expect(again.start("\(studioCommand); sleep 60"))
        #expect(await Harness.waitUntil(.seconds(20)) { again.capture().contains("Prompt") }, "\(again.capture())")
        #expect(await Harness.waitUntil(.seconds(25)) { Harness.pngs(in: gallery).count == 2 }, "\(again.capture())")
        await Harness.pause(1.5)                      // three more polls: nothing else may arrive
        #expect(Harness.pngs(in: gallery).count == 2)
        let log = (try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? ""
        #expect(log.components(separatedBy: "POST /api/generate").count - 1 == 2, "each job is sent exactly once: \(log)")
        let history = Harness.run([Harness.binary, "history", "--state-dir", dir + "/state/easel", "--json"]).out
        let rows = history.split(separator: "\n")
        #expect(rows.count == 2 && rows.allSatisfy { $0.contains("\"state\":\"complete\"") }, "\(history)")
        #expect(history.contains("\"backend\":\"aaa\"") && history.contains("\"backend\":\"gpu\""), "\(history)")
        again.keys("C-c")
    }
}

@Suite("easel history")
struct HistoryCommandTests {
    @Test func aMissingStateFolderIsAnErrorAndIsNotCreated() {
        let dir = Harness.tempDir("history") + "/missing/dir"
        let run = Harness.run([Harness.binary, "history", "--state-dir", dir])
        #expect(run.status == 1)
        #expect(run.out.contains("no journal there"), "\(run.out)")
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test func limitZeroPrintsEveryJobAndANegativeLimitIsRefused() {
        let dir = Harness.tempDir("history")
        let made = Harness.run([Harness.binary, "generate", "--state-dir", dir, "--gallery", dir + "/g", "--latency", "0",
                                "--poll-interval", "0.1", "--seed", "1", "one", "two", "three"])
        #expect(made.status == 0, "\(made.out)")
        let all = Harness.run([Harness.binary, "history", "--state-dir", dir, "--limit", "0"])
        #expect(all.out.split(separator: "\n").count == 3, "\(all.out)")
        let two = Harness.run([Harness.binary, "history", "--state-dir", dir, "--limit", "2"])
        #expect(two.out.split(separator: "\n").count == 2, "\(two.out)")
        let negative = Harness.run([Harness.binary, "history", "--state-dir", dir, "--limit=-1"])
        #expect(negative.status != 0 && negative.out.contains("--limit must be 0 (all) or more"), "\(negative.out)")
    }
}
