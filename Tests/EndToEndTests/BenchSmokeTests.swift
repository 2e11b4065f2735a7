import Foundation
import Testing

/// Runs the built `easel-bench --smoke` (tiny images, one run) the way `make bench` runs the real thing.
@Suite("easel-bench --smoke", .serialized)
struct BenchSmokeTests {
    /// `$EASEL_BENCH_BIN`, else the debug build `swift build --build-tests` made (as `Harness.binary` finds `easel`).
    static var benchBinary: String {
        if let b = ProcessInfo.processInfo.environment["EASEL_BENCH_BIN"], !b.isEmpty { return b }
        for candidate in [".build/debug/easel-bench", ".build/x86_64-unknown-linux-gnu/debug/easel-bench",
                          ".build/aarch64-unknown-linux-gnu/debug/easel-bench", ".build/release/easel-bench"] {
            let p = Harness.root + "/" + candidate
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return Harness.root + "/.build/debug/easel-bench"
    }

    static let tableHeader = "| Image | Tool | Output px | Median ms (min–max) | Bytes |"

    /// One `--smoke` run (every section) shared by the tests that read its output: it drives the studio
    /// in tmux for several seconds, so it runs once.
    static let sharedRun = Task { await Harness.runAsync([benchBinary, "--smoke"]) }

    static func smokeRun() async throws -> (status: Int32, out: String) {
        let binary = benchBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary),
                     "\(binary) is missing: run `swift build --build-tests` first")
        try #require(FileManager.default.isExecutableFile(atPath: (binary as NSString).deletingLastPathComponent + "/easel"),
                     "easel is missing next to easel-bench: run `swift build --build-tests` first")
        return await sharedRun.value
    }

    /// The table row whose first cell starts with `label`, split into trimmed cells (the label is cell 0).
    static func row(_ out: String, _ label: String) -> [String]? {
        out.split(separator: "\n").first { $0.hasPrefix("| " + label) }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    @Test func smokeRunExitsZeroAndPrintsThePreviewTable() async throws {
        let r = try await Self.smokeRun()
        #expect(r.status == 0, "\(r.out)")
        #expect(r.out.contains("## Preview pipeline"), "\(r.out)")
        #expect(r.out.contains(Self.tableHeader), "\(r.out)")
        #expect(r.out.contains("| Easel |"), "\(r.out)")
        #expect(r.out.contains("`ImagePresenter.status(for:)`") && r.out.contains("no re-encode | ✓"), "\(r.out)")
        #expect(!r.out.contains("### Failures"), "\(r.out)")
    }

    @Test func smokeRunComparesWithImg2sixel() async throws {
        try #require(Harness.which("img2sixel"), "img2sixel is not installed (make bench / make test install libsixel-bin)")
        let r = try await Self.smokeRun()
        #expect(r.status == 0, "\(r.out)")
        let rows = r.out.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.contains(" PNG | img2sixel |") }
        #expect(rows.count == 3, "expected an img2sixel row per PNG (two photos, the noise):\n\(r.out)")
        // A real figure, not n/a: img2sixel reads PNG (only WebP is n/a).
        #expect(rows.allSatisfy { !$0.contains("| n/a |") }, "\(rows)")
        #expect(r.out.contains(" WebP | img2sixel |"), "\(r.out)")
    }

    @Test func smokeRunWritesNothingWithoutWrite() async throws {
        let dir = Harness.tempDir("bench-smoke")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let binary = Self.benchBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing")
        // Run from an empty directory: --smoke alone must leave it empty; --write FILE writes only FILE.
        let quiet = await Harness.runAsync(["/bin/sh", "-c", "cd '\(dir)' && exec '\(binary)' --smoke --only preview"])
        #expect(quiet.status == 0, "\(quiet.out)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir)) == [])
        // A section another benchmark wrote earlier survives; ours is replaced, not duplicated.
        let other = "## Idle CPU\n\nkept from an earlier run\n"
        try ("# Easel benchmarks\n\nold machine\n\n## Preview pipeline\n\nstale\n\n" + other)
            .write(toFile: dir + "/BENCH.md", atomically: true, encoding: .utf8)
        let written = await Harness.runAsync(["/bin/sh", "-c", "cd '\(dir)' && exec '\(binary)' --smoke --only preview --write BENCH.md"])
        #expect(written.status == 0, "\(written.out)")
        let text = try String(contentsOfFile: dir + "/BENCH.md", encoding: .utf8)
        #expect(text.hasPrefix("# Easel benchmarks\n"))
        #expect(text.contains("\n## Preview pipeline\n") && text.contains(Self.tableHeader))
        #expect(text.components(separatedBy: "## Preview pipeline").count == 2 && !text.contains("stale"))
        #expect(text.contains(other) && !text.contains("old machine"))
    }

    @Test func smokeRunMeasuresKeystrokesWithMedianAndP99() async throws {
        let r = try await Self.smokeRun()
        #expect(r.status == 0, "\(r.out)")
        #expect(r.out.contains("## Keystroke latency"), "\(r.out)")
        for label in ["prompt editor", "history pane"] {
            let cells = try #require(Self.row(r.out, label), "no \(label) row:\n\(r.out)")
            // | label | reduce | render | draw | **median** | p99 | bytes | rows | goal | met |
            try #require(cells.count >= 10, "\(cells)")
            let median = Double(cells[4].replacingOccurrences(of: "*", with: "")), p99 = Double(cells[5])
            #expect(median != nil && p99 != nil && median! > 0 && p99! >= median!, "\(cells)")
            #expect((Int(cells[6]) ?? 0) > 0, "ncurses wrote nothing to the pty: \(cells)")
            // Every key changes the prompt, or the history selection and the preview of that job: a few rows
            // written into curses, not the 36 of the screen.
            let rows = try #require(Double(cells[7]), "\(cells)")
            #expect(rows > 0 && rows <= 8, "rows written into curses per key: \(cells)")
        }
    }

    @Test func smokeRunMeasuresTheRealStudioIdleStartUpAndMemory() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test / make bench install it)")
        let r = try await Self.smokeRun()
        #expect(r.status == 0, "\(r.out)")
        let idle = try #require(Self.row(r.out, "idle CPU"), "\(r.out)")
        #expect(idle.count > 1 && idle[1].hasSuffix("% of a core"), "\(idle)")
        for label in ["`--graphics none --probe-timeout 0`, empty journal", "default probe", "floor:",
                      "pty: `--graphics none --probe-timeout 0`", "pty: default probe", "pty floor:"] {
            let cells = try #require(Self.row(r.out, label), "no start-up row \(label):\n\(r.out)")
            let ms = Double(cells[1].split(separator: " ").first ?? "")
            #expect(ms != nil && ms! > 0 && ms! < 30_000, "\(cells)")
        }
        for graphics in ["sixel", "blocks"] {
            let cells = try #require(Self.row(r.out, "`--graphics \(graphics)`, one 1024² preview shown"), "\(r.out)")
            let idleMiB = Double(cells[1].split(separator: " ").first ?? "") ?? 0
            let rss = Double(cells[2].split(separator: " ").first ?? "") ?? 0
            #expect(idleMiB > 1 && rss > 1, "\(cells)")
        }
    }

    @Test func smokeRunCountsOneSubmitAndOneDownloadPerJob() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed")
        let r = try await Self.smokeRun()
        #expect(r.status == 0, "\(r.out)")
        #expect(r.out.contains("## Job overhead"), "\(r.out)")
        #expect(r.out.contains("Submits per job: 1; downloads: 1;"), "\(r.out)")
        let requests = try #require(Self.row(r.out, "requests per job"), "\(r.out)")
        // 1 s of latency on a 2 s poll: at least a submit, one poll and a download.
        #expect((Int(requests[1].split(separator: " ").first ?? "") ?? 0) >= 3, "\(requests)")
        #expect(Self.row(r.out, "completion → on screen") != nil, "\(r.out)")
    }

    /// The ComfyUI part: both ways of following jobs ran, the server's span and busy time are reported, and a
    /// completion followed over the WebSocket reaches the gallery sooner than one found by a 2 s poll.
    @Test func smokeRunReportsComfyUIWallOverBusyAndWebSocketBeatsPolling() async throws {
        let r = try await Self.smokeRun()
        #expect(r.out.contains("## ComfyUI: a GPU that never waits"), "\(r.out)")
        let ws = try #require(Self.row(r.out, "WebSocket |"), "\(r.out)")
        let poll = try #require(Self.row(r.out, "polling |"), "\(r.out)")
        func median(_ cell: String) -> Double? { Double(cell.split(separator: " ").first ?? "") }
        // Cells: label, wall, busy, wall ÷ busy, span ÷ busy, completion → saved.
        try #require(ws.count == 6 && poll.count == 6, "\(ws) \(poll)")
        let wsSaved = try #require(median(ws[5])), pollSaved = try #require(median(poll[5]))
        #expect(wsSaved < pollSaved, "WebSocket \(ws[5]) ms, polling \(poll[5]) ms")
        #expect((median(ws[4]) ?? .infinity) < 1.5, "the server waited on Easel: span ÷ busy \(ws[4])")
    }
}
