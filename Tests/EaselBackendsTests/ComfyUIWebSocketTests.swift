import EaselApp
@testable import EaselBackends
import EaselCore
import EaselHTTP
import EaselStore
import FakeServices
import Foundation
import Synchronization
import Testing

/// ComfyUI's `/ws?clientId=` against the fake (reference/backends.md §1.5): step progress, completion and
/// binary previews arrive over the socket; a refused or lost socket puts the job back on polling, once submitted.
@Suite("ComfyUI over its WebSocket: progress, completion, previews, reconnect and fallback to polling")
struct ComfyUIWebSocketTests {
    static let steps = 6

    /// Submits one job and follows it over the socket until the stream ends.
    /// - Returns: the statuses, the error that ended the stream (if any), and the previews taken while running.
    func follow(_ backend: ComfyUIBackend, prompt: String = "a lighthouse") async throws
        -> (statuses: [RemoteStatus], error: (any Error)?, previews: [ImageData], id: RemoteJobID) {
        let (id, _) = try await backend.submit(GenerationRequest(prompt: prompt, width: 64, height: 64, seed: 1, steps: Self.steps))
        let events = try #require(backend.statusEvents(of: id))
        var statuses: [RemoteStatus] = [], previews: [ImageData] = []
        do {
            for try await status in events {
                statuses.append(status)
                if case .running = status, let p = await backend.livePreview(of: id) { previews.append(p) }
            }
            return (statuses, nil, previews, id)
        } catch { return (statuses, error, previews, id) }
    }

    func historyRequests(_ fake: FakeComfyUI) async -> Int { await fake.log.filter { $0.path.contains("/history") }.count }

    @Test func stepProgressArrivesOverTheSocketAndCompletionNeedsOneHistoryReadNotPolls() async throws {
        try await withComfy { backend, fake in
            await fake.setStepTime(.milliseconds(20))
            let run = try await follow(backend)
            #expect(run.error == nil)
            let progress = run.statuses.compactMap { s -> Double? in if case .running(let p, _) = s { return p }; return nil }
            #expect(progress.contains { abs($0 - 1.0 / Double(Self.steps)) < 1e-9 }, "\(progress)")
            #expect(progress == progress.sorted(), "progress never goes back: \(progress)")
            guard case .completed(let ref) = run.statuses.last else { Issue.record("ended with \(run.statuses.last as Any)"); return }
            #expect(ref.url.hasPrefix("/view?filename="))
            // Two reads at most: the check when the socket opened (it may land after the first step) and the
            // read at completion; no poll while the steps came in.
            #expect(await fake.historyReadsMidRun <= 1)
            #expect(await historyRequests(fake) <= 2)
            #expect(await fake.log.filter { $0.path.contains("/queue") }.isEmpty)
            #expect(await fake.socketConnects == [backend.clientID])
            let image = try await backend.download(ref)
            #expect(image.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        }
    }

    /// Each step names the running node by the `class_type` of the graph that was sent, with its own step count.
    @Test func stepProgressNamesTheRunningNodeAndItsSteps() async throws {
        try await withComfy { backend, fake in
            await fake.setStepTime(.milliseconds(10))
            let run = try await follow(backend)
            let steps = run.statuses.compactMap { s -> StepProgress? in if case .running(_, let step?) = s { return step }; return nil }
            #expect(steps.first == StepProgress(step: 1, total: Self.steps, node: "KSampler"), "\(steps)")
            #expect(steps.last == StepProgress(step: Self.steps, total: Self.steps, node: "KSampler"), "\(steps)")
            #expect(steps.map(\.step) == steps.map(\.step).sorted())
            for s in run.statuses { if case .running(let p?, let step?) = s { #expect(abs(p - step.fraction) < 1e-9) } }
        }
    }

    @Test func theFakeSendsUpstreamsEventOrderToTheClientOnly() async throws {
        try await withComfy { backend, fake in
            _ = try await follow(backend)
            let events = await fake.events(to: backend.clientID).filter { $0 != "status" && $0 != "feature_flags" && $0 != "progress_state" }
            // Loader, latent and both prompts, then the sampler (3) with its steps, VAEDecode, SaveImage, done.
            let expected = ["execution_start", "execution_cached"] + ["executing"] * 5 + ["progress"] * Self.steps
                + ["executing"] * 2 + ["executed", "execution_success", "executing"]
            #expect(events == expected, "\(events)")
        }
    }

    @Test func binaryPreviewFramesReachLivePreviewAsPNG() async throws {
        for oldBuild in [false, true] {     // type 4 (with prompt_id) when asked; type 1 from builds that ignore the flag
            try await withComfy { backend, fake in
                await fake.setIgnoreFeatureFlags(oldBuild)
                await fake.setStepTime(.milliseconds(20))
                let run = try await follow(backend)
                #expect(await fake.previewsSent == Self.steps)
                #expect(!run.previews.isEmpty, "type \(oldBuild ? 1 : 4)")
                #expect(run.previews.allSatisfy { $0.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) })
                #expect(await backend.livePreview(of: run.id) == nil, "nothing kept after the job ended")
            }
        }
    }

    @Test func anExecutionErrorFailsTheJobWithTheNodeAndTheServersMessage() async throws {
        try await withComfy { backend, _ in
            let run = try await follow(backend, prompt: "a lighthouse [[fail]]")
            #expect(run.statuses.last == .failed("KSampler (node 3): the sampler produced NaNs"))
        }
    }

    @Test func aRefusedSocketFailsTheFirstStreamOnceThenTheAdapterOffersNone() async throws {
        try await withComfy { backend, fake in
            await fake.setRefuseWebSocket(true)
            let run = try await follow(backend)
            #expect(run.statuses.isEmpty)
            #expect((run.error as? JobError)?.message.contains("could not be opened") == true, "\(run.error as Any)")
            #expect(backend.statusEvents(of: run.id) == nil)
            // Polling still follows the same prompt to the end.
            var status = try await backend.status(of: run.id)
            while case .queued = status { status = try await backend.status(of: run.id) }
            while case .running = status { status = try await backend.status(of: run.id) }
            guard case .completed = status else { Issue.record("polled to \(status)"); return }
            #expect(await fake.received.count == 1)
        }
    }

    @Test func aSocketDroppedMidJobStillEndsWithOneCompletionAndOneSubmit() async throws {
        try await withComfy { backend, fake in
            await fake.setDropSocket(atStep: 2)
            let run = try await follow(backend)
            #expect(run.error == nil)
            guard case .completed = run.statuses.last else { Issue.record("ended with \(run.statuses.last as Any)"); return }
            #expect(run.statuses.filter { if case .completed = $0 { true } else { false } }.count == 1)
            #expect(await fake.received.count == 1)
        }
    }

    @Test func aDroppedSocketReconnectsWithTheSameClientIDAndHearsTheEnd() async throws {
        try await withComfy { backend, fake in
            await fake.setDropSocket(atStep: 1)      // `[[running]]` then waits at step 1 for an interrupt
            let (id, _) = try await backend.submit(GenerationRequest(prompt: "a lighthouse [[running]]", width: 64, height: 64, seed: 1, steps: 4))
            let events = try #require(backend.statusEvents(of: id))
            let reader = Task { () -> [RemoteStatus] in
                var all: [RemoteStatus] = []
                do { for try await s in events { all.append(s) } } catch { Issue.record("stream failed: \(error)") }
                return all
            }
            await fake.connected(times: 2)
            try await backend.cancel(id)             // running: POST /interrupt; the end is heard on the new socket
            let statuses = await reader.value
            #expect(statuses.last == .failed("interrupted on the server"), "\(statuses)")
            #expect(await fake.socketConnects == [backend.clientID, backend.clientID])
            #expect(await fake.received.count == 1)
        }
    }

    @Test func aSocketLostForGoodPutsTheJobBackOnPollingThroughTheRunnerWithOneSubmit() async throws {
        for refuse in [true, false] {     // lost mid-job for good; refused from the start
            try await withComfy { backend, fake in
                if refuse { await fake.setRefuseWebSocket(true) } else { await fake.setDropSocket(atStep: 2); await fake.setRefuseReconnect(true) }
                let notices = Mutex<[String]>([])
                // A 1 s interval: a stream silent for one interval is polled once without the notice (JobStreams),
                // and at 50 ms a loaded machine finished the job that way before the socket's loss was heard.
                var state = AppState(backendName: "gpu", pollPolicy: PollPolicy(interval: .seconds(1), deadline: .seconds(30)),
                                     parameters: GenerationParameters(width: 64, height: 64, seed: 1, steps: Self.steps),
                                     seeds: SeedSource(seed: 5), now: .now)
                state.queue.pacer = RateLimitPacer(limit: 1000, window: .seconds(1))
                let outcome = await Headless.run(prompts: ["a lighthouse"], state: state, makeRunner: { send in
                    EffectRunner(backend: backend, gallery: Gallery(directory: tempDir())) { action in
                        if case .notice(let text) = action { notices.withLock { $0.append(text) } }
                        send(action)
                    }
                })
                let job = try #require(outcome.jobs.first)
                guard case .complete = job.state else { Issue.record("\(job.state)"); return }
                #expect(await fake.received.count == 1)
                #expect(notices.withLock { $0.filter { $0.contains("polling") }.count } == 1, "\(notices.withLock { $0 })")
            }
        }
    }

    // MARK: - Parsers

    @Test func previewFramesOfType1And4AreReadAndGarbageIsNot() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        let one = ComfyUIBackend.previewFrame([0, 0, 0, 1, 0, 0, 0, 2] + png)
        #expect(one?.image == png && one?.promptID == nil)
        let meta = Array(#"{"prompt_id":"p1","image_type":"image/png"}"#.utf8)
        let four = ComfyUIBackend.previewFrame([0, 0, 0, 4, 0, 0, 0, UInt8(meta.count)] + meta + png)
        #expect(four?.image == png && four?.promptID == "p1")
        let jpeg = ComfyUIBackend.previewFrame([0, 0, 0, 1, 0, 0, 0, 1, 0xFF, 0xD8, 0xFF, 0xE0])
        #expect(jpeg?.image == [0xFF, 0xD8, 0xFF, 0xE0])
        #expect(ComfyUIBackend.previewFrame([0, 0, 0, 4, 0, 0, 1, 0] + meta + png) == nil, "length past the end")
        #expect(ComfyUIBackend.previewFrame([0, 0, 0, 3, 0, 0, 0, 2] + png) == nil, "type 3 is text")
        #expect(ComfyUIBackend.previewFrame([0, 0, 0, 1, 0, 0, 0, 2, 0x42, 0x4D]) == nil, "not JPEG or PNG")
        #expect(ComfyUIBackend.previewFrame([0, 0, 0]) == nil)
        #expect(ComfyUIBackend.previewFrame([]) == nil)
    }

    @Test func eventsAreReadAndTheRestIgnored() {
        func e(_ s: String) -> ComfyUIBackend.Event? { ComfyUIBackend.event(Array(s.utf8)) }
        #expect(e(#"{"type":"progress","data":{"value":3,"max":20,"prompt_id":"p","node":"3"}}"#) == .init(kind: .progress(value: 3, max: 20, node: "3"), promptID: "p"))
        #expect(e(#"{"type":"progress","data":{"value":3,"max":20}}"#) == .init(kind: .progress(value: 3, max: 20), promptID: nil))
        #expect(e(#"{"type":"executing","data":{"node":null,"prompt_id":"p"}}"#) == .init(kind: .executing(node: nil), promptID: "p"))
        #expect(e(#"{"type":"execution_interrupted","data":{"prompt_id":"p","node_id":"3"}}"#) == .init(kind: .failed("interrupted on the server"), promptID: "p"))
        #expect(e(#"{"type":"status","data":{"status":{"exec_info":{"queue_remaining":0}}}}"#) == nil)
        #expect(e(#"{"type":"executing","data":{}}"#) == nil)
        #expect(e("not json") == nil)
        #expect(e("[1,2]") == nil)
    }

    @Test func theSocketAddressFollowsTheBaseURL() {
        #expect(ComfyUISocket.address(base: "http://127.0.0.1:8188", clientID: "c") == "ws://127.0.0.1:8188/ws?clientId=c")
        #expect(ComfyUISocket.address(base: "https://gpu.example/comfy", clientID: "c") == "wss://gpu.example/comfy/ws?clientId=c")
    }
}

private func * (lhs: [String], rhs: Int) -> [String] { Array(repeating: lhs, count: rhs).flatMap { $0 } }
