import CChafa
import EaselImaging

/// Pictures made of character cells, drawn by libchafa (the only file that calls it): each cell is one of the
/// block symbols below with a foreground and a background colour, so it shows up to 2 × 2 "pixels" of two
/// colours. Works wherever colours do: alacritty, st, VTE terminals, plain tmux, mosh, GNU screen, any SSH client.
///
/// Symbols: upper/lower/left/right halves and the ten quadrants (U+2580–U+259F, in every monospace font that has
/// block elements), never a space or a full block; see ``coverage(of:)``.
///
/// Colours (``Palette``):
/// - `.direct`: 24-bit colour. The payload is `.bytes`, text with `SGR 38;2;r;g;b` / `48;2;r;g;b`, written after
///   the curses refresh like the other protocols (curses' cells under it stay blank, so repainting those rows
///   erases it). Row shape: `SGR…glyphs… ESC[0m`, rows joined by `ESC[<columns>D ESC[B` (back to the first
///   column, one row down), so it can be written at any cursor position.
/// - `.indexed240`, `.indexed16`, `.indexed8`: chafa picks palette indices itself (240 = xterm's cube and grey
///   ramp, never the user-themed 0–15); the payload is `.cells` with `Color.indexed` paints that curses draws.
///
/// - SeeAlso: https://hpjansson.org/chafa/ref/ (ChafaCanvas, ChafaCanvasConfig, ChafaSymbolMap; libchafa 1.12)
public struct Blocks: GraphicsProtocol {
    /// The colours a picture may use.
    public enum Palette: String, Sendable, Equatable, CaseIterable {
        case direct, indexed240, indexed16, indexed8

        /// The palette for a terminal: direct colour when it shows 24-bit SGR, else the largest indexed palette
        /// within `colors` (terminfo's `colors`; 0 or unknown counts as 256).
        public static func forTerminal(directColor: Bool, colors: Int) -> Palette {
            if directColor { return .direct }
            if colors >= 256 || colors <= 0 { return .indexed240 }
            return colors >= 16 ? .indexed16 : .indexed8
        }
    }

    public let name = "blocks"
    public let palette: Palette

    public init(palette: Palette = .indexed240) {
        self.palette = palette
    }

    /// Fits `image` into `box` (screen pixels) keeping its aspect on screen, and lets chafa choose a symbol and two
    /// colours for every cell.
    /// - Returns: `columns × rows` cells; `pixels` is the half-block grid, `columns × 2·rows`. The payload is `.bytes`
    ///   for `.direct` (see the type's doc) and `.cells`, row-major, otherwise.
    /// - Throws: `GraphicsError` when the box is smaller than one cell or chafa cannot make a canvas.
    public func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize) throws(GraphicsError) -> EncodedImage {
        let size = Self.grid(for: image, fitting: box, cell: cell)
        guard size.columns > 0, size.rows > 0, image.width > 0, image.height > 0 else {
            throw GraphicsError("the preview area is too small")
        }
        let cells = try Self.render(image, into: size, palette: palette)
        let pixels = PixelSize(width: size.columns, height: size.rows * 2)
        if palette == .direct {
            return EncodedImage(payload: .bytes(Self.sgrRows(cells, columns: size.columns, joinedBy: .cursorMoves)),
                                pixels: pixels, cells: size)
        }
        return EncodedImage(payload: .cells(cells), pixels: pixels, cells: size)
    }

    /// The cells a picture of `image` takes in `box`: its on-screen aspect kept, rounded to whole cells and
    /// half-cell rows, at least 1 × 1 when the box holds a cell.
    public static func grid(for image: RGBAImage, fitting box: PixelSize, cell: PixelSize) -> CellSize {
        let cw = max(1, cell.width), ch = max(2, cell.height)
        let fitted = fittedSize(width: image.width, height: image.height, in: box, band: 1)
        let columns = min(box.width / cw, max(1, (fitted.width + cw / 2) / cw))
        let halfRows = min(box.height / ch * 2, max(2, (fitted.height * 2 + ch / 2) / ch))
        return CellSize(columns: max(0, columns), rows: max(0, halfRows / 2))
    }

    /// Which quarters of a cell a symbol paints in the foreground colour: top-left, top-right, bottom-left,
    /// bottom-right. `nil` for a symbol Blocks never emits.
    public static func coverage(of symbol: Unicode.Scalar) -> (Bool, Bool, Bool, Bool)? {
        switch symbol.value {
        case 0x20: (false, false, false, false)
        case 0x2588: (true, true, true, true)
        case 0x2580: (true, true, false, false)      // ▀
        case 0x2584: (false, false, true, true)      // ▄
        case 0x258C: (true, false, true, false)      // ▌
        case 0x2590: (false, true, false, true)      // ▐
        case 0x2596: (false, false, true, false)     // ▖
        case 0x2597: (false, false, false, true)     // ▗
        case 0x2598: (true, false, false, false)     // ▘
        case 0x2599: (true, false, true, true)       // ▙
        case 0x259A: (true, false, false, true)      // ▚
        case 0x259B: (true, true, true, false)       // ▛
        case 0x259C: (true, true, false, true)       // ▜
        case 0x259D: (false, true, false, false)     // ▝
        case 0x259E: (false, true, true, false)      // ▞
        case 0x259F: (false, true, true, true)       // ▟
        default: nil
        }
    }

    /// How rows of ``sgrRows(_:columns:joinedBy:)`` are separated.
    public enum RowSeparator: Sendable {
        /// `ESC[0m` + newline: text to print in the shell's flow (`easel show`).
        case newline
        /// `ESC[0m ESC[<columns>D ESC[B` between rows, `ESC[0m` after the last: drawable at any cursor position.
        case cursorMoves
    }

    /// The cells as text with SGR colours (`38;2`/`48;2` for RGB, `38;5`/`48;5` for indexed, `39`/`49` for the
    /// terminal's default), a colour change only where the colours change within a row.
    public static func sgrRows(_ cells: [Cell], columns: Int, joinedBy separator: RowSeparator) -> [UInt8] {
        guard columns > 0 else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(cells.count * 24)
        let rows = (cells.count + columns - 1) / columns
        for row in 0..<rows {
            var last: Paint?
            for cell in cells[(row * columns)..<min(cells.count, (row + 1) * columns)] {
                if let paint = cell.paint, paint != last {
                    out += Array("\u{1B}[\(sgr(paint.fg, base: 30));\(sgr(paint.bg, base: 40))m".utf8)
                    last = paint
                }
                out += Array(cell.text.utf8)
            }
            out += Array("\u{1B}[0m".utf8)
            switch separator {
            case .newline: out.append(0x0A)
            case .cursorMoves where row < rows - 1: out += Array("\u{1B}[\(columns)D\u{1B}[B".utf8)
            case .cursorMoves: break
            }
        }
        return out
    }

    /// The cells as lines of text for printing outside curses (`easel show`): ``sgrRows(_:columns:joinedBy:)``
    /// with newlines.
    public static func ansi(_ cells: [Cell], columns: Int) -> [UInt8] {
        sgrRows(cells, columns: columns, joinedBy: .newline)
    }

    private static func sgr(_ color: Color, base: Int) -> String {
        switch color {
        case .default: "\(base + 9)"
        case .indexed(let i): "\(base + 8);5;\(i)"
        case .rgb(let r, let g, let b): "\(base + 8);2;\(r);\(g);\(b)"
        }
    }

    // MARK: - libchafa

    /// Draws `image` on a chafa canvas of `size` cells and reads back every cell's symbol and colours.
    private static func render(_ image: RGBAImage, into size: CellSize, palette: Palette) throws(GraphicsError) -> [Cell] {
        guard let config = chafa_canvas_config_new() else { throw GraphicsError("chafa_canvas_config_new failed") }
        defer { chafa_canvas_config_unref(config) }
        guard let symbols = chafa_symbol_map_new() else { throw GraphicsError("chafa_symbol_map_new failed") }
        defer { chafa_symbol_map_unref(symbols) }
        // No space and no full block: a flat cell is a half block with two equal colours, so every picture cell
        // shows a half or quadrant symbol (`tmux capture-pane` shows the picture even where it is flat, and it is
        // never mistaken for the placeholder's █).
        let tags = CHAFA_SYMBOL_TAG_HALF.rawValue | CHAFA_SYMBOL_TAG_QUAD.rawValue
        chafa_symbol_map_add_by_tags(symbols, ChafaSymbolTags(rawValue: tags))
        chafa_canvas_config_set_symbol_map(config, symbols)
        chafa_canvas_config_set_geometry(config, Int32(size.columns), Int32(size.rows))
        let mode: ChafaCanvasMode = switch palette {
        case .direct: CHAFA_CANVAS_MODE_TRUECOLOR
        case .indexed240: CHAFA_CANVAS_MODE_INDEXED_240
        case .indexed16: CHAFA_CANVAS_MODE_INDEXED_16
        case .indexed8: CHAFA_CANVAS_MODE_INDEXED_8
        }
        chafa_canvas_config_set_canvas_mode(config, mode)
        chafa_canvas_config_set_preprocessing_enabled(config, 0)     // no contrast/saturation boost: faithful colours
        guard let canvas = chafa_canvas_new(config) else { throw GraphicsError("chafa_canvas_new failed") }
        defer { chafa_canvas_unref(canvas) }
        // chafa works on 8 × 8 pixels per cell. Handing it exactly that many, area-averaged here, means its own
        // (smoothing) resampler has nothing to do: no colour bleeds between cells, and upscaling repeats pixels.
        let input = scaled(image, to: PixelSize(width: size.columns * 8, height: size.rows * 8))
        input.pixels.withUnsafeBufferPointer { px in
            chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, px.baseAddress,
                                         Int32(input.width), Int32(input.height), Int32(input.width * 4))
        }
        var cells: [Cell] = []
        cells.reserveCapacity(size.columns * size.rows)
        for y in 0..<Int32(size.rows) {
            for x in 0..<Int32(size.columns) {
                let symbol = Unicode.Scalar(chafa_canvas_get_char_at(canvas, x, y)) ?? " "
                var fg: Int32 = -1, bg: Int32 = -1
                // Raw colours are palette indices in the indexed modes (the cooked ones are their RGB values).
                if palette == .direct { chafa_canvas_get_colors_at(canvas, x, y, &fg, &bg) }
                else { chafa_canvas_get_raw_colors_at(canvas, x, y, &fg, &bg) }
                cells.append(Cell(String(Character(symbol)), role: .text,
                                  paint: Paint(fg: color(fg, palette), bg: color(bg, palette))))
            }
        }
        return cells
    }

    /// A chafa colour: negative is transparent (the terminal's default), else packed `0xAARRGGBB` in truecolor
    /// mode or a palette index (0–255; chafa's 256 and up are "transparent" and the terminal's fg/bg).
    private static func color(_ value: Int32, _ palette: Palette) -> Color {
        guard value >= 0 else { return .default }
        guard palette == .direct else { return value < 256 ? .indexed(UInt8(value)) : .default }
        return .rgb(UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value))
    }
}
