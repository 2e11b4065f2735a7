import Dispatch
import EaselImaging
import EaselTerminal
import Foundation
import Testing

/// Issue 16, pictures in mlterm: mlterm fills what a sixel leaves of its last cell row with the SGR background
/// current when the sixel arrives (white after a reset, on its default white background: a 3 px white line below
/// pane pictures). Pictures and their erase covers are written with the cells' colour as the SGR background,
/// inside DECSC/DECRC, which give curses back its rendition.
@Suite("Pictures are written on the cells' background colour")
struct PresenterFillTests {
    let cell = PixelSize(width: 6, height: 13)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("easel-fill-\(UUID().uuidString)").path

    func picture(_ id: UInt8) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var pixels = [UInt8](repeating: 255, count: 8 * 8 * 4)
        pixels[0] = id
        let path = dir + "/\(id).png"
        try Data(try ImageCodec.encodePNG(RGBAImage(width: 8, height: 8, pixels: pixels))).write(to: URL(fileURLWithPath: path))
        return path
    }

    func show(_ presenter: ImagePresenter, _ term: ModelTerminal, _ encoded: DispatchSemaphore, _ requests: [ImagePresenter.Request]) {
        for r in requests where presenter.status(for: r) == .encoding { encoded.wait() }
        presenter.prepare(term, showing: requests) { _ in false }
        term.draw()
        presenter.present(term, showing: requests)
    }

    @Test func aPictureIsWrittenWithTheCellsColourAsItsBackgroundAndTheRenditionRestored() throws {
        let encoded = DispatchSemaphore(value: 0)
        let presenter = ImagePresenter(graphics: Sixel(), cell: cell) { encoded.signal() }
        presenter.background = RGB(0xe5, 0xe5, 0xe0)
        let term = ModelTerminal(columns: 120, rows: 36)
        show(presenter, term, encoded, [ImagePresenter.Request(path: try picture(1), rect: Rect(x: 67, y: 1, width: 52, height: 33))])
        let text = String(decoding: try #require(term.raw.last), as: UTF8.self)
        let sgr = try #require(text.range(of: "\u{1B}[48;2;229;229;224m"), "no SGR background: \(text.prefix(40).debugDescription)")
        let dcs = try #require(text.range(of: "\u{1B}Pq"))
        let restore = try #require(text.range(of: "\u{1B}8", options: .backwards))
        #expect(text.hasPrefix("\u{1B}[?2026h\u{1B}7"))
        #expect(sgr.upperBound <= dcs.lowerBound && dcs.upperBound <= restore.lowerBound)

        show(presenter, term, encoded, [])                                  // the picture goes: its cover, same colour
        let cover = String(decoding: try #require(term.raw.last), as: UTF8.self)
        #expect(cover.contains("\u{1B}[48;2;229;229;224m\u{1B}["), "\(cover.prefix(40).debugDescription)")
        #expect(cover.hasSuffix("\u{1B}8"))
    }

    @Test func throughTmuxPassthroughTheRenditionIsLeftAlone() throws {
        let encoded = DispatchSemaphore(value: 0)
        let presenter = ImagePresenter(graphics: Sixel(), cell: cell, passthrough: true) { encoded.signal() }
        presenter.background = RGB(10, 20, 30)
        let term = ModelTerminal(columns: 120, rows: 36)
        show(presenter, term, encoded, [ImagePresenter.Request(path: try picture(2), rect: Rect(x: 1, y: 1, width: 20, height: 8))])
        #expect(!String(decoding: try #require(term.raw.last), as: UTF8.self).contains("[48;2;"))
    }
}
