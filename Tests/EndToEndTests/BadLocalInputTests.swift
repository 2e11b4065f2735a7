import Foundation
import Testing

/// Runs `args` as user `nobody` when the tests run as root (root reads and writes through any
/// permission bits, so a permission test would otherwise prove nothing).
func asUnprivileged(_ args: [String]) -> [String] {
    getuid() == 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + args : args
}

@Suite("Bad local input: config, journal, gallery")
struct BadLocalInputTests {
    @Test func aMalformedConfigNamesTheFileLineAndProblem() async throws {
        let dir = Harness.tempDir("bad-config")
        let file = dir + "/config.toml"
        try "[queue]\nmode = \"sometimes\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = await Harness.runAsync([Harness.binary, "config", "--file", file])
        #expect(bad.status == 1)
        #expect(bad.out.contains("\(file):2: queue.mode"), "\(bad.out)")
        try "[preview\ngraphics = 1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let broken = await Harness.runAsync([Harness.binary, "config", "--file", file])
        #expect(broken.status == 1 && broken.out.contains("\(file):1:"), "\(broken.out)")
        #expect(!broken.out.contains("Fatal error"))
    }

    @Test func aConfigNamingAThemeThatIsNotInstalledIsWarnedAbout() async throws {
        let file = Harness.tempDir("theme-config") + "/config.toml"
        try "[preview]\ntheme = \"doesnotexist\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let r = await Harness.runAsync([Harness.binary, "config", "--file", file])
        #expect(r.status == 0, "\(r.out)")
        #expect(r.out.contains("warning: preview.theme: theme \"doesnotexist\" not found"), "\(r.out)")
        try "[preview]\ntheme = \"nord\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fine = await Harness.runAsync([Harness.binary, "config", "--file", file])
        #expect(fine.status == 0 && !fine.out.contains("warning"), "\(fine.out)")
    }

    @Test func anUnreadableConfigSaysSoWithThePath() async throws {
        try #require(Harness.which("setpriv") || getuid() != 0)
        let dir = Harness.tempDir("unreadable-config")
        chmod(dir, 0o755)
        let file = dir + "/config.toml"
        try "[preview]\ntheme = \"nord\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        if getuid() != 0 { chmod(file, 0o000) }
        let r = await Harness.runAsync(asUnprivileged([Harness.binary, "config", "--file", file]))
        #expect(r.status == 1, "\(r.out)")
        #expect(r.out.contains("\(file): cannot be read: Permission denied"), "\(r.out)")
        let folder = await Harness.runAsync([Harness.binary, "config", "--file", dir])
        #expect(folder.status == 1 && folder.out.contains("\(dir): is a folder"), "\(folder.out)")
    }

    @Test func aJournalOfGarbageBytesIsMovedAsideAndANewOneStarted() async throws {
        let state = Harness.tempDir("garbage-journal")
        let folder = state + "/easel"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let garbage = Data((0..<8192).map { _ in UInt8.random(in: 0...255) })
        try garbage.write(to: URL(fileURLWithPath: folder + "/easel.sqlite"))
        let gallery = Harness.tempDir("garbage-gallery")
        let r = await Harness.runAsync([Harness.binary, "generate", "a quiet bay", "--gallery", gallery, "--latency", "0.2",
                                        "--poll-interval", "0.2"], env: ["XDG_STATE_HOME": state])
        #expect(r.status == 0, "\(r.out)")
        #expect(r.out.contains("easel: journal: \(folder)/easel.sqlite was not a readable SQLite database"), "\(r.out)")
        let aside = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("easel.sqlite.corrupt-") }
        #expect(aside.count == 1, "\(aside)")
        #expect(r.out.contains("moved it to \(folder)/\(aside.first ?? "?")"), "\(r.out)")
        #expect(FileManager.default.contents(atPath: folder + "/" + (aside.first ?? "")) == garbage, "the old bytes were not kept")
        let history = await Harness.runAsync([Harness.binary, "history", "--json"], env: ["XDG_STATE_HOME": state])
        #expect(history.status == 0 && history.out.contains("a quiet bay") && !history.out.contains("corrupt"), "\(history.out)")
    }

    @Test func aJournalLockedByAnotherProgramIsAClearErrorWithThePath() async throws {
        try #require(Harness.which("sqlite3"))
        let state = Harness.tempDir("locked-journal")
        // A first job makes the journal (`easel history` only reads; it creates none).
        let first = await Harness.runAsync([Harness.binary, "generate", "first", "--gallery", Harness.tempDir("first-gallery"), "--latency", "0"],
                                           env: ["XDG_STATE_HOME": state])
        #expect(first.status == 0, "\(first.out)")
        let journal = state + "/easel/easel.sqlite"
        // Another program takes the write lock, says so (a file), and keeps it until the test is done.
        let held = state + "/lock-held", release = state + "/lock-release"
        async let locker = Harness.runAsync(["sh", "-c", "(echo 'BEGIN EXCLUSIVE;'; echo 'DELETE FROM session WHERE 0;'; "
                                                 + "echo '.shell touch \(held)'; echo '.shell while [ ! -e \(release) ]; do sleep 0.1; done') | sqlite3 \(journal)"])
        #expect(await Harness.waitUntil(.seconds(30)) { FileManager.default.fileExists(atPath: held) }, "the lock was never taken")
        let gallery = Harness.tempDir("locked-gallery")
        let r = await Harness.runAsync([Harness.binary, "generate", "x", "--gallery", gallery, "--latency", "0"], env: ["XDG_STATE_HOME": state])
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        #expect(r.status == 1, "\(r.out)")
        #expect(r.out.contains("journal: \(journal) is locked by another program"), "\(r.out)")
        #expect(Harness.pngs(in: gallery).isEmpty)
        _ = await locker
        let after = await Harness.runAsync([Harness.binary, "history"], env: ["XDG_STATE_HOME": state])
        #expect(after.status == 0, "the journal stays usable: \(after.out)")
    }

    @Test func aGalleryThatCannotBeMadeOrWrittenIsRefusedBeforeAnythingIsGenerated() async throws {
        let dir = Harness.tempDir("bad-gallery")
        chmod(dir, 0o755)
        let file = dir + "/a-file"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let underFile = await Harness.runAsync([Harness.binary, "generate", "x", "--gallery", file + "/pictures", "--latency", "0"])
        #expect(underFile.status == 1)
        #expect(underFile.out.contains("gallery \(file)/pictures cannot be used: \(file): Not a directory"), "\(underFile.out)")

        let json = await Harness.runAsync([Harness.binary, "generate", "x", "--gallery", file + "/pictures", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any], "\(json.out)")
        #expect((object["error"] as? [String: String])?["category"] == "storage")

        if Harness.which("setpriv") || getuid() != 0 {
            let locked = dir + "/read-only"
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
            chmod(locked, 0o555)
            let r = await Harness.runAsync(asUnprivileged([Harness.binary, "generate", "x", "--gallery", locked, "--latency", "0"]))
            #expect(r.status == 1)
            #expect(r.out.contains("gallery \(locked) cannot be used: \(locked): Permission denied"), "\(r.out)")
        }

        // A gallery that does not exist yet is simply made.
        let missing = dir + "/new/gallery"
        let made = await Harness.runAsync([Harness.binary, "generate", "x", "--gallery", missing, "--latency", "0.1", "--poll-interval", "0.1"])
        #expect(made.status == 0, "\(made.out)")
        #expect(Harness.pngs(in: missing).count == 1)
    }
}

@Suite("Bad local input in the studio", .serialized)
struct BadLocalInputStudioTests {
    @Test func theStudioStartsOnADamagedJournalAndSaysWhereTheOldOneWent() async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("studio-garbage")
        var tmux = Tmux()
        tmux.stateHome = dir + "/state"
        defer { tmux.kill() }
        try FileManager.default.createDirectory(atPath: dir + "/state/easel", withIntermediateDirectories: true)
        try Data(repeating: 0x5A, count: 3000).write(to: URL(fileURLWithPath: dir + "/state/easel/easel.sqlite"))
        #expect(tmux.start("env TERM=tmux-256color \(Harness.binary) --gallery \(dir)/g --probe-timeout 0.2 2> \(dir)/stderr.txt; echo EXITED $?; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("┌ Prompt") }, "\(tmux.capture())")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("journal was unreadable: moved to easel.sqlite.corrupt-") },
                "status bar: \(tmux.capture())")
        let stderr = (try? String(contentsOfFile: dir + "/stderr.txt", encoding: .utf8)) ?? ""
        #expect(stderr.contains("moved it to \(dir)/state/easel/easel.sqlite.corrupt-"), "\(stderr)")
        tmux.keys("C-c")
        #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("EXITED 0") }, "\(tmux.capture())")
    }

    @Test func aMalformedConfigStopsTheStudioBeforeTheScreenStartsWithTheFileAndLine() async throws {
        try #require(Harness.which("tmux"))
        let dir = Harness.tempDir("studio-bad-config")
        try "[preview]\nsixel_colors = 1000\n".write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("env TERM=tmux-256color \(Harness.binary) --gallery \(dir)/g --config \(dir)/config.toml --probe-timeout 0.2; echo EXITED $?; sleep 30"))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("EXITED") }, "\(tmux.capture())")
        let screen = tmux.capture()
        #expect(screen.contains("\(dir)/config.toml:2: preview.sixel_colors: expected an integer in 2...256"), "\(screen)")
        #expect(screen.contains("EXITED 1") && tmux.alternateOn == "0", "\(screen)")
    }
}
