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

    static func smokeRun() async throws -> (status: Int32, out: String) {
        let binary = benchBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary),
                     "\(binary) is missing: run `swift build --build-tests` first")
        return await Harness.runAsync([binary, "--smoke"])
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
        #expect(rows.count == 2, "expected an img2sixel row per PNG:\n\(r.out)")
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
        let quiet = await Harness.runAsync(["/bin/sh", "-c", "cd '\(dir)' && exec '\(binary)' --smoke"])
        #expect(quiet.status == 0, "\(quiet.out)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir)) == [])
        // A section another benchmark wrote earlier survives; ours is replaced, not duplicated.
        let other = "## Idle CPU\n\nkept from an earlier run\n"
        try ("# Easel benchmarks\n\nold machine\n\n## Preview pipeline\n\nstale\n\n" + other)
            .write(toFile: dir + "/BENCH.md", atomically: true, encoding: .utf8)
        let written = await Harness.runAsync(["/bin/sh", "-c", "cd '\(dir)' && exec '\(binary)' --smoke --write BENCH.md"])
        #expect(written.status == 0, "\(written.out)")
        let text = try String(contentsOfFile: dir + "/BENCH.md", encoding: .utf8)
        #expect(text.hasPrefix("# Easel benchmarks\n"))
        #expect(text.contains("\n## Preview pipeline\n") && text.contains(Self.tableHeader))
        #expect(text.components(separatedBy: "## Preview pipeline").count == 2 && !text.contains("stale"))
        #expect(text.contains(other) && !text.contains("old machine"))
    }
}
