@testable import EaselBackends
import EaselCore
import EaselHTTP
import FakeServices
import Foundation
import Testing

/// One hosted service for the key tests: its fake (given the key it accepts and whether it echoes the
/// key it got) and its adapter (given the fake's URL, the key's source and the environment `api_key_env` reads).
struct HostedService: Sendable, CustomTestStringConvertible {
    let name: String
    /// `Authorization` value for a key: "Bearer …" or "Key …".
    let header: @Sendable (String) -> String
    let makeFake: @Sendable (_ expectedKey: String, _ echoesKey: Bool) -> any FakeService
    let makeBackend: @Sendable (_ url: String, _ key: KeySource?, _ environment: [String: String]) throws -> any GenerationBackend
    var testDescription: String { name }

    static let all: [HostedService] = [
        HostedService(name: "openai", header: { "Bearer " + $0 },
                      makeFake: { FakeOpenAIImages(expectedKey: $0, echoesKey: $1) },
                      makeBackend: { OpenAIImagesBackend(options: HostedRig.options(.openai, $0, key: $1, model: "gpt-image-1", environment: $2), http: HostedRig.http()) }),
        HostedService(name: "replicate", header: { "Bearer " + $0 },
                      makeFake: { FakeReplicate(expectedKey: $0, echoesKey: $1) },
                      makeBackend: { try ReplicateBackend(options: HostedRig.options(.replicate, $0, key: $1, model: "black-forest-labs/flux-schnell", environment: $2), http: HostedRig.http()) }),
        HostedService(name: "fal", header: { "Key " + $0 },
                      makeFake: { FakeFal(expectedKey: $0, echoesKey: $1) },
                      makeBackend: { try FalBackend(options: HostedRig.options(.fal, $0, key: $1, model: "fal-ai/flux/schnell", environment: $2), http: HostedRig.http()) }),
    ]
}

/// A fresh environment variable name, and an environment where it holds `value` (unset when nil), for the
/// adapter to read instead of this process's: no `setenv` while other tests run.
private func environmentVariable(_ value: String?) -> (name: String, environment: [String: String]) {
    let name = "EASEL_TEST_KEY_\(UInt32.random(in: .min ... .max))"
    return (name, value.map { [name: $0] } ?? [:])
}

/// Requests that reached a service route (not the key-less image files).
private func serviceRequests(_ fake: any FakeService) async -> [FakeRequest] {
    await fake.log.filter { !$0.path.hasPrefix("/files/") && !$0.path.hasPrefix("/generated-images/") }
}

@Suite("API keys: from env and command, sent in the header, never shown")
struct APIKeyTests {
    @Test(arguments: HostedService.all)
    func aKeyFromAnEnvironmentVariableIsSentInTheHeader(_ s: HostedService) async throws {
        let secret = "env-\(s.name)-secret-\(UInt32.random(in: .min ... .max))"
        let fake = s.makeFake(secret, false)
        try await HostedRig.with(fake) { fake in
            let variable = environmentVariable(secret)
            let api = try s.makeBackend(await fake.baseURL, .environment(variable.name), variable.environment)
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed = seen.last else { Issue.record("\(s.name): \(seen)"); return }
            let requests = await serviceRequests(fake)
            #expect(!requests.isEmpty)
            #expect(requests.allSatisfy { $0.headers["authorization"] == s.header(secret) })
        }
    }

    @Test(arguments: HostedService.all)
    func aKeyFromACommandIsSentAndTheCommandRunsOnce(_ s: HostedService) async throws {
        let secret = "cmd-\(s.name)-secret-\(UInt32.random(in: .min ... .max))"
        let counter = NSTemporaryDirectory() + "easel-key-runs-\(UInt32.random(in: .min ... .max))"
        defer { try? FileManager.default.removeItem(atPath: counter) }
        try await HostedRig.with(s.makeFake(secret, false)) { fake in
            let api = try s.makeBackend(await fake.baseURL, .command("echo run >> '\(counter)'; printf '%s\\n' '\(secret)'"), [:])
            async let a = HostedRig.run(api, HostedRig.request("one"))
            async let b = HostedRig.run(api, HostedRig.request("two"))
            let (first, second) = try await (a, b)
            for (_, seen) in [first, second] { guard case .completed = seen.last else { Issue.record("\(s.name): \(seen)"); return } }
            #expect(await api.health().ok)
            #expect(await serviceRequests(fake).allSatisfy { $0.headers["authorization"] == s.header(secret) })
        }
        let runs = (try? String(contentsOfFile: counter, encoding: .utf8)) ?? ""
        #expect(runs == "run\n", "\(s.name): the key command ran \(runs.split(separator: "\n").count) times")
    }

    @Test(arguments: HostedService.all)
    func aWrongKeyIsUnauthorizedNamingTheSource(_ s: HostedService) async throws {
        try await HostedRig.with(s.makeFake("the-right-key-0123456789", false)) { fake in
            let (variable, environment) = environmentVariable("a-wrong-key-9876543210")
            let api = try s.makeBackend(await fake.baseURL, .environment(variable), environment)
            let error = await HostedRig.error { _ = try await HostedRig.run(api, HostedRig.request()) }
            guard case .unauthorized(let why) = error else { Issue.record("\(s.name): \(String(describing: error))"); return }
            #expect(why.hasSuffix("(key from environment variable \(variable))"), "\(s.name): \(why)")
            #expect(error?.kind == "unauthorized" && error?.isRetryable == false)
            let health = await api.health()
            #expect(!health.ok && health.detail.contains("environment variable \(variable)"), "\(s.name): \(health.detail)")
        }
    }

    @Test(arguments: HostedService.all)
    func aMissingKeyIsUnauthorizedNamingTheSourceAndSendsNothing(_ s: HostedService) async throws {
        try await HostedRig.with(s.makeFake("k", false)) { fake in
            let (variable, environment) = environmentVariable(nil)
            let unset = try s.makeBackend(await fake.baseURL, .environment(variable), environment)
            #expect(await HostedRig.error { _ = try await unset.submit(HostedRig.request()) }
                    == .unauthorized("no API key: environment variable \(variable) is not set"))
            let failing = try s.makeBackend(await fake.baseURL, .command("exit 3"), [:])
            #expect(await HostedRig.error { _ = try await failing.submit(HostedRig.request()) }
                    == .unauthorized("no API key: the command in api_key_cmd failed or printed nothing"))
            #expect(await fake.log.isEmpty, "\(s.name): a request went out without a key")
        }
    }

    @Test func hostedServicesWithoutAnyKeySourceSayWhereToPutOne() async throws {
        for s in HostedService.all where s.name != "openai" {       // OpenAI-compatible local servers need no key
            let api = try s.makeBackend("http://127.0.0.1:9", nil, [:])
            let error = await HostedRig.error { _ = try await api.submit(HostedRig.request()) }
            #expect(error == .unauthorized("no API key: set api_key_env, api_key_cmd or api_key in [backends.\(s.name)-test]"), "\(s.name)")
        }
    }

    @Test(arguments: HostedService.all)
    func theKeyAppearsInNoErrorDisplayNameOrHealthEvenWhenTheServiceEchoesIt(_ s: HostedService) async throws {
        let secret = "LEAKME-\(s.name)-\(UInt32.random(in: .min ... .max))-0123456789"
        try await HostedRig.with(s.makeFake("the-right-key-0123456789", true)) { fake in
            let variable = environmentVariable(secret)
            let api = try s.makeBackend(await fake.baseURL, .environment(variable.name), variable.environment)
            // OpenAI's adapter reports the refused request from `status`, the others from `submit`.
            let submitError = await HostedRig.error { _ = try await HostedRig.run(api, HostedRig.request()) }
            let statusError = await HostedRig.error { _ = try await api.status(of: RemoteJobID("p1")) }
            let health = await api.health()
            // The fake did echo it: the requests carried it and the redaction marker shows in the text.
            #expect(await fake.log.contains { $0.headers["authorization"]?.contains(secret) == true })
            #expect(submitError?.message.contains("[redacted]") == true, "\(s.name): \(String(describing: submitError?.message))")
            let texts = [submitError?.message, statusError?.message, health.detail, api.displayName,
                         String(describing: submitError), String(reflecting: submitError), String(describing: statusError)]
            for text in texts.compactMap({ $0 }) { #expect(!text.contains(secret), "\(s.name) leaks the key: \(text)") }
        }
    }

    @Test func anAPIKeyNeverPrintsItself() {
        let key = APIKey("sk-very-secret-value", source: .environment("OPENAI_API_KEY"))
        #expect("\(key)" == "[redacted]")
        #expect(String(reflecting: key) == "APIKey([redacted], from environment variable OPENAI_API_KEY)")
        #expect(key.redact("Incorrect API key provided: sk-very-secret-value.") == "Incorrect API key provided: [redacted].")
        #expect(key.bearer == "Bearer sk-very-secret-value" && key.falKey == "Key sk-very-secret-value")
    }
    @Test func theFactoryBuildsEachHostedAdapterNamedByItsTable() throws {
        var o = BackendOptions(name: "cloud", kind: .openai)
        o.apiKey = .environment("OPENAI_API_KEY")
        let openai = try BackendFactory.make(o)
        #expect(openai is OpenAIImagesBackend && openai.displayName == "cloud — openai at https://api.openai.com")
        o.kind = .replicate
        #expect(throws: BackendSetupError("cloud: replicate needs model = \"owner/name\" or version = \"<64-hex id>\"")) { try BackendFactory.make(o) }
        o.model = "black-forest-labs/flux-schnell"
        #expect(try BackendFactory.make(o) is ReplicateBackend)
        o.kind = .fal
        o.model = "fal-ai/flux/dev"
        #expect(try BackendFactory.make(o) is FalBackend)
    }
    @Test func pollURLsFromTheServiceAreTrustedWithTheKeyOnlyOnTheSameOrigin() {
        let base = "https://api.replicate.com"
        #expect(Hosted.sameOrigin("https://api.replicate.com/v1/predictions/x", as: base))
        #expect(Hosted.sameOrigin("https://API.replicate.com:443/v1/predictions/x", as: base))
        #expect(!Hosted.sameOrigin("https://evil.example/v1/predictions/x", as: base))
        #expect(!Hosted.sameOrigin("http://api.replicate.com/v1/predictions/x", as: base))
        #expect(!Hosted.sameOrigin("https://api.replicate.com:8443/v1/predictions/x", as: base))
        #expect(!Hosted.sameOrigin("not a url", as: base))
        #expect(Hosted.sameOrigin("http://127.0.0.1:8188/x", as: "http://127.0.0.1:8188"))
    }
}
