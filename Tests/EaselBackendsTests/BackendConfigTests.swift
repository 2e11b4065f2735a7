import EaselApp
import EaselBackends
import EaselCore
import Foundation
import Testing

@Suite("Named backends in the config file")
struct BackendConfigTests {
    @Test func tablesAreReadInFileOrderWithTheirOptions() throws {
        let c = try Config.parse("""
        default_backend = "gpu"

        [backends.gpu]
        kind = "comfyui"
        url = "http://127.0.0.1:8188/"
        workflow = "/etc/easel/flow.json"
        poll_interval = 0.5
        deadline = 600
        concurrency = 2

        [backends.forge]
        kind = "forge"
        api_auth = "me:secret"
        sampler = "DPM++ 2M"
        cfg_scale = 6.5

        [backends.rep]
        kind = "replicate"
        model = "black-forest-labs/flux-schnell"
        api_key_cmd = "pass show replicate"
        """, file: "c.toml")
        #expect(c.backends.map(\.name) == ["gpu", "forge", "rep"])
        #expect(c.defaultBackend == "gpu")
        let gpu = c.backends[0]
        #expect(gpu.kind == .comfyui && gpu.url == "http://127.0.0.1:8188" && gpu.workflow == "/etc/easel/flow.json")
        #expect(gpu.pollInterval == 0.5 && gpu.deadline == 600 && gpu.concurrency == 2)
        let forge = c.backends[1]
        #expect(forge.kind == .a1111 && forge.url == "http://127.0.0.1:7860" && forge.basicAuth == "me:secret")
        #expect(forge.sampler == "DPM++ 2M" && forge.cfgScale == 6.5)
        #expect(c.backends[2].apiKey == .command("pass show replicate"))
        #expect(c.backends[2].url == "https://api.replicate.com")
        #expect(try c.backend(named: nil)?.name == "gpu")
        #expect(try c.backend(named: "rep")?.kind == .replicate)
        #expect(try c.backend(named: "demo")?.kind == .demo)
        #expect(c.warnings.isEmpty)
    }

    @Test func mistakesNameTheFileTheLineAndTheKey() {
        #expect(throws: ConfigError(message: "c.toml:2: backends.gpu.kind: unknown kind \"comfy\"; expected one of demo, jobapi, comfyui, a1111, sdcpp, openai, replicate, fal")) {
            try Config.parse("[backends.gpu]\nkind = \"comfy\"", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:1: backends.gpu.kind: missing; expected one of demo, jobapi, comfyui, a1111, sdcpp, openai, replicate, fal")) {
            try Config.parse("[backends.gpu]\nurl = \"http://x\"", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:3: backends.gpu.url: expected an http:// or https:// URL")) {
            try Config.parse("[backends.gpu]\nkind = \"a1111\"\nurl = \"gpu-box:7860\"", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:4: backends.r.api_key_env: give only one of api_key_env, api_key_cmd and api_key")) {
            try Config.parse("[backends.r]\nkind = \"replicate\"\napi_key = \"k\"\napi_key_env = \"TOKEN\"", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:1: default_backend: no [backends.gpu] table")) {
            try Config.parse("default_backend = \"gpu\"\n[backends.cpu]\nkind = \"sdcpp\"", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "no backend named \"gpx\"; configured: cpu, demo")) {
            try Config.parse("[backends.cpu]\nkind = \"sdcpp\"", file: "c.toml").backend(named: "gpx")
        }
    }

    @Test func aKeyInAFileOthersCanReadIsWarnedAbout() throws {
        let path = NSTemporaryDirectory() + "easel-config-\(UInt32.random(in: .min ... .max)).toml"
        try "[backends.r]\nkind = \"replicate\"\napi_key = \"r8_secret\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        chmod(path, 0o644)
        let open = try Config.load(path)
        #expect(open.warnings.contains { $0.contains("readable by group or others") && $0.contains("chmod 600") })
        #expect(!open.warnings.joined().contains("r8_secret"))
        chmod(path, 0o600)
        #expect(try Config.load(path).warnings.isEmpty)
    }

    @Test func keySourcesResolveWithoutEverShowingTheKey() throws {
        let env = KeySource.environment("EASEL_TEST_TOKEN")
        let key = try env.resolve(environment: ["EASEL_TEST_TOKEN": "tok-123456"])
        #expect(key.bearer == "Bearer tok-123456")
        #expect("\(key)" == "[redacted]" && !String(reflecting: key).contains("tok-123456"))
        #expect(key.redact("echo: tok-123456!") == "echo: [redacted]!")
        #expect(throws: JobError.unauthorized("no API key: environment variable EASEL_TEST_TOKEN is not set")) {
            try env.resolve(environment: [:])
        }
        let cmd = try KeySource.command("printf 'from-cmd-9876\\nsecond line'").resolve()
        #expect(cmd.secret == "from-cmd-9876")
        #expect(throws: JobError.unauthorized("no API key: the command in api_key_cmd failed or printed nothing")) {
            try KeySource.command("exit 3").resolve()
        }
    }
}
