import EaselBackends
import EaselCore
import EaselHTTP
import FakeServices
import Foundation
import Testing

/// Shared plumbing for the hosted-service tests (OpenAI Images, Replicate, fal, API keys).
enum HostedRig {
    /// An HTTP client whose whole-request timeout is `seconds`.
    static func http(timeout seconds: Double = 30) -> HTTPClient {
        var c = HTTPClient.Configuration()
        c.totalTimeout = .milliseconds(Int(seconds * 1000))
        c.connectTimeout = .seconds(5)
        return HTTPClient(configuration: c)
    }

    /// Starts `fake`, runs `body`, stops it even when `body` throws.
    static func with<F: FakeService>(_ fake: F, _ body: (F) async throws -> Void) async throws {
        try await withStarted(fake, body)
    }

    /// Options for `kind` at `url` with `key` (from the config file "test.toml") and `model`.
    static func options(_ kind: BackendKind, _ url: String, key: KeySource?, model: String? = nil,
                        environment: [String: String] = [:]) -> BackendOptions {
        var o = BackendOptions(name: "\(kind.rawValue)-test", kind: kind, url: url, file: "test.toml")
        o.apiKey = key
        o.environment = environment
        o.model = model
        return o
    }

    /// Submits and polls every 50 ms (at most 600 times) until completed or failed.
    /// - Returns: every status seen, starting with submit's.
    static func run(_ backend: any GenerationBackend, _ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, [RemoteStatus]) {
        let (id, first) = try await backend.submit(request)
        var seen = [first]
        // Up to 30 s: a synchronous service's request runs on a task of its own, which a loaded two-core
        // machine (the whole loopback tier at once) can leave waiting for seconds.
        for _ in 0..<600 {
            switch seen.last {
            case .completed?, .completedBatch?, .failed?: return (id, seen)
            default: break
            }
            try? await Task.sleep(for: .milliseconds(50))
            seen.append(try await backend.status(of: id))
        }
        return (id, seen)
    }

    /// The `JobError` `body` throws, or nil; any other error is recorded as an issue.
    static func error(_ body: () async throws -> Void) async -> JobError? {
        do { try await body(); return nil } catch let error as JobError { return error } catch {
            Issue.record("not a JobError: \(error)")
            return nil
        }
    }

    static func request(_ prompt: String = "a lighthouse at dusk") -> GenerationRequest {
        GenerationRequest(prompt: prompt, negativePrompt: "blurry", width: 320, height: 192, seed: 77, steps: 6)
    }

    /// A response as the libcurl client would hand it over.
    static func response(_ status: Int, _ json: String, headers: [String: String] = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Array(json.utf8))
    }
}
