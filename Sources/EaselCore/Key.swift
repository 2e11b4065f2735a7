/// A decoded key press. The terminal layer turns bytes into these; the keymap turns them into commands.
public enum Key: Hashable, Sendable {
    case char(Character)
    case ctrl(Character)          // lower-case letter or punctuation: .ctrl("a") is Ctrl-A
    case alt(Character)
    case enter, altEnter, tab, backTab, escape, backspace, delete
    case up, down, left, right, home, end, pageUp, pageDown
    case function(Int)

    /// The name used in keymaps and the help overlay: `"C-a"`, `"M-b"`, `"Enter"`, `"F1"`, `"q"`.
    public var name: String {
        switch self {
        case .char(" "): "Space"
        case .char(let c): String(c)
        case .ctrl(let c): "C-\(c)"
        case .alt("\u{7F}"): "M-Backspace"
        case .alt(let c): "M-\(c)"
        case .enter: "Enter"
        case .altEnter: "M-Enter"
        case .tab: "Tab"
        case .backTab: "S-Tab"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .delete: "Del"
        case .up: "Up"
        case .down: "Down"
        case .left: "Left"
        case .right: "Right"
        case .home: "Home"
        case .end: "End"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .function(let n): "F\(n)"
        }
    }

    /// Parses a keymap name (the inverse of `name`); `nil` for names it does not know.
    public init?(name: String) {
        let named: [String: Key] = [
            "Space": .char(" "), "Enter": .enter, "M-Enter": .altEnter, "Tab": .tab, "S-Tab": .backTab,
            "Esc": .escape, "Backspace": .backspace, "Del": .delete, "Up": .up, "Down": .down,
            "Left": .left, "Right": .right, "Home": .home, "End": .end, "PgUp": .pageUp, "PgDn": .pageDown,
        ]
        if let k = named[name] { self = k; return }
        if name == "M-Backspace" { self = .alt("\u{7F}"); return }
        if name.hasPrefix("C-"), name.count == 3, let c = name.last { self = .ctrl(c); return }
        if name.hasPrefix("M-"), name.count == 3, let c = name.last { self = .alt(c); return }
        if name.hasPrefix("F"), let n = Int(name.dropFirst()), (1...24).contains(n) { self = .function(n); return }
        if name.count == 1, let c = name.first { self = .char(c); return }
        return nil
    }
}
