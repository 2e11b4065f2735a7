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
    ]

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
        defer { Task { await fake.stop() } }
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

    @Test(arguments: FakeBackendCase.all)
    func backendsCommandReportsTheFakeHealthy(_ c: FakeBackendCase) async throws {
        let (config, fake) = try await c.start()
        defer { Task { await fake.stop() } }
        let r = await Harness.runAsync([Harness.binary, "backends", "--config", config], env: c.env)
        #expect(r.status == 0, "\(c.kind): \(r.out)")
        #expect(r.out.contains("✓ fake") && r.out.contains("\(c.kind) at http://127.0.0.1:"), "\(r.out)")
        #expect(r.out.contains("✓ demo"))
    }

    @Test(arguments: FakeBackendCase.all)
    func theStudioDrivesTheFakeAndF3SwitchesToTheDemo(_ c: FakeBackendCase) async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let (config, fake) = try await c.start()
        defer { Task { await fake.stop() } }
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

    private func jpegsAndWebPs(in dir: String) -> Int {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".webp") }.count
    }
}
