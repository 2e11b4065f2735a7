import EaselCore
import Testing
import TestSupport

/// The `global` context: reached from every pane (and, for the terminal's orders, returned as effects).
@Suite("Global keys do what the help says, from every pane")
struct GlobalKeysReducerTests {
    /// The fixture with focus on `pane`, reached with Tab.
    func focused(_ pane: Pane) -> AppState {
        var s = AppState.fixture()
        for _ in 0..<(Pane.allCases.firstIndex(of: pane) ?? 0) { Drive.press(&s, .tab) }
        #expect(s.focus == pane)
        return s
    }

    @Test(arguments: Pane.allCases)
    func ctrlCQuitsFromEveryPane(pane: Pane) {
        var s = focused(pane)
        #expect(reduce(&s, .key(.ctrl("c"))) == [.terminal(.quit)])
    }

    @Test func quitWithDemoJobsInFlightAsksFirstAndNSaysStay() {
        var s = AppState.fixture()
        s.ephemeralBackends = ["demo"]
        Drive.submit(&s, "sea", id: 1)
        #expect(reduce(&s, .key(.ctrl("c"))) == [])
        #expect(s.confirmation == .quitLosingJobs(1))
        #expect(reduce(&s, .key(.char("n"))) == [])
        #expect(s.confirmation == nil && s.job(JobID(1))?.state == .submitting)
    }

    @Test(arguments: [Key.char("y"), .ctrl("c")])
    func quitWithDemoJobsInFlightGoesOnYOrTheQuitKeyAgain(key: Key) {
        var s = AppState.fixture()
        s.ephemeralBackends = ["demo"]
        Drive.submit(&s, "sea", id: 1)
        #expect(reduce(&s, .key(.ctrl("c"))) == [])
        #expect(reduce(&s, .key(key)) == [.terminal(.quit)])
    }

    @Test func tabAndShiftTabCycleThePanesBothWays() {
        var s = AppState.fixture()
        var seen: [Pane] = []
        for _ in 0..<3 { Drive.press(&s, .tab); seen.append(s.focus) }
        #expect(seen == [.queue, .history, .prompt])
        seen = []
        for _ in 0..<3 { Drive.press(&s, .backTab); seen.append(s.focus) }
        #expect(seen == [.history, .queue, .prompt])
    }

    @Test(arguments: Pane.allCases)
    func f1OpensTheHelpFromEveryPaneAndClosesIt(pane: Pane) {
        var s = focused(pane)
        Drive.press(&s, .function(1))
        #expect(s.showHelp && s.helpScroll == 0)
        Drive.press(&s, .function(1))
        #expect(!s.showHelp && s.focus == pane)
    }

    @Test func ctrlLOrdersARedrawAndCtrlZASuspend() {
        var s = AppState.fixture()
        #expect(reduce(&s, .key(.ctrl("l"))) == [.terminal(.redraw)])
        #expect(reduce(&s, .key(.ctrl("z"))) == [.terminal(.suspend)])
        #expect(s == .fixture())
    }

    @Test func ctrlTSwitchesExclusiveAndQueueModeAndSaysWhich() {
        var s = AppState.fixture()
        Drive.press(&s, .ctrl("t"))
        #expect(s.mode == .queue && s.hint == .info("Queue mode: Enter adds to the queue while jobs run"))
        Drive.press(&s, .ctrl("t"))
        #expect(s.mode == .exclusive && s.hint == .info("Exclusive mode: one job at a time, the editor locks while it runs"))
    }

    @Test func f2OrdersTheNextThemeAndTheAnswerMakesItCurrent() {
        var s = AppState.fixture()
        s.themes = ThemeSet(current: "mono", available: ["mono", "nord", "paper"])
        #expect(reduce(&s, .key(.function(2))) == [.terminal(.loadTheme("nord"))])
        #expect(s.themes.current == "mono")                     // not until the loop answers
        #expect(reduce(&s, .themeLoaded("nord", warnings: 2)) == [])
        #expect(s.themes.current == "nord" && s.hint == .info("Theme: nord (2 warnings)"))
        #expect(reduce(&s, .key(.function(2))) == [.terminal(.loadTheme("paper"))])
    }

    @Test func f2UnderNoColorOrWithoutThemesOrdersNothingAndSaysWhy() {
        var s = AppState.fixture()
        s.themes = ThemeSet(current: "mono", available: ["nord"], colors: false)
        #expect(reduce(&s, .key(.function(2))) == [])
        #expect(s.hint == .info("Colours are off (NO_COLOR)"))
        s.themes = ThemeSet(current: "mono", available: [])
        #expect(reduce(&s, .key(.function(2))) == [])
        #expect(s.hint == .info("No themes found"))
    }

    @Test func f3WithOneBackendOrdersNothingAndPointsToTheConfig() {
        var s = AppState.fixture()
        #expect(reduce(&s, .key(.function(3))) == [])
        #expect(s.hint == .info("Only one backend: add [backends.NAME] tables to the config (easel config --print-default)"))
    }

    @Test func f3MovesNewJobsToTheNextBackendWhichHasSlotsOfItsOwn() {
        var s = AppState.fixture(mode: .queue)
        s.backends = [BackendChoice(name: "demo", summary: "demo"), BackendChoice(name: "gpu", summary: "gpu — comfyui")]
        Drive.submit(&s, "sea", id: 1)
        #expect(reduce(&s, .key(.function(3))) == [])
        #expect(s.backendName == "gpu — comfyui" && s.job(JobID(1))?.backend == "demo")
        Drive.type(&s, "fog")
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(2), Drive.request("fog"), backend: "gpu")])   // gpu's slot is free
        #expect(s.job(JobID(2))?.backend == "gpu" && s.job(JobID(1))?.state == .submitting)
    }

    @Test(arguments: Pane.allCases)
    func f4OpensTheGalleryFromEveryPaneWithAScanAndClosesIt(pane: Pane) {
        var s = focused(pane)
        #expect(reduce(&s, .key(.function(4))) == [.gallery(.scan)])
        #expect(s.gallery?.loading == true)
        #expect(reduce(&s, .key(.function(4))) == [])
        #expect(s.gallery == nil)
    }
}
