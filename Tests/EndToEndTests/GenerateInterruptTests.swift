import Foundation
import FakeServices
import Testing

/// A child process whose stdout and stderr go to files, signalled and awaited by the test.
final class Spawned: @unchecked Sendable {
    let pid: pid_t
    let outPath: String, errPath: String

    init(_ args: [String], env: [String: String] = [:]) throws {
        let dir = Harness.tempDir("spawn")
        outPath = dir + "/out.txt"
        errPath = dir + "/err.txt"
        guard let pid = Harness.spawn(args, env: env, stdout: outPath, stderr: errPath) else { throw POSIXError(.ENOENT) }
        self.pid = pid
    }

    var out: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var err: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// The exit status (128 + signal when killed), waited for on a thread of its own.
    func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread {
                var status: Int32 = 0
                while waitpid(self.pid, &status, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
            }.start()
        }
    }

    /// Kills and reaps the process (for the server a test started).
    func stop() async {
        kill(pid, SIGKILL)
        _ = await exitStatus()
    }
}

/// `easel generate` against an external `easel serve` (the real binary, twice): C-c and SIGTERM
/// cancel every unfinished job on the service and print one line per job; a run whose every submit
/// meets a 429 ends by its --deadline and reports every wait on stderr.
@Suite("easel generate: interrupted, or refused with 429 every time")
struct GenerateInterruptTests {
    /// Starts `easel serve` on a free port and returns it with its base URL.
    func serve(_ extra: [String]) async throws -> (Spawned, String) {
        let server = try Spawned([Harness.binary, "serve", "--port", "0"] + extra)
        var url: String?
        _ = await Harness.waitUntil(.seconds(30)) {
            url = server.out.split(separator: "\n").first { $0.hasPrefix("easel serve: listening on ") }
                .flatMap { $0.split(separator: " ").dropFirst(4).first.map(String.init) }
            return url != nil
        }
        guard let url else {
            await server.stop()
            throw POSIXError(.ETIMEDOUT)
        }
        return (server, url)
    }

    static func objects(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test(arguments: [(SIGINT, true), (SIGTERM, false)])
    func aSignalCancelsEveryUnfinishedJobOnTheServiceAndPrintsALineForEach(signal: Int32, json: Bool) async throws {
        let (server, url) = try await serve(["--latency", "600", "--rate-limit", "100/1s"])
        try await withTeardown({ await server.stop() }) {
            let gallery = Harness.tempDir("interrupt-gallery")
            let generate = try Spawned([Harness.binary, "generate", "first", "second", "third", "--server", url, "--gallery", gallery,
                                        "--concurrency", "2", "--poll-interval", "0.2"] + (json ? ["--json"] : []))
            // Both running jobs accepted by the server (its log), the third still waiting for a slot.
            let accepted = await Harness.waitUntil(.seconds(30)) { server.err.components(separatedBy: "POST /api/generate").count - 1 == 2 }
            #expect(accepted, "server log: \(server.err)")
            await Harness.pause(0.5)                  // the submits' answers reach the client
            kill(generate.pid, signal)
            let status = await generate.exitStatus()
            #expect(status == 128 + signal, "stderr: \(generate.err)")

            let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
            let lines: [String]
            if json {
                let objects = Self.objects(generate.out)
                #expect(objects.count == 3, "stdout: \(generate.out)")
                #expect(objects.allSatisfy { $0["status"] as? String == "canceled" && $0["signal"] as? String == name })
                lines = objects.compactMap { ($0["error"] as? [String: Any])?["message"] as? String }
            } else {
                #expect(generate.out.isEmpty)
                lines = generate.err.split(separator: "\n").map(String.init).filter { $0.contains("interrupted by \(name)") }
            }
            #expect(lines.count == 3, "\(lines)")
            #expect(lines.filter { $0.contains("canceled on the service") }.count == 2, "\(lines)")
            #expect(lines.filter { $0.contains("before the service accepted it") }.count == 1, "\(lines)")
            // The server heard both cancels: its worker is free, no job is left running there.
            let canceled = await Harness.waitUntil(.seconds(10)) { server.err.components(separatedBy: "event=canceled").count - 1 == 2 }
            #expect(canceled, "server log: \(server.err)")
            #expect(Harness.pngs(in: gallery).isEmpty)
        }
    }

    @Test func aDeadlineEndsARunWhoseEverySubmitMeetsA429AndEveryWaitIsReported() async throws {
        let (server, url) = try await serve(["--fault", "429-no-retry-after"])
        try await withTeardown({ await server.stop() }) {
            let generate = try Spawned([Harness.binary, "generate", "refused", "--server", url, "--deadline", "8", "--json",
                                        "--gallery", Harness.tempDir("refused-gallery")])
            let started = ContinuousClock.now
            let status = await generate.exitStatus()
            let took = ContinuousClock.now - started
            #expect(status == 1, "stderr: \(generate.err)")
            #expect(took < .seconds(20), "took \(took)")
            let objects = Self.objects(generate.out)
            #expect(objects.count == 1, "stdout: \(generate.out)")
            #expect((objects.first?["error"] as? [String: Any])?["category"] as? String == "rate_limited")
            // stderr is a file here, not a terminal: each wait still has its line, one per refused submit but the last.
            let waits = generate.err.split(separator: "\n").filter { $0.contains("rate limited (429") }
            let refused = server.err.components(separatedBy: #"fault=429-no-retry-after request="POST /api/generate""#).count - 1
            #expect(refused >= 2, "server log: \(server.err)")
            #expect(waits.count == refused - 1, "stderr: \(generate.err)")
            // Backed off: the second wait is longer than the first one's shortest possible value doubled… at least not flat.
            #expect(refused <= 4, "\(refused) submits in 8 s: no back-off")
        }
    }

    @Test func theHelpSaysWhatASignalDoesToUnfinishedJobs() async throws {
        let help = await Harness.runAsync([Harness.binary, "generate", "--help"])
        let text = help.out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("C-c or SIGTERM cancels every unfinished job, on the service too"), "\(help.out)")
        #expect(text.contains("nothing is left to resume"))
        #expect(text.contains("every such wait is reported on stderr, with --json too"))
    }
}
