import EaselImaging
import Foundation
import Testing

@Suite("easel generate --from IMAGE and the [gallery] config")
struct GenerateFromImageTests {
    /// A PNG as AUTOMATIC1111 writes it: only the `parameters` chunk, a two-line prompt.
    func a1111PNG(in dir: String, size: String = "320x192") throws -> String {
        let text = "a lighthouse at dusk,\noil painting\nNegative prompt: fog, \"haze\"\nSteps: 12, Sampler: \"DPM++ 2M, Karras\", CFG scale: 7, Seed: 4242, Size: \(size)"
        let png = try ImageCodec.encodePNG(RGBAImage(width: 2, height: 2, pixels: [UInt8](repeating: 90, count: 16)),
                                           text: [PNGText(key: "parameters", text: text, international: false)])
        let path = dir + "/from-a1111.png"
        _ = FileManager.default.createFile(atPath: path, contents: Data(png))
        return path
    }

    @Test func aRerunFromAnA1111ImageUsesItsPromptSeedSizeAndStepsAndTheConfiguredTemplate() async throws {
        let dir = Harness.tempDir("cli-from")
        let source = try a1111PNG(in: dir)
        let config = dir + "/config.toml"
        try """
        [gallery]
        dir = "\(dir)/pictures"
        template = "{seed}/{prompt_slug}_{width}x{height}.{ext}"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = await Harness.runAsync([Harness.binary, "generate", "--from", source, "--config", config, "--latency", "0.2",
                                        "--poll-interval", "0.2", "--json"], env: ["XDG_CONFIG_HOME": dir])
        #expect(r.status == 0, "\(r.out)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], "\(r.out)")
        #expect(object["seed"] as? Int == 4242)
        let file = try #require(object["file"] as? String)
        #expect(file == dir + "/pictures/4242/a-lighthouse-at-dusk-oil-painting_320x192.png")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(try ImageCodec.decode(bytes).width == 320)
        let parameters = try #require(ImageCodec.pngText(bytes, key: "parameters"))
        #expect(parameters.hasPrefix("a lighthouse at dusk,\noil painting\nNegative prompt: fog, \"haze\"\nSteps: 12, Seed: 4242, Size: 320x192"),
                "\(parameters)")
    }

    @Test func aSeedOnTheCommandLineReplacesTheImages() async throws {
        let dir = Harness.tempDir("cli-from-seed")
        let source = try a1111PNG(in: dir)
        let r = await Harness.runAsync([Harness.binary, "generate", "--from", source, "--seed", "7", "--gallery", dir + "/g",
                                        "--latency", "0.2", "--poll-interval", "0.2"], env: ["XDG_CONFIG_HOME": dir])
        #expect(r.status == 0, "\(r.out)")
        #expect(r.out.split(separator: "\n").last?.hasSuffix("_a-lighthouse-at-dusk-oil-painting_7.png") == true, "\(r.out)")
    }

    @Test func aMissingOrParameterlessImageAndABadTemplateAreCategorizedErrors() async throws {
        let dir = Harness.tempDir("cli-from-bad")
        _ = FileManager.default.createFile(atPath: dir + "/text.png", contents: Data("not an image".utf8))
        for (name, category) in [("missing.png", "storage"), ("text.png", "bad_response")] {
            let r = await Harness.runAsync([Harness.binary, "generate", "--from", dir + "/" + name, "--gallery", dir, "--json"],
                                           env: ["XDG_CONFIG_HOME": dir])
            #expect(r.status == 2, "\(r.out)")
            let e = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], "\(r.out)")
            #expect((e["error"] as? [String: String])?["category"] == category, "\(r.out)")
            #expect((e["error"] as? [String: String])?["message"]?.contains(name) == true, "\(r.out)")
        }
        try "[gallery]\ntemplate = \"{date}/{nope}.{ext}\"\n".write(toFile: dir + "/bad.toml", atomically: true, encoding: .utf8)
        let bad = await Harness.runAsync([Harness.binary, "generate", "x", "--config", dir + "/bad.toml", "--gallery", dir],
                                         env: ["XDG_CONFIG_HOME": dir])
        #expect(bad.status == 1)
        #expect(bad.out.contains("gallery.template") && bad.out.contains("unknown token {nope}"), "\(bad.out)")
        #expect(Harness.pngs(in: dir) == [dir + "/text.png"])          // nothing was generated
    }

    /// An image whose size Easel cannot make, and an empty stdin, are refused prompts: exit 2 and, with --json,
    /// one error object on stdout (they were plain text on stderr).
    @Test func anOutOfRangeImageAndNoPromptsAreJSONWithJSON() async throws {
        let dir = Harness.tempDir("cli-from-range")
        let source = try a1111PNG(in: dir, size: "4096x512")
        let runs = [
            await Harness.runAsync([Harness.binary, "generate", "--from", source, "--gallery", dir + "/g", "--json"], env: ["XDG_CONFIG_HOME": dir]),
            await Harness.runAsync([Harness.binary, "generate", "-", "--gallery", dir + "/g", "--json"], env: ["XDG_CONFIG_HOME": dir]),  // stdin: /dev/null
        ]
        for (r, says) in zip(runs, ["size 4096x512 is outside 64...2048", "no prompts (stdin was empty)"]) {
            #expect(r.status == 2, "\(r.out)")
            let e = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], "\(r.out)")
            #expect((e["error"] as? [String: String])?["category"] == "invalid_prompt", "\(r.out)")
            #expect((e["error"] as? [String: String])?["message"]?.hasSuffix(says) == true, "\(r.out)")
        }
        #expect(Harness.pngs(in: dir + "/g").isEmpty)
    }
}
