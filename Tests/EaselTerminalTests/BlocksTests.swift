import EaselCore
import EaselImaging
import EaselTerminal
import Testing

@Suite("Character-cell pictures through libchafa, in direct colour where the terminal has it")
struct BlocksTests {
    /// A purple sky over a green field: saturated colours far from the 256-colour cube's grid points,
    /// with a smooth gradient in each half.
    static func skyAndField(_ w: Int = 64, _ h: Int = 64) -> RGBAImage {
        var px = [UInt8](repeating: 255, count: w * h * 4)
        for y in 0..<h { for x in 0..<w {
            let i = (y * w + x) * 4, t = x * 40 / max(1, w - 1)
            let sky = y < h / 2
            px[i] = UInt8(sky ? 110 + t : 40 + t / 2); px[i + 1] = UInt8(sky ? 52 + t / 3 : 150 + t); px[i + 2] = UInt8(sky ? 168 : 38)
        } }
        return RGBAImage(width: w, height: h, pixels: px)
    }

    static let box = PixelSize(width: 160, height: 160), cell = PixelSize(width: 10, height: 20)

    @Test func directColourIsTwentyFourBitSGRTextWithCursorMovesBetweenRows() throws {
        let encoded = try Blocks(palette: .direct).encode(Self.skyAndField(), fitting: Self.box, cell: Self.cell)
        #expect(encoded.cells == CellSize(columns: 16, rows: 8))
        #expect(encoded.pixels == PixelSize(width: 16, height: 16))
        let text = String(decoding: encoded.bytes, as: UTF8.self)
        #expect(text.contains("38;2;") && text.contains("48;2;"))
        #expect(!text.contains(";5;"))
        #expect(text.components(separatedBy: "\u{1B}[0m\u{1B}[16D\u{1B}[B").count == 8)   // 7 row separators
        #expect(text.hasSuffix("\u{1B}[0m") && !text.contains("\n"))
    }

    @Test func aKnown4x4ImageShowsItsExactColoursInEachHalfCell() throws {
        let rows: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]
        var px: [UInt8] = []
        for row in rows { for _ in 0..<4 { px += row + [255] } }
        let encoded = try Blocks(palette: .direct).encode(RGBAImage(width: 4, height: 4, pixels: px),
                                                          fitting: PixelSize(width: 40, height: 40), cell: Self.cell)
        #expect(encoded.cells == CellSize(columns: 4, rows: 2))
        let cells = BlocksFidelity.parseSGRText(encoded.bytes, columns: 4)
        let halves = try #require(BlocksFidelity.halfCells(cells, columns: 4))
        let expected = rows.flatMap { c in Array(repeating: BlocksFidelity.RGB(c[0], c[1], c[2]), count: 4) }
        #expect(halves == expected)
    }

    @Test func blocksKeepTheAspectOnScreenWithTallCells() throws {
        let wide = RGBAImage(width: 200, height: 100, pixels: [UInt8](repeating: 128, count: 200 * 100 * 4))
        let encoded = try Blocks().encode(wide, fitting: PixelSize(width: 400, height: 400), cell: Self.cell)
        // 400×200 screen pixels: 40 columns × 10 rows of 10×20 cells.
        #expect(encoded.cells == CellSize(columns: 40, rows: 10))
    }

    @Test func indexedPalettesAreCellsThatNeverUseTheThemedSixteen() throws {
        let encoded = try Blocks(palette: .indexed240).encode(Self.skyAndField(), fitting: Self.box, cell: Self.cell)
        guard case .cells(let cells) = encoded.payload else { Issue.record("expected cells"); return }
        #expect(cells.count == 16 * 8)
        for cell in cells {
            // Only the colours the symbol shows: a space's foreground, a full block's background are unused.
            let q = try #require(Blocks.coverage(of: cell.text.unicodeScalars.first!))
            let shows = [q.0 || q.1 || q.2 || q.3, !(q.0 && q.1 && q.2 && q.3)]
            for (color, shown) in zip([cell.paint?.fg, cell.paint?.bg], shows) where shown {
                guard case .indexed(let i)? = color else { Issue.record("not indexed: \(String(describing: color))"); continue }
                #expect(i >= 16)
            }
        }
        let eight = try Blocks(palette: .indexed8).encode(Self.skyAndField(), fitting: Self.box, cell: Self.cell)
        guard case .cells(let few) = eight.payload else { Issue.record("expected cells"); return }
        #expect(few.allSatisfy { c in [c.paint?.fg, c.paint?.bg].allSatisfy { if case .indexed(let i)? = $0 { i < 8 } else { false } } })
        #expect(Set(few.compactMap { $0.paint }).count > 1)
    }

    @Test func everySymbolChafaPicksIsOneBlocksKnows() throws {
        var px = [UInt8](repeating: 255, count: 64 * 64 * 4)
        for i in 0..<(64 * 64) where (i / 64 / 3 + i % 64 / 3) % 2 == 0 { px[i * 4] = 0; px[i * 4 + 1] = 0; px[i * 4 + 2] = 0 }
        let checker = RGBAImage(width: 64, height: 64, pixels: px)
        for palette in Blocks.Palette.allCases {
            let e = try Blocks(palette: palette).encode(checker, fitting: Self.box, cell: Self.cell)
            let cells: [Cell]
            if case .cells(let c) = e.payload { cells = c } else { cells = BlocksFidelity.parseSGRText(e.bytes, columns: e.cells.columns) }
            #expect(cells.count == e.cells.columns * e.cells.rows)
            #expect(cells.allSatisfy { Blocks.coverage(of: $0.text.unicodeScalars.first!) != nil }, "\(palette)")
        }
    }

    /// Issue 16 item 10: purple skies and green fields came out grey at 256 colours. On the same half-block grid,
    /// direct colour must be close to the original (ΔE well under the 2.3 of a just-noticeable difference on
    /// these smooth areas) and clearly better than 256 colours.
    @Test func directColourIsFaithfulOnTheHalfBlockGridAndBeatsTwoHundredFiftySixColours() throws {
        let image = Self.skyAndField()
        func deltaE(_ palette: Blocks.Palette) throws -> Double {
            let e = try Blocks(palette: palette).encode(image, fitting: Self.box, cell: Self.cell)
            let cells: [Cell]
            if case .cells(let c) = e.payload { cells = c } else { cells = BlocksFidelity.parseSGRText(e.bytes, columns: e.cells.columns) }
            let shown = try #require(BlocksFidelity.halfCells(cells, columns: e.cells.columns))
            let reference = BlocksFidelity.reference(image, columns: e.pixels.width, rows: e.pixels.height)
            return try #require(BlocksFidelity.meanDeltaE(shown, reference))
        }
        let direct = try deltaE(.direct), indexed = try deltaE(.indexed240)
        #expect(direct < 2.0, "direct colour ΔE \(direct)")
        #expect(direct * 2 < indexed, "direct ΔE \(direct) vs 240 colours \(indexed)")
    }

    @Test func sgrTextParsesTruecolourIndexedInverseAndCursorMoves() {
        let text = "\u{1B}[38;2;1;2;3;48;5;200m▀\u{1B}[7m▄\u{1B}[0m \u{1B}[3D\u{1B}[B\u{1B}[91;44m█"
        let cells = BlocksFidelity.parseSGRText(Array(text.utf8), columns: 3)
        #expect(cells.count == 6)
        #expect(cells[0] == Cell("▀", paint: Paint(fg: .rgb(1, 2, 3), bg: .indexed(200))))
        #expect(cells[1] == Cell("▄", paint: Paint(fg: .indexed(200), bg: .rgb(1, 2, 3))))
        #expect(cells[2] == Cell(" ", paint: Paint(fg: .default, bg: .default)))
        #expect(cells[3] == Cell("█", paint: Paint(fg: .indexed(9), bg: .indexed(4))))
        #expect(cells[4].text == " " && cells[5].text == " ")
    }

    @Test func directColourComesFromCOLORTERMOrTerminfoOutsideTmuxAndFromTmuxsClientFeaturesInside() {
        #expect(TerminalCapabilities(environment: ["COLORTERM": "truecolor"]).directColor)
        #expect(TerminalCapabilities(environment: ["COLORTERM": "24bit"]).directColor)
        #expect(!TerminalCapabilities(environment: ["COLORTERM": "rxvt"]).directColor)
        #expect(!TerminalCapabilities(environment: [:]).directColor)
        var terminfo = TerminalCapabilities(environment: ["TERM": "xterm-direct"])
        terminfo.terminfoDirectColor = true
        #expect(terminfo.directColor)
        var tmux = TerminalCapabilities(environment: ["TMUX": "/tmp/tmux-0/default,1,0", "COLORTERM": "truecolor"])
        #expect(!tmux.directColor)                      // tmux reduces 24-bit SGR to 256 colours unless told otherwise
        tmux.tmuxRGB = TerminalCapabilities.tmuxFeaturesHaveRGB("bpaste,ccolour,clipboard,cstyle,focus,RGB,title\n")
        #expect(tmux.directColor)
        #expect(!TerminalCapabilities.tmuxFeaturesHaveRGB("bpaste,ccolour,clipboard,title"))
        #expect(!TerminalCapabilities.tmuxFeaturesHaveRGB("RGBX,title"))
    }

    @Test func blocksChoiceFollowsTheTerminalsColours() throws {
        var caps = TerminalCapabilities(environment: ["COLORTERM": "truecolor"])
        #expect((GraphicsChoice.blocks.resolve(caps)?.graphics as? Blocks)?.palette == .direct)
        caps.colorTerm = nil
        caps.terminfoColors = 256
        #expect((GraphicsChoice.auto.resolve(caps)?.graphics as? Blocks)?.palette == .indexed240)
        caps.terminfoColors = 8
        #expect((GraphicsChoice.blocks.resolve(caps)?.graphics as? Blocks)?.palette == .indexed8)
    }
}
