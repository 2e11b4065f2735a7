import EaselImaging
import EaselTerminal
import Foundation
import Testing

/// Issue 16, items 11 and 15: the probe asks for the background colour (OSC 11) and sixel display mode
/// (DECRQM 80); pictures are placed at the cursor either way. Replies recorded from xterm 379 under Xvfb
/// (`xterm -ti vt340 -bg white` and `-xrm 'XTerm*sixelScrolling: false'`).
@Suite("Probe: background colour and sixel display mode")
struct ProbeBackgroundAndDisplayModeTests {
    static let whiteXterm = "\u{1B}[?80;2$y\u{1B}]11;rgb:ffff/ffff/ffff\u{1B}\\\u{1B}[?63;1;2;4;6;9;15;16;22;28c"
    static let noSixelScrolling = "\u{1B}[?80;1$y\u{1B}]11;rgb:0000/0000/0000\u{1B}\\\u{1B}[?63;1;2;4;6;9;15;16;22;28c"

    func parse(_ s: String) -> (TerminalCapabilities, [UInt8], [UInt8]) {
        var caps = TerminalCapabilities()
        var buf = Array(s.utf8), typed: [UInt8] = []
        ReplyParser.consume(&buf, into: &caps, typed: &typed)
        return (caps, buf, typed)
    }

    @Test func theQueryAsksBothBeforeDA1() {
        let q = String(decoding: TerminalProbe.query, as: UTF8.self)
        let da1 = try! #require(q.range(of: "\u{1B}[c"))
        #expect(q.range(of: "\u{1B}[?80$p")!.upperBound <= da1.lowerBound)
        #expect(q.range(of: "\u{1B}]11;?\u{1B}\\")!.upperBound <= da1.lowerBound)
        #expect(q.hasSuffix("\u{1B}[c"))
    }

    @Test func aWhiteXtermIsLightAndScrollsSixels() {
        let (caps, rest, typed) = parse(Self.whiteXterm)
        #expect(caps.background == RGB(255, 255, 255))
        #expect(caps.lightBackground == true)
        #expect(caps.sixelDisplayMode == false)
        #expect(caps.answeredDA1 && rest.isEmpty && typed.isEmpty, "a reply leaked as typed keys")
    }

    @Test func sixelScrollingOffIsDisplayModeSet() {
        let (caps, _, typed) = parse(Self.noSixelScrolling)
        #expect(caps.sixelDisplayMode == true)
        #expect(caps.lightBackground == false)
        #expect(typed.isEmpty)
    }

    @Test func backgroundRepliesOfEveryDigitCountAndBEL() {
        let (caps, _, _) = parse("\u{1B}]11;rgb:f/80/fdf6\u{07}\u{1B}[?62c")
        #expect(caps.background == RGB(255, 128, 253))
        let (none, _, _) = parse("\u{1B}[?62c")
        #expect(none.background == nil && none.lightBackground == nil && none.sixelDisplayMode == nil)
    }

    /// With display mode set, every sixel the presenter writes (pictures and their erasing covers) resets it
    /// around the picture, so the picture lands at the cursor, not at the screen's top-left.
    @Test func presenterResetsDisplayModeAroundEachSixel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("easel-sdm-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/p.png"
        try Data(try ImageCodec.encodePNG(RGBAImage(width: 12, height: 12, pixels: [UInt8](repeating: 90, count: 12 * 12 * 4))))
            .write(to: URL(fileURLWithPath: path))
        for mode in [false, true] {
            let encoded = DispatchSemaphore(value: 0)
            let presenter = ImagePresenter(graphics: Sixel(), cell: PixelSize(width: 6, height: 12)) { encoded.signal() }
            presenter.sixelDisplayMode = mode
            let term = ModelTerminal(columns: 40, rows: 20)
            let request = ImagePresenter.Request(path: path, rect: Rect(x: 5, y: 3, width: 4, height: 2))
            if presenter.status(for: request) == .encoding { encoded.wait() }
            presenter.present(term, showing: [request])
            presenter.prepare(term, showing: []) { _ in false }
            #expect(term.raw.count == 2)
            for write in term.raw {
                let text = String(decoding: write, as: UTF8.self)
                let dcs = try #require(text.range(of: "\u{1B}Pq"))
                // Placed inside the picture's cells (row 4, columns 6–9; the picture is centred in them).
                let cup = try #require(text.range(of: #"\x1B\[4;[6-9]H"#, options: .regularExpression), "not placed at the picture's cells")
                #expect(cup.upperBound <= dcs.lowerBound)
                if mode {
                    #expect(text.range(of: "\u{1B}[?80l")!.upperBound <= dcs.lowerBound)
                    #expect(text.contains("\u{1B}\\\u{1B}[?80h"), "display mode not set again after the picture")
                } else {
                    #expect(!text.contains("?80"))
                }
            }
        }
    }

    @Test func theCoverIsOneColourTheSizeOfThePicture() throws {
        let image = EncodedImage(payload: .bytes([]), pixels: PixelSize(width: 30, height: 12), cells: CellSize(columns: 5, rows: 1))
        let cover = try #require(Sixel().erase(image, background: RGB(255, 255, 255)))
        #expect(String(decoding: cover, as: UTF8.self) == "\u{1B}Pq\"1;1;30;12#0;2;100;100;100#0!30~-!30~\u{1B}\\")
    }
}
