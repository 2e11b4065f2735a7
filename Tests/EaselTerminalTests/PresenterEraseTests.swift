import Dispatch
import EaselImaging
import EaselTerminal
import Foundation
import Testing

/// A protocol whose payload names the picture and its size, so a model terminal can tell which cells it covers.
struct NamedPictures: GraphicsProtocol {
    let name = "named"
    func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize) throws(GraphicsError) -> EncodedImage {
        let cells = CellSize(columns: (box.width + cell.width - 1) / cell.width, rows: (box.height + cell.height - 1) / cell.height)
        let id = image.pixels[0]                                 // each test image has its own first byte
        return EncodedImage(payload: .bytes(Array("PIC\(id):\(cells.columns)x\(cells.rows)".utf8)), pixels: box, cells: cells)
    }
}

/// A terminal that remembers which picture owns each cell's pixels, as xterm does: a picture covers its cells,
/// and a scrubbed cell that curses rewrites loses its pixels.
final class ModelTerminal: PictureSurface {
    var owner: [[String?]]
    var pending: [Rect] = []
    var scrubbed: [Rect] = []
    var writes = 0
    var raw: [[UInt8]] = []

    init(columns: Int, rows: Int) { owner = Array(repeating: Array(repeating: nil, count: columns), count: rows) }

    func scrub(_ rect: Rect) { pending.append(rect) }

    /// `Screen.draw`: the scrubbed cells are rewritten.
    func draw() {
        for r in pending { for y in r.y..<r.maxY { for x in r.x..<min(r.maxX, owner[y].count) { owner[y][x] = nil } } }
        scrubbed += pending
        pending = []
    }

    func writeRaw(_ bytes: [UInt8]) {
        raw.append(bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        guard let cup = text.firstMatch(of: /\[(\d+);(\d+)HPIC(\d+):(\d+)x(\d+)/) else { return }
        writes += 1
        let (row, col) = (Int(cup.1)! - 1, Int(cup.2)! - 1)
        for y in row..<(row + Int(cup.5)!) { for x in col..<(col + Int(cup.4)!) { owner[y][x] = "PIC" + cup.3 } }
    }

    func owners(in r: Rect) -> Set<String?> {
        var s = Set<String?>()
        for y in r.y..<r.maxY { for x in r.x..<r.maxX { s.insert(owner[y][x]) } }
        return s
    }
}

/// Issue 16, item 6: erasing one picture never damages another (History's thumbnail beside the preview,
/// gallery tiles on one row).
@Suite("Erasing a picture leaves the others whole")
struct PresenterEraseTests {
    let cell = PixelSize(width: 6, height: 13)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("easel-erase-\(UUID().uuidString)").path

    /// A PNG whose first pixel byte is `id`.
    func picture(_ id: UInt8) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var pixels = [UInt8](repeating: 255, count: 8 * 8 * 4)
        pixels[0] = id
        let path = dir + "/\(id).png"
        try Data(try ImageCodec.encodePNG(RGBAImage(width: 8, height: 8, pixels: pixels))).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs frames as the loop does (`prepare`, draw, `present`), each after every picture is encoded.
    func frame(_ presenter: ImagePresenter, _ term: ModelTerminal, _ encoded: DispatchSemaphore,
               _ requests: [ImagePresenter.Request]) {
        for r in requests where presenter.status(for: r) == .encoding { encoded.wait() }
        presenter.prepare(term, showing: requests) { _ in false }
        term.draw()
        presenter.present(term, showing: requests)
    }

    @Test func leavingHistoryErasesOnlyTheThumbnailAndThePreviewStaysWhole() throws {
        let encoded = DispatchSemaphore(value: 0)
        let presenter = ImagePresenter(graphics: NamedPictures(), cell: cell) { encoded.signal() }
        let term = ModelTerminal(columns: 120, rows: 36)
        // The 120×36 layout: History's thumbnail (left column, rows 11–18) shares rows with the preview.
        let preview = ImagePresenter.Request(path: try picture(1), rect: Rect(x: 67, y: 1, width: 52, height: 33))
        let thumbnail = ImagePresenter.Request(path: try picture(2), rect: Rect(x: 45, y: 11, width: 20, height: 8))
        frame(presenter, term, encoded, [preview, thumbnail])
        #expect(term.owners(in: preview.rect) == ["PIC1"])
        #expect(term.owners(in: thumbnail.rect) == ["PIC2"])
        let writes = term.writes

        frame(presenter, term, encoded, [preview])                     // Tab out of History
        #expect(term.owners(in: thumbnail.rect) == [nil], "the thumbnail's pixels stay")
        #expect(term.owners(in: preview.rect) == ["PIC1"], "a band was cut out of the preview")
        #expect(term.scrubbed == [thumbnail.rect], "the erase rewrote more than the thumbnail's cells")
        #expect(term.writes == writes, "the untouched preview was written again")
    }

    @Test func deletingATileKeepsItsNeighbourOnTheSameRow() throws {
        let encoded = DispatchSemaphore(value: 0)
        let presenter = ImagePresenter(graphics: NamedPictures(), cell: cell) { encoded.signal() }
        let term = ModelTerminal(columns: 120, rows: 36)
        let first = ImagePresenter.Request(path: try picture(3), rect: Rect(x: 1, y: 1, width: 20, height: 8))
        let second = ImagePresenter.Request(path: try picture(4), rect: Rect(x: 22, y: 1, width: 20, height: 8))
        frame(presenter, term, encoded, [first, second])
        frame(presenter, term, encoded, [first])                       // the second image was deleted
        #expect(term.owners(in: first.rect) == ["PIC3"], "the remaining thumbnail was blanked")
        #expect(term.owners(in: second.rect) == [nil])
    }

    @Test func aPictureTheEraseTouchesIsWrittenAgainWhole() throws {
        let encoded = DispatchSemaphore(value: 0)
        let presenter = ImagePresenter(graphics: NamedPictures(), cell: cell) { encoded.signal() }
        let term = ModelTerminal(columns: 120, rows: 36)
        // Tiles reflow after a delete: the second tile moves left over the first's place, a third stays but overlaps.
        let old = ImagePresenter.Request(path: try picture(5), rect: Rect(x: 1, y: 1, width: 20, height: 8))
        let overlapping = ImagePresenter.Request(path: try picture(6), rect: Rect(x: 15, y: 5, width: 20, height: 8))
        frame(presenter, term, encoded, [old, overlapping])
        let writes = term.writes
        frame(presenter, term, encoded, [overlapping])
        #expect(term.owners(in: overlapping.rect) == ["PIC6"], "the erase left a hole in the overlapping picture")
        #expect(term.writes == writes + 1)
    }

    /// An image deleted in the gallery while its job's preview had it encoded: forgotten, it is read again and the
    /// preview says the file is gone, instead of showing the cached picture of a file that no longer exists.
    @Test func aForgottenPictureIsReadAgainAndAGoneFileSaysSo() throws {
        let encoded = DispatchSemaphore(value: 0)
        let presenter = ImagePresenter(graphics: NamedPictures(), cell: cell) { encoded.signal() }
        let request = ImagePresenter.Request(path: try picture(7), rect: Rect(x: 1, y: 1, width: 20, height: 8))
        if presenter.status(for: request) == .encoding { encoded.wait() }
        guard case .ready = presenter.status(for: request) else { Issue.record("not encoded"); return }
        try FileManager.default.removeItem(atPath: request.path)
        guard case .ready = presenter.status(for: request) else { Issue.record("the cache was dropped unasked"); return }
        presenter.forget(request.path)
        #expect(presenter.status(for: request) == .encoding)
        encoded.wait()
        #expect(presenter.status(for: request) == .failed("the file is gone (deleted or moved): \(request.path)"))
    }
}
