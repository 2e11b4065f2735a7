import EaselBackends
import EaselCore
import EaselImaging
import EaselProcess
import EaselStore
import Foundation
import Synchronization

/// Carries out effects: calls the backend, writes the gallery, and reports every outcome as an
/// `Action` through `send`. Each effect runs in its own task; none touches the terminal. Work that
/// blocks a thread (file I/O, image decoding, waiting for `xdg-open`) runs on `blockingQueue`,
/// never on a Swift-concurrency pool thread.
public final class EffectRunner: Sendable {
    /// Every usable backend by config name ("demo", "gpu", …); each job effect names its own (`backend:`).
    public let backends: [String: any GenerationBackend]
    public let gallery: Gallery
    /// Where live previews are written (`$XDG_CACHE_HOME/easel/live`); nil = not kept.
    public let liveDirectory: String?
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

    /// One backend, named "demo" (tests, `--server`).
    public convenience init(backend: any GenerationBackend, gallery: Gallery, pending: PendingImages? = nil,
                            backendOptions: BackendOptions? = nil, maxPixels: Int = ImageCodec.defaultMaxPixels,
                            maxDimension: Int = ImageCodec.defaultMaxDimension, send: @escaping @Sendable (Action) -> Void) {
        let name = backendOptions?.name ?? "demo"
        self.init(backends: [name: backend], gallery: gallery, pending: pending,
                  backendOptions: backendOptions.map { [name: $0] } ?? [:], maxPixels: maxPixels, maxDimension: maxDimension,
                  send: send)
    }

    /// - Parameters:
    ///   - backends: adapters by config name, as the effects name them.
    ///   - liveDirectory: folder for live previews (created on demand); nil keeps none.
    ///   - pending: where an image whose save failed is kept for the retry.
    ///   - backendOptions: the config tables by name, for image metadata.
    ///   - maxPixels, maxDimension: the largest image accepted (pixels in all, pixels per side).
    public init(backends: [String: any GenerationBackend], gallery: Gallery, liveDirectory: String? = nil,
                pending: PendingImages? = nil, backendOptions: [String: BackendOptions] = [:],
                maxPixels: Int = ImageCodec.defaultMaxPixels, maxDimension: Int = ImageCodec.defaultMaxDimension,
                send: @escaping @Sendable (Action) -> Void) {
        self.backends = backends
        self.liveDirectory = liveDirectory
        self.pending = pending
        self.backendOptions = backendOptions
        self.gallery = gallery
        self.maxPixels = maxPixels
        self.maxDimension = maxDimension
        self.send = send
    }

    public func run(_ effects: [Effect]) { effects.forEach(run) }

    public func run(_ effect: Effect) {
        if case .terminal = effect { return }            // the terminal loop's orders; headless runs have no terminal
        let key = counter.add(1, ordering: .relaxed).newValue
        let task = Task.detached { [self] in
            let action = await perform(effect)
            tasks.withLock { _ = $0.removeValue(forKey: key) }
            if let action, !Task.isCancelled { send(action) }
        }
        tasks.withLock { $0[key] = task }
    }

    /// The failure of an effect that names a backend this run has not set up.
    private func missing(_ name: String) -> JobError {
        .network("no backend named \(Sanitize.line(name)) is set up in this run (see easel backends)")
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

    /// Carries out `effect` on the calling task and returns its answer instead of sending it
    /// (`easel generate` waits for its cancel requests at C-c before it exits).
    /// - Returns: the action `run` would have sent; nil for effects that answer nothing.
    public func perform(_ effect: Effect) async -> Action? {
        switch effect {
        case .terminal: return nil
        case .submit(let id, let request, let name):
            guard let backend = backends[name] else { return .failed(id, missing(name), during: .submit) }
            do {
                let (remote, status) = try await backend.submit(request)
                streams.learned(id, status)
                if let note = backend.takeNotice(for: remote) { send(.warning("Job \(id): " + Sanitize.line(note))) }
                return .submitted(id, remote, status: status)
            } catch { return .failed(id, error, during: .submit) }
        case .poll(let id, let remote, let after, let name):
            guard let backend = backends[name] else { return .failed(id, missing(name), during: .poll) }
            // Pushed when the backend streams this job's status; polled otherwise, or once the stream failed.
            let asked = ContinuousClock.now
            if let pushed = await streams.next(id, remote, on: backend, wait: after) {
                if case .running = pushed { await showLivePreview(id, remote, from: backend) }
                noticeAtCompletion(id, remote, pushed, from: backend)
                return .statusPolled(id, pushed)
            }
            if let why = streams.takeFailure(id), streamNotices.withLock({ $0.insert(backend.displayName).inserted }) {
                send(.notice(Sanitize.line(why)))   // once per backend: from now on its jobs are polled
            }
            // The time spent waiting on a stream that said nothing counts towards the interval.
            do { try await Task.sleep(for: max(.zero, after - (ContinuousClock.now - asked))) } catch { return nil }
            let status: RemoteStatus
            do { status = try await backend.status(of: remote) } catch {
                // A synchronous service's held-open request is the submission: its failure ends the job now.
                return .failed(id, error, during: await backend.isFinal(error, for: remote) ? .submit : .poll)
            }
            streams.learned(id, status)
            if case .running = status { await showLivePreview(id, remote, from: backend) }
            noticeAtCompletion(id, remote, status, from: backend)
            return .statusPolled(id, status)
        case .download(let id, let ref, let name):
            streams.close(id)
            guard let backend = backends[name] else { return .failed(id, missing(name), during: .download) }
            do {
                let data = try await backend.download(ref)
                return .downloaded(id, data)
            } catch { return .failed(id, error, during: .download) }
        case .loadPending(let id, let fallback, let name):
            if let bytes = await Self.blocking({ [pending] in pending?.load(id) }) { return .downloaded(id, ImageData(bytes)) }
            guard let fallback else {
                return .failed(id, .storage("the image kept after the failed save is gone (\(pending?.path(for: id) ?? "not kept")) and the service gave no address to download it again"), during: .download)
            }
            return await perform(.download(id, fallback, backend: name))
        case .gallery(let order):
            return await Self.blocking { [self] in galleryLock.withLock { _ in galleryWork(order) }.map { .gallery($0) } }
        case .cancel(let id, let remote, let name):
            streams.close(id)
            guard let backend = backends[name] else { return .failed(id, missing(name), during: .cancel) }
            do { try await backend.cancel(remote); return nil } catch { return .failed(id, error, during: .cancel) }
        case .open(let path):
            return await Self.blocking { Self.open(path) }
        case .listModels(let name):
            guard let backend = backends[name] else { return .modelsListed(backend: name, .failed(missing(name).message)) }
            do throws(JobError) {
                return .modelsListed(backend: name, try await backend.models().map { .models($0) } ?? .notListed)
            } catch { return .modelsListed(backend: name, .failed(error.message)) }
        case .probe(let name):
            guard let backend = backends[name] else { return .probed(member: name, reachable: false, detail: missing(name).message) }
            let health = await backend.health()
            return .probed(member: name, reachable: health.ok, detail: health.detail)
        case .timer(let after):
            do { try await Task.sleep(for: after) } catch { return nil }
            return .tick(.now, wallTime: Date().timeIntervalSince1970)
        case .save(let id, let data, let request, let remote, let index, let target, let name, let timings):
            let backend = backends[name]
            let ran: RanParameters? = if let remote { await backend?.ranParameters(of: remote) } else { nil }   // as the service ran it
            return await Self.blocking { [self] in
                save(id, data, request, remote: remote, index: index, target: target, ran: ran, timings: timings,
                     backend: name, displayName: backend?.displayName ?? name)
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
        // The system viewer, by argument vector: no shell ever sees the path; it inherits none of our
        // sockets or files (it may outlive the studio).
        switch ChildProcess.spawn(["xdg-open", path], searchPath: true) {
        case .failure(let error): return .notice("Cannot open the image: xdg-open: \(error)")
        case .success(let pid):
            return ChildProcess.wait(pid) == 0 ? .notice("Opened \(path)") : .notice("xdg-open could not open \(path)")
        }
    }

    /// Decodes (checking size and format) and writes one image to the gallery, keeping it in `pending`
    /// when the disk refuses; blocking: `blockingQueue` only.
    private func save(_ id: JobID, _ data: ImageData, _ request: GenerationRequest, remote: RemoteJobID?, index: Int,
                      target: GalleryTarget, ran: RanParameters?, timings: JobTimings, backend name: String,
                      displayName: String) -> Action {
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
        let options = backendOptions[name]
        var metadata = Gallery.Metadata(request: request, backend: options?.name ?? displayName,
                                        model: request.model ?? options?.model ?? "", jobID: "\(id.rawValue)", remoteID: remote?.rawValue,
                                        date: target.wallTime.map { Date(timeIntervalSince1970: $0) } ?? Date())
        metadata.sampler = options?.sampler
        metadata.cfgScale = options?.cfgScale
        metadata.index = index
        metadata.ran = ran
        // The size actually made: a service may answer another size than asked (OpenAI `auto`).
        (metadata.request.width, metadata.request.height) = (image.width, image.height)
        if let elapsed = timings.elapsed { metadata.elapsedSeconds = Self.seconds(elapsed) }
        if let download = timings.download { metadata.timings["download_s"] = Self.seconds(download) }
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
