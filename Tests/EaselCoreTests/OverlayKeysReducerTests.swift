import EaselCore
import Testing
import TestSupport

/// The help overlay's and the gallery browser's keys, and Esc backing out of every modal layer.
@Suite("Help and gallery keys, and Esc out of every modal")
struct OverlayKeysReducerTests {
    func helpShown() -> AppState {
        var s = AppState.fixture(prompt: "sea")
        Drive.press(&s, .function(1))
        return s
    }

    /// The gallery open with `count` images (newest first, `/g/0.png`…), a grid `columns` × `rows`.
    func gallery(count: Int = 10, columns: Int = 3, rows: Int = 2) -> AppState {
        var s = AppState.fixture()
        #expect(reduce(&s, .key(.function(4))) == [.gallery(.scan)])
        let entries = (0..<count).map { GalleryEntry(path: "/g/\($0).png", name: "\($0).png", modified: Double(100 - $0), size: 10) }
        #expect(reduce(&s, .gallery(.grid(columns: columns, rows: rows))) == [])
        #expect(reduce(&s, .gallery(.scanned(entries))) == [])
        return s
    }

    var selected: (AppState) -> Int? { { $0.gallery.map(\.selection) } }

    @Test(arguments: [Key.escape, .char("?"), .char("q"), .function(1)])
    func escQuestionMarkQAndF1CloseTheHelp(key: Key) {
        var s = helpShown()
        Drive.press(&s, key)
        #expect(!s.showHelp && s.editor.prompt.text == "sea")
    }

    @Test func downJPageDownAndSpaceScrollTheHelpAndUpKPageUpScrollBackToTheTop() {
        var s = helpShown()
        Drive.press(&s, .down, .char("j"))
        #expect(s.helpScroll == 2)
        Drive.press(&s, .pageDown, .char(" "))
        #expect(s.helpScroll == 22)
        Drive.press(&s, .pageUp, .up, .char("k"))
        #expect(s.helpScroll == 10)
        Drive.press(&s, .pageUp, .pageUp)
        #expect(s.helpScroll == 0)
    }

    @Test func keysTheHelpDoesNotBindDoNothingWhileItIsShown() {
        let before = helpShown()
        var s = before
        Drive.press(&s, .enter, .char("x"), .backspace, .ctrl("w"))
        #expect(s == before)
    }

    @Test func ctrlCQuitsFromTheHelp() {
        var s = helpShown()
        #expect(reduce(&s, .key(.ctrl("c"))) == [.terminal(.quit)])
    }

    /// lazygit and helix: the terminal keys always work, and the help stays open over them.
    @Test func ctrlLCtrlZF2F3AndCtrlTWorkOverTheHelpAndLeaveItOpen() {
        var store = ReducerHarness(state: helpShown())
        store.send(.key(.ctrl("l")), effects: [.terminal(.redraw)])
        store.send(.key(.ctrl("z")), effects: [.terminal(.suspend)])
        store.send(.key(.function(3))) {
            $0.hint = .info("Only one backend: add [backends.NAME] tables to the config (easel config --print-default)")
        }
        store.send(.key(.ctrl("t"))) {
            $0.hint = .info("Queue mode: Enter adds to the queue while jobs run")
            $0.mode = .queue
        }
        var s = helpShown()
        s.themes = ThemeSet(current: "dusk", available: ["dusk", "base16"])
        #expect(reduce(&s, .key(.function(2))) == [.terminal(.loadTheme("base16"))])
        #expect(s.showHelp)
    }

    /// Keys that change what is under the help close it first, then do their work.
    @Test func tabShiftTabAndF4OverTheHelpCloseItFirst() {
        var store = ReducerHarness(state: helpShown())
        store.send(.key(.tab)) { $0.modal = nil; $0.focus = .queue }
        store.send(.key(.function(1))) { $0.modal = .help(scroll: 0, under: nil) }
        store.send(.key(.backTab)) { $0.modal = nil; $0.focus = .prompt }
        store.send(.key(.function(1))) { $0.modal = .help(scroll: 0, under: nil) }
        store.send(.key(.function(4)), effects: [.gallery(.scan)]) { $0.modal = .gallery(GalleryBrowser(), under: nil) }
    }

    @Test func pasteAndClicksAreIgnoredUnderTheHelp() {
        let before = helpShown()
        var s = before
        #expect(reduce(&s, .paste("fog")) == [])
        #expect(reduce(&s, .clicked(.history, job: JobID(1))) == [])
        #expect(s == before)
    }

    @Test func aScanKeepsTheSelectedImageWhenNewOnesArrive() {
        var s = gallery(count: 3)
        Drive.press(&s, .right)
        let newer = GalleryEntry(path: "/g/new.png", name: "new.png", modified: 200, size: 1)
        #expect(reduce(&s, .gallery(.scanned([newer] + (s.gallery?.entries ?? [])))) == [])
        #expect(s.gallery?.selected?.path == "/g/1.png" && s.gallery?.loading == false)
    }

    @Test func leftRightHAndLMoveOneImageClampedAtTheEnds() {
        var s = gallery()
        Drive.press(&s, .left)
        #expect(selected(s) == 0)
        Drive.press(&s, .right, .char("l"), .char("l"))
        #expect(selected(s) == 3)
        Drive.press(&s, .char("h"))
        #expect(selected(s) == 2)
    }

    @Test func upDownKAndJMoveOneGridRowAndScrollIt() {
        var s = gallery()
        Drive.press(&s, .down, .char("j"))
        #expect(selected(s) == 6 && s.gallery?.top == 1)
        Drive.press(&s, .up, .char("k"))
        #expect(selected(s) == 0 && s.gallery?.top == 0)
    }

    @Test func pageDownPageUpHomeAndEndJumpByPagesAndToTheEnds() {
        var s = gallery()
        Drive.press(&s, .pageDown)
        #expect(selected(s) == 6)
        Drive.press(&s, .end)
        #expect(selected(s) == 9 && s.gallery?.top == 2)
        Drive.press(&s, .pageUp)
        #expect(selected(s) == 3)
        Drive.press(&s, .home)
        #expect(selected(s) == 0 && s.gallery?.top == 0)
    }

    @Test(arguments: [Key.enter, .char("o")])
    func enterAndOOpenTheSelectedImage(key: Key) {
        var s = gallery()
        Drive.press(&s, .right)
        #expect(reduce(&s, .key(key)) == [.open("/g/1.png")])
    }

    @Test func rReadsTheImageParametersAndTheAnswerLoadsThemAndClosesTheGallery() {
        var s = gallery()
        #expect(reduce(&s, .key(.char("r"))) == [.gallery(.readParameters("/g/0.png"))])
        let p = ImageParameters(prompt: "harbour", negativePrompt: "fog", seed: 9, width: 512, height: 768, steps: 12, source: "tEXt")
        #expect(reduce(&s, .gallery(.parametersRead(p))) == [])
        #expect(s.gallery == nil && s.focus == .prompt && s.editor.prompt.text == "harbour")
        #expect(s.editor.parameters == GenerationParameters(negativePrompt: "fog", width: 512, height: 768, seed: 9, steps: 12))
    }

    @Test func starTogglesTheImageAndOrdersTheStarFileWritten() {
        var s = gallery()
        #expect(reduce(&s, .key(.char("*"))) == [.gallery(.setStar("/g/0.png", true))])
        #expect(s.gallery?.entries[0].starred == true)
        #expect(reduce(&s, .key(.char("*"))) == [.gallery(.setStar("/g/0.png", false))])
    }

    @Test func dAsksFirstAndYOrdersTheDeleteAndTheAnswerRemovesIt() {
        var s = gallery(count: 3)
        Drive.press(&s, .end, .char("d"))
        #expect(s.confirmation == .deleteImage("/g/2.png"))
        #expect(reduce(&s, .key(.char("y"))) == [.gallery(.delete("/g/2.png"))])
        #expect(reduce(&s, .gallery(.deleted("/g/2.png"))) == [.terminal(.forgetPicture("/g/2.png"))])
        #expect(s.gallery?.entries.count == 2 && selected(s) == 1 && s.hint == .info("Deleted /g/2.png"))
    }

    @Test(arguments: [Key.char("n"), .escape, .enter, .char("d")])
    func anyAnswerButYKeepsTheImage(key: Key) {
        var s = gallery(count: 3)
        Drive.press(&s, .char("d"), key)
        #expect(s.confirmation == nil && s.gallery?.entries.count == 3)
    }

    @Test func capitalRScansAgainAndAFailureIsAWarning() {
        var s = gallery()
        #expect(reduce(&s, .key(.char("R"))) == [.gallery(.scan)])
        #expect(reduce(&s, .gallery(.failed(.storage("permission denied")))) == [])
        #expect(s.hint == .warning("Gallery: permission denied") && s.gallery != nil)
    }

    @Test func aGridResizeKeepsTheSelectionInView() {
        var s = gallery(count: 30, columns: 3, rows: 2)
        Drive.press(&s, .end)
        #expect(reduce(&s, .gallery(.grid(columns: 5, rows: 2))) == [])
        #expect(selected(s) == 29 && s.gallery?.top == 4)
        #expect(reduce(&s, .gallery(.grid(columns: 0, rows: 0))) == [])       // a screen too small: one tile
        #expect(s.gallery?.columns == 1 && s.gallery?.rows == 1 && s.gallery?.top == 29)
    }

    @Test func aJobSavedWhileTheGalleryIsOpenRescansIt() {
        var s = AppState.fixture()
        Drive.submit(&s, "sea", id: 1)
        #expect(reduce(&s, .key(.function(4))) == [.gallery(.scan)])
        let id = JobID(1)
        #expect(reduce(&s, .submitted(id, Drive.remote(1), status: .completed(Drive.ref))) == [.download(id, Drive.ref, backend: "demo")])
        #expect(reduce(&s, .downloaded(id, Drive.png)) == [.save(id, Drive.png, Drive.request("sea"), remote: Drive.remote(1), backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(reduce(&s, .saved(id, Drive.saved(1))) == [.terminal(.notify(id)), .gallery(.scan)])
    }

    @Test(arguments: [Key.escape, .char("q"), .char("g")])
    func escQAndGCloseTheGallery(key: Key) {
        var s = gallery()
        Drive.press(&s, key)
        #expect(s.gallery == nil && s.focus == .prompt)
    }

    @Test func questionMarkInTheGalleryShowsTheHelpOverItAndEscClosesOnlyTheHelp() {
        var s = gallery()
        Drive.press(&s, .char("?"))
        #expect(s.showHelp && s.gallery != nil)
        Drive.press(&s, .escape)
        #expect(!s.showHelp && s.gallery != nil)
        Drive.press(&s, .escape)
        #expect(s.gallery == nil)
    }

    @Test func escBacksOutOfTheSearchRestoringTheDraft() {
        var s = Drive.finished(["sea"])
        Drive.press(&s, .ctrl("u"))
        Drive.type(&s, "draft")
        Drive.press(&s, .ctrl("r"))
        Drive.type(&s, "se")
        #expect(s.editor.prompt.text == "sea")
        Drive.press(&s, .escape)
        #expect(s.search == nil && s.editor.prompt.text == "draft")
    }

    @Test func escBacksOutOfTheParametersFieldDiscardingIt() {
        var s = AppState.fixture(prompt: "sea")
        Drive.press(&s, .alt("e"), .ctrl("u"))
        Drive.type(&s, "steps=5")
        Drive.press(&s, .escape)
        #expect(s.fieldEdit == nil && s.editor.parameters.steps == 30 && s.editor.prompt.text == "sea")
    }

    @Test func escAnswersNoToTheQuitQuestion() {
        var s = AppState.fixture()
        s.ephemeralBackends = ["demo"]
        Drive.submit(&s, "sea", id: 1)
        Drive.press(&s, .ctrl("c"))
        #expect(s.confirmation == .quitLosingJobs(1))
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(s.confirmation == nil)
    }

    @Test func escInTheFilterClearsItAndASecondEscLeavesThePane() {
        var s = Drive.finished(["sea", "fog"])
        Drive.press(&s, .backTab, .char("/"))
        Drive.type(&s, "fog")
        #expect(Array(s.historyRows).count == 1)
        Drive.press(&s, .escape)
        #expect(!s.filterEditing && s.history.filter.isEmpty && Array(s.historyRows).count == 2 && s.focus == .history)
        Drive.press(&s, .escape)
        #expect(s.focus == .prompt)
    }
}
