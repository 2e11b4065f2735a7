@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import FakeServices
import Foundation
import Testing

/// `FalBackend` against `FakeFal`: the returned queue URLs, the owner/app-only rule, failing fast on a
/// 4xx status poll, result errors, cancel (reference/backends.md §4, §9 row 18).
@Suite("fal: queue URLs, fail-fast polls and result errors")
struct FalTests {
    private let key = KeySource.configFile(FakeFal.defaultKey, file: "test.toml")

    private func backend(_ fake: FakeFal, model: String = "fal-ai/flux/dev") async throws -> FalBackend {
        try FalBackend(options: HostedRig.options(.fal, await fake.baseURL, key: key, model: model), http: HostedRig.http())
    }

    @Test func pollsTheReturnedOwnerAppURLsThroughQueueProgressAndResult() async throws {
        try await HostedRig.with(FakeFal()) { fake in
            let api = try await backend(fake)
            let (id, seen) = try await HostedRig.run(api, HostedRig.request())
            #expect(Array(seen.prefix(3)) == [.queued(position: 1), .queued(position: 1), .running(progress: 0.5)], "\(seen)")
            guard case .completed(let ref) = seen.last else { Issue.record("\(seen)"); return }
            let log = await fake.log
            #expect(log.first?.path == "/fal-ai/flux/dev" && log.first?.method == "POST")
            #expect(log.first?.headers["authorization"] == "Key " + FakeFal.defaultKey)
            let submitted = try #require(Fake.object(log.first?.body ?? []))
            #expect((submitted["image_size"] as? [String: Int]) == ["width": 320, "height": 192])
            #expect(log.contains { $0.path == "/fal-ai/flux/requests/\(id.rawValue)/status" })
            #expect(log.contains { $0.path == "/fal-ai/flux/requests/\(id.rawValue)" && $0.method == "GET" })
            #expect(await fake.wrongStatusURLs == 0)
            let image = try await api.download(ref)
            #expect(try ImageCodec.dimensions(of: image.bytes).width == 320)
            #expect(await fake.log.last?.headers["authorization"] == nil)     // the image URL gets no key
        }
    }

    @Test func aRequestFromAnEarlierRunIsPolledWithoutTheEndpointSubPath() async throws {
        try await HostedRig.with(FakeFal()) { fake in
            let (id, _) = try await backend(fake).submit(HostedRig.request())
            let fresh = try await backend(fake)       // knows no URLs for `id`
            let status = try await fresh.status(of: id)
            #expect(status == .queued(position: 1))
            #expect(await fake.wrongStatusURLs == 0)
        }
    }

    @Test func aQueuePositionCountsFromOne() async throws {
        try await HostedRig.with(FakeFal()) { fake in
            let api = try await backend(fake)
            let (id, _) = try await api.submit(HostedRig.request("wait [[queued]]"))
            #expect(try await api.status(of: id) == .queued(position: 3))
        }
    }

    @Test(arguments: [(403, "Forbidden: this key was revoked"), (404, "Request not found"), (422, "bad request id"), (429, "slow down")])
    func aFourHundredOnAStatusPollFailsAtOnceWithTheBodyMessage(_ code: Int, _ detail: String) async throws {
        try await HostedRig.with(FakeFal()) { fake in
            let api = try await backend(fake)
            let (id, _) = try await api.submit(HostedRig.request())
            await fake.failStatusPolls(code, detail: detail)
            let error = await HostedRig.error { _ = try await api.status(of: id) }
            switch code {
            case 403: #expect(error == .unauthorized("\(detail) (key from api_key in test.toml)"))
            case 404: #expect(error == .notFound)
            case 422: #expect(error == .invalidPrompt(reason: detail))
            default: #expect(error == .rateLimited(retryAfter: nil))
            }
            #expect(error?.isRetryable == (code == 429))
            #expect(await fake.log.filter { $0.path.hasSuffix("/status") }.count == 1)
        }
    }

    @Test func aFastAPIValidationListBecomesOneReadableReason() async throws {
        try await HostedRig.with(FakeFal()) { fake in
            let api = try await backend(fake)
            let error = await HostedRig.error { _ = try await api.submit(HostedRig.request("x [[invalid]]")) }
            #expect(error == .invalidPrompt(reason: "prompt: prompt rejected by the content filter"))
        }
    }

    @Test func aCompletedRequestWhoseResultIsAnErrorFailsWithTheResultBody() async throws {
        try await HostedRig.with(FakeFal()) { fake in
            let api = try await backend(fake)
            let (_, seen) = try await HostedRig.run(api, HostedRig.request("nan [[fail]]"))
            #expect(seen.last == .failed("Generation failed: the sampler produced NaNs"))
        }
    }

    @Test func cancelIsAPutOnTheCancelURLAndAfterCompletionIsHarmless() async throws {
        try await HostedRig.with(FakeFal()) { fake in
            let api = try await backend(fake)
            let (id, _) = try await api.submit(HostedRig.request("wait [[queued]]"))
            try await api.cancel(id)
            #expect(await fake.log.contains { $0.method == "PUT" && $0.path == "/fal-ai/flux/requests/\(id.rawValue)/cancel" })
            #expect(try await api.status(of: id) == .failed("canceled on fal"))
            let (done, seen) = try await HostedRig.run(api, HostedRig.request())
            guard case .completed = seen.last else { Issue.record("\(seen)"); return }
            try await api.cancel(done)          // 400 ALREADY_COMPLETED: not an error
            #expect(await fake.cancels == 2)
        }
    }

    @Test func errorBodiesOfEveryShapeAreRead() {
        #expect(FalBackend.message(Array(#"{"detail":"worker crashed"}"#.utf8)) == "worker crashed")
        #expect(FalBackend.message(Array(#"{"message":"Unauthorized"}"#.utf8)) == "Unauthorized")
        #expect(FalBackend.message(Array(#"{"detail":[{"loc":["body","image_size","width"],"msg":"ensure this value is less than 2049","type":"value_error"}]}"#.utf8))
                == "image_size.width: ensure this value is less than 2049")
        #expect(FalBackend.message(Array("<html>502</html>".utf8)) == nil)
        #expect(FalBackend.failure(HostedRig.response(504, #"{"detail":"Request timed out"}"#, headers: ["x-fal-request-timeout-type": "user"]))
                == .inferenceFailed("the request ran past its time limit: Request timed out"))
        #expect(FalBackend.failure(HostedRig.response(504, "{}")) == .server(status: 504, message: ""))
    }

    @Test func aModelWithoutOwnerAndAppIsRefusedAtSetup() {
        for model in [nil, "flux", "/"] as [String?] {
            var o = BackendOptions(name: "f", kind: .fal)
            o.model = model
            #expect(throws: BackendSetupError.self) { try FalBackend(options: o, http: HTTPClient()) }
        }
    }
}
