/// Where a key press is looked up: the focused pane's context first, then `global`.
public enum KeyContext: String, CaseIterable, Sendable {
    case global, prompt, queue, history, help, gallery
    /// While a y/n question waits (delete, quit losing demo jobs).
    case confirm
    /// While the model picker is open; printable keys type the filter.
    case models
}

public struct KeymapError: Error, Equatable, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
}

/// One row of the `?` overlay: every key bound to one command, merged ("x, Del  Cancel the job").
public struct HelpRow: Equatable, Sendable {
    public let keys: [String]
    public let command: Command
    public var doc: String { command.doc }
}

/// Key bindings as data: per context, an ordered list of (key, command). The help overlay is
/// generated from this table and nowhere else.
public struct Keymap: Equatable, Sendable {
    public private(set) var bindings: [KeyContext: [(key: Key, command: Command)]]
    /// Keys unbound with "none" in a context: they do not fall back to `global` there.
    public private(set) var unbound: [KeyContext: Set<Key>] = [:]

    /// Same bindings in the same order, and the same keys unbound, in every context. (Each frame compares
    /// the keymap a pane was drawn with: no strings are built here.)
    public static func == (a: Keymap, b: Keymap) -> Bool {
        a.unbound == b.unbound && KeyContext.allCases.allSatisfy { ctx in
            let x = a.bindings[ctx] ?? [], y = b.bindings[ctx] ?? []
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.command == $1.command }
        }
    }

    public init(_ table: [KeyContext: [(String, Command)]]) {
        var b: [KeyContext: [(key: Key, command: Command)]] = [:]
        for (ctx, rows) in table {
            b[ctx] = rows.compactMap { name, cmd in Key(name: name).map { ($0, cmd) } }
        }
        bindings = b
    }

    /// The command bound to `key` in `context`, falling back to `global` (over the help overlay too,
    /// as in lazygit and helix: C-l, C-z and C-c always work; ``closesHelpFirst`` commands close it).
    public func command(for key: Key, in context: KeyContext) -> Command? {
        if let hit = bindings[context]?.first(where: { $0.key == key }) { return hit.command }
        if unbound[context]?.contains(key) == true { return nil }
        return bindings[.global]?.first(where: { $0.key == key })?.command
    }

    /// The name of the first key bound to `command` in `context`, else in `global` (when `context`
    /// falls back to it); `nil` when no key reaches the command there. For hints: "C-c", "Enter".
    public func keyName(for command: Command, in context: KeyContext) -> String? {
        if let hit = bindings[context]?.first(where: { $0.command == command }) { return hit.key.name }
        let shadowed = Set((bindings[context] ?? []).map(\.key)).union(unbound[context] ?? [])
        return bindings[.global]?.first { $0.command == command && !shadowed.contains($0.key) }?.key.name
    }

    /// The overlay's rows for one context, in binding order; keys sharing a command are merged.
    public func helpRows(in context: KeyContext) -> [HelpRow] {
        var order: [Command] = []
        var keys: [Command: [String]] = [:]
        for (key, cmd) in bindings[context] ?? [] {
            if keys[cmd] == nil { order.append(cmd) }
            keys[cmd, default: []].append(key.name)
        }
        return order.map { HelpRow(keys: keys[$0]!, command: $0) }
    }

    /// A copy with `overrides` applied per context: each key is bound to the named command (replacing
    /// its old binding), or unbound with `"none"`.
    /// - Throws: `KeymapError` naming the context and key for unknown key names or commands.
    public func overriding(_ overrides: [KeyContext: [(key: String, command: String)]]) throws(KeymapError) -> Keymap {
        var copy = self
        for (context, rows) in overrides {
            var list = copy.bindings[context] ?? []
            for (name, commandName) in rows {
                guard let key = Key(name: name) else { throw KeymapError(message: "keys.\(context.rawValue).\"\(name)\": unknown key name") }
                list.removeAll { $0.key == key }
                if commandName == "none" {
                    copy.unbound[context, default: []].insert(key)
                    if context == .global { copy.unbound = copy.unbound.mapValues { $0.union([key]) } }
                    continue
                }
                copy.unbound[context]?.remove(key)
                guard let command = Command(rawValue: commandName) else {
                    throw KeymapError(message: "keys.\(context.rawValue).\"\(name)\": unknown command \"\(commandName)\"" + Command.suggestionTail(for: commandName))
                }
                list.append((key, command))
            }
            copy.bindings[context] = list
        }
        return copy
    }

    /// Emacs and vi habits; printable keys in the prompt context type text unless bound here.
    public static let `default` = Keymap([
        .global: [
            ("C-c", .quit), ("Tab", .focusNext), ("S-Tab", .focusPrevious), ("F1", .toggleHelp), ("C-l", .redraw),
            ("C-z", .suspend), ("C-t", .toggleMode), ("F2", .cycleTheme), ("F3", .switchBackend), ("F4", .openGallery),
            ("F5", .pickModel),
        ],
        .prompt: [
            ("Enter", .generate), ("C-d", .quitIfEmpty), ("Esc", .focusPrompt),
            ("Left", .cursorLeft), ("C-b", .cursorLeft), ("Right", .cursorRight), ("C-f", .cursorRight),
            ("Home", .cursorLineStart), ("C-a", .cursorLineStart), ("End", .cursorLineEnd), ("C-e", .cursorLineEnd),
            ("M-b", .cursorWordLeft), ("M-f", .cursorWordRight),
            ("Backspace", .deleteBackward), ("C-h", .deleteBackward), ("Del", .deleteForward),
            ("C-w", .deleteWordBackward), ("M-Backspace", .deleteWordBackward), ("M-d", .deleteWordForward),
            ("C-k", .killToLineEnd), ("C-u", .killToLineStart), ("C-y", .yank), ("C-_", .undo),
            ("M-Enter", .insertNewline), ("C-j", .insertNewline),
            ("Up", .historyPrevious), ("C-p", .historyPrevious), ("Down", .historyNext), ("C-n", .historyNext),
            ("C-r", .searchHistory),
            ("M-n", .editNegative), ("M-e", .editParameters), ("M-r", .toggleSeed),
            ("M-s", .cycleSize), ("M-=", .countUp), ("M--", .countDown), ("C-g", .focusPrompt),
        ],
        .queue: [
            ("q", .quit), ("C-d", .quit), ("?", .toggleHelp), ("i", .focusPrompt), ("Esc", .focusPrompt),
            ("Up", .selectUp), ("k", .selectUp), ("Down", .selectDown), ("j", .selectDown),
            ("x", .cancelJob), ("Del", .cancelJob), ("X", .clearPending), ("K", .moveJobUp), ("J", .moveJobDown),
            ("t", .retryJob), ("PgUp", .pageUp), ("PgDn", .pageDown), ("Home", .selectFirst), ("End", .selectLast),
        ],
        .history: [
            ("q", .quit), ("C-d", .quit), ("?", .toggleHelp), ("i", .focusPrompt), ("Esc", .focusPrompt),
            ("Up", .selectUp), ("k", .selectUp), ("Down", .selectDown), ("j", .selectDown),
            ("t", .retryJob), ("Enter", .previewJob), ("r", .loadJob), ("R", .rerunSameSeed), ("n", .rerunNewSeed),
            ("y", .copyPath), ("Y", .copyPrompt), ("o", .openImage), ("d", .deleteJob), ("*", .starJob),
            ("/", .filterHistory), ("g", .openGallery),
            ("PgUp", .pageUp), ("PgDn", .pageDown), ("Home", .selectFirst), ("End", .selectLast),
        ],
        .gallery: [
            ("Esc", .closeOverlay), ("q", .closeOverlay), ("g", .closeOverlay),
            ("Left", .selectLeft), ("h", .selectLeft), ("Right", .selectRight), ("l", .selectRight),
            ("Up", .selectUp), ("k", .selectUp), ("Down", .selectDown), ("j", .selectDown),
            ("PgUp", .pageUp), ("PgDn", .pageDown), ("Home", .selectFirst), ("End", .selectLast),
            ("Enter", .openImage), ("o", .openImage), ("r", .loadImage), ("*", .starImage), ("d", .deleteImage),
            ("R", .rescanGallery), ("?", .toggleHelp),
        ],
        .confirm: [("y", .confirmYes), ("n", .confirmNo)],
        .models: [
            ("Enter", .useModel), ("Esc", .closeOverlay), ("F5", .closeOverlay),
            ("Up", .selectUp), ("C-p", .selectUp), ("Down", .selectDown), ("C-n", .selectDown),
            ("PgUp", .pageUp), ("PgDn", .pageDown),
        ],
        .help: [
            ("Esc", .closeOverlay), ("?", .closeOverlay), ("q", .closeOverlay), ("F1", .closeOverlay),
            ("Down", .selectDown), ("j", .selectDown), ("Up", .selectUp), ("k", .selectUp),
            ("PgDn", .pageDown), ("Space", .pageDown), ("PgUp", .pageUp),
        ],
    ])

    /// Global commands that change what is shown under the help overlay: pressed over it, they close
    /// it first (the others, such as redraw, suspend, quit or the theme, work with it left open).
    public static let closesHelpFirst: Set<Command> = [.focusNext, .focusPrevious, .openGallery, .pickModel]

    /// The keys that answer a y/n question, for its text: "y / n" (the command name where no key is bound).
    public var answerKeys: String {
        "\(keyName(for: .confirmYes, in: .confirm) ?? Command.confirmYes.rawValue) / "
            + (keyName(for: .confirmNo, in: .confirm) ?? Command.confirmNo.rawValue)
    }
}
