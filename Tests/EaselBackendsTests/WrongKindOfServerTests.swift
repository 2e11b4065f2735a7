import EaselBackends
import EaselCore
import EaselHTTP
import EaselServer
import FakeServices
import Foundation
import Testing

/// A backend table whose `kind` (or `url`) points at the wrong sort of server: every submit route is a 404
/// there. The error says which route and what was expected — not "the server no longer knows this job"
/// (`.notFound`) nor a refused prompt (`.invalidPrompt`, exit 2).
@Suite("A server of the wrong kind")
struct WrongKindOfServerTests {
    static let request = GenerationRequest(prompt: "wrong kind", negativePrompt: "", width: 64, height: 64, seed: 1, steps: 4)

    /// The reference server (the seed job API) stands in for the wrong server: it answers 404 on every other route.
    func withSeedServer(_ body: (String) async throws -> Void) async throws {
        var config = ReferenceServer.Configuration()
        config.port = 0
        config.logRequests = false
        let server = ReferenceServer(configuration: config)
        try await server.start()
        return try await withTeardown({ await server.stop() }) { try await body(await server.baseURL) }
    }

    /// The error a submit ends in: thrown by `submit`, or (a synchronous service) by the first status that settles.
    func failure(_ backend: any GenerationBackend) async -> JobError? {
        do {
            let (id, _) = try await backend.submit(Self.request)
            for _ in 0..<1_000 {
                if case .running = try await backend.status(of: id) { try? await Task.sleep(for: .milliseconds(10)); continue }
                return nil
            }
            return nil
        } catch { return error }
    }

    @Test func eachKindNamesTheMissingRouteAndWhatItExpected() async throws {
        try await withSeedServer { url in
            let http = HTTPClient()
            var openai = BackendOptions(name: "oa", kind: .openai, url: url)
            openai.apiKey = .configFile("sk-test", file: "test.toml")
            let cases: [(any GenerationBackend, String)] = [
                (try ComfyUIBackend(options: BackendOptions(name: "c", kind: .comfyui, url: url), http: http),
                 "POST /prompt is 404 here (no such endpoint: POST /prompt): is this a ComfyUI server?"),
                (SDCppBackend(options: BackendOptions(name: "s", kind: .sdcpp, url: url), http: http), "POST /sdcpp/v1/img_gen is 404 here"),
                (OpenAIImagesBackend(options: openai, http: http), "POST /v1/images/generations is 404 here"),
                (try A1111Backend(options: BackendOptions(name: "a", kind: .a1111, url: url), http: http),
                 "POST /sdapi/v1/txt2img is not in this web UI's API"),
            ]
            for (backend, expected) in cases {
                let error = await failure(backend)
                guard case .badResponse(let message)? = error else { Issue.record("\(expected): got \(String(describing: error))"); continue }
                #expect(message.contains(expected), "\(message)")
            }
        }
    }

    @Test func aSeedAPITableOnAServerWithoutTheRouteSaysSo() async throws {
        try await withSeedServer { url in
            let error = await failure(SeedJobAPI(baseURL: url + "/nested", http: HTTPClient()))
            guard case .badResponse(let message)? = error else { Issue.record("\(String(describing: error))"); return }
            #expect(message.hasPrefix("POST /api/generate is 404 here"), "\(message)")
        }
    }
}
