import EaselCore
import EaselTerminal
import EaselUI
import Testing
import TestSupport

@Suite("Rendering the studio into a cell buffer")
struct ScreenRenderTests {
    let cell = PixelSize(width: 10, height: 20)

    func frame(_ state: AppState, _ w: Int = 120, _ h: Int = 36,
               status: PreviewStatus = .unavailable) -> Frame {
        render(state, size: CellSize(columns: w, rows: h), cell: cell, previewStatus: { _ in status })
    }

    func submitted(_ prompt: String = "a lighthouse at dusk") -> AppState {
        var s = AppState.fixture(prompt: prompt)
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), .fixture(prompt: prompt), backend: "demo")])
        #expect(reduce(&s, .submitted(JobID(1), RemoteJobID("r1"), status: .running(progress: 0.42))) == [.poll(JobID(1), RemoteJobID("r1"), after: .seconds(2), backend: "demo")])
        #expect(reduce(&s, .tick(t0 + .milliseconds(3_200), wallTime: 0)) == [])
        return s
    }

    @Test func anIdleScreenShowsTheEditorPanesAndTheBackend() {
        let lines = frame(.fixture(prompt: "a lighthouse at dusk")).buffer.lines
        #expect(lines[0].hasPrefix("┌ Prompt "))
        #expect(lines[1].hasPrefix("│a lighthouse at dusk "))
        #expect(lines[3].contains("seed: 42   768×768   steps: 30"))
        #expect(lines.joined().contains("No jobs running"))
        #expect(lines[35].hasPrefix(" demo backend — procedural, offline · exclusive · Enter generate"))
    }

    @Test func aLongPromptWrapsBetweenWordsAndSaysHowManyLinesAreAbove() {
        let prompt = "a tall lighthouse stands at the edge of a stormy sea while gulls circle overhead and waves crash against the rocks below at dusk"
        let f = frame(.fixture(prompt: prompt))
        let lines = f.buffer.lines
        #expect(lines[1].hasPrefix("│gulls circle overhead and waves crash against the rocks below  "), "\(lines[1])")
        #expect(lines[2].hasPrefix("│at dusk "), "\(lines[2])")
        #expect(lines[0].hasPrefix("┌ Prompt ") && lines[0].contains(" ↑1 ┐"), "\(lines[0])")
        #expect(f.buffer.cursor?.x == 1 + 7 && f.buffer.cursor?.y == 2)
        var top = AppState.fixture(prompt: prompt)
        #expect(reduce(&top, .key(.ctrl("a"))) == [])                      // the cursor at the start: the first lines show
        let start = frame(top).buffer
        #expect(start.lines[1].hasPrefix("│a tall lighthouse stands at the edge of a stormy sea while  "), "\(start.lines[1])")
        #expect(start.lines[0].contains(" ↓1 ┐") && start.cursor?.x == 1 && start.cursor?.y == 1)
    }

    @Test func aProcessingJobLocksTheEditorVisiblyAndShowsProgressAndElapsedTime() {
        let f = frame(submitted())
        let lines = f.buffer.lines
        #expect(lines[0].contains("Prompt — locked while a job processes"))
        #expect(f.buffer[1, 1].role == .locked)
        #expect(f.buffer.cursor == nil)
        #expect(lines[6].contains("━━━───── processing 42% 12/30 ETA 5s  3.2s  a lighthouse at d"))
        #expect(lines[35].contains("#1 ━━━━────── processing 42% 12/30 ETA 5s 3.2s"))
        #expect(lines.joined().contains("768×768  seed 42"))
    }

    /// A service that names its steps (ComfyUI) shows the running node and its own step count, not the request's.
    @Test func theQueueRowShowsTheRunningNodeAndItsSteps() {
        var s = submitted()
        #expect(reduce(&s, .statusPolled(JobID(1), .running(progress: 0.4, step: StepProgress(step: 12, total: 30, node: "KSampler")))) == [.poll(JobID(1), RemoteJobID("r1"), after: .seconds(2), backend: "demo")])
        let lines = frame(s).buffer.lines
        #expect(lines[6].contains("processing 40% KSampler 12/30"), "\(lines[6])")
        #expect(lines[35].contains("KSampler 12/30"), "\(lines[35])")
        #expect(reduce(&s, .statusPolled(JobID(1), .running(progress: 0.5))) == [.poll(JobID(1), RemoteJobID("r1"), after: .seconds(2), backend: "demo")])
        #expect(frame(s).buffer.lines[6].contains("processing 50% 15/30"), "a fraction alone: the request's steps")
    }

    /// A live preview is encoded only while the preview pane is on screen: the gallery or the help over it
    /// asks the graphics layer for nothing of it.
    @Test func aLivePreviewIsNotEncodedWhileThePaneIsCovered() {
        var s = submitted()
        #expect(reduce(&s, .livePreview(JobID(1), path: "/tmp/live-1.png")) == [])
        var asked: [String] = []
        let ask: (ImagePresenter.Request) -> PreviewStatus = { asked.append($0.path); return .encoding }
        _ = render(s, size: CellSize(columns: 120, rows: 36), cell: cell, previewStatus: ask)
        #expect(asked.contains("/tmp/live-1.png"))
        asked = []
        #expect(reduce(&s, .key(.function(4))) == [.gallery(.scan)])
        #expect(s.gallery != nil)
        _ = render(s, size: CellSize(columns: 120, rows: 36), cell: cell, previewStatus: ask)
        #expect(!asked.contains("/tmp/live-1.png"), "\(asked)")
        #expect(reduce(&s, .key(.function(4))) == [])
        s.modal = .help(scroll: 0, under: nil)
        asked = []
        _ = render(s, size: CellSize(columns: 120, rows: 36), cell: cell, previewStatus: ask)
        #expect(asked.isEmpty, "\(asked)")
    }

    @Test func thePlaceholderKeepsTheOutputsAspectRatio() {
        var s = AppState.fixture(prompt: "wide", parameters: GenerationParameters(width: 1024, height: 512, seed: 1))
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), GenerationRequest(prompt: "wide", width: 1024, height: 512, seed: 1, steps: 30), backend: "demo")])
        let f = frame(s)
        // Count placeholder cells on the preview's middle row and column.
        let row = (0..<120).filter { [.placeholder, .placeholderPulse].contains(f.buffer[$0, 17].role) }.count
        let col = (0..<36).filter { [.placeholder, .placeholderPulse].contains(f.buffer[90, $0].role) }.count
        let aspect = Double(row * cell.width) / Double(col * cell.height)
        #expect(abs(aspect - 2.0) < 0.25, "placeholder is \(row)×\(col) cells")
    }

    @Test func aCompletedJobLeavesTheImageRectBlankForTheGraphicsLayer() {
        var s = submitted()
        let image = SavedImage(path: "/g/x.png", width: 768, height: 768)
        #expect(reduce(&s, .statusPolled(JobID(1), .completed(ImageRef(url: "u")))) == [.download(JobID(1), ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&s, .downloaded(JobID(1), ImageData([1]))) == [.save(JobID(1), ImageData([1]), .fixture(prompt: "a lighthouse at dusk"), remote: RemoteJobID("r1"), backend: "demo", timings: JobTimings(elapsed: .milliseconds(3_200), download: .zero))])
        #expect(reduce(&s, .saved(JobID(1), image)) == [.terminal(.notify(JobID(1)))])
        let ready = frame(s, status: .ready(EncodedImage(payload: .bytes([0x1B]), pixels: PixelSize(width: 300, height: 300),
                                                         cells: CellSize(columns: 30, rows: 15))))
        let pic = try! #require(ready.pictures.first)
        #expect(pic.path == "/g/x.png")
        #expect(ready.buffer.lines[pic.rect.y + 3].contains(String(repeating: " ", count: pic.rect.width)))
        let text = frame(s, status: .unavailable).buffer.lines.joined()
        #expect(text.contains("✓ saved") && text.contains("/g/x.png") && text.contains("(pictures are off: --graphics none)"))
        #expect(frame(s, status: .unavailable).pictures.isEmpty)
        let noColor = render(s, size: CellSize(columns: 120, rows: 36), cell: cell, picturesOff: "NO_COLOR") { _ in .unavailable }
        #expect(noColor.buffer.lines.joined().contains("(pictures are off: NO_COLOR)"))
    }

    @Test func theSavedPathIsALinkOverExactlyTheTextDrawn() {
        var s = submitted()
        #expect(reduce(&s, .statusPolled(JobID(1), .completed(ImageRef(url: "u")))) == [.download(JobID(1), ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&s, .downloaded(JobID(1), ImageData([1]))) == [.save(JobID(1), ImageData([1]), .fixture(prompt: "a lighthouse at dusk"), remote: RemoteJobID("r1"), backend: "demo", timings: JobTimings(elapsed: .milliseconds(3_200), download: .zero))])
        #expect(reduce(&s, .saved(JobID(1), SavedImage(path: "/g/a b.png", width: 4, height: 4))) == [.terminal(.notify(JobID(1)))])
        let f = frame(s)
        let link = try! #require(f.links.first)
        #expect(link.text == "/g/a b.png")
        #expect(link.url.hasPrefix("file://") && link.url.hasSuffix("/g/a%20b.png"))
        let drawn = (link.x..<(link.x + link.text.count)).map { f.buffer[$0, link.y].text }.joined()
        #expect(drawn == link.text)
    }

    @Test func blockPicturesAreDrawnIntoTheBufferCentredAndNeedNoGraphicsWrite() throws {
        var s = submitted()
        #expect(reduce(&s, .statusPolled(JobID(1), .completed(ImageRef(url: "u")))) == [.download(JobID(1), ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&s, .downloaded(JobID(1), ImageData([1]))) == [.save(JobID(1), ImageData([1]), .fixture(prompt: "a lighthouse at dusk"), remote: RemoteJobID("r1"), backend: "demo", timings: JobTimings(elapsed: .milliseconds(3_200), download: .zero))])
        #expect(reduce(&s, .saved(JobID(1), SavedImage(path: "/g/x.png", width: 4, height: 4))) == [.terminal(.notify(JobID(1)))])
        let red = Paint(fg: .rgb(255, 0, 0), bg: .rgb(0, 0, 255))
        let cells = Array(repeating: Cell("▀", role: .text, paint: red), count: 4 * 2)
        let f = frame(s, status: .ready(EncodedImage(payload: .cells(cells), pixels: PixelSize(width: 4, height: 4),
                                                     cells: CellSize(columns: 4, rows: 2))))
        #expect(f.pictures.isEmpty)
        let painted = (0..<120).flatMap { x in (0..<36).map { (x, $0) } }.filter { f.buffer[$0.0, $0.1].paint == red }
        #expect(painted.count == 8)
        let layout = Layout(size: CellSize(columns: 120, rows: 36))
        let inner = layout.preview.inset(by: 1)
        #expect(painted.allSatisfy { p in p.1 >= inner.y && p.1 < inner.maxY && p.0 >= inner.x && p.0 < inner.maxX })
    }

    @Test func theFocusedHistoryShowsTheSelectedJobsThumbnail() {
        var s = submitted()
        #expect(reduce(&s, .statusPolled(JobID(1), .completed(ImageRef(url: "u")))) == [.download(JobID(1), ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&s, .downloaded(JobID(1), ImageData([1]))) == [.save(JobID(1), ImageData([1]), .fixture(prompt: "a lighthouse at dusk"), remote: RemoteJobID("r1"), backend: "demo", timings: JobTimings(elapsed: .milliseconds(3_200), download: .zero))])
        #expect(reduce(&s, .saved(JobID(1), SavedImage(path: "/g/x.png", width: 4, height: 4))) == [.terminal(.notify(JobID(1)))])
        s.focus = .history
        var asked: [ImagePresenter.Request] = []
        let f = render(s, size: CellSize(columns: 120, rows: 36), cell: cell, previewStatus: { r in
            asked.append(r)
            return .ready(EncodedImage(payload: .bytes([0x1B]), pixels: PixelSize(width: 10, height: 10), cells: CellSize(columns: 2, rows: 1)))
        })
        #expect(f.pictures.count == 2)
        let thumb = f.pictures.first { $0.rect.width == 20 }
        #expect(thumb?.path == "/g/x.png")
        #expect(thumb.map { Layout(size: CellSize(columns: 120, rows: 36)).history.inset(by: 1).maxX == $0.rect.maxX } == true)
    }

    @Test func failuresShowTheirCategoryMessage() {
        var s = submitted()
        #expect(reduce(&s, .failed(JobID(1), .unauthorized("401 bad key"), during: .poll)) == [.terminal(.notify(JobID(1)))])
        let text = frame(s).buffer.lines.joined()
        #expect(text.contains("unauthorized: 401 bad key"))
        #expect(text.contains("Check the API key for this backend."))
        #expect(text.contains("✗"))
    }

    @Test func serverTextIsSanitizedBeforeItReachesTheBuffer() {
        var s = submitted()
        #expect(reduce(&s, .failed(JobID(1), .inferenceFailed("evil\u{1B}]0;title\u{07}\u{1B}[2J text"), during: .download)) == [.terminal(.notify(JobID(1)))])
        let text = frame(s).buffer.lines.joined()
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(text.contains("evil text"))
    }

    @Test func wideCharactersTakeTwoCellsAndTheBorderStaysAligned() {
        let lines = frame(.fixture(prompt: "日本語の猫")).buffer.lines
        #expect(lines[1].hasPrefix("│日本語の猫 "))
        #expect(frame(.fixture(prompt: "日本語の猫")).buffer[11, 1].text == " ")
    }

    @Test func theHelpOverlayIsGeneratedFromTheKeymapAndHidesThePicture() {
        var s = AppState.fixture(prompt: "x")
        s.modal = .help(scroll: 0, under: nil)
        let f = frame(s, status: .ready(EncodedImage(payload: .bytes([0x1B]), pixels: PixelSize(width: 6, height: 6),
                                                     cells: CellSize(columns: 1, rows: 1))))
        // Scroll through the overlay (j) and gather every page.
        var text = f.buffer.lines.joined(separator: "\n")
        for _ in 0..<60 {
            #expect(reduce(&s, .key(.char("j"))) == [])
            text += frame(s).buffer.lines.joined(separator: "\n")
        }
        for row in Keymap.default.helpRows(in: .prompt) { #expect(text.contains(row.doc), "missing \(row.command)") }
        #expect(text.contains("Left, C-b"))
        #expect(f.pictures.isEmpty)
    }

    /// PgDn scrolled the help 10 lines whatever it showed, and past its end (PgUp then did nothing for a while):
    /// the loop reports the overlay's page (`.helpPage`), and PgUp / PgDn move by it within the first and last.
    @Test func pgDnMovesTheHelpAPageAndStopsAtItsLastPage() throws {
        let size = CellSize(columns: 99, rows: 24)
        var s = AppState.fixture(prompt: "x")
        s.modal = .help(scroll: 0, under: nil)
        let page = helpPage(size, keymap: .default)
        try #require(page.lines > 2 * page.shown, "\(page)")           // three pages or more at this size
        #expect(reduce(&s, .helpPage(lines: page.lines, shown: page.shown)) == [])
        #expect(reduce(&s, .key(.pageDown)) == [])
        #expect(s.helpScroll == page.shown)
        for _ in 0..<50 { _ = reduce(&s, .key(.pageDown)) }
        #expect(s.helpScroll == page.lines - page.shown)
        _ = reduce(&s, .key(.pageUp))
        let lines = render(s, size: size, keymap: .default, cell: cell) { _ in .unavailable }.buffer.lines
        let first = page.lines - 2 * page.shown + 1
        #expect(lines.contains { $0.contains("Keys \(first)–\(first + page.shown - 1) of \(page.lines)") }, "\(lines.filter { $0.contains("Keys") })")
        _ = reduce(&s, .helpPage(lines: page.lines, shown: page.lines))   // a taller screen shows it all: back to the top
        #expect(s.helpScroll == 0)
    }

    @Test func theHelpSaysGlobalKeysWorkOverItAndAlignsEveryDocHoweverLongItsKeys() throws {
        let keymap = try Keymap.default.overriding([.prompt: ["F5", "F6", "F7", "F8"].map { (key: $0, command: "yank") }])
        var s = AppState.fixture(prompt: "x")
        s.modal = .help(scroll: 0, under: nil)
        var pages: [String] = []
        for _ in 0..<16 {                                  // every page of the one column (under 100 columns)
            pages += render(s, size: CellSize(columns: 99, rows: 36), keymap: keymap, cell: cell) { _ in .unavailable }.buffer.lines
            #expect(reduce(&s, .key(.pageDown)) == [])
        }
        #expect(pages.contains { $0.contains("Everywhere, help too (Tab, S-Tab, F4, F5 close it)") })
        #expect(pages.contains { $0.contains("C-y, F5, F6, F7, F8") })
        var columns: Set<Int> = []
        for row in keymap.helpRows(in: .prompt) {
            let line = try #require(pages.first { $0.contains(row.doc) }, "missing \(row.command)")
            columns.insert(line.distance(from: line.startIndex, to: try #require(line.range(of: row.doc)).lowerBound))
        }
        #expect(columns.count == 1, "docs start at columns \(columns.sorted())")   // C-w, M-Backspace and the F-keys too
    }

    @Test func aQueueLongerThanItsPaneSaysHowManyJobsAreOutOfSight() {
        var s = AppState.fixture(prompt: "", mode: .queue)
        for i in 1...5 {                                     // one slot: the first is sent, the rest wait
            s.editor.prompt = PromptEditor("p\(i)")
            #expect(reduce(&s, .key(.enter)) == (i == 1 ? [.submit(JobID(1), .fixture(prompt: "p1"), backend: "demo")] : []))
        }
        let top = frame(s).buffer.lines
        #expect(top[5].hasPrefix("┌ Queue (5) · +2 more ↓ ─"), "\(top[5])")   // 3 rows of 5 shown
        #expect(top[6...8].map { $0.contains("p1") || $0.contains("p2") || $0.contains("p3") } == [true, true, true])
        #expect(reduce(&s, .key(.tab)) == [])
        for _ in 1...4 { #expect(reduce(&s, .key(.char("j"))) == []) }
        let bottom = frame(s).buffer.lines
        #expect(bottom[5].hasPrefix("┌ Queue (5) · ↑2 ─"), "\(bottom[5])")
        #expect(bottom[8].contains("p5"))
    }

    @Test func aHistoryLongerThanItsPaneSaysHowManyJobsAreOutOfSightAsTheQueueDoes() throws {
        var s = PaneCacheTests.history(40)
        let lines = frame(s).buffer.lines
        let title = try #require(lines.firstIndex { $0.contains("┌ History") })
        let shown = lines[(title + 1)...].prefix { !$0.hasPrefix("└") }.count { $0.contains("harbour") }
        #expect(shown > 0 && shown < 40)
        #expect(lines[title].contains("┌ History (40) · +\(40 - shown) more ↓ ─"), "\(lines[title])")
        // Scrolled to the oldest job: every row but the window is above it.
        s.focus = .history
        s.history.selection = JobID(1)
        let bottom = frame(s).buffer.lines
        #expect(bottom[title].contains("┌ History (40) · ↑\(40 - shown) ─"), "\(bottom[title])")
        // With a filter the count is the matching rows: harbour 1, 10…19.
        s.history.selection = nil
        s.history.filter = "harbour 1"
        let filtered = frame(s).buffer.lines
        #expect(filtered[title].contains("┌ History (11)"), "\(filtered[title])")
    }

    @Test func theHelpOverlayListsTheKeysThatAnswerQuestions() {
        var s = AppState.fixture(prompt: "x")
        s.modal = .help(scroll: 0, under: nil)
        var text = frame(s).buffer.lines.joined(separator: "\n")
        for _ in 0..<80 {
            #expect(reduce(&s, .key(.char("j"))) == [])
            text += frame(s).buffer.lines.joined(separator: "\n")
        }
        let rows = Keymap.default.helpRows(in: .confirm)
        #expect(!rows.isEmpty && text.contains("Questions"))
        for row in rows { #expect(text.contains(row.doc), "missing \(row.command)") }
    }

    @Test func aTinyTerminalGetsANoticeAndAnEmptyOneNothing() {
        #expect(frame(.fixture(), 30, 8).buffer.lines.joined().contains("Terminal too small"))
        #expect(frame(.fixture(), 59, 20).buffer.lines.joined().contains("Terminal too small"))
        #expect(!frame(.fixture(), 60, 15).buffer.lines.joined().contains("Terminal too small"))
        #expect(frame(.fixture(), 1, 1).buffer.lines.count == 1)
        #expect(frame(.fixture(), 0, 0).buffer.lines.isEmpty)
    }

    @Test func eightyByTwentyFourStacksThePanes() {
        let f = frame(submitted(), 80, 24)
        let lines = f.buffer.lines
        #expect(lines[0].hasPrefix("┌ Prompt"))
        #expect(lines.contains { $0.hasPrefix("┌ Preview") })
        #expect(lines.allSatisfy { DisplayWidthCount($0) == 80 })
    }

    private func DisplayWidthCount(_ s: String) -> Int { DisplayWidth.of(s) }
}

@Suite("The bundled theme")
struct ThemeTests {
    @Test func everyRoleResolvesInTheDefaultThemeWithoutWarnings() throws {
        let theme = try Theme.load("default", searchPath: [#filePath.split(separator: "/").dropLast(3).map(String.init).reduce("") { $0 + "/" + $1 } + "/themes"])
        #expect(theme.warnings.isEmpty, "\(theme.warnings)")
        #expect(theme.styles.count == Role.allCases.count)
        #expect(theme.styles[.jobFailed]?.bold == true)
        #expect(theme.styles[.borderFocused]?.fg == Color(parsing: "#e0a75e"))
    }

    @Test func unknownKeysAndColoursAreWarningsNotErrors() throws {
        let theme = try Theme(name: "t", toml: "\"ui.text\" = \"nope\"\n\"ui.bogus\" = \"red\"\n")
        #expect(theme.warnings.count == 2)
        #expect(throws: ThemeError.self) { try Theme(name: "bad", toml: "= = =") }
    }
}

@Suite("Where pictures may go")
struct PictureRectTests {
    @Test(arguments: [(80, 24), (100, 30), (120, 36), (200, 60), (60, 15), (300, 80)])
    func thePictureRectNeverReachesTheLastRow(columns: Int, rows: Int) {
        let layout = Layout(size: CellSize(columns: columns, rows: rows))
        let inner = layout.preview.inset(by: 1)
        let picture = Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - 1)
        #expect(picture.isEmpty || picture.maxY <= rows - 2, "a sixel ending on the last row scrolls the screen")
        #expect(picture.maxX <= columns)
        let panes = [layout.prompt, layout.queue, layout.history, layout.preview].filter { !$0.isEmpty }
        for pane in panes {
            #expect(pane.maxY <= rows - 1, "\(pane) overlaps the status bar")
            #expect(pane.x >= 0 && pane.maxX <= columns)
        }
        for (i, a) in panes.enumerated() {
            for b in panes[(i + 1)...] {
                let overlap = a.x < b.maxX && b.x < a.maxX && a.y < b.maxY && b.y < a.maxY
                #expect(!overlap, "\(a) overlaps \(b)")
            }
        }
    }
}
