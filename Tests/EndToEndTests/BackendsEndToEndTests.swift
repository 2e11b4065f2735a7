import EaselImaging
import FakeServices
import Foundation
import Testing

/// One backend kind with its fake service, for driving the real binary against it over loopback.
struct FakeBackendCase: Sendable, CustomTestStringConvertible {
    let kind: String
    let makeFake: @Sendable () -> any FakeService
    /// Extra `key = value` lines for the `[backends.NAME]` table (model, api_key_env, …).
    var extraConfig: [String] = []
    /// Environment for the child (API keys).
    var env: [String: String] = [:]
    var testDescription: String { kind }

    static let all: [FakeBackendCase] = [
        FakeBackendCase(kind: "jobapi", makeFake: { FakeJobAPI() }),
        FakeBackendCase(kind: "comfyui", makeFake: { FakeComfyUI() }),
        FakeBackendCase(kind: "a1111", makeFake: { FakeA1111() }),
        FakeBackendCase(kind: "sdcpp", makeFake: { FakeSDCpp() }),
        FakeBackendCase(kind: "openai", makeFake: { FakeOpenAIImages() }, extraConfig: ["api_key_env = \"EASEL_E2E_KEY\""],
                        env: ["EASEL_E2E_KEY": FakeOpenAIImages.defaultKey]),
        FakeBackendCase(kind: "replicate", makeFake: { FakeReplicate() },
                        extraConfig: ["model = \"black-forest-labs/flux-schnell\"", "api_key_cmd = \"printf '%s' \\\"$EASEL_E2E_KEY\\\"\""],
                        env: ["EASEL_E2E_KEY": FakeReplicate.defaultKey]),
        FakeBackendCase(kind: "fal", makeFake: { FakeFal() }, extraConfig: ["model = \"fal-ai/flux/dev\"", "api_key_env = \"EASEL_E2E_KEY\""],
                        env: ["EASEL_E2E_KEY": FakeFal.defaultKey]),
    ]

    /// The hosted services, whose keys must never leak.
    static var keyed: [FakeBackendCase] { all.filter { $0.env["EASEL_E2E_KEY"] != nil } }

    /// Starts the fake and writes a config file naming it `[backends.fake]`; returns the file and the fake.
    func start(extra: String = "") async throws -> (config: String, fake: any FakeService) {
        let fake = makeFake()
        try await fake.start()
        let dir = Harness.tempDir("cfg-\(kind)")
        let text = """
        [backends.fake]
        kind = "\(kind)"
        url = "\(await fake.baseURL)"
        poll_interval = 0.2
        \(extraConfig.joined(separator: "\n"))
        \(extra)
        """
        let path = dir + "/config.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return (path, fake)
    }
}

@Suite("The real binary against every backend's fake service over loopback", .serialized)
struct BackendsEndToEndTests {
    @Test(arguments: FakeBackendCase.all)
    func generateWithBackendName(_ c: FakeBackendCase) async throws {
        let (config, fake) = try await c.start()
        try await withTeardown({ await fake.stop() }) {
            let gallery = Harness.tempDir("gen-\(c.kind)")
            let r = await Harness.runAsync([Harness.binary, "generate", "--config", config, "--backend", "fake", "--gallery", gallery,
                                            "--seed", "31", "--width", "256", "--height", "192", "--steps", "5", "--json",
                                            "a harbour at dawn"], env: c.env)
            #expect(r.status == 0, "\(c.kind): \(r.out)")
            let line = try #require(r.out.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init), "\(r.out)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["status"] as? String == "completed", "\(c.kind): \(line)")
            let file = try #require(object["file"] as? String)
            #expect(file.hasPrefix(gallery))
            let size = try ImageCodec.dimensions(of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
            #expect(size.width == 256 && size.height == 192)
            let got = try #require(await fake.received.last)
            #expect(got.prompt == "a harbour at dawn" && got.seed == 31 && got.steps == 5)
        }
    }

    @Test(arguments: FakeBackendCase.all)
    func backendsCommandReportsTheFakeHealthy(_ c: FakeBackendCase) async throws {
        let (config, fake) = try await c.start()
        try await withTeardown({ await fake.stop() }) {
            let r = await Harness.runAsync([Harness.binary, "backends", "--config", config], env: c.env)
            #expect(r.status == 0, "\(c.kind): \(r.out)")
            #expect(r.out.contains("✓ fake") && r.out.contains("\(c.kind) at http://127.0.0.1:"), "\(r.out)")
            #expect(r.out.contains("✓ demo"))
        }
    }

    @Test(arguments: FakeBackendCase.all)
    func theStudioDrivesTheFakeAndF3SwitchesToTheDemo(_ c: FakeBackendCase) async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let (config, fake) = try await c.start()
        try await withTeardown({ await fake.stop() }) {
            let gallery = Harness.tempDir("tui-\(c.kind)")
            let tmux = Tmux()
            defer { tmux.kill() }
            let env = c.env.map { "\($0)=\($1)" }.joined(separator: " ")
            #expect(tmux.start("env TERM=tmux-256color \(env) \(Harness.binary) --config \(config) --backend fake --gallery \(gallery) --graphics none --probe-timeout 0.2 --latency 0.3; sleep 30"))
            #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("fake — \(c.kind) at") }, "\(tmux.capture())")
            tmux.literal("a quiet lake")
            tmux.keys("Enter")
            #expect(await Harness.waitUntil(.seconds(30)) { tmux.capture().contains("Saved ") }, "\(c.kind): \(tmux.capture())")
            #expect(await fake.received.last?.prompt == "a quiet lake")
            #expect(Harness.pngs(in: gallery).count + jpegsAndWebPs(in: gallery) == 1)

            tmux.keys("F3")
            #expect(await Harness.waitUntil(.seconds(5)) { tmux.capture().contains("demo backend — procedural, offline") }, "\(tmux.capture())")
            tmux.keys("Enter")
            #expect(await Harness.waitUntil(.seconds(30)) { Harness.pngs(in: gallery).count + jpegsAndWebPs(in: gallery) == 2 }, "\(tmux.capture())")
            #expect(await fake.received.count == 1, "the second job went to the demo, not the fake")
            tmux.keys("C-c")
        }
    }

    private func jpegsAndWebPs(in dir: String) -> Int {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".webp") }.count
    }

    /// Every file under `dir` (journal, WAL, images, sidecars) as bytes.
    private func filesContain(_ needle: String, under dir: String) -> [String] {
        let bytes = Array(needle.utf8)
        return (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { name in
            guard let data = FileManager.default.contents(atPath: dir + "/" + name) else { return false }
            return [UInt8](data).firstRange(of: bytes) != nil
        }
    }

    @Test(arguments: FakeBackendCase.keyed)
    func theKeyIsSentButAppearsNowhereElse(_ c: FakeBackendCase) async throws {
        let key = try #require(c.env["EASEL_E2E_KEY"])
        let (config, fake) = try await c.start()
        try await withTeardown({ await fake.stop() }) {
            let gallery = Harness.tempDir("key-\(c.kind)"), state = Harness.tempDir("key-state")
            var env = c.env
            env["XDG_STATE_HOME"] = state
            let r = await Harness.runAsync([Harness.binary, "generate", "--config", config, "--backend", "fake", "--gallery", gallery,
                                            "--json", "a fox in the snow"], env: env)
            #expect(r.status == 0, "\(c.kind): \(r.out)")
            // Sent, in the header the service expects.
            let log = await fake.log
            #expect(log.contains { ($0.headers["authorization"] ?? "").hasSuffix(key) }, "\(c.kind): no request carried the key")
            // And nowhere else: output, journal (with its WAL), saved image and sidecars.
            #expect(!r.out.contains(key), "\(c.kind): key in the output")
            #expect(filesContain(key, under: state).isEmpty, "\(c.kind): key in \(filesContain(key, under: state))")
            #expect(filesContain(key, under: gallery).isEmpty, "\(c.kind): key in \(filesContain(key, under: gallery))")
            #expect(!Harness.pngs(in: gallery).isEmpty || r.out.contains("\"file\""))

            // A refused key: categorized, naming its source, never echoing the key (the fake echoes it back).
            try await withStarted(Self.refusingFake(c.kind)) { refusing in
                let text = try String(contentsOfFile: config, encoding: .utf8)
                    .replacingOccurrences(of: await fake.baseURL, with: await refusing.baseURL)
                let config2 = config + ".refused.toml"
                try text.write(toFile: config2, atomically: true, encoding: .utf8)
                let denied = await Harness.runAsync([Harness.binary, "generate", "--config", config2, "--backend", "fake", "--gallery", gallery,
                                                     "--json", "a fox in the snow"], env: env)
                #expect(denied.status == 1, "\(c.kind): \(denied.out)")
                #expect(denied.out.contains("\"category\":\"unauthorized\""), "\(c.kind): \(denied.out)")
                #expect(denied.out.contains(c.kind == "replicate" ? "command" : "environment variable EASEL_E2E_KEY"), "\(c.kind): \(denied.out)")
                #expect(!denied.out.contains(key), "\(c.kind): key echoed: \(denied.out)")
                #expect(filesContain(key, under: state).isEmpty)

                // On screen too: the studio's failure message and history never show it.
                try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
                let tmux = Tmux(stateHome: state)
                defer { tmux.kill() }
                let vars = c.env.map { "\($0)=\($1)" }.joined(separator: " ")
                #expect(tmux.start("env TERM=tmux-256color \(vars) \(Harness.binary) --config \(config2) --backend fake --gallery \(gallery) --graphics none --probe-timeout 0.2; sleep 30"))
                #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") }, "\(tmux.capture())")
                tmux.literal("a fox in the snow")
                tmux.keys("Enter")
                #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("unauthorized") }, "\(c.kind): \(tmux.capture())")
                #expect(!tmux.capture().contains(key))
                #expect(!tmux.capture().contains(String(key.suffix(12))))
                tmux.keys("C-c")
            }
        }
    }

    /// A fake of the same service that expects another key and echoes the one it got in its 401.
    static func refusingFake(_ kind: String) -> any FakeService {
        switch kind {
        case "openai": FakeOpenAIImages(expectedKey: "sk-some-other-key-000000", echoesKey: true)
        case "replicate": FakeReplicate(expectedKey: "r8_some_other_key_000000", echoesKey: true)
        default: FakeFal(expectedKey: "fal-other:key-000000", echoesKey: true)
        }
    }
}
