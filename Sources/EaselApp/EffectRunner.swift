import EaselBackends
import EaselCore
import EaselImaging
import EaselStore
import Foundation
import Synchronization

/// Carries out effects: calls the backend, writes the gallery, and reports every outcome as an
/// `Action` through `send`. Each effect runs in its own task; none touches the terminal.
public final class EffectRunner: Sendable {
    public let backend: any GenerationBackend
    public let gallery: Gallery
    /// Where an image whose save failed is kept until a retry saves it (nil: not kept).
    public let pending: PendingImages?
    /// The `[backends.NAME]` table the backend came from, for the model, sampler and CFG scale written
    /// into each image's metadata (nil: the demo backend, or one given by `--server`).
    public let backendOptions: BackendOptions?
    /// Largest image accepted, in pixels (checked from the header before decoding).
    public let maxPixels: Int
    private let send: @Sendable (Action) -> Void
    private let tasks = Mutex<[Int: Task<Void, Never>]>([:])
    private let counter = Atomic<Int>(0)
    /// Gallery file work runs one at a time (two quick `*` presses must not lose a star).
    private let galleryLock = Mutex(())
    /// When each job was submitted and its download started, for the `timings` in the image's metadata.
    private let started = Mutex<[JobID: (submit: ContinuousClock.Instant?, download: ContinuousClock.Instant?, downloadDone: ContinuousClock.Instant?)]>([:])

    public init(backend: any GenerationBackend, gallery: Gallery, pending: PendingImages? = nil,
                backendOptions: BackendOptions? = nil, maxPixels: Int = ImageCodec.defaultMaxPixels,
                send: @escaping @Sendable (Action) -> Void) {
        self.backend = backend
        self.gallery = gallery
        self.pending = pending
        self.backendOptions = backendOptions
        self.maxPixels = maxPixels
        self.send = send
    }

    public func run(_ effects: [Effect]) { effects.forEach(run) }

    public func run(_ effect: Effect) {
        let key = counter.add(1, ordering: .relaxed).newValue
        let task = Task.detached { [self] in
            let action = await perform(effect)
            tasks.withLock { _ = $0.removeValue(forKey: key) }
            if let action, !Task.isCancelled { send(action) }
        }
        tasks.withLock { $0[key] = task }
    }

    /// Cancels every effect in flight (at quit).
    public func cancelAll() {
        tasks.withLock { all in
            for t in all.values { t.cancel() }
            all.removeAll()
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The gallery browser's file work; runs on the effect's own task, never the UI thread.
    private func galleryWork(_ order: GalleryEffect) -> GalleryEvent? {
        do {
            switch order {
            case .scan: return .scanned(try gallery.scan())
            case .readParameters(let path): return .parametersRead(try Gallery.readParameters(at: path))
            case .delete(let path):
                try gallery.delete(path)
                return .deleted(path)
            case .setStar(let path, let on):
                try gallery.setStar(path, on)
                return nil
            }
        } catch {
            return .failed(error)
        }
    }

    private func perform(_ effect: Effect) async -> Action? {
        switch effect {
        case .submit(let id, let request):
            started.withLock { $0[id] = (.now, nil, nil) }
            do {
                let (remote, status) = try await backend.submit(request)
                return .submitted(id, remote, status: status)
            } catch { return .failed(id, error, during: .submit) }
        case .poll(let id, let remote, let after):
            do { try await Task.sleep(for: after) } catch { return nil }
            do { return .statusPolled(id, try await backend.status(of: remote)) } catch { return .failed(id, error, during: .poll) }
        case .download(let id, let ref):
            started.withLock { $0[id, default: (nil, nil, nil)].download = .now }
            do {
                let data = try await backend.download(ref)
                started.withLock { $0[id, default: (nil, nil, nil)].downloadDone = .now }
                return .downloaded(id, data)
            } catch { return .failed(id, error, during: .download) }
        case .loadPending(let id, let fallback):
            if let bytes = pending?.load(id) { return .downloaded(id, ImageData(bytes)) }
            guard let fallback else {
                return .failed(id, .storage("the image kept after the failed save is gone (\(pending?.path(for: id) ?? "not kept")) and the service gave no address to download it again"), during: .download)
            }
            return await perform(.download(id, fallback))
        case .gallery(let order):
            return galleryLock.withLock { _ in galleryWork(order) }.map { .gallery($0) }
        case .cancel(let id, let remote):
            do { try await backend.cancel(remote); return nil } catch { return .failed(id, error, during: .cancel) }
        case .open(let path):
            // The system viewer, by argument vector: no shell ever sees the path.
            var pid: pid_t = 0
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            for fd: Int32 in [0, 1, 2] {
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            }
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("xdg-open"), strdup(path), nil]
            defer { argv.forEach { free($0) } }
            let rc = posix_spawnp(&pid, "xdg-open", &actions, nil, argv, environ)
            guard rc == 0 else { return .notice("Cannot open the image: xdg-open: \(String(cString: strerror(rc)))") }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return status == 0 ? .notice("Opened \(path)") : .notice("xdg-open could not open \(path)")
        case .timer(let after):
            do { try await Task.sleep(for: after) } catch { return nil }
            return .tick(.now, wallTime: Date().timeIntervalSince1970)
        case .save(let id, let data, let request, let remote):
            let image: RGBAImage
            do { image = try ImageCodec.decode(data.bytes, maxPixels: maxPixels) }
            catch { return .failed(id, .badResponse("the image cannot be decoded: \(error.message)"), during: .save) }
            var metadata = Gallery.Metadata(request: request, backend: backendOptions?.name ?? backend.displayName,
                                            model: backendOptions?.model ?? "", jobID: "\(id.rawValue)", remoteID: remote?.rawValue)
            metadata.sampler = backendOptions?.sampler
            metadata.cfgScale = backendOptions?.cfgScale
            let times = started.withLock { $0.removeValue(forKey: id) }
            if let submit = times?.submit { metadata.elapsedSeconds = Self.seconds(.now - submit) }
            if let a = times?.download, let b = times?.downloadDone { metadata.timings["download_s"] = Self.seconds(b - a) }
            do {
                let path = try gallery.save(data.bytes, metadata: metadata)
                pending?.remove(id)
                return .saved(id, SavedImage(path: path, width: image.width, height: image.height))
            } catch {
                guard case .storage(let why) = error, let pending else { return .failed(id, error, during: .save) }
                // Nothing is lost: the bytes wait in the state folder for `t` to save them again.
                do { try pending.store(data.bytes, for: id) }
                catch { return .failed(id, .storage("\(why); the image could not be kept either: \(error.message)"), during: .save) }
                return .failed(id, .storage("\(why) (the image is kept in \(pending.path(for: id)))"), during: .save)
            }
        }
    }
}
