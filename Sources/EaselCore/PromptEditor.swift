/// The prompt being edited: text as grapheme clusters and a cursor between them. Pure value type.
public struct PromptEditor: Equatable, Sendable {
    public private(set) var characters: [Character]
    /// Cursor position, 0...characters.count (an index between characters).
    public private(set) var cursor: Int

    public init(_ text: String = "") {
        characters = Array(text)
        cursor = characters.count
    }

    public var text: String { String(characters) }
    public var isEmpty: Bool { characters.isEmpty }

    public mutating func insert(_ s: String) {
        let chars = Array(s)
        characters.insert(contentsOf: chars, at: cursor)
        cursor += chars.count
    }

    public mutating func moveLeft() { cursor = max(0, cursor - 1) }
    public mutating func moveRight() { cursor = min(characters.count, cursor + 1) }
    public mutating func moveToStart() { cursor = 0 }
    public mutating func moveToEnd() { cursor = characters.count }

    public mutating func moveWordLeft() { cursor = wordStart(before: cursor) }
    public mutating func moveWordRight() {
        var i = cursor
        while i < characters.count, !isWordChar(characters[i]) { i += 1 }
        while i < characters.count, isWordChar(characters[i]) { i += 1 }
        cursor = i
    }

    public mutating func deleteBackward() {
        guard cursor > 0 else { return }
        characters.remove(at: cursor - 1)
        cursor -= 1
    }

    public mutating func deleteForward() {
        guard cursor < characters.count else { return }
        characters.remove(at: cursor)
    }

    public mutating func deleteWordBackward() {
        let start = wordStart(before: cursor)
        characters.removeSubrange(start..<cursor)
        cursor = start
    }

    public mutating func killToEnd() { characters.removeSubrange(cursor...) }
    public mutating func killToStart() {
        characters.removeSubrange(..<cursor)
        cursor = 0
    }

    public mutating func clear() { self = PromptEditor() }

    private func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber }

    private func wordStart(before index: Int) -> Int {
        var i = index
        while i > 0, !isWordChar(characters[i - 1]) { i -= 1 }
        while i > 0, isWordChar(characters[i - 1]) { i -= 1 }
        return i
    }
}
