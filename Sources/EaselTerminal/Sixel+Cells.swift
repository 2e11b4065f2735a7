import EaselImaging

/// Pictures that reach down to their last cell row's end. Terminals show a sixel as a pixmap of whole cells and fill
/// what the picture leaves of its last cell row with their own default background, whatever the cells' colour and
/// whatever P2 says: mlterm 3.9 (white by default) sizes the pixmap by the rows painted; Konsole 22.12 (#232627)
/// rounds them up to a whole band of 6 first, so painting into the next cell row makes it claim that row too.
/// So the picture is followed by full bands of the cells' colour, as far down as whole bands stay inside its last
/// cell row without reaching its end (Konsole gives a picture ending exactly on a cell boundary one more row): at
/// most 6 pixel rows are left to the terminal (was up to a cell: a 16 px white strip in mlterm).
/// xterm and foot draw the bands in the colour the cells already have.
extension Sixel {
    /// Encodes as ``encode(_:fitting:cell:)`` with one colour fewer, then paints `background` below the picture with
    /// the freed register (`colors − 1`) in whole bands, down to the last band that ends inside its last cell row
    /// (`ESC P q … # n ; 2 ; r ; g ; b # n - ! W ~ … ESC \`).
    /// - Returns: the picture with ``EncodedImage/pixels`` the painted size (`cells.rows × cell.height` rounded
    ///   less one, down to a multiple of 6 high); the same cells.
    public func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize, filling background: RGB) throws(GraphicsError) -> EncodedImage {
        guard colors > 2 else { return try encode(image, fitting: box, cell: cell) }
        let register = colors - 1
        // Konsole gives a picture ending exactly on a cell boundary one more cell (⌊px ÷ cell⌋ + 1), which it fills with
        // its background and keeps after the erase: a band or a column less keeps it off the boundary both ways. It
        // also gives a sixel one column more than it covers (a 60 px picture in 8 px cells takes 9), so a picture that
        // spans its whole box hid the pane's right border: pictures leave the box's last column free.
        let cw = max(1, cell.width)
        var box = box.width >= 2 * cw ? PixelSize(width: (box.width / cw - 1) * cw, height: box.height) : box
        for _ in 0..<4 {
            let fitted = fittedSize(width: image.width, height: image.height, in: box)
            guard fitted.width > 1, fitted.height > 6 else { break }
            if fitted.height % max(1, cell.height) == 0 { box = PixelSize(width: box.width, height: fitted.height - 1) }
            else if fitted.width % cw == 0 { box = PixelSize(width: fitted.width - 1, height: box.height) }
            else { break }
        }
        let picture = try Sixel(colors: register, maxBytes: maxBytes - 256).encode(image, fitting: box, cell: cell)
        let height = (picture.cells.rows * max(1, cell.height) - 1) / 6 * 6      // short of the boundary: Konsole's +1
        let width = max(picture.pixels.width, picture.cells.columns * cw - 1)   // likewise across
        guard height > picture.pixels.height || width > picture.pixels.width, picture.bytes.count > 2 else { return picture }
        var bytes = Array(picture.bytes.dropLast(2))                     // ESC \
        if width > picture.pixels.width {
            bytes = Self.widened(bytes, from: picture.pixels.width, to: width, register: register, colour: background)
        }
        if height > picture.pixels.height {
            bytes += Self.paint(rows: picture.pixels.height..<height, width: width, register: register, colour: background, first: false)
        }
        bytes += [0x1B, 0x5C]
        return EncodedImage(payload: .bytes(bytes), pixels: PixelSize(width: width, height: height),
                            cells: picture.cells, imageID: picture.imageID)
    }

    /// Sixel data (without its `ESC \`) whose every band also paints columns `from..<to` in `colour`, defined as
    /// `register`: after each band (before its `-`, and at the end) `$ # n ! from ? ! (to − from) ~` goes back to the
    /// band's first column, skips the picture (a `?` paints nothing, as in libsixel's own colour rows) and paints the
    /// strip. Konsole fills what a sixel leaves of its last cell column with its own background (up to a cell less a
    /// pixel wide, beside every pane picture); painted out to one pixel short of the boundary, one pixel is left.
    static func widened(_ data: [UInt8], from: Int, to: Int, register: Int, colour: RGB) -> [UInt8] {
        guard let q = data.firstIndex(of: UInt8(ascii: "q")), let palette = data[q...].firstIndex(of: UInt8(ascii: "#")) else { return data }
        let strip = Array("$#\(register)!\(from)?!\(to - from)~".utf8)
        // The raster attributes (`" Pan ; Pad ; Ph ; Pv`, before any colour) declare the new width.
        var raster = String(decoding: data[(q + 1)..<palette], as: UTF8.self)
        let fields = raster.dropFirst().split(separator: ";")
        if raster.hasPrefix("\""), fields.count == 4 { raster = "\"\(fields[0]);\(fields[1]);\(to);\(fields[3])" }
        var out = Array(data[...q]) + Array(raster.utf8) + paint(rows: 0..<0, width: 0, register: register, colour: colour, first: true)
        out.reserveCapacity(data.count + data.count / 64)
        for byte in data[palette...] {
            if byte == UInt8(ascii: "-") { out += strip }
            out.append(byte)
        }
        return out + strip
    }

    /// Sixel data painting `rows` (starting on a band boundary) `width` pixels wide in `colour`, defined as `register`:
    /// full bands `!W~`, then a last band whose character sets only the rows it covers.
    /// - Parameter first: the data starts the picture (no `-` before the first band).
    static func paint(rows: Range<Int>, width: Int, register: Int, colour: RGB, first: Bool) -> [UInt8] {
        func percent(_ c: UInt8) -> Int { (Int(c) * 100 + 127) / 255 }
        var out = "#\(register);2;\(percent(colour.red));\(percent(colour.green));\(percent(colour.blue))#\(register)"
        var row = rows.lowerBound
        while row < rows.upperBound {
            let n = min(6, rows.upperBound - row)
            let sixel = Character(UnicodeScalar(UInt8(63 + (1 << n) - 1)))
            out += (row == rows.lowerBound && first ? "" : "-") + "!\(width)\(sixel)"
            row += 6
        }
        return Array(out.utf8)
    }
}
