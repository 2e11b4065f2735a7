import EaselCore
import EaselHTTP
import EaselProcess
import Foundation

/// The services Easel can drive, by the `kind` key of a `[backends.NAME]` table.
public enum BackendKind: String, CaseIterable, Sendable {
    /// The embedded demo backend (the reference server on loopback).
    case demo
    /// The seed design's job API (`easel serve` or any server speaking it).
    case jobapi
    /// ComfyUI: `POST /prompt`, `/history/{prompt_id}`, `/view`.
    case comfyui
    /// AUTOMATIC1111 stable-diffusion-webui or Forge: `/sdapi/v1/txt2img` + `/sdapi/v1/progress`.
    case a1111
    /// stable-diffusion.cpp's `sd-server` native async API (`/sdcpp/v1/img_gen`).
    case sdcpp
    /// Any OpenAI-compatible `POST /v1/images/generations`.
    case openai
    /// Replicate predictions.
    case replicate
    /// fal.ai queue API.
    case fal

    /// Accepts the aliases users type: `forge` → a1111, `sd-server` → sdcpp, `seed` → jobapi.
    public init?(name: String) {
        switch name.lowercased() {
        case "forge", "automatic1111", "sdwebui": self = .a1111
        case "sd-server", "sd.cpp", "stable-diffusion.cpp": self = .sdcpp
        case "seed", "job-api": self = .jobapi
        default:
            guard let k = BackendKind(rawValue: name.lowercased()) else { return nil }
            self = k
        }
    }

    /// The base URL used when the config gives none.
    /// Jobs sent ahead by default into the service's own queue: 2 for ComfyUI (it runs its queue without
    /// waiting for Easel's next submit), 0 for the others.
    public var defaultQueueAhead: Int { self == .comfyui ? 2 : 0 }

    public var defaultURL: String? {
        switch self {
        case .demo: nil
        case .jobapi: "http://127.0.0.1:8787"
        case .comfyui: "http://127.0.0.1:8188"
        case .a1111: "http://127.0.0.1:7860"
        case .sdcpp: "http://127.0.0.1:1234"
        case .openai: "https://api.openai.com"
        case .replicate: "https://api.replicate.com"
        case .fal: "https://queue.fal.run"
        }
    }
}

/// Where an API key comes from. The key itself is only ever held by `APIKey`.
public enum KeySource: Equatable, Sendable, CustomStringConvertible {
    /// `api_key_env = "REPLICATE_API_TOKEN"`.
    case environment(String)
    /// `api_key_cmd = "pass show replicate"`: run with `/bin/sh -c`, the first line of its output.
    case command(String)
    /// `api_key = "…"` in the config file at `file`.
    case configFile(String, file: String)

    /// Names the source without the key, for messages: "environment variable REPLICATE_API_TOKEN". A
    /// command is never quoted (it may hold a secret: `echo sk-…`, a token in a URL): "the command in api_key_cmd".
    public var description: String {
        switch self {
        case .environment(let name): "environment variable \(name)"
        case .command: "the command in api_key_cmd"
        case .configFile(_, let file): "api_key in \(file)"
        }
    }

    public static func == (a: KeySource, b: KeySource) -> Bool {
        switch (a, b) {
        case (.environment(let x), .environment(let y)), (.command(let x), .command(let y)): x == y
        case (.configFile(let x, let f), .configFile(let y, let g)): x == y && f == g
        default: false
        }
    }

    /// Reads the key now.
    /// - Throws: `JobError.unauthorized` naming the source when the variable is unset or empty,
    ///   the command fails or prints nothing.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws(JobError) -> APIKey {
        switch self {
        case .environment(let name):
            guard let v = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else {
                throw .unauthorized("no API key: \(description) is not set")
            }
            return APIKey(v, source: self)
        case .command(let cmd):
            guard let out = Self.run(cmd), let first = out.split(whereSeparator: \.isNewline).first,
                  !first.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .unauthorized("no API key: \(description) failed or printed nothing")
            }
            return APIKey(first.trimmingCharacters(in: .whitespaces), source: self)
        case .configFile(let v, _):
            return APIKey(v, source: self)
        }
    }

    /// Runs `/bin/sh -c cmd` with stdin and stderr on /dev/null and no other descriptor of ours
    /// (`ChildProcess`); its stdout, or nil when it exits non-zero.
    private static func run(_ cmd: String) -> String? {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        let spawned = ChildProcess.spawn(["/bin/sh", "-c", cmd], stdout: .descriptor(fds[1]))
        close(fds[1])
        guard case .success(let pid) = spawned else { close(fds[0]); return nil }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 16 {
            let n = read(fds[0], &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        close(fds[0])
        guard ChildProcess.wait(pid) == 0 else { return nil }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A resolved API key. Its `description` is `[redacted]`, so string interpolation, `dump` and
/// error messages never show it; only `headerValue`-style accessors hand the bytes to HTTP.
public struct APIKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String
    /// Where it came from, for `unauthorized` messages.
    public let source: KeySource

    public init(_ value: String, source: KeySource) {
        self.value = value
        self.source = source
    }

    /// `Bearer <key>` for `Authorization`.
    public var bearer: String { "Bearer " + value }
    /// `Key <key>` (fal) for `Authorization`.
    public var falKey: String { "Key " + value }
    /// The raw key, for services that want it elsewhere. Never log or show it.
    public var secret: String { value }

    public var description: String { "[redacted]" }
    public var debugDescription: String { "APIKey([redacted], from \(source))" }

    /// `text` with every occurrence of the key replaced by `[redacted]`: servers sometimes echo it.
    public func redact(_ text: String) -> String {
        value.count >= 4 ? text.replacingOccurrences(of: value, with: "[redacted]") : text
    }
}

/// One `[backends.NAME]` table: which service, where, and how to drive it.
public struct BackendOptions: Equatable, Sendable {
    /// The table's name, e.g. "gpu"; shown in the status bar and stored with every job.
    public var name: String
    public var kind: BackendKind
    /// Base URL without a trailing slash; `kind.defaultURL` when the config gives none.
    public var url: String
    /// Model (checkpoint name for ComfyUI/A1111, `owner/name` for Replicate, app id for fal, `model` for OpenAI).
    public var model: String?
    /// Replicate model version id (a 64-hex string), when pinning a version instead of a model.
    public var version: String?
    /// ComfyUI API-format workflow file with placeholders (docs/backends/comfyui.md); nil = the built-in default.
    public var workflow: String?
    /// Sampler name (A1111 `sampler_name`, ComfyUI `sampler_name`).
    public var sampler: String?
    /// Classifier-free guidance scale.
    public var cfgScale: Double?
    /// Seconds between status polls; nil = the command line's `--poll-interval`.
    public var pollInterval: Double?
    /// Seconds after submission before a job times out; nil = `--deadline`.
    public var deadline: Double?
    /// Jobs in flight on this backend at once; nil = `queue.concurrency`.
    public var concurrency: Int?
    /// Jobs sent ahead into the service's own queue (`queue_ahead`, 0...8); nil = `kind.defaultQueueAhead`.
    public var queueAhead: Int?
    /// Seconds a single HTTP request may take (synchronous services hold one open while generating).
    public var requestTimeout: Double?
    /// Where the API key comes from, for services that need one.
    public var apiKey: KeySource?
    /// HTTP Basic credentials `user:password` (A1111 `--api-auth`). Never shown.
    public var basicAuth: String?
    /// The file the table came from, for messages.
    public var file: String
    /// The environment `api_key_env` is read from; nil = this process's (`ProcessInfo.processInfo.environment`).
    /// Tests give their own map instead of changing the running process's environment.
    public var environment: [String: String]?

    public init(name: String, kind: BackendKind, url: String? = nil, file: String = "") {
        self.name = name
        self.kind = kind
        var base = url ?? kind.defaultURL ?? ""
        while base.hasSuffix("/") { base.removeLast() }
        self.url = base
        self.file = file
    }

    /// A short description for the status bar and `easel backends`: "gpu — comfyui at http://127.0.0.1:8188".
    public var summary: String {
        kind == .demo ? "\(name) — demo backend, procedural, offline" : "\(name) — \(kind.rawValue) at \(url)"
    }
}

/// What a health check found.
public struct BackendHealth: Equatable, Sendable {
    /// The service answered its health route as expected.
    public var ok: Bool
    /// One line: "ComfyUI 0.3.40, cuda:0 (RTX 4090), 23.1 GiB VRAM free" or the error.
    public var detail: String
    /// Models (checkpoints) the service lists, if it lists them.
    public var models: [String]
    /// Samplers the service lists, if it lists them.
    public var samplers: [String]
    /// What will keep jobs from running although the service answers: "the server has no checkpoints", "the
    /// configured checkpoint x is not on the server", "the configured sampler y is not on the server".
    public var warnings: [String]

    public init(ok: Bool, detail: String, models: [String] = [], samplers: [String] = [], warnings: [String] = []) {
        self.ok = ok
        self.detail = detail
        self.models = models
        self.samplers = samplers
        self.warnings = warnings
    }
}

/// Builds the adapter for one `[backends.NAME]` table. One line per service.
public enum BackendFactory {
    /// - Throws: `BackendSetupError` when the options cannot drive that service (e.g. an unreadable workflow file).
    public static func make(_ options: BackendOptions, http: HTTPClient = HTTPClient()) throws(BackendSetupError) -> any GenerationBackend {
        switch options.kind {
        case .demo:
            throw BackendSetupError("\(options.name): the demo backend is started by the app, not the factory")
        case .jobapi:
            return SeedJobAPI(baseURL: options.url, http: http, displayName: options.summary,
                              apiKey: options.apiKey, backendName: options.name)
        case .comfyui:
            return try ComfyUIBackend(options: options, http: http)
        case .a1111:
            return try A1111Backend(options: options, http: http)
        case .sdcpp:
            return SDCppBackend(options: options, http: http)
        case .openai:
            return OpenAIImagesBackend(options: options, http: http)
        case .replicate:
            return try ReplicateBackend(options: options, http: http)
        case .fal:
            return try FalBackend(options: options, http: http)
        }
    }

    /// An HTTP client with this backend's request timeout applied: `request_timeout` seconds, else
    /// 600 s for services that hold the request open while generating (A1111, OpenAI), else 60 s.
    /// Such a synchronous service may take that long before its headers, so the first-byte timeout
    /// is raised to match.
    public static func httpClient(for options: BackendOptions) -> HTTPClient {
        var c = HTTPClient.Configuration()
        if let t = options.requestTimeout { c.totalTimeout = .seconds(milliseconds: t) }
        else if options.kind == .a1111 || options.kind == .openai { c.totalTimeout = .seconds(600) }
        if options.requestTimeout != nil || options.kind == .a1111 || options.kind == .openai {
            c.firstByteTimeout = max(c.firstByteTimeout, c.totalTimeout)
        }
        return HTTPClient(configuration: c)
    }
}

public struct BackendSetupError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
