import EaselBackends
import EaselCore
import EaselHTTP
import FakeServices
import Foundation
import Testing

/// `kind = "jobapi"` tables with a key source: the key goes out as `Authorization: Bearer`, never back in a message.
@Suite("Job API backends send their API key")
struct JobAPIKeyTests {
    private func backend(_ url: String, command: String) throws -> any GenerationBackend {
        try BackendFactory.make(HostedRig.options(.jobapi, url, key: .command(command)), http: HostedRig.http())
    }

    @Test func aKeyFromACommandIsSentAsBearerOnEveryJobRoute() async throws {
        let secret = "SECRETKEY\(UInt32.random(in: .min ... .max))"
        try await HostedRig.with(FakeJobAPI(expectedKey: secret)) { fake in
            let api = try backend(await fake.baseURL, command: "echo \(secret)")
            let (_, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed? = seen.last else { Issue.record("not completed: \(seen)"); return }
            let api_ = await fake.log.filter { $0.path.hasPrefix("/api/") }
            #expect(api_.count >= 2)
            #expect(api_.allSatisfy { $0.headers["authorization"] == "Bearer " + secret })
        }
    }

    @Test func a401NamesTheKeySourceAndNeverShowsTheKey() async throws {
        let secret = "WRONGKEY\(UInt32.random(in: .min ... .max))"
        try await HostedRig.with(FakeJobAPI(expectedKey: "the-right-one")) { fake in
            let api = try backend(await fake.baseURL, command: "echo \(secret)")
            let error = await HostedRig.error { _ = try await api.submit(HostedRig.request()) }
            guard case .unauthorized(let why)? = error else { Issue.record("not unauthorized: \(String(describing: error))"); return }
            #expect(why.contains("api_key_cmd"))
            #expect(!why.contains(secret))
            let health = await api.health()
            #expect(!health.ok && !health.detail.contains(secret))
        }
    }
}
