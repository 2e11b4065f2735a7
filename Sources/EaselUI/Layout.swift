import EaselTerminal

/// Where each pane goes for a terminal size. Sizes in cells.
public struct Layout: Equatable, Sendable {
    public let prompt: Rect
    public let queue: Rect
    public let history: Rect
    public let preview: Rect
    public let statusBar: Rect
    /// True below the smallest usable size: only a notice is drawn.
    public let tooSmall: Bool

    /// The smallest terminal Easel draws its panes in.
    public static let minimum = CellSize(columns: 40, rows: 12)

    /// Three panes on the left and the preview on the right from 100 columns; stacked below that.
    public init(size: CellSize) {
        let w = size.columns, h = size.rows
        tooSmall = w < Self.minimum.columns || h < Self.minimum.rows
        statusBar = Rect(x: 0, y: h - 1, width: w, height: 1)
        let body = h - 1
        if w >= 100 {
            let left = max(50, w * 11 / 20)
            prompt = Rect(x: 0, y: 0, width: left, height: 5)
            queue = Rect(x: 0, y: 5, width: left, height: 5)
            history = Rect(x: 0, y: 10, width: left, height: max(0, body - 10))
            preview = Rect(x: left, y: 0, width: w - left, height: body)
        } else {
            let previewHeight = max(4, body - 5 - 4 - 4)
            prompt = Rect(x: 0, y: 0, width: w, height: 5)
            queue = Rect(x: 0, y: 5, width: w, height: 4)
            history = Rect(x: 0, y: 9, width: w, height: 4)
            preview = Rect(x: 0, y: 13, width: w, height: max(0, min(previewHeight, body - 13)))
        }
    }
}
