import EaselBackends
import EaselCore
import EaselStore
import EaselTerminal
import EaselUI
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
    /// `ui.alt_keys`: how Alt+key arrives ("escape" or "8bit"); nil = "auto" (decided by the probe).
    public var altKeys: InputDecoder.MetaMode?
    /// `default_backend = "gpu"`: the `[backends.NAME]` used without `--backend`.
    public var defaultBackend: String?
    /// `[backends.NAME]` tables, in file order.
    public var backends: [BackendOptions] = []
    /// `[backends.NAME] kind = "pool"` tables, in file order: members share one queue.
    public var pools: [BackendPool] = []
    /// `[gallery]`: where finished images go and how they are named.
    public var gallery = GallerySettings()
    /// The file's permission bits allow group or others to read it (it holds an `api_key`).
    public var readableByOthers = false
    /// `[keys.CONTEXT]` tables: key name → command name (or "none"), in file order.
    public var keys: [KeyContext: [KeyOverride]] = [:]
    /// Unknown keys: reported, never fatal.
    public var warnings: [String] = []

    public struct KeyOverride: Equatable, Sendable {
        public let key: String
        public let command: String
    }

    public init() {}

    /// `[gallery]` keys; nil = the default.
    public struct GallerySettings: Equatable, Sendable {
        /// `dir`: the gallery folder (`~` expanded).
        public var directory: String?
        /// `template`: file names, e.g. `{date}/{time}_{prompt_slug}_{seed}.{ext}`.
        public var template: String?
        /// `sidecars`: write a `.json` next to every image, PNG too (JPEG/WebP always get one).
        public var sidecars: Bool?
        public init() {}
    }

    /// The backend named `name` (`--backend`), else `default_backend`, else nil (the demo backend).
    /// - Throws: `ConfigError` when the name is not a `[backends.NAME]` table.
    public func backend(named name: String?) throws(ConfigError) -> BackendOptions? {
        guard let wanted = name ?? defaultBackend else { return nil }
        if wanted == "demo", !backends.contains(where: { $0.name == "demo" }) { return BackendOptions(name: "demo", kind: .demo) }
        if let pool = pools.first(where: { $0.name == wanted }) {
            throw ConfigError(message: "\"\(wanted)\" is a pool of \(pool.members.joined(separator: ", ")), not one backend's table"
                + " (BackendSet.make selects pools)")
        }
        guard let b = backends.first(where: { $0.name == wanted }) else {
            let known = backends.map(\.name)
            throw ConfigError(message: "no backend named \"\(wanted)\"" + (known.isEmpty
                ? "; define [backends.\(wanted)] in the config file (see easel config --print-default)"
                : "; configured: \(known.joined(separator: ", ")), demo"))
        }
        return b
    }

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
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw ConfigError(message: "\(path): is a folder, not a config file")
        }
        guard access(path, R_OK) == 0 else {
            throw ConfigError(message: "\(path): cannot be read: \(String(cString: strerror(errno))) (check its permissions)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(message: "\(path): cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(message: "\(path): is not UTF-8 text")
        }
        var config = try parse(text, file: path)
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & 0o044 != 0 { config.readableByOthers = true }
        if config.readableByOthers, config.backends.contains(where: { if case .configFile = $0.apiKey { true } else { false } }) {
            config.warnings.append("\(path) holds an api_key and is readable by group or others: chmod 600 \(path)")
        }
        return config
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> Config {
        let table: TOMLTable
        if let at = TOMLHeaderCheck.keylessHeader(in: text) {       // the parser would abort the process
            throw ConfigError(message: "\(file):\(at.line):\(at.column): a table header needs a name, as in [backends.gpu]")
        }
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
            case "default_backend":
                guard let s = value.string, !s.isEmpty else { throw error("", key, "expected a backend name") }
                config.defaultBackend = s
            case "backends":
                guard let t = value.table else { throw error("", key, "expected tables like [backends.gpu]") }
                for (name, v) in t {
                    guard let b = v.table else { throw error(key, name, "expected a table like [backends.\(name)]") }
                    if b["kind"]?.string == "pool" {
                        config.pools.append(try parsePool(name: name, table: b, file: file, lines: lines, config: &config))
                        continue
                    }
                    config.backends.append(try parseBackend(name: name, table: b, file: file, lines: lines, config: &config))
                }
                config.backends.sort { line(of: $0.name, in: "backends", lines: lines) < line(of: $1.name, in: "backends", lines: lines) }
                config.pools.sort { line(of: $0.name, in: "backends", lines: lines) < line(of: $1.name, in: "backends", lines: lines) }
                try checkPoolMembers(config, file: file, lines: lines)
            case "gallery":
                guard let t = value.table else { throw error("", key, "expected a table") }
                for (k, v) in t {
                    switch k {
                    case "dir":
                        guard let s = v.string, !s.isEmpty else { throw error(key, k, "expected a folder path") }
                        config.gallery.directory = expandingTilde(s)
                    case "template":
                        guard let s = v.string, !s.isEmpty, s.contains("{ext}") else { throw error(key, k, "expected a template ending in .{ext}") }
                        do { _ = try GalleryTemplate(s) } catch let e {
                            if case .storage(let why) = e { throw error(key, k, why) } else { throw error(key, k, e.message) }
                        }
                        config.gallery.template = s
                    case "sidecars":
                        guard let b = v.bool else { throw error(key, k, "expected true or false") }
                        config.gallery.sidecars = b
                    default: config.warnings.append("\(file):\(line(of: k, in: key, lines: lines)): unknown key \(key).\(k)")
                    }
                }
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
                        guard let n = v.int, Limits.concurrency.contains(n) else { throw error(key, k, "expected an integer in \(Limits.text(Limits.concurrency))") }
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
                    case "alt_keys":
                        guard let s = v.string, s == "auto" || InputDecoder.MetaMode(rawValue: s) != nil else {
                            throw error(key, k, "expected auto, escape or 8bit")
                        }
                        config.altKeys = InputDecoder.MetaMode(rawValue: s)
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
                            throw error(section, k, "unknown command \"\(command)\"" + Command.suggestionTail(for: command))
                        }
                        list.append(KeyOverride(key: k, command: command))
                    }
                    config.keys[context] = list.sorted { line(of: $0.key, in: section, lines: lines) < line(of: $1.key, in: section, lines: lines) }
                }
            default:
                config.warnings.append("\(file):\(line(of: key, in: "", lines: lines)): unknown key \(key)")
            }
        }
        if let d = config.defaultBackend, d != "demo", !config.backends.contains(where: { $0.name == d }),
           !config.pools.contains(where: { $0.name == d }) {
            throw error("", "default_backend", "no [backends.\(d)] table")
        }
        config.warnings = inFileOrder(config.warnings, file: file)
        return config
    }

    /// `warnings` in the order of their lines in the file ("FILE:LINE: …"; the TOML reader gives tables in no
    /// fixed order), those without a line first, each group in the order it came.
    static func inFileOrder(_ warnings: [String], file: String) -> [String] {
        func lineNumber(_ warning: String) -> Int {
            guard warning.hasPrefix(file + ":") else { return 0 }
            return Int(warning.dropFirst(file.count + 1).prefix { $0.isNumber }) ?? 0
        }
        return warnings.enumerated().sorted { (lineNumber($0.element), $0.offset) < (lineNumber($1.element), $1.offset) }.map(\.element)
    }

    /// One `[backends.NAME]` table.
    static func parseBackend(name: String, table: TOMLTable, file: String, lines: [String], config: inout Config) throws(ConfigError) -> BackendOptions {
        let section = "backends.\(name)"
        let error = backendTableError(name: name, file: file, lines: lines)
        try checkBackendName(name, error: error)
        guard let kindName = table["kind"]?.string else {
            throw error("kind", "missing; expected one of \(BackendKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let kind = BackendKind(name: kindName) else {
            throw error("kind", "unknown kind \"\(kindName)\"; expected one of \(BackendKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var url: String?
        if let v = table["url"] {
            guard let s = v.string, s.hasPrefix("http://") || s.hasPrefix("https://") else { throw error("url", "expected an http:// or https:// URL") }
            url = s
        }
        guard url != nil || kind.defaultURL != nil || kind == .demo else { throw error("url", "missing") }
        var o = BackendOptions(name: name, kind: kind, url: url, file: file)
        func string(_ k: String) throws(ConfigError) -> String? {
            guard let v = table[k] else { return nil }
            guard let s = v.string, !s.isEmpty else { throw error(k, "expected a non-empty string") }
            return s
        }
        func seconds(_ k: String, _ range: ClosedRange<Double>) throws(ConfigError) -> Double? {
            guard let v = table[k] else { return nil }
            guard let d = v.double ?? v.int.map(Double.init), range.contains(d) else {
                throw error(k, "expected seconds in \(Int(range.lowerBound))...\(Int(range.upperBound))")
            }
            return d
        }
        for (k, _) in table {
            switch k {
            case "kind", "url": break
            case "model": o.model = try string(k)
            case "version": o.version = try string(k)
            case "workflow":
                guard let p = try string(k) else { break }
                o.workflow = expandingTilde(p)
            case "sampler": o.sampler = try string(k)
            case "cfg_scale":
                guard let d = table[k]?.double ?? table[k]?.int.map(Double.init), (0...50).contains(d) else { throw error(k, "expected a number in 0...50") }
                o.cfgScale = d
            case "poll_interval": o.pollInterval = try seconds(k, 0.05...600)
            case "deadline": o.deadline = try seconds(k, 1...86_400)
            case "request_timeout": o.requestTimeout = try seconds(k, 1...86_400)
            case "concurrency":
                guard let n = table[k]?.int, Limits.concurrency.contains(n) else { throw error(k, "expected an integer in \(Limits.text(Limits.concurrency))") }
                o.concurrency = n
            case "queue_ahead":
                guard let n = table[k]?.int, (0...8).contains(n) else { throw error(k, "expected an integer in 0...8") }
                o.queueAhead = n
            case "api_key_env":
                guard let s = try string(k), s.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                    throw error(k, "expected an environment variable name")
                }
                o.apiKey = .environment(s)
            case "api_key_cmd": o.apiKey = .command(try string(k) ?? "")
            case "api_key": o.apiKey = .configFile(try string(k) ?? "", file: file)
            case "api_auth":
                guard let s = try string(k), s.contains(":") else { throw error(k, "expected \"user:password\"") }
                o.basicAuth = s
            default: config.warnings.append("\(file):\(line(of: k, in: section, lines: lines)): unknown key \(section).\(k)")
            }
        }
        let keySources = ["api_key_env", "api_key_cmd", "api_key"].filter { table[$0] != nil }
            .sorted { line(of: $0, in: section, lines: lines) < line(of: $1, in: section, lines: lines) }
        if keySources.count > 1 { throw error(keySources[1], "give only one of api_key_env, api_key_cmd and api_key") }
        return o
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

    # The backend used without --backend: "demo" (the embedded, offline demo) or a [backends.NAME] below.
    # default_backend = "gpu"

    [gallery]
    # Where finished images go (default: $XDG_PICTURES_DIR/easel, else ~/Pictures/easel).
    # dir = "~/Pictures/easel"
    # File names; tokens: {date} {time} {datetime} {prompt_slug} {seed} {backend} {model} {width}
    # {height} {steps} {job_id} {index} {ext}. Sub-folders allowed; a clash adds -1, -2, ….
    # template = "{date}/{time}_{prompt_slug}_{seed}.{ext}"
    # Write a .json sidecar next to PNGs too (JPEG and WebP always get one).
    # sidecars = false
    # A save that fails (disk full, read-only) keeps the image in $XDG_STATE_HOME/easel/pending: t saves it again.
    # F4 browses the gallery; thumbnails are cached in $XDG_CACHE_HOME/easel/thumbs.

    [ui]
    # Clicks focus panes and select rows, the wheel scrolls. Off by default: with it on, selecting
    # text in the terminal needs Shift.
    mouse = false
    # How the terminal sends Alt+key: escape (ESC then the key), 8bit (the key with its 8th bit set:
    # mlterm's default, xterm without metaSendsEscape) or auto: xterm is asked to send ESC while Easel
    # runs (DECSET 1036, undone at exit), mlterm ($MLTERM) is read as 8bit, everything else as escape.
    alt_keys = "auto"

    [queue]
    # exclusive: one job at a time, the editor locks while it runs. queue: Enter adds to the queue.
    mode = "exclusive"
    # Jobs in flight on the backend at once, 1...32.
    concurrency = 1
    # When a job ends: on (bell plus OSC 9 / OSC 777 desktop notifications where supported), bell, or off.
    notify = "on"

    # Key bindings: one table per context (global, prompt, queue, history, help, gallery); "KEY" = "command".
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

    [keys.gallery]
    # "x" = "delete_image"

    # Backends: one table each; `easel backends` lists them and checks their health, --backend NAME
    # picks one, F3 in the studio switches. Keys: kind, url, model, workflow, sampler, cfg_scale,
    # poll_interval, deadline, request_timeout, concurrency, queue_ahead (jobs sent ahead into ComfyUI's own
    # queue, default 2), api_key_env | api_key_cmd | api_key, api_auth.
    # [backends.gpu]
    # kind = "comfyui"                      # comfyui, a1111 (Forge too), sdcpp, openai, replicate, fal, jobapi
    # url = "http://127.0.0.1:8188"         # through an SSH tunnel: ssh -N -L 8188:127.0.0.1:8188 gpu-box
    # workflow = "~/.config/easel/workflow_api.json"
    #
    # [backends.replicate]
    # kind = "replicate"
    # model = "black-forest-labs/flux-schnell"
    # api_key_env = "REPLICATE_API_TOKEN"   # or api_key_cmd = "pass show replicate"

    """
}

public struct ConfigError: Error, Equatable, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
}
