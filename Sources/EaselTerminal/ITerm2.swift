import EaselImaging

/// iTerm2's inline images protocol (also spoken by WezTerm, mintty, mlterm, Konsole, VS Code and others):
/// one OSC 1337 carrying a base64 PNG, drawn at the cursor inside `width × height` cells.
///
/// Output shape (`<…>` are decimal numbers, BEL is 0x07):
/// ```
/// ESC ] 1337 ; File=inline=1;size=<PNG bytes>;width=<cols>;height=<rows>;preserveAspectRatio=1 : <base64> BEL
/// ```
/// `width`/`height` are in cells (the pixel size rounded up). With `preserveAspectRatio=1` the terminal
/// fits the picture inside that area without stretching it. The terminal draws pixels over the cells
/// like sixel does, so repainting the cells through curses erases the image, and ``erase(_:)`` is `nil`.
///
/// The whole picture is one sequence. iTerm2 and tmux ≥ 3.4 cap a sequence at 1,048,576 bytes, so
/// anything over ``maxBytes`` is re-encoded at ¾ of the size until it fits. iTerm2 3.5's chunked
/// `MultipartFile`/`FilePart` form is not used.
///
/// - SeeAlso: https://iterm2.com/documentation-images.html
public struct ITerm2: GraphicsProtocol {
    public let name = "iterm"
    /// The largest sequence to emit, in bytes, including the framing.
    public let maxBytes: Int

    public init(maxBytes: Int = 1 << 20) {
        self.maxBytes = maxBytes
    }

    /// Scales `image` to fit `box` keeping its aspect (no band rounding), encodes it as PNG, and wraps it in OSC 1337.
    /// - Parameters:
    ///   - box: the largest size in pixels.
    ///   - cell: one cell in pixels, used for `width=`/`height=` and `EncodedImage.cells` (rounded up).
    /// - Throws: `GraphicsError` when the box or image is empty, PNG encoding fails, or no size fits in ``maxBytes``.
    public func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize) throws(GraphicsError) -> EncodedImage {
        var box = box
        while true {
            let fitted = try FittedPNG(image, fitting: box, cell: cell)
            let bytes = Self.sequence(png: fitted.png, cells: fitted.cells)
            if bytes.count <= maxBytes {
                return EncodedImage(payload: .bytes(bytes), pixels: fitted.pixels, cells: fitted.cells)
            }
            let smaller = PixelSize(width: fitted.pixels.width * 3 / 4, height: fitted.pixels.height * 3 / 4)
            guard smaller.width > 0, smaller.height > 0 else { throw GraphicsError("the image cannot fit in \(maxBytes) bytes") }
            box = smaller
        }
    }

    /// The OSC 1337 sequence for `png`.
    static func sequence(png: [UInt8], cells: CellSize) -> [UInt8] {
        let head = "\u{1B}]1337;File=inline=1;size=\(png.count);width=\(cells.columns);height=\(cells.rows);preserveAspectRatio=1:"
        let data = base64(png)
        var out: [UInt8] = []
        out.reserveCapacity(head.utf8.count + data.count + 1)
        out += Array(head.utf8)
        out += data
        out.append(0x07)
        return out
    }
}
