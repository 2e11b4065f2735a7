import EaselCore
import EaselTerminal
import Foundation
import TOMLKit

/// Settings from `$XDG_CONFIG_HOME/easel/config.toml` (or `--config FILE`). Command-line options win
/// over the file; the file wins over the defaults.
///
/// ```toml
/// [preview]
/// graphics = "auto"      # auto | sixel | kitty | iterm | blocks | none
/// sixel_colors = 256     # 2...256; fewer for slow links
/// probe_timeout = 1.0    # seconds to wait for the terminal's answers
/// theme = "default"
///
/// [queue]
/// mode = "exclusive"     # exclusive | queue
/// concurrency = 1        # jobs in flight at once, 1...32
/// notify = "on"          # on | bell | off
/// ```
public struct Config: Equatable, Sendable {
    public var graphics: GraphicsChoice?
    public var sixelColors: Int?
    public var probeTimeout: Double?
    public var theme: String?
    public var mode: GenerationMode?
    public var concurrency: Int?
    public var notify: NotifyMode?
    /// Unknown keys: reported, never fatal.
    public var warnings: [String] = []

    public init() {}

    /// `$XDG_CONFIG_HOME/easel/config.toml`, else `~/.config/easel/config.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let x = environment["XDG_CONFIG_HOME"], x.hasPrefix("/") { return x + "/easel/config.toml" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.config/easel/config.toml"
    }

    /// Reads `path`; a missing file is an empty config.
    /// - Throws: `ConfigError` naming the file, and the line or key, for unreadable files, bad TOML and bad values.
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
            throw ConfigError(message: "\(file): line \(e.source.begin.line), column \(e.source.begin.column): \(e.description)")
        } catch {
            throw ConfigError(message: "\(file): \(error)")
        }
        var config = Config()
        for (key, _) in table where key != "preview" && key != "queue" { config.warnings.append("\(file): unknown key \"\(key)\"") }
        if let value = table["queue"] {
            guard let queue = value.table else { throw ConfigError(message: "\(file): queue: expected a table") }
            for (key, value) in queue {
                let name = "queue.\(key)"
                switch key {
                case "mode":
                    guard let s = value.string, let m = GenerationMode(rawValue: s) else { throw ConfigError(message: "\(file): \(name): expected exclusive or queue") }
                    config.mode = m
                case "concurrency":
                    guard let n = value.int, (1...32).contains(n) else { throw ConfigError(message: "\(file): \(name): expected an integer in 1...32") }
                    config.concurrency = n
                case "notify":
                    guard let s = value.string, let n = NotifyMode(rawValue: s) else { throw ConfigError(message: "\(file): \(name): expected on, bell or off") }
                    config.notify = n
                default:
                    config.warnings.append("\(file): unknown key \"\(name)\"")
                }
            }
        }
        guard let value = table["preview"] else { return config }
        guard let preview = value.table else { throw ConfigError(message: "\(file): preview: expected a table") }
        for (key, value) in preview {
            let name = "preview.\(key)"
            switch key {
            case "graphics":
                guard let s = value.string, let choice = GraphicsChoice(rawValue: s) else {
                    throw ConfigError(message: "\(file): \(name): expected one of \(GraphicsChoice.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                config.graphics = choice
            case "sixel_colors":
                guard let n = value.int, (2...256).contains(n) else { throw ConfigError(message: "\(file): \(name): expected an integer in 2...256") }
                config.sixelColors = n
            case "probe_timeout":
                guard let d = value.double ?? value.int.map(Double.init), d >= 0, d <= 30 else {
                    throw ConfigError(message: "\(file): \(name): expected seconds in 0...30")
                }
                config.probeTimeout = d
            case "theme":
                guard let s = value.string, !s.isEmpty, !s.contains("/") else { throw ConfigError(message: "\(file): \(name): expected a theme name") }
                config.theme = s
            default:
                config.warnings.append("\(file): unknown key \"\(name)\"")
            }
        }
        return config
    }
}

public struct ConfigError: Error, Equatable, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
}
