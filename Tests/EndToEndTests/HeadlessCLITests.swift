import EaselImaging
import Foundation
import Testing

@Suite("easel generate, without a terminal")
struct HeadlessCLITests {
    @Test func itPrintsTheSavedPathAndWritesTheImage() async throws {
        let gallery = Harness.tempDir("cli")
        let r = await Harness.runAsync([Harness.binary, "generate", "snowy mountains above a pine forest", "--gallery", gallery,
                             "--latency", "0.2", "--poll-interval", "0.2", "--seed", "5", "--width", "320", "--height", "200"])
        #expect(r.status == 0, "\(r.out)")
        let path = try #require(r.out.split(separator: "\n").last.map(String.init))
        #expect(path.hasPrefix(gallery) && path.hasSuffix("_snowy-mountains-above-a-pine-forest_5.png"), "\(r.out)")
        #expect(r.out.contains("easel: processing"))
        let image = try ImageCodec.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(image.width == 320 && image.height == 200)
    }

    @Test(arguments: [("--steps", "-1", "--steps must be within"), ("--width", "-64", "--width and --height must be within"),
                      ("--seed", "-5", "'-5' is invalid for '--seed"), ("--deadline", "-1", "--deadline must be more than 0"),
                      ("--latency", "-5", "--latency must be 0 or more"),
                      // Not finite or past a day: they crashed (SIGILL) where they became a Duration.
                      ("--deadline", "inf", "--deadline must be more than 0 and at most 86400 seconds"),
                      ("--poll-interval", "nan", "--poll-interval must be more than 0 and at most 86400 seconds"),
                      ("--latency", "1e300", "--latency must be 0 or more and at most 86400 seconds")])
    func aNegativeNumberIsCalledOutOfRangeNotMissing(option: String, value: String, message: String) async throws {
        let r = await Harness.runAsync([Harness.binary, "generate", "a fox", option, value, "--gallery", Harness.tempDir("cli-neg")])
        #expect(r.status == 64, "\(r.out)")
        #expect(r.out.contains(message) && !r.out.contains("Missing value"), "\(r.out)")
    }

    @Test func jsonOutputIsOneObjectWithStatusFileSeedAndElapsedTime() async throws {
        let gallery = Harness.tempDir("cli-json")
        let r = await Harness.runAsync([Harness.binary, "generate", "a blue moon", "--gallery", gallery, "--latency", "0.2",
                             "--poll-interval", "0.2", "--seed", "9", "--json"])
        #expect(r.status == 0, "\(r.out)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "completed")
        #expect(object["seed"] as? Int == 9)
        #expect((object["file"] as? String)?.hasPrefix(gallery) == true)
        #expect((object["elapsed_s"] as? Double ?? 0) > 0)
        #expect(object["job_id"] != nil && object["error"] == nil)
    }

    @Test func failuresExitNonZeroWithACategorizedError() async throws {
        let gallery = Harness.tempDir("cli-fail")
        let empty = await Harness.runAsync([Harness.binary, "generate", "   ", "--gallery", gallery, "--json"])
        #expect(empty.status == 2)
        let e = try #require(try JSONSerialization.jsonObject(with: Data(empty.out.utf8)) as? [String: Any])
        #expect((e["error"] as? [String: String])?["category"] == "invalid_prompt")

        let refused = await Harness.runAsync([Harness.binary, "generate", "x", "--server", "http://127.0.0.1:9", "--gallery", gallery, "--json"])
        #expect(refused.status == 1)
        let n = try #require(try JSONSerialization.jsonObject(with: Data(refused.out.utf8)) as? [String: Any])
        #expect((n["error"] as? [String: String])?["category"] == "network")

        let timedOut = await Harness.runAsync([Harness.binary, "generate", "slow", "--latency", "3", "--deadline", "0.5",
                                    "--poll-interval", "0.2", "--gallery", gallery])
        #expect(timedOut.status == 1)
        #expect(timedOut.out.contains("timed out after"), "\(timedOut.out)")
        #expect(Harness.pngs(in: gallery).isEmpty)
    }
}

@Suite("Two Easel processes, one journal")
struct SharedJournalTests {
    @Test func twoProcessesWritingAtOnceLoseNoRowAndReportNoError() async throws {
        let state = Harness.tempDir("shared-state")
        let gallery = Harness.tempDir("shared-gallery")
        let prompts = (1...6).map { "shared \($0)" }
        async let a = Harness.runAsync([Harness.binary, "generate"] + prompts.map { "a " + $0 } + ["--gallery", gallery,
            "--latency", "0", "--poll-interval", "0.05", "--concurrency", "3", "--rate-limit", "100/1s"], env: ["XDG_STATE_HOME": state])
        async let b = Harness.runAsync([Harness.binary, "generate"] + prompts.map { "b " + $0 } + ["--gallery", gallery,
            "--latency", "0", "--poll-interval", "0.05", "--concurrency", "3", "--rate-limit", "100/1s"], env: ["XDG_STATE_HOME": state])
        let (ra, rb) = await (a, b)
        #expect(ra.status == 0 && rb.status == 0, "\(ra.out)\n\(rb.out)")
        #expect(!ra.out.contains("journal") && !rb.out.contains("journal"), "journal errors: \(ra.out) \(rb.out)")
        let history = Harness.run([Harness.binary, "history", "--json", "--limit", "100"], env: ["XDG_STATE_HOME": state])
        let rows = history.out.split(separator: "\n").filter { $0.contains("\"state\":\"complete\"") }
        #expect(rows.count == 12, "\(history.out)")
        #expect(Harness.pngs(in: gallery).count == 12)
    }
}
