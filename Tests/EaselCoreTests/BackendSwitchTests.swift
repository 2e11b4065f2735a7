import EaselCore
import Testing
import TestSupport

@Suite("Switching backends and live previews")
struct BackendSwitchTests {
    func twoBackends() -> AppState {
        var s = AppState.fixture(prompt: "sea", mode: .queue)
        s.backends = [BackendChoice(name: "gpu", summary: "gpu — comfyui at http://127.0.0.1:8188"),
                      BackendChoice(name: "demo", summary: "demo backend — procedural, offline")]
        s.backendKey = "gpu"
        s.backendName = s.backends[0].summary
        return s
    }

    @Test func f3CyclesThroughTheConfiguredBackendsAndTheNextSubmitNamesTheNewOne() {
        var s = twoBackends()
        #expect(reduce(&s, .key(.function(3))) == [])
        #expect(s.backendKey == "demo" && s.backendName == "demo backend — procedural, offline")
        #expect(reduce(&s, .key(.function(3))) == [])
        #expect(s.backendKey == "gpu" && s.backendName.hasPrefix("gpu — comfyui"))
        #expect(reduce(&s, .key(.function(3))) == [])
        s.editor.prompt = PromptEditor("harbour")
        let effects = reduce(&s, .key(.enter))
        guard effects.count == 1, case .submit(let id, let request, let backend) = effects[0] else { Issue.record("\(effects)"); return }
        #expect(id == JobID(1) && request.prompt == "harbour" && backend == "demo")
    }

    @Test func jobsCarryTheBackendTheyWereMadeOnAndKeepItAfterASwitch() {
        var s = twoBackends()
        #expect(enter(&s, "first") == [.submit(JobID(1), .fixture(prompt: "first"), backend: "gpu")])
        #expect(reduce(&s, .key(.function(3))) == [])
        #expect(enter(&s, "second") == [.submit(JobID(2), .fixture(prompt: "second"), backend: "demo")])   // the demo's own slot is free
        #expect(s.jobs.map(\.backend) == ["gpu", "demo"])
    }

    @Test func withOneBackendF3ExplainsHowToAddMore() {
        var s = AppState.fixture()
        #expect(reduce(&s, .key(.function(3))).isEmpty)
        guard case .info(let text)? = s.hint else { Issue.record("no hint: \(String(describing: s.hint))"); return }
        #expect(text.contains("[backends.NAME]"))
    }

    @Test func aLivePreviewIsKeptOnlyWhileTheJobRuns() {
        var s = AppState.fixture(prompt: "sea")
        #expect(enter(&s) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        let id = JobID(1)
        #expect(reduce(&s, .livePreview(id, path: "/tmp/early.png")) == [])        // still submitting: ignored
        #expect(s.job(id)?.livePreview == nil)
        #expect(reduce(&s, .submitted(id, RemoteJobID("r"), status: .running(progress: 0.2))) == [.poll(id, RemoteJobID("r"), after: .seconds(2), backend: "demo")])
        #expect(reduce(&s, .livePreview(id, path: "/tmp/step4.png")) == [])
        #expect(s.job(id)?.livePreview == "/tmp/step4.png")
        #expect(reduce(&s, .livePreview(JobID(99), path: "/tmp/other.png")) == [])  // unknown job: nothing
        #expect(s.jobs.count == 1)
    }
}
