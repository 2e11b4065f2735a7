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
    /// Largest image accepted, in pixels (width × height, checked from the header before decoding);
    /// default `ImageCodec.defaultMaxPixels` (40 megapixels).
    public let maxPixels: Int
    /// Largest side accepted, in pixels (checked from the header before decoding); default
    /// `ImageCodec.defaultMaxDimension` (16384).
    public let maxDimension: Int
    private let send: @Sendable (Action) -> Void
    private let tasks = Mutex<[Int: Task<Void, Never>]>([:])
    private let counter = Atomic<Int>(0)

    public init(backend: any GenerationBackend, gallery: Gallery, maxPixels: Int = ImageCodec.defaultMaxPixels,
                maxDimension: Int = ImageCodec.defaultMaxDimension, send: @escaping @Sendable (Action) -> Void) {
        self.backend = backend
        self.gallery = gallery
        self.maxPixels = maxPixels
        self.maxDimension = maxDimension
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

    private func perform(_ effect: Effect) async -> Action? {
        switch effect {
        case .submit(let id, let request):
            do {
                let (remote, status) = try await backend.submit(request)
                return .submitted(id, remote, status: status)
            } catch { return .failed(id, error, during: .submit) }
        case .poll(let id, let remote, let after):
            do { try await Task.sleep(for: after) } catch { return nil }
            do { return .statusPolled(id, try await backend.status(of: remote)) } catch { return .failed(id, error, during: .poll) }
        case .download(let id, let ref):
            do { return .downloaded(id, try await backend.download(ref)) } catch { return .failed(id, error, during: .download) }
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
            do {
                // The header first: a decompression bomb is refused before any pixel memory is taken.
                _ = try ImageCodec.checkedDimensions(of: data.bytes, maxPixels: maxPixels, maxDimension: maxDimension)
                image = try ImageCodec.decode(data.bytes, maxPixels: maxPixels)
            }
            catch { return .failed(id, .badResponse("the image cannot be decoded: \(error.message)"), during: .save) }
            let metadata = Gallery.Metadata(request: request, backend: backend.displayName, jobID: remote?.rawValue ?? "\(id.rawValue)")
            do {
                let path = try gallery.save(data.bytes, metadata: metadata)
                return .saved(id, SavedImage(path: path, width: image.width, height: image.height))
            } catch { return .failed(id, error, during: .save) }
        }
    }
}
