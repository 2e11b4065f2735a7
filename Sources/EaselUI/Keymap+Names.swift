import EaselCore

extension Keymap {
    /// The first key bound to `command` in `context` (see ``Keymap/keyName(for:in:)``), else the
    /// command's keymap name, so hints stay true when a user rebinds or unbinds keys.
    func name(_ command: Command, in context: KeyContext) -> String {
        keyName(for: command, in: context) ?? command.rawValue
    }

    /// Like ``name(_:in:)``, skipping printable keys: for one-line fields (the C-r search, the History
    /// filter) where a printable key types itself.
    func editingName(_ command: Command, in context: KeyContext) -> String {
        for ctx in [context, .global] {
            for (key, bound) in bindings[ctx] ?? [] where bound == command {
                if case .char = key { continue }
                if ctx == .global, self.command(for: key, in: context) != command { continue }   // shadowed
                return key.name
            }
        }
        return command.rawValue
    }
}
