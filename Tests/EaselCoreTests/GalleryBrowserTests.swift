import EaselCore
import TestSupport
import Testing

@Suite("Gallery browser (reducer)")
struct GalleryBrowserTests {
    static func entries(_ n: Int) -> [GalleryEntry] {
        (0..<n).map { GalleryEntry(path: "/g/img\($0).png", name: "img\($0).png", modified: Double(1000 - $0), size: 1000 + $0) }
    }

    /// The gallery open, scanned with `n` images, in a grid of `columns` × `rows`.
    static func open(_ n: Int, columns: Int = 4, rows: Int = 2) -> ReducerHarness {
        var store = ReducerHarness(state: .fixture(prompt: "draft"))
        store.send(.key(.function(4)), effects: [.gallery(.scan)]) { $0.gallery = GalleryBrowser() }
        store.send(.gallery(.grid(columns: columns, rows: rows))) { $0.gallery?.columns = columns; $0.gallery?.rows = rows }
        store.send(.gallery(.scanned(entries(n)))) {
            $0.gallery?.entries = entries(n)
            $0.gallery?.loading = false
        }
        return store
    }

    @Test func f4OpensTheBrowserWhichScansAndF4OrEscClosesIt() {
        var store = Self.open(3)
        store.send(.key(.function(4))) { $0.gallery = nil }
        store.send(.key(.function(4)), effects: [.gallery(.scan)]) { $0.gallery = GalleryBrowser() }
        store.send(.key(.escape)) { $0.gallery = nil }
    }

    @Test func gInTheHistoryPaneOpensIt() {
        var s = AppState.fixture()
        s.focus = .history
        #expect(reduce(&s, .key(.char("g"))) == [.gallery(.scan)])
        #expect(s.gallery?.loading == true)
    }

    @Test func arrowsAndVimKeysMoveInTheGridAndClampAtTheEdges() {
        var store = Self.open(10)
        store.send(.key(.right)) { $0.gallery?.selection = 1 }
        store.send(.key(.char("l"))) { $0.gallery?.selection = 2 }
        store.send(.key(.char("j"))) { $0.gallery?.selection = 6 }
        store.send(.key(.down)) { $0.gallery?.selection = 9; $0.gallery?.top = 1 }     // row 2 scrolls into view; clamped to the last
        store.send(.key(.char("k"))) { $0.gallery?.selection = 5 }
        store.send(.key(.left)) { $0.gallery?.selection = 4 }
        store.send(.key(.char("h"))) { $0.gallery?.selection = 3; $0.gallery?.top = 0 }
        store.send(.key(.up)) { $0.gallery?.selection = 0 }
        store.send(.key(.up))                                                          // already at the top: nothing
        store.send(.key(.char("k")))
    }

    @Test func pageKeysMoveAScreenAndHomeEndGoToTheEnds() {
        var store = Self.open(50, columns: 5, rows: 3)
        store.send(.key(.pageDown)) { $0.gallery?.selection = 15; $0.gallery?.top = 1 }
        store.send(.key(.pageDown)) { $0.gallery?.selection = 30; $0.gallery?.top = 4 }
        store.send(.key(.pageUp)) { $0.gallery?.selection = 15; $0.gallery?.top = 3 }
        store.send(.key(.end)) { $0.gallery?.selection = 49; $0.gallery?.top = 7 }
        store.send(.key(.home)) { $0.gallery?.selection = 0; $0.gallery?.top = 0 }
        #expect(store.state.gallery?.visible == 0..<15)
    }

    @Test func enterOpensTheSelectedFileAndStarToggles() {
        var store = Self.open(3)
        store.send(.key(.right)) { $0.gallery?.selection = 1 }
        store.send(.key(.enter), effects: [.open("/g/img1.png")])
        store.send(.key(.char("*")), effects: [.gallery(.setStar("/g/img1.png", true))]) { $0.gallery?.entries[1].starred = true }
        store.send(.key(.char("*")), effects: [.gallery(.setStar("/g/img1.png", false))]) { $0.gallery?.entries[1].starred = false }
    }

    @Test func deleteAsksFirstAndOnlyYDeletes() {
        var store = Self.open(3)
        store.send(.key(.char("d"))) { $0.modal = .question(.deleteImage("/g/img0.png"), under: $0.modal) }
        store.send(.key(.char("n"))) { $0.modal = $0.modal?.under }
        store.send(.key(.char("d"))) { $0.modal = .question(.deleteImage("/g/img0.png"), under: $0.modal) }
        store.send(.key(.char("y")), effects: [.gallery(.delete("/g/img0.png"))]) { $0.modal = $0.modal?.under }
        store.send(.gallery(.deleted("/g/img0.png")), effects: [.terminal(.forgetPicture("/g/img0.png"))]) {
            $0.gallery?.entries.removeFirst()
            $0.hint = .info("Deleted /g/img0.png")
        }
    }

    @Test func rReadsTheImagesParametersIntoTheEditorAndClosesTheBrowser() {
        var store = Self.open(3)
        store.send(.key(.char("r")), effects: [.gallery(.readParameters("/g/img0.png"))])
        let p = ImageParameters(prompt: "a lighthouse,\nat dusk", negativePrompt: "blurry", seed: 1_234_567_890, width: 512,
                                height: 640, steps: 20, source: "parameters")
        store.send(.gallery(.parametersRead(p))) {
            $0.editor.prompt.replace(with: "a lighthouse,\nat dusk")
            $0.editor.parameters.negativePrompt = "blurry"
            $0.editor.parameters.seed = 1_234_567_890
            ($0.editor.parameters.width, $0.editor.parameters.height) = (512, 640)
            $0.editor.parameters.steps = 20
            $0.gallery = nil
            $0.focus = .prompt
            $0.hint = .info("Loaded the prompt and parameters from the image (parameters); Enter generates")
        }
    }

    @Test func outOfRangeParametersFromAFileAreNotApplied() {
        var s = AppState.fixture()
        #expect(reduce(&s, .gallery(.parametersRead(ImageParameters(prompt: "x", width: 99_999, height: 10, steps: 9_999, source: "sidecar")))) == [])
        #expect(s.editor.prompt.text == "x")
        #expect((s.editor.parameters.width, s.editor.parameters.height, s.editor.parameters.steps) == (768, 768, 30))
    }

    @Test func aRescanKeepsTheSelectedFileAndFailuresBecomeAWarning() {
        var store = Self.open(5)
        store.send(.key(.right)) { $0.gallery?.selection = 1 }
        let newer = [GalleryEntry(path: "/g/new.png", name: "new.png", modified: 2000, size: 1)] + Self.entries(5)
        store.send(.gallery(.scanned(newer))) { $0.gallery?.entries = newer; $0.gallery?.selection = 2 }
        store.send(.gallery(.failed(.storage("/g: Permission denied")))) { $0.hint = .warning("Gallery: /g: Permission denied") }
    }

    @Test func resultsForAClosedBrowserAreIgnoredAndKeysGoBackToThePanes() {
        var s = AppState.fixture(prompt: "")
        #expect(reduce(&s, .gallery(.scanned(Self.entries(3)))) == [])
        #expect(s.gallery == nil)
        #expect(reduce(&s, .key(.char("h"))) == [])
        #expect(s.editor.prompt.text == "h")
    }

    @Test func theHelpOverlayListsTheGalleryKeys() {
        let rows = Keymap.default.helpRows(in: .gallery)
        #expect(rows.contains { $0.command == .selectLeft && $0.keys == ["Left", "h"] })
        #expect(rows.contains { $0.command == .deleteImage && $0.keys == ["d"] })
        #expect(rows.contains { $0.command == .loadImage && $0.keys == ["r"] })
        #expect(Keymap.default.command(for: .function(4), in: .global) == .openGallery)
    }
}

@Suite("Gallery browser input routing")
struct GalleryInputRoutingTests {
    @Test func pastesAndClicksDoNotReachThePanesUnderTheBrowserAndTheWheelMovesARow() {
        var store = GalleryBrowserTests.open(12)
        store.send(.paste("hidden text"))
        store.send(.clicked(.history, job: nil))
        store.send(.scrolled(.history, by: 1)) { $0.gallery?.selection = 4 }
        store.send(.scrolled(.queue, by: -1)) { $0.gallery?.selection = 0 }
    }

    @Test func anImageSavedWhileTheBrowserIsOpenTriggersARescan() {
        var s = AppState.fixture(prompt: "new one")
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), .fixture(prompt: "new one"), backend: "demo")])
        #expect(reduce(&s, .submitted(JobID(1), RemoteJobID("r1"), status: .completed(ImageRef(url: "u")))) == [.download(JobID(1), ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&s, .downloaded(JobID(1), ImageData([1]))) == [.save(JobID(1), ImageData([1]), .fixture(prompt: "new one"), remote: RemoteJobID("r1"), backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(reduce(&s, .key(.function(4))) == [.gallery(.scan)])
        #expect(reduce(&s, .saved(JobID(1), SavedImage(path: "/g/new.png", width: 1, height: 1))) == [.terminal(.notify(JobID(1))), .gallery(.scan)])
    }

    @Test func fileProblemsReadAsTheReasonAlone() {
        #expect(JobError.badResponse("/x.png: not a PNG, JPEG or WebP image").fileMessage == "/x.png: not a PNG, JPEG or WebP image")
        #expect(JobError.storage("/g\u{1B}[2J: denied").fileMessage == "/g: denied")
    }
}
