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
    public static let minimum = CellSize(columns: 60, rows: 15)

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
            // Stacked; short terminals get one-row panes, and no preview below 3 rows for it.
            let roomy = body >= 20
            let p = roomy ? 5 : 4, q = roomy ? 4 : 3
            var hist = roomy ? 4 : 3
            var rest = max(0, body - p - q - hist)
            if rest < 3 { hist += rest; rest = 0 }
            prompt = Rect(x: 0, y: 0, width: w, height: p)
            queue = Rect(x: 0, y: p, width: w, height: q)
            history = Rect(x: 0, y: p + q, width: w, height: hist)
            preview = Rect(x: 0, y: p + q + hist, width: w, height: rest)
        }
    }
}
