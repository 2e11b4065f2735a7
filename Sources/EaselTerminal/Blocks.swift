import EaselImaging

/// Pictures drawn with Unicode upper-half blocks: each cell shows two pixels, the top one as the
/// foreground of `▀` and the bottom one as the background. Drawn by curses with 256-colour pairs,
/// so it works everywhere colours do: plain tmux, mosh, GNU screen, any SSH client.
public struct Blocks: GraphicsProtocol {
    public let name = "blocks"

    public init() {}

    /// Fits `image` into `box` (screen pixels) keeping its aspect on screen, then averages it down to
    /// one pixel per cell column and two per cell row.
    /// - Returns: `.cells` payload, `columns × rows` cells, row-major.
    /// - Throws: `GraphicsError` when the box is smaller than one cell.
    public func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize) throws(GraphicsError) -> EncodedImage {
        let cw = max(1, cell.width), ch = max(2, cell.height)
        let fitted = fittedSize(width: image.width, height: image.height, in: box, band: 1)
        let columns = min(box.width / cw, max(1, (fitted.width + cw / 2) / cw))
        let halfRows = min(box.height / ch * 2, max(2, (fitted.height * 2 + ch / 2) / ch))
        let rows = halfRows / 2
        guard columns > 0, rows > 0 else { throw GraphicsError("the preview area is too small") }
        let small = scaled(image, to: PixelSize(width: columns, height: rows * 2))
        var cells: [Cell] = []
        cells.reserveCapacity(columns * rows)
        small.pixels.withUnsafeBufferPointer { px in
            for row in 0..<rows {
                for col in 0..<columns {
                    let top = (row * 2 * columns + col) * 4, bottom = ((row * 2 + 1) * columns + col) * 4
                    cells.append(Cell("▀", role: .text, paint: Paint(fg: .rgb(px[top], px[top + 1], px[top + 2]),
                                                                     bg: .rgb(px[bottom], px[bottom + 1], px[bottom + 2]))))
                }
            }
        }
        return EncodedImage(payload: .cells(cells), pixels: PixelSize(width: columns, height: rows * 2),
                            cells: CellSize(columns: columns, rows: rows))
    }

    /// The cells as text with 24-bit SGR colours, one line per row, for printing outside curses
    /// (`easel show`). Ends each row with SGR 0.
    public static func ansi(_ cells: [Cell], columns: Int) -> [UInt8] {
        var out: [UInt8] = []
        for (i, cell) in cells.enumerated() {
            if let p = cell.paint, case .rgb(let r, let g, let b) = p.fg, case .rgb(let r2, let g2, let b2) = p.bg {
                out += Array("\u{1B}[38;2;\(r);\(g);\(b);48;2;\(r2);\(g2);\(b2)m".utf8)
            }
            out += Array(cell.text.utf8)
            if (i + 1) % columns == 0 { out += Array("\u{1B}[0m\n".utf8) }
        }
        return out
    }
}
