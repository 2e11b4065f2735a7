import EaselImaging
import EaselTerminal
import Foundation

/// The character-cell fallback (`Blocks`, through libchafa): encode time and colour error on the half-block grid,
/// at 240 indexed colours and in direct colour, with the chafa CLI's half blocks on the same grid beside them.
struct BlocksBench {
    static let title = "Character-cell fallback"
    let config: PreviewConfig
    let dir: String

    struct Row {
        let image: String
        let renderer: String
        let grid: CellSize
        /// Mean CIE76 ΔE against the original resampled to the grid; nil when it could not be measured.
        let deltaE: Double?
        /// Seconds per encode (file decoded beforehand) or per chafa run (process start and decode included).
        let times: [Double]
        let note: String
    }

    func run(images: [BenchImage]) throws -> [Row] {
        var rows: [Row] = []
        let chafa = Subprocess.which("chafa")
        for bench in images where bench.format == .png {
            let image: RGBAImage
            do { image = try ImageCodec.decode(try readFile(bench.path)) } catch let e as ImageError { throw BenchError(e.message) }
            for palette in [Blocks.Palette.indexed240, .direct] {
                var times: [Double] = [], encoded: EncodedImage?
                for _ in 0..<config.runs {
                    let t0 = Clock.now()
                    encoded = try Blocks(palette: palette).encode(image, fitting: config.box, cell: config.cell)
                    times.append(Clock.now() - t0)
                }
                guard let e = encoded else { continue }
                let cells: [Cell]
                if case .cells(let c) = e.payload { cells = c } else { cells = BlocksFidelity.parseSGRText(e.bytes, columns: e.cells.columns) }
                rows.append(Row(image: bench.label, renderer: palette == .direct ? "Easel, direct colour" : "Easel, 240 colours",
                                grid: e.cells, deltaE: deltaE(cells, e.cells, image), times: times, note: "in process"))
            }
            var sixelTimes: [Double] = [], sixel: EncodedImage?
            for _ in 0..<config.runs {
                let t0 = Clock.now()
                sixel = try Sixel().encode(image, fitting: config.box, cell: config.cell)
                sixelTimes.append(Clock.now() - t0)
            }
            if let sixel {
                rows.append(Row(image: bench.label, renderer: "Easel, sixel (beside)", grid: sixel.cells, deltaE: nil, times: sixelTimes,
                                note: "`Sixel().encode` of the same decoded picture, \(sixel.pixels.width)×\(sixel.pixels.height) px: the preview in a sixel terminal"))
            }
            let grid = Blocks.grid(for: image, fitting: config.box, cell: config.cell)
            for (colors, name) in [("256", "chafa -c 256"), ("full", "chafa -c full")] {
                guard let chafa else {
                    rows.append(Row(image: bench.label, renderer: name, grid: grid, deltaE: nil, times: [], note: "chafa not installed"))
                    continue
                }
                let out = dir + "/chafa-blocks.txt"
                let argv = [chafa, "-f", "symbols", "--symbols", "vhalf", "-c", colors,
                            "-s", "\(grid.columns)x\(grid.rows)", bench.path]
                let shownArgs = argv.dropFirst().dropLast() + [(bench.path as NSString).lastPathComponent]
                var times: [Double] = [], note = "`chafa \(shownArgs.joined(separator: " "))`"
                for _ in 0..<config.runs {
                    let res = Subprocess.run(argv, stdout: out)
                    guard res.status == 0 else { note = "failed: \(res.stderr)"; break }
                    times.append(res.seconds)
                }
                let text = (try? readFile(out)) ?? []
                let lines = text.split(separator: 0x0A).count
                let cells = BlocksFidelity.parseSGRText(text, columns: grid.columns)
                let shown = CellSize(columns: grid.columns, rows: lines)
                rows.append(Row(image: bench.label, renderer: name, grid: shown,
                                deltaE: times.isEmpty ? nil : deltaE(cells, shown, image), times: times, note: note))
            }
        }
        return rows
    }

    private func deltaE(_ cells: [Cell], _ grid: CellSize, _ image: RGBAImage) -> Double? {
        guard let shown = BlocksFidelity.halfCells(cells, columns: grid.columns) else { return nil }
        return BlocksFidelity.meanDeltaE(shown, BlocksFidelity.reference(image, columns: grid.columns, rows: grid.rows * 2))
    }

    func markdown(_ rows: [Row]) -> String {
        var s = "## \(Self.title)\n\n"
        s += "What terminals without a graphics protocol show (alacritty, st, VTE, tmux): `Blocks`, libchafa's half-block "
        s += "and quadrant symbols, at the preview box \(config.box.width)×\(config.box.height) px with "
        s += "\(config.cell.width)×\(config.cell.height)-px cells. **ΔE** is the mean CIE76 colour difference (CIELAB, D65) "
        s += "between the colour each half cell shows (a quadrant symbol's half: the mean of its two quarters; indexed "
        s += "colours as xterm's palette) and the original resampled to the same grid by area averaging (one column, "
        s += "two rows per cell); about 2.3 is just noticeable. chafa's figures come from its output parsed the same "
        s += "way (`tmux capture-pane -e` shows the same SGR text). Easel's time is the encode of the decoded picture; "
        s += "chafa's includes its process start and decode; the sixel row beside them is what a sixel terminal's preview costs for the same decoded picture (ΔE on the half-block grid does not apply to it). Median of \(config.runs) run(s) (min–max).\n\n"
        s += "| Image | Renderer | Grid (cells) | ΔE | ms | Notes |\n|---|---|---|---:|---:|---|\n"
        for r in rows {
            let dE = r.deltaE.map { String(format: "%.1f", $0) } ?? "n/a"
            s += "| \(r.image) | \(r.renderer) | \(r.grid.columns)×\(r.grid.rows) | \(dE) | \(r.times.summary(1, scale: 1000)) | \(r.note) |\n"
        }
        return s
    }
}
