@testable import EaselBackends
import EaselCore
import EaselHTTP
import FakeServices
import Foundation
import Testing

@Suite("ComfyUI: our own prompt_id, so a lost reply loses no job")
struct ComfyUISubmitTests {
    @Test func theSubmitCarriesAPromptIdChosenByEaselAndTheServerKeepsIt() async throws {
        try await withComfy { backend, fake in
            let (id, _) = try await backend.submit(GenerationRequest(prompt: "a lighthouse", width: 320, height: 192, seed: 1234, steps: 6))
            #expect(UUID(uuidString: id.rawValue) != nil, "\(id)")
            #expect(await fake.jobIDs.contains(id.rawValue))
        }
    }

    @Test func aReplyLostAfterTheServerQueuedTheJobIsFoundByItsPromptIdAndNotSentAgain() async throws {
        try await withStarted(FakeComfyUI()) { fake in
            var config = HTTPClient.Configuration()
            config.totalTimeout = .seconds(2)                      // the fake answers after 30 s: the reply is "lost"
            let backend = try ComfyUIBackend(options: BackendOptions(name: "gpu", kind: .comfyui, url: await fake.baseURL),
                                             http: HTTPClient(configuration: config))
            let request = GenerationRequest(prompt: "a lighthouse [[lost-reply]]", width: 256, height: 256, seed: 3, steps: 4)
            let (id, status) = try await backend.submit(request)
            #expect(status != .failed("") && id.rawValue.count == 36, "\(id) \(status)")
            #expect(await fake.received.count == 1)                 // sent once
            guard case .success(.completed) = await poll(backend, id) else { Issue.record("the found job did not complete"); return }
            #expect(await fake.received.count == 1)
        }
    }
}
