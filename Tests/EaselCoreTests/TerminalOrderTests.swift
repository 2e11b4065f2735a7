import EaselCore
import TestSupport
import Testing

/// The reducer's orders to the terminal are effects: the loop carries them out, the state holds no
/// counters for it to diff.
@Suite("Orders to the terminal")
struct TerminalOrderTests {
    let saved = SavedImage(path: "/g/a.png", width: 1, height: 1)

    /// Two jobs that finish in one batch of actions (one loop iteration) are announced twice.
    @Test func twoJobsFinishingInOneBatchGiveTwoNotifications() {
        var s = AppState.fixture(prompt: "sea", mode: .queue)
        s.queue.concurrency = 2
        s.queue.pacer = RateLimitPacer(limit: 100, window: .seconds(1))
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        s.editor.prompt = PromptEditor("fog")
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(2), .fixture(prompt: "fog"), backend: "demo")])
        #expect(s.jobs.map(\.state) == [.submitting, .submitting])
        for (n, id) in [JobID(1), JobID(2)].enumerated() {
            let ref = ImageRef(url: "u\(n)"), remote = RemoteJobID("r\(n)")
            #expect(reduce(&s, .submitted(id, remote, status: .completed(ref))) == [.download(id, ref, backend: "demo")])
            #expect(reduce(&s, .downloaded(id, ImageData([1]))) == [.save(id, ImageData([1]), s.jobs[n].request, remote: remote, backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        }
        let batch = reduce(&s, .saved(JobID(1), saved)) + reduce(&s, .saved(JobID(2), saved))
        #expect(batch == [.terminal(.notify(JobID(1))), .terminal(.notify(JobID(2)))])
    }

    @Test func clearingThePendingJobsAnnouncesEachOne() {
        var s = AppState.fixture(prompt: "sea", mode: .queue)
        for (i, prompt) in ["sea", "fog", "rain"].enumerated() {     // one slot: the first is sent, the rest wait
            s.editor.prompt = PromptEditor(prompt)
            #expect(reduce(&s, .key(.enter)) == (i == 0 ? [.submit(JobID(1), .fixture(prompt: prompt), backend: "demo")] : []))
        }
        #expect(reduce(&s, .key(.tab)) == [])
        #expect(reduce(&s, .key(.char("X"))) == [.terminal(.notify(JobID(2))), .terminal(.notify(JobID(3)))])
        #expect(s.jobs.map(\.state) == [.submitting, .canceled, .canceled])
    }

    @Test func ctrlLOrdersARepaint() {
        var h = ReducerHarness(state: .fixture(prompt: "sea"))
        h.send(.key(.ctrl("l")), effects: [.terminal(.redraw)])
    }

    @Test func f2LoadsTheNextThemeAndTheThemeInUseChangesWhenItLoaded() {
        var state = AppState.fixture()
        state.themes = ThemeSet(current: "default", available: ["default", "dusk", "paper"])
        var h = ReducerHarness(state: state)
        h.send(.key(.function(2)), effects: [.terminal(.loadTheme("dusk"))])     // nothing changes until it loaded
        h.send(.themeLoaded("dusk", warnings: 2)) {
            $0.themes.current = "dusk"
            $0.hint = .info("Theme: dusk (2 warnings)")
        }
        h.send(.key(.function(2)), effects: [.terminal(.loadTheme("paper"))]) { $0.hint = nil }
        h.send(.notice("paper: line 3, column 1: bad colour")) { $0.hint = .info("paper: line 3, column 1: bad colour") }
        h.send(.key(.function(2)), effects: [.terminal(.loadTheme("paper"))]) { $0.hint = nil }   // still on dusk
    }

    @Test func f2WithoutColoursOrThemesSaysWhyAndOrdersNothing() {
        var state = AppState.fixture()
        state.themes = ThemeSet(current: "mono", available: [], colors: false)
        var h = ReducerHarness(state: state)
        h.send(.key(.function(2))) { $0.hint = .info("Colours are off (NO_COLOR)") }
        state.themes = ThemeSet(current: "mono", available: [])
        h = ReducerHarness(state: state)
        h.send(.key(.function(2))) { $0.hint = .info("No themes found") }
    }

    @Test func aMonoThemeNotAmongTheFilesCyclesToTheFirst() {
        #expect(ThemeSet(current: "mono", available: ["a", "b"]).next == "a")
        #expect(ThemeSet(current: "b", available: ["a", "b"]).next == "a")
        #expect(ThemeSet(current: "a", available: []).next == nil)
    }
}
