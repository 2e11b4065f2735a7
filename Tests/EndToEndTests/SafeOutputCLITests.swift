import FakeServices
import Foundation
import Testing

/// Machine output is safe to print (issue 19, item 6): `--json` from `generate`, `history` and `backends`
/// escapes every control character, C1 (U+0080–U+009F) included, and `easel backends` names where a key
/// comes from without printing the text of `api_key_cmd`.
@Suite("Safe machine output: C1 escaped in --json, api_key_cmd never printed", .serialized)
struct SafeOutputCLITests {
    private static let env = ["EASEL_E2E_KEY": FakeOpenAIImages.defaultKey]

    private func config(_ fake: FakeOpenAIImages, model: String) async throws -> String {
        let path = Harness.tempDir("safe-cfg") + "/config.toml"
        let text = """
        [backends.hosted]
        kind = "openai"
        url = "\(await fake.baseURL)"
        model = "\(model)"
        api_key_env = "EASEL_E2E_KEY"
        """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    @Test func historyAndBackendsJSONEscapeC1AndBackendsNeverPrintsTheKeyCommand() async throws {
        try await withStarted(FakeOpenAIImages()) { fake in
            let state = Harness.tempDir("safe-c1-state")
            var env = Self.env
            env["XDG_STATE_HOME"] = state
            let cfg = try await config(fake, model: "gpt-image-1\u{9B}31m")
            let prompt = "red \u{9B}31m text \u{85} and \u{1B}[2J"
            let gen = await Harness.runAsync([Harness.binary, "generate", "--config", cfg, "--backend", "hosted", "--gallery",
                                              Harness.tempDir("safe-c1"), "--json", prompt], env: env)
            let history = await Harness.runAsync([Harness.binary, "history", "--json", "--state-dir", state + "/easel"], env: env)
            #expect(history.out.contains("\\u009b31m text \\u0085"), "\(history.out)")
            let keyed = try await config(fake, model: "gpt-image-1\u{9B}31m")
            let text = try String(contentsOfFile: keyed, encoding: .utf8)
                .replacingOccurrences(of: "api_key_env = \"EASEL_E2E_KEY\"", with: "api_key_cmd = \"printf '%s' sk-secret-in-the-command\"")
            try text.write(toFile: keyed, atomically: true, encoding: .utf8)
            let backends = await Harness.runAsync([Harness.binary, "backends", "--config", keyed, "--json", "--offline"], env: env)
            let plain = await Harness.runAsync([Harness.binary, "backends", "--config", keyed, "--offline"], env: env)
            #expect(backends.out.contains("\"auth\":\"key from the command in api_key_cmd\""), "\(backends.out)")
            #expect(plain.out.contains("auth: key from the command in api_key_cmd"), "\(plain.out)")
            for out in [gen.out, history.out, backends.out, plain.out] {
                #expect(!out.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0.value == 0x1B }, "raw control in \(out.debugDescription)")
                #expect(!out.contains("sk-secret-in-the-command") && !out.contains("printf"), "\(out)")
            }
            #expect(backends.out.contains("gpt-image-1\\u009b31m"), "\(backends.out)")
        }
    }

    @Test func aServerSuppliedJobIDWithCSIIsEscapedInGenerateJSON() async throws {
        try await withStarted(FakeJobAPI(idPrefix: "job-\u{9B}31m-\u{1B}]0;x\u{07}-")) { fake in
            let r = await Harness.runAsync([Harness.binary, "generate", "--server", await fake.baseURL, "--gallery", Harness.tempDir("safe-id"),
                                            "--json", "a harbour"])
            let line = try #require(r.out.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init), "\(r.out)")
            #expect(line.lowercased().contains("\"job_id\":\"job-\\u009b31m-\\u001b]0;x\\u0007-1\""), "\(line)")
            #expect(!r.out.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0.value < 0x20 && $0 != "\n" }, "\(r.out.debugDescription)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["job_id"] as? String == "job-\u{9B}31m-\u{1B}]0;x\u{07}-1", "the escapes keep the meaning")
        }
    }
}
