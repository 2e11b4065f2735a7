import EaselCore
import TestSupport
import Testing

/// Quitting with work in flight: jobs on a service that keeps them go on (and resume next start);
/// jobs on the embedded demo, whose server stops with Easel, are not dropped without a question.
@Suite("Quitting with jobs in flight")
struct QuitTests {
    func running(on backend: String) -> AppState {
        var s = AppState.fixture(prompt: "a lighthouse")
        s.ephemeralBackends = ["demo"]
        s.backendKey = backend
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), .fixture(prompt: "a lighthouse"), backend: backend)])
        return s
    }

    @Test func withDemoJobsRunningQuitAsksAndYQuits() {
        var h = ReducerHarness(state: running(on: "demo"))
        h.send(.key(.ctrl("c"))) { $0.modal = .question(.quitLosingJobs(1), under: nil) }
        h.send(.key(.char("y")), effects: [.terminal(.quit)]) { $0.modal = nil }
    }

    @Test func theQuitKeyAgainAlsoQuitsAndAnyOtherKeyStays() {
        var h = ReducerHarness(state: running(on: "demo"))
        h.send(.key(.ctrl("c"))) { $0.modal = .question(.quitLosingJobs(1), under: nil) }
        h.send(.key(.char("n"))) { $0.modal = nil }
        h.send(.key(.ctrl("c"))) { $0.modal = .question(.quitLosingJobs(1), under: nil) }
        h.send(.key(.ctrl("c")), effects: [.terminal(.quit)]) { $0.modal = nil }
    }

    @Test func jobsOnAServiceThatKeepsThemQuitAtOnce() {
        var h = ReducerHarness(state: running(on: "gpu"))
        h.send(.key(.ctrl("c")), effects: [.terminal(.quit)])
    }

    @Test func theQuestionSaysWhatIsLost() {
        #expect(Confirmation.quitLosingJobs(2).question == "Quit? 2 demo jobs will stop (the demo server quits with Easel) y / n")
    }
}
