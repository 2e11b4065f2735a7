import ArgumentParser
import EaselTerminal
import EaselUI
import Foundation

extension Easel {
    struct Themes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the themes in the search path with a preview of their colours.")

        @Flag(help: "Only check the themes: print warnings, exit 1 when any theme fails to load.")
        var check = false

        func run() throws {
            let path = Theme.searchPath()
            var failed = false
            for name in Theme.available(searchPath: path, loadableOnly: false) {
                do {
                    let theme = try Theme.load(name, searchPath: path)
                    let plain = isatty(STDOUT_FILENO) == 0 || !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
                    if !check { print(plain ? theme.name : Self.preview(theme)) }
                    for warning in theme.warnings { print("  warning: \(warning)") }
                } catch {
                    failed = true
                    print("\(name): \(error.message)")
                }
            }
            if !check { print("\nSearch path: \(path.joined(separator: ", "))") }
            if failed { throw ExitCode(1) }
        }

        /// One line: the name, then sample words in the theme's roles (24-bit SGR).
        static func preview(_ theme: Theme) -> String {
            func sgr(_ role: Role, _ text: String) -> String {
                guard let style = theme.styles[role] else { return text }
                var codes: [String] = []
                if style.bold { codes.append("1") }
                if style.dim { codes.append("2") }
                if style.reverse { codes.append("7") }
                if case .rgb(let r, let g, let b) = style.fg { codes.append("38;2;\(r);\(g);\(b)") }
                if case .indexed(let i) = style.fg { codes.append("38;5;\(i)") }
                if case .rgb(let r, let g, let b) = style.bg { codes.append("48;2;\(r);\(g);\(b)") }
                if case .indexed(let i) = style.bg { codes.append("48;5;\(i)") }
                return "\u{1B}[\(codes.joined(separator: ";"))m\(text)\u{1B}[0m"
            }
            let name = theme.name.padding(toLength: 16, withPad: " ", startingAt: 0)
            return name + [sgr(.text, "text"), sgr(.muted, "muted"), sgr(.borderFocused, "focus"), sgr(.selection, " selected "),
                           sgr(.jobRunning, "◐ running"), sgr(.jobComplete, "✓ done"), sgr(.jobFailed, "✗ failed"),
                           sgr(.placeholder, "██") + sgr(.placeholderPulse, "██"), sgr(.statusBar, " status ")].joined(separator: " ")
        }
    }
}
