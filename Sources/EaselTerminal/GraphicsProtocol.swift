import EaselImaging

/// An image prepared for one protocol: escape-sequence bytes to write at its top-left cell, or
/// coloured cells that curses draws (Unicode blocks).
public struct EncodedImage: Equatable, Sendable {
    public enum Payload: Equatable, Sendable {
        /// The sequence to write with the cursor at the image's top-left cell (sixel DCS, kitty APC, OSC 1337).
        case bytes([UInt8])
        /// Cells to draw through curses, row-major, `cells.columns × cells.rows`.
        case cells([Cell])
    }
    public let payload: Payload
    /// Size in pixels after scaling (for blocks: one column × two rows per cell).
    public let pixels: PixelSize
    /// Cells covered, rounded up.
    public let cells: CellSize
    /// A per-image id for protocols that address images (kitty's `i=`); 0 otherwise.
    public let imageID: UInt32

    public init(payload: Payload, pixels: PixelSize, cells: CellSize, imageID: UInt32 = 0) {
        self.payload = payload
        self.pixels = pixels
        self.cells = cells
        self.imageID = imageID
    }

    /// The escape-sequence bytes, empty for cell payloads.
    public var bytes: [UInt8] {
        if case .bytes(let b) = payload { return b }
        return []
    }
}

/// Why an image could not be prepared for the terminal.
public struct GraphicsError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// One way of drawing pictures in a terminal. One file per protocol; `auto` picks from the probe.
public protocol GraphicsProtocol: Sendable {
    /// "sixel", "none", …
    var name: String { get }
    /// Scales `image` to fit `box` (keeping its aspect) and encodes it. Runs off the UI thread.
    /// - Parameter cell: one cell's size in pixels, to report the cells covered.
    func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize) throws(GraphicsError) -> EncodedImage
    /// Bytes that remove `image` from the screen (kitty: delete by id), or `nil` when curses
    /// repainting its cells is enough (sixel, iTerm2, blocks).
    func erase(_ image: EncodedImage) -> [UInt8]?
}

extension GraphicsProtocol {
    public func erase(_ image: EncodedImage) -> [UInt8]? { nil }
}

/// The fitted size of a `width × height` image inside `box`, keeping the aspect ratio;
/// the height is rounded down to a multiple of 6 (one sixel band) and both are at least 1 band.
public func fittedSize(width: Int, height: Int, in box: PixelSize, band: Int = 6) -> PixelSize {
    guard width > 0, height > 0, box.width > 0, box.height >= band else { return PixelSize(width: 0, height: 0) }
    let scale = min(Double(box.width) / Double(width), Double(box.height) / Double(height))
    let w = max(1, Int((Double(width) * scale).rounded(.down)))
    let h = max(band, Int((Double(height) * scale).rounded(.down)) / band * band)
    return PixelSize(width: min(w, box.width), height: min(h, box.height / band * band))
}

/// Chooses the protocol from what the probe proved and what the user asked for.
public enum GraphicsChoice: String, CaseIterable, Sendable {
    case auto, sixel, none

    /// `auto` picks sixel only when DA1 advertised it: sixel is never sent to a terminal that did not.
    public func resolve(_ caps: TerminalCapabilities, colors: Int = 256) -> (any GraphicsProtocol)? {
        switch self {
        case .auto: caps.sixel ? Sixel(colors: colors) : nil
        case .sixel: Sixel(colors: colors)
        case .none: nil
        }
    }
}
