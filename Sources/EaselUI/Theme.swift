import EaselTerminal
import Foundation
import TOMLKit

/// A theme: a style for every `Role`, read from a TOML file of role keys and a `[palette]`.
public struct Theme: Sendable {
    public let name: String
    public let styles: [Role: Style]
    /// Unknown keys, colours or modifiers: reported, never fatal.
    public let warnings: [String]

    /// Parses theme TOML. Each role resolves to its own key, else its broader scope
    /// (`ui.border.focus` → `ui.border` → `ui`), else `ui.text`. `ui.background` is the colour of every cell
    /// whose role gives no background, so a theme looks the same on a dark and on a light terminal.
    /// - Throws: `ThemeError` when the text is not TOML (with the parser's line and column).
    public init(name: String, toml: String) throws(ThemeError) {
        let table: TOMLTable
        if let at = TOMLHeaderCheck.keylessHeader(in: toml) {        // the parser would abort the process
            throw ThemeError(message: "\(name): line \(at.line), column \(at.column): a table header needs a name, as in [ui]")
        }
        do { table = try TOMLTable(string: toml) } catch let e as TOMLParseError {
            throw ThemeError(message: "\(name): line \(e.source.begin.line), column \(e.source.begin.column): \(e.description)")
        } catch {
            throw ThemeError(message: "\(name): \(error)")
        }
        var warnings: [String] = []
        var palette: [String: Color] = [:]
        if let p = table["palette"]?.table {
            for (key, value) in p {
                if let s = value.string, let c = Color(parsing: s) { palette[key] = c }
                else { warnings.append("palette.\(key): not a colour") }
            }
        }
        func color(_ text: String, _ key: String) -> Color? {
            if let c = palette[text] ?? Color(parsing: text) { return c }
            warnings.append("\(key): unknown colour \"\(text)\"")
            return nil
        }
        var raw: [String: Style] = [:]
        let known = Set(Role.allCases.map(\.rawValue) + Role.allCases.compactMap(\.parentKey) + ["ui", "job", "ui.background"])
        var background = Color.default
        if let b = table["ui.background"]?.string { background = color(b, "ui.background") ?? .default }
        for (key, value) in table where key != "palette" && key != "ui.background" {
            if !known.contains(key) { warnings.append("\(key): unknown role") }
            var style = Style()
            if let s = value.string {
                style.fg = color(s, key) ?? .default
            } else if let t = value.table {
                if let fg = t["fg"]?.string { style.fg = color(fg, key) ?? .default }
                if let bg = t["bg"]?.string { style.bg = color(bg, key) ?? .default }
                for m in t["modifiers"]?.array?.compactMap({ $0.string }) ?? [] {
                    switch m {
                    case "bold": style.bold = true
                    case "dim": style.dim = true
                    case "italic": style.italic = true
                    case "underline", "underlined": style.underline = true
                    case "reverse", "reversed": style.reverse = true
                    default: warnings.append("\(key): unknown modifier \"\(m)\"")
                    }
                }
            } else {
                warnings.append("\(key): expected a colour or a table")
                continue
            }
            raw[key] = style
        }
        var styles: [Role: Style] = [:]
        for role in Role.allCases {
            var key: String? = role.rawValue
            var found: Style?
            while let k = key, found == nil {
                found = raw[k]
                key = k.lastIndex(of: ".").map { String(k[..<$0]) }
            }
            styles[role] = found ?? raw["ui.text"] ?? Style()
            if styles[role]!.bg == .default { styles[role]!.bg = background }   // the theme paints every cell
        }
        self.name = name
        self.styles = styles
        self.warnings = warnings
    }

    /// A theme that uses only the terminal's defaults plus bold and reverse; used when no theme file
    /// can be found and for `NO_COLOR`.
    public static let mono: Theme = {
        var styles: [Role: Style] = [:]
        for role in Role.allCases { styles[role] = Style() }
        styles[.selection] = Style(reverse: true)
        styles[.cursor] = Style(reverse: true)
        styles[.statusBar] = Style(reverse: true)
        styles[.statusKey] = Style(bold: true, reverse: true)
        styles[.titleFocused] = Style(bold: true)
        styles[.borderFocused] = Style(bold: true)
        styles[.error] = Style(bold: true)
        styles[.jobFailed] = Style(bold: true)
        styles[.locked] = Style(dim: true)
        styles[.muted] = Style(dim: true)
        styles[.placeholderPulse] = Style(dim: true)
        return Theme(name: "mono", styles: styles)
    }()

    init(name: String, styles: [Role: Style]) {
        self.name = name
        self.styles = styles
        self.warnings = []
    }

    /// The folders searched for `NAME.toml`, in order: `$XDG_CONFIG_HOME/easel/themes`
    /// (or `~/.config/easel/themes`), the installed share folder, then the source tree's `themes/`.
    /// `executable`: the running program's real path (`executablePath()`), so a symlink on `PATH` still
    /// finds the themes installed beside the real binary.
    public static func searchPath(environment: [String: String] = ProcessInfo.processInfo.environment,
                                  executable: String = executablePath()) -> [String] {
        var dirs: [String] = []
        if let x = environment["XDG_CONFIG_HOME"], x.hasPrefix("/") { dirs.append(x + "/easel/themes") }
        else if let home = environment["HOME"] { dirs.append(home + "/.config/easel/themes") }
        let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        dirs.append(exe.appendingPathComponent("../share/easel/themes").standardized.path)
        // .build/<config>/easel → the repository's themes/
        dirs.append(exe.appendingPathComponent("../../themes").standardized.path)
        dirs.append(exe.appendingPathComponent("../../../themes").standardized.path)
        return dirs
    }

    /// The running program's real path: `/proc/self/exe` resolved (Linux); else `argv[0]` (which is a bare
    /// `easel` when started from `PATH`, so only a fallback).
    public static func executablePath(argv0: String = CommandLine.arguments.first ?? "") -> String {
        if let real = realpath("/proc/self/exe", nil) {
            defer { free(real) }
            return String(cString: real)
        }
        return Bundle.main.executablePath ?? argv0
    }

    /// Every theme name in the search path (first folder wins), `default` first, then by name.
    /// - Parameter loadableOnly: leave out themes that fail to load (not UTF-8, bad TOML), so cycling
    ///   through the list (F2) moves past a broken file; `easel themes` lists them all to report each.
    public static func available(searchPath: [String] = searchPath(), loadableOnly: Bool = true) -> [String] {
        var names: [String] = []
        for dir in searchPath {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for f in files.sorted() where f.hasSuffix(".toml") {
                let name = String(f.dropLast(5))
                if !names.contains(name) { names.append(name) }
            }
        }
        if loadableOnly { names = names.filter { (try? load($0, searchPath: searchPath)) != nil } }
        return names.sorted { ($0 == "default" ? 0 : 1, $0) < ($1 == "default" ? 0 : 1, $1) }
    }

    /// The theme to start with when the user chose none: `light` on a terminal whose background (OSC 11) is
    /// light, else `default` (dark), and `default` when the terminal did not say.
    public static func defaultName(lightBackground: Bool?) -> String { lightBackground == true ? "light" : "default" }

    /// The colour of the cells under pictures as the terminal shows them: the palette entry the theme's background
    /// is drawn with in a terminal of `colors` colours (xterm's values; mlterm draws the light theme's #fbfaf6 as
    /// colour 7, #e5e5e5, in its 8 colours), else the terminal's background (`terminal`, from OSC 11), else black.
    /// - Parameter colors: ``Screen/colors``; 0 (no colour) means the terminal's own background. Pass 1 << 24 for
    ///   the theme's exact colour.
    public func pictureBackground(terminal: RGB?, colors: Int = 1 << 24) -> RGB {
        guard colors > 0, let bg = styles[.text]?.bg else { return terminal ?? RGB(0, 0, 0) }
        if colors > 256 { return bg.rgb ?? terminal ?? RGB(0, 0, 0) }
        let index = bg.indexed(limit: colors)
        return index < 0 ? terminal ?? RGB(0, 0, 0) : Color.indexed(UInt8(index)).rgb ?? RGB(0, 0, 0)
    }

    /// Loads `name` from the search path.
    /// - Throws: `ThemeError` when no folder has it, the first file found is not UTF-8, or it does not parse.
    public static func load(_ name: String, searchPath: [String] = searchPath()) throws(ThemeError) -> Theme {
        for dir in searchPath {
            let path = dir + "/" + name + ".toml"
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ThemeError(message: "theme \"\(name)\": \(path) is not UTF-8 text")
            }
            return try Theme(name: name, toml: text)
        }
        throw ThemeError(message: "theme \"\(name)\" not found in \(searchPath.joined(separator: ", "))",
                         brief: "theme \"\(name)\" not found (`easel themes` lists the themes and their folders)")
    }
}

public struct ThemeError: Error, Equatable, Sendable {
    /// The whole sentence (for stderr and `easel themes`): for a missing theme, every folder looked in.
    public let message: String
    /// The same in a status-bar line: the search path is left to `easel themes`.
    public var brief: String { shortMessage ?? message }
    private let shortMessage: String?

    public init(message: String, brief: String? = nil) {
        self.message = message
        self.shortMessage = brief
    }
}
