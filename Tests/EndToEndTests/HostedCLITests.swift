import EaselImaging
import FakeServices
import Foundation
import Testing

/// Issue 19 as a user meets it on the command line: `easel generate` on an OpenAI-compatible backend with
/// nothing but a key and a model works with default settings; several images per request are all saved;
/// a 200 that is a refusal saves nothing.
@Suite("Hosted services from the command line: default sizes, several images, refusals", .serialized)
struct HostedCLITests {
    private func config(_ fake: FakeOpenAIImages, model: String, extra: String = "") async throws -> String {
        let path = Harness.tempDir("hosted-cfg") + "/config.toml"
        let text = """
        [backends.hosted]
        kind = "openai"
        url = "\(await fake.baseURL)"
        model = "\(model)"
        api_key_env = "EASEL_E2E_KEY"
        \(extra)
        """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    private static let env = ["EASEL_E2E_KEY": FakeOpenAIImages.defaultKey]

    private func json(_ out: String) throws -> [[String: Any]] {
        try out.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test(arguments: ["gpt-image-1", "dall-e-3", "dall-e-2"])
    func generateWithDefaultSettingsSucceedsAndRecordsTheSizeMade(_ model: String) async throws {
        try await withStarted(FakeOpenAIImages()) { fake in
            let gallery = Harness.tempDir("hosted-\(model)")
            let r = await Harness.runAsync([Harness.binary, "generate", "--config", try await config(fake, model: model), "--backend", "hosted",
                                            "--gallery", gallery, "--json", "a lighthouse at dusk"], env: Self.env)
            #expect(r.status == 0, "\(model): \(r.out)")
            #expect(r.out.contains("\(model) does not make 768x768: sending 1024x1024"), "\(r.out)")
            let object = try #require(try json(r.out).last)
            #expect(object["status"] as? String == "completed" && object["size"] as? String == "1024x1024", "\(object)")
            let file = try #require(object["file"] as? String)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(try ImageCodec.dimensions(of: bytes).width == 1024)
            let parameters = try #require(ImageCodec.pngText(bytes, key: "parameters"))
            #expect(parameters.contains("Size: 1024x1024") && parameters.contains("Model: \(model)"), "\(parameters)")
            let sent = await fake.log.last { $0.method == "POST" }.flatMap { Fake.object($0.body) }
            #expect(sent?["size"] as? String == "1024x1024")
        }
    }

    @Test func everyImageOfARequestIsSavedWithItsOwnMetadataAndTheJobCountsThem() async throws {
        try await withStarted(FakeOpenAIImages()) { fake in
            let gallery = Harness.tempDir("hosted-many")
            let cfg = try await config(fake, model: "gpt-image-1")
            let r = await Harness.runAsync([Harness.binary, "generate", "--config", cfg, "--backend", "hosted", "--gallery", gallery,
                                            "--seed", "40", "--json", "three foxes [[n=3]]"], env: Self.env)
            #expect(r.status == 0, "\(r.out)")
            let object = try #require(try json(r.out).last)
            #expect(object["images"] as? Int == 3, "\(object)")
            let files = try #require(object["files"] as? [String])
            #expect(Set(files).count == 3 && Set(files) == Set(Harness.pngs(in: gallery)), "\(files) vs \(Harness.pngs(in: gallery))")
            for file in files {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
                let easel = try #require(ImageCodec.pngText(bytes, key: "easel"))
                #expect(easel.contains("\"prompt\":\"three foxes [[n=3]]\"") && easel.contains("\"model\":\"gpt-image-1\""), "\(easel)")
            }
            // Without --json: one path per line.
            let plain = await Harness.runAsync([Harness.binary, "generate", "--config", cfg, "--backend", "hosted", "--gallery", gallery,
                                                "two foxes [[n=2]]"], env: Self.env)
            #expect(plain.status == 0 && plain.out.split(separator: "\n").filter { $0.hasPrefix(gallery) }.count == 2, "\(plain.out)")
        }
    }

    @Test func aFilteredAnswerFailsAsPolicyAndSavesNothing() async throws {
        try await withStarted(FakeOpenAIImages()) { fake in
            let gallery = Harness.tempDir("hosted-filtered")
            let r = await Harness.runAsync([Harness.binary, "generate", "--config", try await config(fake, model: "dall-e-3"), "--backend", "hosted",
                                            "--gallery", gallery, "--json", "x [[filtered]]"], env: Self.env)
            #expect(r.status == 2, "a refused prompt exits 2 (README): \(r.out)")
            let error = try #require(try json(r.out).last?["error"] as? [String: Any])
            #expect(error["category"] as? String == "invalid_prompt", "\(error)")
            #expect((error["message"] as? String)?.contains("content policy") == true)
            #expect(Harness.pngs(in: gallery).isEmpty)
        }
    }
}
