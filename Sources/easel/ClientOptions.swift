import ArgumentParser
import EaselApp
import EaselBackends
import EaselCore
import EaselServer
import EaselStore
import Foundation

/// Options shared by the TUI and `easel generate`.
struct ClientOptions: ParsableArguments {
    @Option(help: "Base URL of a job server with the seed API (POST /api/generate, GET /api/status/{id}). Default: the embedded demo backend.")
    var server: String?

    @Option(help: "Backend by name: a [backends.NAME] table of the config file, or demo (config: default_backend).")
    var backend: String?

    @Option(help: "Model for the selected backend: a ComfyUI checkpoint, an A1111 checkpoint, a hosted model id (config: model; `easel backends` lists them).")
    var model: String?

    @Option(help: "Gallery folder for finished images (config: gallery.dir; default: $XDG_PICTURES_DIR/easel or ~/Pictures/easel).")
    var gallery: String?

    @Option(parsing: .unconditional, help: "Seconds between status polls (default: the backend's poll_interval, else 2).")
    var pollInterval: Double?

    @Option(parsing: .unconditional, help: "Seconds the service may spend running a job before it counts as timed out; time queued on the service is not counted (default: the backend's deadline, else 120). A job the service still refuses with 429 after this long fails as rate limited (easel generate: also with the default).")
    var deadline: Double?

    @Option(parsing: .unconditional, help: "Simulated generation time of the embedded demo backend, in seconds.")
    var latency: Double = 3

    @Option(help: "Rate limit of the embedded demo backend, e.g. 8/60s.")
    var rateLimit: String = "8/60s"

    @Option(help: "Folder of the job journal (default: $XDG_STATE_HOME/easel).")
    var stateDir: String?

    func validate() throws {
        if gallery?.trimmingCharacters(in: .whitespaces).isEmpty == true {
            throw ValidationError("--gallery is empty: name a folder (or leave the option out for the configured one)")
        }
        try SecondsOption.check(pollInterval, "--poll-interval", above: 0)
        try SecondsOption.check(deadline, "--deadline", above: 0)
        if server != nil, backend != nil { throw ValidationError("give --server or --backend, not both") }
        try SecondsOption.check(latency, "--latency")
        guard RateLimitSpec(rateLimit) != nil else { throw ValidationError("--rate-limit must look like 8/60s") }
        if let server, !(server.hasPrefix("http://") || server.hasPrefix("https://")) {
            throw ValidationError("--server must be an http:// or https:// URL")
        }
    }

    /// The poll interval and deadline: the command line, else the backend's table, else 2 s and 120 s.
    func policy(for options: BackendOptions?) -> PollPolicy {
        PollPolicy.resolved(interval: pollInterval, deadline: deadline, backend: options)
    }

    /// `--gallery`, else the config's `gallery.dir`, else `$XDG_PICTURES_DIR/easel` or `~/Pictures/easel`.
    func galleryDirectory(_ config: Config) -> String {
        // A quoted `--gallery '~/x'` reaches us unexpanded: expand it as the shell would have.
        guard let dir = gallery.map({ Config.expandingTilde($0) }) ?? config.gallery.directory else { return Gallery.defaultDirectory() }
        return dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir
    }

    /// The gallery as configured: folder, `gallery.template` and `gallery.sidecars`.
    func makeGallery(_ config: Config) throws -> Gallery {
        var template = GalleryTemplate.standard
        if let text = config.gallery.template {
            do { template = try GalleryTemplate(text) } catch { throw CLIError("gallery.template: \(error.message)", category: "config") }
        }
        return Gallery(directory: galleryDirectory(config), template: template, sidecars: config.gallery.sidecars ?? false)
    }

    /// Failed saves wait here for a retry: `<state dir>/pending`.
    var pendingImages: PendingImages { PendingImages(directory: (stateDir ?? Journal.defaultDirectory()) + "/pending") }

    /// Opens the job journal (SQLite) for this process; a damaged journal moved aside is reported on stderr.
    func openJournal() throws -> Journal {
        try Journal.openReporting(directory: stateDir ?? Journal.defaultDirectory())
    }

    /// Fails early, before anything is generated, when the gallery cannot be written.
    func checkGallery(_ config: Config = Config()) throws {
        let dir = galleryDirectory(config)
        do { try Gallery(directory: dir).checkWritable() }
        catch { throw CLIError("gallery \(dir) cannot be used: \(error.detail) (choose another with --gallery DIR)", category: "storage") }
    }

    /// The embedded demo backend as `--latency` and `--rate-limit` set it.
    var demo: DemoBackend {
        DemoBackend(latency: .seconds(milliseconds: latency), rateLimit: demoLimit)
    }

    /// `--rate-limit` (checked by `validate()`).
    var demoLimit: RateLimitSpec { RateLimitSpec(rateLimit) ?? RateLimitSpec(requests: 8, window: .seconds(60)) }

    /// The backends this run can use: `--server`, or every `[backends.NAME]` of the config plus the demo.
    /// - Parameter allowSwitching: build every configured backend (the studio's F3), not just the selected one.
    /// - Throws: `CLIError` when the selected backend is unknown or cannot be set up.
    func makeBackends(config: Config, allowSwitching: Bool) async throws -> BackendSet {
        try await BackendSet.make(config: config, backend: backend, model: model, server: server, allowSwitching: allowSwitching, demo: demo)
    }
}

/// `--config FILE` (which must exist), else the default path (which may be missing).
/// - Throws: `CLIError` with the config error's file:line:key message.
func loadConfigFile(_ explicit: String?) throws -> Config {
    do { return try Config.load(explicit ?? Config.defaultPath(), mustExist: explicit != nil) }
    catch { throw CLIError(error.message, category: "config") }
}
