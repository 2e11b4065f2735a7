import EaselCore
import EaselTerminal
import Foundation
import TOMLKit

/// Settings from `$XDG_CONFIG_HOME/easel/config.toml` (or `--config FILE`). Command-line options win
/// over the file; the file wins over the defaults. `easel config --print-default` prints every key.
public struct Config: Equatable, Sendable {
    public var graphics: GraphicsChoice?
    public var sixelColors: Int?
    public var probeTimeout: Double?
    public var theme: String?
    public var mode: GenerationMode?
    public var concurrency: Int?
    public var notify: NotifyMode?
    public var mouse: Bool?
    /// `[keys.CONTEXT]` tables: key name → command name (or "none"), in file order.
    public var keys: [KeyContext: [KeyOverride]] = [:]
    /// Unknown keys: reported, never fatal.
    public var warnings: [String] = []

    public struct KeyOverride: Equatable, Sendable {
        public let key: String
        public let command: String
    }

    public init() {}

    /// The keymap with this file's `[keys.*]` overrides applied.
    /// - Throws: `KeymapError` for unknown key names or commands.
    public func keymap(base: Keymap = .default) throws(KeymapError) -> Keymap {
        try base.overriding(keys.mapValues { $0.map { ($0.key, $0.command) } })
    }

    /// `$XDG_CONFIG_HOME/easel/config.toml`, else `~/.config/easel/config.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let x = environment["XDG_CONFIG_HOME"], x.hasPrefix("/") { return x + "/easel/config.toml" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.config/easel/config.toml"
    }

    /// Reads `path`; a missing file is an empty config unless `mustExist`.
    /// - Throws: `ConfigError` naming the file, the line and the key.
    public static func load(_ path: String, mustExist: Bool = false) throws(ConfigError) -> Config {
        guard FileManager.default.fileExists(atPath: path) else {
            if mustExist { throw ConfigError(message: "\(path): no such file") }
            return Config()
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(message: "\(path): cannot be read as UTF-8 text")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> Config {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw ConfigError(message: "\(file):\(e.source.begin.line):\(e.source.begin.column): \(e.description)")
        } catch {
            throw ConfigError(message: "\(file): \(error)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        /// "file:LINE: section.key: message", the line found by the key's assignment in its section.
        func error(_ section: String, _ key: String, _ message: String) -> ConfigError {
            ConfigError(message: "\(file):\(line(of: key, in: section, lines: lines)): \(section.isEmpty ? "" : section + ".")\(key): \(message)")
        }
        var config = Config()
        for (key, value) in table {
            switch key {
            case "preview":
                guard let t = value.table else { throw error("", key, "expected a table") }
                for (k, v) in t {
                    switch k {
                    case "graphics":
                        guard let s = v.string, let c = GraphicsChoice(rawValue: s) else {
                            throw error(key, k, "expected one of \(GraphicsChoice.allCases.map(\.rawValue).joined(separator: ", "))")
                        }
                        config.graphics = c
                    case "sixel_colors":
                        guard let n = v.int, (2...256).contains(n) else { throw error(key, k, "expected an integer in 2...256") }
                        config.sixelColors = n
                    case "probe_timeout":
                        guard let d = v.double ?? v.int.map(Double.init), (0...30).contains(d) else { throw error(key, k, "expected seconds in 0...30") }
                        config.probeTimeout = d
                    case "theme":
                        guard let s = v.string, !s.isEmpty, !s.contains("/") else { throw error(key, k, "expected a theme name") }
                        config.theme = s
                    default: config.warnings.append("\(file):\(line(of: k, in: key, lines: lines)): unknown key \(key).\(k)")
                    }
                }
            case "queue":
                guard let t = value.table else { throw error("", key, "expected a table") }
                for (k, v) in t {
                    switch k {
                    case "mode":
                        guard let s = v.string, let m = GenerationMode(rawValue: s) else { throw error(key, k, "expected exclusive or queue") }
                        config.mode = m
                    case "concurrency":
                        guard let n = v.int, (1...32).contains(n) else { throw error(key, k, "expected an integer in 1...32") }
                        config.concurrency = n
                    case "notify":
                        guard let s = v.string, let n = NotifyMode(rawValue: s) else { throw error(key, k, "expected on, bell or off") }
                        config.notify = n
                    default: config.warnings.append("\(file):\(line(of: k, in: key, lines: lines)): unknown key \(key).\(k)")
                    }
                }
            case "ui":
                guard let t = value.table else { throw error("", key, "expected a table") }
                for (k, v) in t {
                    switch k {
                    case "mouse":
                        guard let b = v.bool else { throw error(key, k, "expected true or false") }
                        config.mouse = b
                    default: config.warnings.append("\(file):\(line(of: k, in: key, lines: lines)): unknown key \(key).\(k)")
                    }
                }
            case "keys":
                guard let t = value.table else { throw error("", key, "expected tables like [keys.prompt]") }
                for (contextName, v) in t {
                    guard let context = KeyContext(rawValue: contextName) else {
                        throw error(key, contextName, "unknown context; expected \(KeyContext.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    guard let bindings = v.table else { throw error(key, contextName, "expected a table of \"KEY\" = \"command\"") }
                    let section = "keys.\(contextName)"
                    var list: [KeyOverride] = []
                    for (k, c) in bindings {
                        guard let command = c.string else { throw error(section, k, "expected a command name") }
                        guard Key(name: k) != nil else { throw error(section, k, "unknown key name (try \"C-g\", \"M-x\", \"F5\", \"Enter\")") }
                        guard command == "none" || Command(rawValue: command) != nil else {
                            throw error(section, k, "unknown command \"\(command)\"")
                        }
                        list.append(KeyOverride(key: k, command: command))
                    }
                    config.keys[context] = list.sorted { line(of: $0.key, in: section, lines: lines) < line(of: $1.key, in: section, lines: lines) }
                }
            default:
                config.warnings.append("\(file):\(line(of: key, in: "", lines: lines)): unknown key \(key)")
            }
        }
        return config
    }

    /// The 1-based line where `key` is assigned inside `[section]` (or at the top), else 0.
    static func line(of key: String, in section: String, lines: [String]) -> Int {
        var current = ""
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                current = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                if current == (section.isEmpty ? key : section + "." + key) { return i + 1 }
                continue
            }
            guard current == section, let eq = line.firstIndex(of: "=") else { continue }
            let name = line[..<eq].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if name == key { return i + 1 }
        }
        return 0
    }

    /// A complete, commented config with every key at its default.
    public static let defaultText = """
    # Easel configuration: $XDG_CONFIG_HOME/easel/config.toml (or --config FILE).
    # Command-line options override these keys. Unknown keys are warned about, never fatal.

    [preview]
    # How pictures are drawn: auto (probe the terminal), sixel, kitty, iterm, blocks or none.
    graphics = "auto"
    # Sixel palette size, 2...256; fewer colours make smaller sequences for slow links.
    sixel_colors = 256
    # Seconds to wait for the terminal's answers at start-up (raise it over slow SSH links).
    probe_timeout = 1.0
    # Theme name: a TOML file in $XDG_CONFIG_HOME/easel/themes, the share folder or the repository's themes/.
    # Bundled: default, light, high-contrast, gruvbox-dark, nord, solarized-light, mono.
    theme = "default"

    [ui]
    # Clicks focus panes and select rows, the wheel scrolls. Off by default: with it on, selecting
    # text in the terminal needs Shift.
    mouse = false

    [queue]
    # exclusive: one job at a time, the editor locks while it runs. queue: Enter adds to the queue.
    mode = "exclusive"
    # Jobs in flight on the backend at once, 1...32.
    concurrency = 1
    # When a job ends: on (bell plus OSC 9 / OSC 777 desktop notifications where supported), bell, or off.
    notify = "on"

    # Key bindings: one table per context (global, prompt, queue, history, help); "KEY" = "command".
    # Key names: "C-x" (Ctrl), "M-x" (Alt), "F1".."F24", Enter, Tab, S-Tab, Esc, Backspace, Del,
    # Up, Down, Left, Right, Home, End, PgUp, PgDn, Space, or one character. "none" removes a binding.
    # The ? / F1 overlay always shows the keymap in use.
    [keys.global]
    # "C-q" = "quit"

    [keys.prompt]
    # "C-g" = "generate"

    [keys.queue]
    # "d" = "cancel_job"

    [keys.history]
    # "r" = "retry_job"

    """
}

public struct ConfigError: Error, Equatable, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
}
