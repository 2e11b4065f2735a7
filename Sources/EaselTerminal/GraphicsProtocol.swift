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
    /// As ``encode(_:fitting:cell:)`` for a picture drawn on cells of `background`: where a terminal would show
    /// something else in the part of its last cell row below the picture (mlterm: its own default background),
    /// the protocol fills that part with `background` (sixel); others encode as usual.
    func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize, filling background: RGB) throws(GraphicsError) -> EncodedImage
    /// Bytes that remove `image` from the screen, written with the cursor at its top-left cell before curses
    /// rewrites its cells (kitty: delete by id; sixel: a picture of `background` over it, for terminals that keep
    /// sixel pixels under rewritten text), or `nil` when curses repainting its cells is enough (iTerm2, blocks).
    /// - Parameter background: the colour of the cells under the picture.
    func erase(_ image: EncodedImage, background: RGB) -> [UInt8]?
}

extension GraphicsProtocol {
    public func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize, filling background: RGB) throws(GraphicsError) -> EncodedImage {
        try encode(image, fitting: box, cell: cell)
    }
    public func erase(_ image: EncodedImage, background: RGB) -> [UInt8]? { nil }
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

/// A chosen protocol, and whether its sequences must be wrapped for tmux passthrough.
public struct GraphicsSelection: Sendable {
    public let graphics: any GraphicsProtocol
    public let passthrough: Bool

    /// What the studio says at start about pictures sent through tmux passthrough, which tmux drops unless
    /// `allow-passthrough` is on and forgets when it redraws; nil when pictures go straight to the terminal.
    public var startHint: String? {
        passthrough ? "\(graphics.name) through tmux passthrough: no pictures unless tmux set -g allow-passthrough on; C-l redraws" : nil
    }
}

/// The user's choice of image protocol (`--graphics`); `auto` decides from the probe.
public enum GraphicsChoice: String, CaseIterable, Sendable {
    case auto, sixel, kitty, iterm, blocks, none

    /// Resolves the choice for a probed terminal; `nil` means no pictures (`none`).
    ///
    /// `auto` follows the probe's order (kitty, iTerm2, sixel, blocks) and never sends sixel to a
    /// terminal whose DA1 did not advertise it. Inside tmux, sixel is used natively when tmux
    /// advertises it (tmux ≥ 3.4 built with sixel); otherwise `auto` falls back to blocks, and an
    /// explicit `sixel`, `kitty` or `iterm` is wrapped in tmux passthrough (needs `allow-passthrough on`).
    /// Blocks use 24-bit colour where ``TerminalCapabilities/directColor`` holds, else terminfo's palette.
    /// - Parameter inline: for pictures printed in the shell's flow (`easel show`): kitty pictures go without an id.
    public func resolve(_ caps: TerminalCapabilities, colors: Int = 256, inline: Bool = false) -> GraphicsSelection? {
        let wanted: GraphicsChoice
        switch self {
        case .none: return nil
        case .auto where caps.inTmux:
            wanted = caps.sixel ? .sixel : .blocks       // tmux answers DA1 itself: 4 means native sixel
        case .auto:
            switch caps.bestProtocol {
            case "kitty": wanted = .kitty
            case "iterm": wanted = .iterm
            case "sixel": wanted = .sixel
            default: wanted = .blocks
            }
        default: wanted = self
        }
        let passthrough = caps.inTmux && !(wanted == .sixel && caps.sixel) && wanted != .blocks
        switch wanted {
        case .sixel: return GraphicsSelection(graphics: Sixel(colors: colors), passthrough: passthrough)
        case .kitty: return GraphicsSelection(graphics: Kitty(anonymous: inline), passthrough: passthrough)
        case .iterm: return GraphicsSelection(graphics: ITerm2(), passthrough: passthrough)
        case .blocks, .auto:
            let palette = Blocks.Palette.forTerminal(directColor: caps.directColor, colors: caps.terminfoColors)
            return GraphicsSelection(graphics: Blocks(palette: palette), passthrough: false)
        case .none: return nil
        }
    }
}
