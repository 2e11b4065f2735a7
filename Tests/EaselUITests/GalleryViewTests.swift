import EaselCore
import EaselTerminal
import EaselUI
import Testing
import TestSupport

@Suite("The gallery browser view")
struct GalleryViewTests {
    let cell = PixelSize(width: 10, height: 20)

    /// The studio with the gallery open over `n` images, in the grid the loop would measure at `w`×`h`.
    func state(_ n: Int, _ w: Int = 120, _ h: Int = 36, name: (Int) -> String = { "img-\($0).png" }) -> AppState {
        var s = AppState.fixture()
        #expect(reduce(&s, .key(.function(4))) == [.gallery(.scan)])
        let grid = galleryGrid(CellSize(columns: w, rows: h))
        #expect(reduce(&s, .gallery(.grid(columns: grid.columns, rows: grid.rows))) == [])
        #expect(reduce(&s, .gallery(.scanned((0..<n).map {
            GalleryEntry(path: "/g/\(name($0))", name: "2026-01-01/\(name($0))", modified: Double(-$0), size: 2_100_000)
        }))) == [])
        return s
    }

    func frame(_ s: AppState, _ w: Int = 120, _ h: Int = 36, status: @escaping (ImagePresenter.Request) -> PreviewStatus) -> Frame {
        render(s, size: CellSize(columns: w, rows: h), cell: cell, previewStatus: status)
    }

    @Test func onlyVisibleTilesAskForThumbnailsAndByteImagesAreReturnedForTheGraphicsLayer() {
        let s = state(3000)
        var asked: [ImagePresenter.Request] = []
        let f = frame(s) { asked.append($0); return .ready(EncodedImage(payload: .bytes([1]), pixels: PixelSize(width: 1, height: 1),
                                                                         cells: CellSize(columns: 1, rows: 1))) }
        let grid = galleryGrid(CellSize(columns: 120, rows: 36))
        #expect(asked.count == grid.columns * grid.rows)                 // 15 of 3000
        #expect(asked.allSatisfy { $0.thumbnail })
        #expect(f.pictures == asked)
        #expect(f.buffer.lines[0].hasPrefix("┌ Gallery — 1 of 3000 — "))
        #expect(f.buffer.lines.joined().contains("2026-01-01/img-0.png  2.1 MB"))
        // Each picture sits inside its tile's border, and no two overlap.
        for (i, a) in asked.enumerated() {
            for b in asked[(i + 1)...] { #expect(a.rect.maxX <= b.rect.x || b.rect.maxX <= a.rect.x || a.rect.maxY <= b.rect.y || b.rect.maxY <= a.rect.y) }
            #expect(a.rect.x >= 2 && a.rect.maxX <= 118 && a.rect.y >= 2 && a.rect.maxY <= 34)
        }
    }

    @Test func scrollingShowsTheNextRowsThumbnailsNotTheFirst() {
        var s = state(100)
        #expect(reduce(&s, .key(.end)) == [])
        var asked: [String] = []
        _ = frame(s) { asked.append($0.path); return .encoding }
        #expect(asked.contains("/g/img-99.png") && !asked.contains("/g/img-0.png"))
    }

    @Test func blockThumbnailsAreCellsInTheBufferAndNeedNoWrite() {
        let s = state(2)
        let red = Paint(fg: .rgb(255, 0, 0), bg: .rgb(0, 0, 255))
        let f = frame(s) { _ in .ready(EncodedImage(payload: .cells(Array(repeating: Cell("▀", role: .text, paint: red), count: 6)),
                                                    pixels: PixelSize(width: 3, height: 4), cells: CellSize(columns: 3, rows: 2))) }
        #expect(f.pictures.isEmpty)
        #expect(f.buffer.lines.map { $0.filter { $0 == "▀" }.count }.reduce(0, +) == 12)     // two tiles, 3×2 cells each
    }

    @Test func hostileFileNamesAreSanitizedAndTheDeleteQuestionIsShown() {
        var s = state(2, name: { "evil\u{1B}]52;c;aGk=\u{07}\($0).png" })
        #expect(reduce(&s, .key(.char("d"))) == [])
        let f = frame(s) { _ in .unavailable }
        let text = f.buffer.lines.joined()
        #expect(!text.contains("\u{1B}") && !text.contains("\u{07}"))
        #expect(text.contains("Delete /g/evil"))
        #expect(text.contains("? y / n"))
    }

    @Test func anEmptyGalleryAndAScanInProgressSaySo() {
        var s = AppState.fixture()
        #expect(reduce(&s, .key(.function(4))) == [.gallery(.scan)])
        #expect(frame(s) { _ in .unavailable }.buffer.lines[0].hasPrefix("┌ Gallery — scanning…"))
        #expect(reduce(&s, .gallery(.scanned([]))) == [])
        let lines = frame(s) { _ in .unavailable }.buffer.lines
        #expect(lines[0].hasPrefix("┌ Gallery — empty"))
        #expect(lines.joined().contains("No images yet"))
    }

    @Test func theGalleryFitsSmallTerminalsAndATinyOneDrawsNothingOfIt() {
        for (w, h) in [(60, 15), (80, 24), (300, 80)] {
            let s = state(50, w, h)
            var asked: [ImagePresenter.Request] = []
            let f = frame(s, w, h) { asked.append($0); return .encoding }
            #expect(!asked.isEmpty, "\(w)×\(h)")
            #expect(asked.allSatisfy { $0.rect.maxX < w && $0.rect.maxY < h - 1 }, "\(w)×\(h)")
            #expect(f.buffer.lines[h - 1].contains("Esc close"))
        }
        let tiny = frame(state(5, 20, 5), 20, 5) { _ in .encoding }
        #expect(tiny.buffer.lines.joined().contains("Terminal too small"))
    }

    @Test func theHelpOverlayListsTheGalleryKeysAndHidesTheTiles() {
        var s = state(5)
        #expect(reduce(&s, .key(.char("?"))) == [])
        let f = frame(s) { _ in .ready(EncodedImage(payload: .bytes([1]), pixels: PixelSize(width: 1, height: 1), cells: CellSize(columns: 1, rows: 1))) }
        #expect(f.pictures.isEmpty)
        #expect(f.buffer.lines.contains { $0.contains("Keys") && $0.contains("Esc closes") })
        var seen = false
        for _ in 0..<20 where !seen {                   // the overlay scrolls: page down to the gallery's group
            #expect(reduce(&s, .key(.pageDown)) == [])
            let lines = frame(s) { _ in .unavailable }.buffer.lines
            seen = lines.contains { $0.contains("Delete the image file (asks first)") } && lines.contains { $0.contains("Gallery") }
        }
        #expect(seen)
    }
}
