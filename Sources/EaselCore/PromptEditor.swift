/// The prompt being edited: text as grapheme clusters and a cursor between them, with an emacs-style
/// kill ring of one entry and an undo history. Pure value type.
public struct PromptEditor: Equatable, Sendable {
    public private(set) var characters: [Character]
    /// Cursor position, 0...characters.count (an index between characters).
    public private(set) var cursor: Int
    /// The last killed text (C-k, C-u, C-w, M-d, M-Backspace), for C-y.
    public private(set) var killed = ""
    private var undoStack: [Snapshot] = []

    private struct Snapshot: Equatable, Sendable { let characters: [Character]; let cursor: Int }

    public init(_ text: String = "") {
        characters = Array(text)
        cursor = characters.count
    }

    public var text: String { String(characters) }
    public var isEmpty: Bool { characters.isEmpty }

    /// The cursor's line (0-based) and the number of lines ("\n" separates them).
    public var cursorLine: Int { characters[..<cursor].filter { $0 == "\n" }.count }
    public var lineCount: Int { characters.filter { $0 == "\n" }.count + 1 }

    /// Inserts `s` at the cursor and puts the cursor after it. Keys arrive one scalar at a time, so the
    /// text is joined with its neighbours into grapheme clusters again: a combining accent or a zero-width
    /// joiner typed after a letter or an emoji becomes part of it, and the cursor never sits inside one.
    public mutating func insert(_ s: String) {
        guard !s.isEmpty else { return }
        remember()
        let lo = max(0, cursor - 1), hi = min(characters.count, cursor + 1)
        let head = String(characters[lo..<cursor]) + s
        let merged = Array(head + String(characters[cursor..<hi]))
        characters.replaceSubrange(lo..<hi, with: merged)
        cursor = lo + min(head.count, merged.count)
    }

    public mutating func moveLeft() { cursor = max(0, cursor - 1) }
    public mutating func moveRight() { cursor = min(characters.count, cursor + 1) }
    /// To the start of the current line (C-a, Home).
    public mutating func moveToStart() {
        while cursor > 0, characters[cursor - 1] != "\n" { cursor -= 1 }
    }
    /// To the end of the current line (C-e, End).
    public mutating func moveToEnd() {
        while cursor < characters.count, characters[cursor] != "\n" { cursor += 1 }
    }

    /// Up or down one line, keeping the column where it can. Returns false at the first/last line.
    public mutating func moveLine(_ delta: Int) -> Bool {
        let line = cursorLine
        guard line + delta >= 0, line + delta < lineCount else { return false }
        var lineStart = cursor
        while lineStart > 0, characters[lineStart - 1] != "\n" { lineStart -= 1 }
        let column = cursor - lineStart
        var starts = [0]
        for (i, c) in characters.enumerated() where c == "\n" { starts.append(i + 1) }
        let target = starts[line + delta]
        var end = target
        while end < characters.count, characters[end] != "\n" { end += 1 }
        cursor = min(target + column, end)
        return true
    }

    public mutating func moveWordLeft() { cursor = wordStart(before: cursor) }
    public mutating func moveWordRight() { cursor = wordEnd(after: cursor) }

    public mutating func deleteBackward() {
        guard cursor > 0 else { return }
        remember()
        characters.remove(at: cursor - 1)
        cursor -= 1
    }

    public mutating func deleteForward() {
        guard cursor < characters.count else { return }
        remember()
        characters.remove(at: cursor)
    }

    public mutating func deleteWordBackward() { kill(wordStart(before: cursor)..<cursor) }
    public mutating func deleteWordForward() { kill(cursor..<wordEnd(after: cursor)) }

    /// C-k: to the end of the line; at the end of a line, the newline.
    public mutating func killToEnd() {
        var end = cursor
        while end < characters.count, characters[end] != "\n" { end += 1 }
        if end == cursor, end < characters.count { end += 1 }
        kill(cursor..<end)
    }

    /// C-u: to the start of the line.
    public mutating func killToStart() {
        var start = cursor
        while start > 0, characters[start - 1] != "\n" { start -= 1 }
        kill(start..<cursor)
    }

    /// C-y: inserts the last killed text.
    public mutating func yank() { insert(killed) }

    /// C-_: back to before the last change; returns false when there is nothing to undo.
    @discardableResult
    public mutating func undo() -> Bool {
        guard let last = undoStack.popLast() else { return false }
        characters = last.characters
        cursor = last.cursor
        return true
    }

    public mutating func clear() { self = PromptEditor() }

    /// Replaces the text (history, search), keeping undo so the previous text is one C-_ away.
    public mutating func replace(with text: String) {
        remember()
        characters = Array(text)
        cursor = characters.count
    }

    private mutating func kill(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        remember()
        killed = String(characters[range])
        characters.removeSubrange(range)
        cursor = range.lowerBound
    }

    private mutating func remember() {
        undoStack.append(Snapshot(characters: characters, cursor: cursor))
        if undoStack.count > 200 { undoStack.removeFirst() }
    }

    private func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber }

    private func wordStart(before index: Int) -> Int {
        var i = index
        while i > 0, !isWordChar(characters[i - 1]) { i -= 1 }
        while i > 0, isWordChar(characters[i - 1]) { i -= 1 }
        return i
    }

    private func wordEnd(after index: Int) -> Int {
        var i = index
        while i < characters.count, !isWordChar(characters[i]) { i += 1 }
        while i < characters.count, isWordChar(characters[i]) { i += 1 }
        return i
    }
}
