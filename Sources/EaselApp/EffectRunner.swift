import EaselBackends
import EaselCore
import EaselImaging
import EaselStore
import Foundation
import Synchronization

/// Carries out effects: calls the backend, writes the gallery, and reports every outcome as an
/// `Action` through `send`. Each effect runs in its own task; none touches the terminal. Work that
/// blocks a thread (file I/O, image decoding, waiting for `xdg-open`) runs on `blockingQueue`,
/// never on a Swift-concurrency pool thread.
public final class EffectRunner: Sendable {
    /// Every usable backend by config name ("demo", "gpu", …).
    public let backends: [String: any GenerationBackend]
    public let gallery: Gallery
    /// Where live previews are written (`$XDG_CACHE_HOME/easel/live`); nil = not kept.
    public let liveDirectory: String?
    /// The backend new submissions go to, and the one each job was submitted to.
    private let routing: Mutex<(current: String, byJob: [JobID: String])>
    private let livePreviewCount = Atomic<Int>(0)
    /// Where an image whose save failed is kept until a retry saves it (nil: not kept).
    public let pending: PendingImages?
    /// The `[backends.NAME]` tables by name, for the model, sampler and CFG scale written into each
    /// image's metadata (absent: the demo backend, or one given by `--server`).
    public let backendOptions: [String: BackendOptions]
    /// Largest image accepted, in pixels (width × height, checked from the header before decoding);
    /// default `ImageCodec.defaultMaxPixels` (40 megapixels).
    public let maxPixels: Int
    /// Largest side accepted, in pixels (checked from the header before decoding); default
    /// `ImageCodec.defaultMaxDimension` (16384).
    public let maxDimension: Int
    private let send: @Sendable (Action) -> Void
    /// Where blocking work runs: concurrent, so a viewer that `xdg-open` waits for holds no save back.
    static let blockingQueue = DispatchQueue(label: "easel.blocking", qos: .userInitiated, attributes: .concurrent)
    private let tasks = Mutex<[Int: Task<Void, Never>]>([:])
    /// Jobs followed over their backend's status stream instead of polled (JobStreams.swift).
    private let streams = JobStreams()
    /// Backends (by display name) whose failed status stream has been reported with a notice.
    private let streamNotices = Mutex<Set<String>>([])
    private let counter = Atomic<Int>(0)
    /// Gallery file work runs one at a time (two quick `*` presses must not lose a star).
    private let galleryLock = Mutex(())
    /// When each job was submitted and its download started, for the `timings` in the image's metadata.
    private let started = Mutex<[JobID: (submit: ContinuousClock.Instant?, download: ContinuousClock.Instant?, downloadDone: ContinuousClock.Instant?)]>([:])

    /// One backend, named "demo" (tests, `--server`).
    public convenience init(backend: any GenerationBackend, gallery: Gallery, pending: PendingImages? = nil,
                            backendOptions: BackendOptions? = nil, maxPixels: Int = ImageCodec.defaultMaxPixels,
                            maxDimension: Int = ImageCodec.defaultMaxDimension, send: @escaping @Sendable (Action) -> Void) {
        let name = backendOptions?.name ?? "demo"
        self.init(backends: [name: backend], current: name, gallery: gallery, pending: pending,
                  backendOptions: backendOptions.map { [name: $0] } ?? [:], maxPixels: maxPixels, maxDimension: maxDimension,
                  send: send)
    }

    /// - Parameters:
    ///   - backends: adapters by config name; `current` must be one of them.
    ///   - liveDirectory: folder for live previews (created on demand); nil keeps none.
    ///   - pending: where an image whose save failed is kept for the retry.
    ///   - backendOptions: the config tables by name, for image metadata.
    ///   - maxPixels, maxDimension: the largest image accepted (pixels in all, pixels per side).
    public init(backends: [String: any GenerationBackend], current: String, gallery: Gallery, liveDirectory: String? = nil,
                pending: PendingImages? = nil, backendOptions: [String: BackendOptions] = [:],
                maxPixels: Int = ImageCodec.defaultMaxPixels, maxDimension: Int = ImageCodec.defaultMaxDimension,
                send: @escaping @Sendable (Action) -> Void) {
        precondition(backends[current] != nil, "the current backend must be one of the backends")
        self.backends = backends
        self.routing = Mutex((current, [:]))
        self.liveDirectory = liveDirectory
        self.pending = pending
        self.backendOptions = backendOptions
        self.gallery = gallery
        self.maxPixels = maxPixels
        self.maxDimension = maxDimension
        self.send = send
    }

    /// The backend new submissions go to.
    public var backend: any GenerationBackend { routing.withLock { backends[$0.current]! } }

    /// Records that job `id` runs on `name` (jobs restored from the journal resume on their own backend).
    public func assign(_ id: JobID, to name: String) {
        guard backends[name] != nil else { return }
        routing.withLock { $0.byJob[id] = name }
    }

    /// The job's backend: the one it was submitted to, else (first submission) the current one, remembered.
    private func backend(for id: JobID) -> (name: String, backend: any GenerationBackend) {
        routing.withLock { r in
            let name = r.byJob[id] ?? r.current
            r.byJob[id] = name
            return (name, backends[name]!)
        }
    }

    public func run(_ effects: [Effect]) { effects.forEach(run) }

    public func run(_ effect: Effect) {
        if case .terminal = effect { return }            // the terminal loop's orders; headless runs have no terminal
        if case .selectBackend(let name) = effect {
            // Synchronous, so a submit that follows in the same batch already goes to the new backend.
            if backends[name] != nil { routing.withLock { $0.current = name } }
            else { send(.notice("Backend \(Sanitize.line(name)) is not available (see easel backends)")) }
            return
        }
        // Bind the job to its backend now, in effect order, not when the task gets to run.
        let bound = bind(effect)
        let key = counter.add(1, ordering: .relaxed).newValue
        let task = Task.detached { [self] in
            let action = await perform(effect, on: bound)
            tasks.withLock { _ = $0.removeValue(forKey: key) }
            if let action, !Task.isCancelled { send(action) }
        }
        tasks.withLock { $0[key] = task }
    }

    /// Carries out `effect` on the calling task and returns its answer instead of sending it
    /// (`easel generate` waits for its cancel requests at C-c before it exits).
    /// - Returns: the action `run` would have sent; nil for effects that answer nothing.
    public func perform(_ effect: Effect) async -> Action? {
        await perform(effect, on: bind(effect))
    }

    /// The backend a job's effect goes to; nil for effects that use none.
    private func bind(_ effect: Effect) -> (name: String, backend: any GenerationBackend)? {
        switch effect {
        case .submit(let id, _), .poll(let id, _, _), .download(let id, _), .cancel(let id, _), .save(let id, _, _, _, _, _),
             .loadPending(let id, _): backend(for: id)
        case .timer, .open, .selectBackend, .gallery, .terminal: nil
        }
    }

    /// Cancels every effect in flight (at quit).
    public func cancelAll() {
        tasks.withLock { all in
            for t in all.values { t.cancel() }
            all.removeAll()
        }
        streams.closeAll()
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Runs `work` on `blockingQueue` and resumes with its result: the awaiting task holds no pool thread.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { done in blockingQueue.async { done.resume(returning: work()) } }
    }

    /// The gallery browser's file work; runs on `blockingQueue`, never the terminal loop's thread.
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

    private func perform(_ effect: Effect, on bound: (name: String, backend: any GenerationBackend)?) async -> Action? {
        let backend = bound?.backend ?? self.backend
        switch effect {
        case .selectBackend, .terminal: return nil
        case .submit(let id, let request):
            started.withLock { $0[id] = (.now, nil, nil) }
            do {
                let (remote, status) = try await backend.submit(request)
                if let note = backend.takeNotice(for: remote) { send(.warning("Job \(id): " + Sanitize.line(note))) }
                return .submitted(id, remote, status: status)
            } catch { return .failed(id, error, during: .submit) }
        case .poll(let id, let remote, let after):
            // Pushed when the backend streams this job's status; polled otherwise, or once the stream failed.
            if let pushed = await streams.next(id, remote, on: backend, wait: after) {
                if case .running = pushed { await showLivePreview(id, remote, from: backend) }
                noticeAtCompletion(id, remote, pushed, from: backend)
                return .statusPolled(id, pushed)
            }
            if let why = streams.takeFailure(id), streamNotices.withLock({ $0.insert(backend.displayName).inserted }) {
                send(.notice(Sanitize.line(why)))   // once per backend: from now on its jobs are polled
            }
            do { try await Task.sleep(for: after) } catch { return nil }
            let status: RemoteStatus
            do { status = try await backend.status(of: remote) } catch {
                // A synchronous service's held-open request is the submission: its failure ends the job now.
                return .failed(id, error, during: await backend.isFinal(error, for: remote) ? .submit : .poll)
            }
            if case .running = status { await showLivePreview(id, remote, from: backend) }
            noticeAtCompletion(id, remote, status, from: backend)
            return .statusPolled(id, status)
        case .download(let id, let ref):
            streams.close(id)
            started.withLock { $0[id, default: (nil, nil, nil)].download = .now }
            do {
                let data = try await backend.download(ref)
                started.withLock { $0[id, default: (nil, nil, nil)].downloadDone = .now }
                return .downloaded(id, data)
            } catch { return .failed(id, error, during: .download) }
        case .loadPending(let id, let fallback):
            if let bytes = await Self.blocking({ [pending] in pending?.load(id) }) { return .downloaded(id, ImageData(bytes)) }
            guard let fallback else {
                return .failed(id, .storage("the image kept after the failed save is gone (\(pending?.path(for: id) ?? "not kept")) and the service gave no address to download it again"), during: .download)
            }
            return await perform(.download(id, fallback), on: bound)
        case .gallery(let order):
            return await Self.blocking { [self] in galleryLock.withLock { _ in galleryWork(order) }.map { .gallery($0) } }
        case .cancel(let id, let remote):
            streams.close(id)
            do { try await backend.cancel(remote); return nil } catch { return .failed(id, error, during: .cancel) }
        case .open(let path):
            return await Self.blocking { Self.open(path) }
        case .timer(let after):
            do { try await Task.sleep(for: after) } catch { return nil }
            return .tick(.now, wallTime: Date().timeIntervalSince1970)
        case .save(let id, let data, let request, let remote, let index, let target):
            let ran: RanParameters? = if let remote { await backend.ranParameters(of: remote) } else { nil }   // as the service ran it
            return await Self.blocking { [self] in
                save(id, data, request, remote: remote, index: index, target: target, ran: ran, on: bound, backend: backend)
            }
        }
    }

    /// What the service said about a finished job besides its images (outputs Easel cannot show), as a warning.
    private func noticeAtCompletion(_ id: JobID, _ remote: RemoteJobID, _ status: RemoteStatus, from backend: any GenerationBackend) {
        switch status {
        case .completed, .completedBatch:
            if let note = backend.takeNotice(for: remote) { send(.warning("Job \(id): " + Sanitize.line(note))) }
        case .queued, .running, .failed: break
        }
    }

    /// Opens `path` with the system viewer and waits for `xdg-open` to exit (blocking: `blockingQueue` only).
    private static func open(_ path: String) -> Action {
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
    }

    /// Decodes (checking size and format) and writes one image to the gallery, keeping it in `pending`
    /// when the disk refuses; blocking: `blockingQueue` only.
    private func save(_ id: JobID, _ data: ImageData, _ request: GenerationRequest, remote: RemoteJobID?, index: Int,
                      target: GalleryTarget, ran: RanParameters?, on bound: (name: String, backend: any GenerationBackend)?,
                      backend: any GenerationBackend) -> Action {
        let image: RGBAImage
        do {
            // The header first: a decompression bomb is refused before any pixel memory is taken.
            _ = try ImageCodec.checkedDimensions(of: data.bytes, maxPixels: maxPixels, maxDimension: maxDimension)
            image = try ImageCodec.decode(data.bytes, maxPixels: maxPixels)
        }
        catch { return .failed(id, .badResponse("the image cannot be decoded: \(error.message)"), during: .save) }
        // A 200 can still be a refusal: a safety checker's black stand-in is not saved as a success.
        if image.isBlackPlaceholder {
            return .failed(id, .invalidPrompt(reason: "rejected by the content policy: the service sent an all-black placeholder instead of the image (\(image.width)x\(image.height))"), during: .save)
        }
        let options = bound.flatMap { backendOptions[$0.name] }
        var metadata = Gallery.Metadata(request: request, backend: options?.name ?? backend.displayName,
                                        model: options?.model ?? "", jobID: "\(id.rawValue)", remoteID: remote?.rawValue,
                                        date: target.wallTime.map { Date(timeIntervalSince1970: $0) } ?? Date())
        metadata.sampler = options?.sampler
        metadata.cfgScale = options?.cfgScale
        metadata.index = index
        metadata.ran = ran
        // The size actually made: a service may answer another size than asked (OpenAI `auto`).
        (metadata.request.width, metadata.request.height) = (image.width, image.height)
        // Kept for the job's further images; the table is small and cleared when it grows past 256 jobs.
        let times = started.withLock { t in
            defer { if t.count > 256 { t.removeAll() } }
            return t[id]
        }
        if let submit = times?.submit { metadata.elapsedSeconds = Self.seconds(.now - submit) }
        if let a = times?.download, let b = times?.downloadDone { metadata.timings["download_s"] = Self.seconds(b - a) }
        do {
            // The job's own gallery folder (a retry in a later run saves where the first attempt would have).
            let gallery = target.directory.map { Gallery(directory: $0, template: self.gallery.template, sidecars: self.gallery.sidecars) } ?? self.gallery
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

    /// Writes the backend's newest live preview of a running job (if any) and tells the reducer its path.
    private func showLivePreview(_ id: JobID, _ remote: RemoteJobID, from backend: any GenerationBackend) async {
        if let dir = liveDirectory, let preview = await backend.livePreview(of: remote),
           let path = await Self.blocking({ [self] in writeLivePreview(preview, job: id, into: dir) }) {
            send(.livePreview(id, path: path))
        }
    }

    /// Writes a live preview as `DIR/<pid>-<job>-<n>.<ext>` (the extension from the magic bytes) and
    /// removes this job's preview from two frames ago (the one before may still be encoding).
    private func writeLivePreview(_ image: ImageData, job: JobID, into dir: String) -> String? {
        let ext: String
        switch image.bytes.first {
        case 0x89: ext = "png"
        case 0xFF: ext = "jpg"
        case 0x52: ext = "webp"
        default: return nil
        }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let n = livePreviewCount.add(1, ordering: .relaxed).newValue
        let path = "\(dir)/\(getpid())-\(job.rawValue)-\(n).\(ext)"
        guard FileManager.default.createFile(atPath: path, contents: Data(image.bytes)) else { return nil }
        if let old = try? FileManager.default.contentsOfDirectory(atPath: dir) {
            let prefix = "\(getpid())-\(job.rawValue)-"
            for name in old where name.hasPrefix(prefix) {
                if let k = Int(name.dropFirst(prefix.count).split(separator: ".").first ?? ""), k < n - 1 {
                    unlink(dir + "/" + name)
                }
            }
        }
        return path
    }
}
