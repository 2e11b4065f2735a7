import EaselCore
import EaselImaging
import Foundation

/// The gallery directory: every finished image as a plain file, written atomically and never
/// overwriting another, with its generation parameters embedded (PNG) or beside it (sidecar JSON).
public struct Gallery: Sendable {
    /// Absolute path of the gallery root.
    public let directory: String
    /// How files are named inside `directory` (config `gallery.template`).
    public let template: GalleryTemplate
    /// Write a `.json` sidecar next to PNGs too (config `gallery.sidecars`); JPEG and WebP always get one.
    public let sidecars: Bool

    public init(directory: String, template: GalleryTemplate = .standard, sidecars: Bool = false) {
        self.directory = directory
        self.template = template
        self.sidecars = sidecars
    }

    /// `$XDG_PICTURES_DIR/easel`, else `~/Pictures/easel`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let pictures = environment["XDG_PICTURES_DIR"], pictures.hasPrefix("/") { return pictures + "/easel" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/Pictures/easel"
    }

    /// Everything written into the file besides the pixels. Holds no credentials: API keys never
    /// reach it.
    public struct Metadata: Sendable {
        public var request: GenerationRequest
        public var backend: String
        public var model: String
        public var jobID: String
        public var remoteID: String?
        /// Seconds from submission to completion.
        public var elapsedSeconds: Double?
        /// Further timings in seconds by name ("download_s", …), written to the `easel` JSON.
        public var timings: [String: Double] = [:]
        public var date: Date
        /// A1111 fields the backend knows: `Sampler`, `Schedule type`, `CFG scale`, `Model hash`, `Version`.
        public var sampler: String?
        public var scheduleType: String?
        public var cfgScale: Double?
        public var modelHash: String?
        public var version: String?
        /// The image's number within its job, from 1 (`{index}`).
        public var index = 1
        /// What the service ran, when it can tell (`GenerationBackend.ranParameters(of:)`): then steps, seed,
        /// sampler, schedule type, CFG scale and model come from here, and those it lacks are left out.
        public var ran: RanParameters?

        public init(request: GenerationRequest, backend: String, model: String = "", jobID: String,
                    remoteID: String? = nil, elapsedSeconds: Double? = nil, date: Date = Date()) {
            self.request = request
            self.backend = backend
            self.model = model
            self.jobID = jobID
            self.remoteID = remoteID
            self.elapsedSeconds = elapsedSeconds
            self.date = date
        }
    }

    /// Saves `bytes` (PNG, JPEG or WebP, kept byte for byte apart from added text chunks) under the
    /// name the template gives. PNGs get a `tEXt` `parameters` chunk in the AUTOMATIC1111 layout
    /// (`iTXt` when the text is not Latin-1) and an `iTXt` `easel` chunk (JSON); JPEG and WebP (and PNG
    /// with `sidecars`) get a `.json` beside the image. A name that exists gets `-1`, `-2`, … appended.
    /// - Returns: the absolute path written.
    /// - Throws: `JobError.badResponse` when the bytes are not an image; `JobError.storage` with the
    ///   path and the system's reason (disk full, permission, read-only) when writing fails.
    public func save(_ bytes: [UInt8], metadata: Metadata) throws(JobError) -> String {
        guard let format = ImageFormat(sniffing: bytes) else { throw .badResponse("not a PNG, JPEG or WebP image") }
        let r = metadata.request
        let place = template.render(GalleryTemplate.Values(
            date: metadata.date, prompt: r.prompt, seed: r.seed, backend: metadata.backend, model: metadata.model,
            width: r.width, height: r.height, steps: r.steps, jobID: metadata.remoteID ?? metadata.jobID,
            index: metadata.index, ext: format.fileExtension))
        let folder = ([directory] + place.folders).joined(separator: "/")
        try Self.makeDirectories(folder)
        var payload = bytes
        let json = Self.json(metadata)
        if format == .png {
            let parameters = Self.parameters(metadata)
            do {
                payload = try ImageCodec.insertingText([
                    PNGText(key: "parameters", text: parameters, international: !Self.isLatin1(parameters)),
                    PNGText(key: "easel", text: json),
                ], into: bytes)
            } catch {
                throw .badResponse("could not add metadata to the PNG: \(error.message)")
            }
        }
        let sidecar = format != .png || sidecars ? Array(json.utf8) : nil
        return try Self.writeNoClobber(payload, folder: folder, stem: place.stem, ext: place.ext, sidecar: sidecar)
    }

    // MARK: - Naming

    /// Lower-case letters and digits joined by `-`, at most 48 characters; "untitled" when nothing is left.
    public static func slug(_ prompt: String) -> String { GalleryTemplate.slug(prompt) }

    static func stamp(_ date: Date) -> (day: String, time: String) { GalleryTemplate.stamp(date) }

    // MARK: - Metadata

    /// AUTOMATIC1111's infotext: prompt, `Negative prompt: …`, then
    /// `Steps: N, Sampler: …, Schedule type: …, CFG scale: …, Seed: …, Size: WxH, Model hash: …, Model: …, Version: …`
    /// (fields the backend does not know are left out, as A1111 leaves out `None`).
    public static func parameters(_ m: Metadata) -> String {
        infotext(m).render()
    }

    static func infotext(_ m: Metadata) -> Infotext {
        let r = m.asRun
        var fields: [Infotext.Field] = []
        if let n = r.steps { fields.append(.init("Steps", String(n))) }
        if let s = r.sampler, !s.isEmpty { fields.append(.init("Sampler", s)) }
        if let s = r.scheduler, !s.isEmpty { fields.append(.init("Schedule type", s)) }
        if let c = r.cfgScale { fields.append(.init("CFG scale", Infotext.number(c))) }
        if let s = r.seed { fields.append(.init("Seed", String(s))) }
        fields.append(.init("Size", "\(m.request.width)x\(m.request.height)"))
        if let h = m.modelHash, !h.isEmpty { fields.append(.init("Model hash", h)) }
        if let model = r.model, !model.isEmpty { fields.append(.init("Model", model)) }
        if let v = m.version, !v.isEmpty { fields.append(.init("Version", v)) }
        return Infotext(prompt: m.request.prompt, negativePrompt: m.request.negativePrompt, fields: fields)
    }

    /// The `easel` chunk and sidecar: `{"software":"easel","request":{prompt, negative_prompt, seed, width,
    /// height, steps},"backend","model","job_id","remote_id","created","timings":{…},"sampler","cfg_scale"}`.
    public static func json(_ m: Metadata) -> String {
        let r = m.asRun
        var request: [String: Any] = [
            "prompt": m.request.prompt, "negative_prompt": m.request.negativePrompt, "width": m.request.width, "height": m.request.height,
        ]
        if let s = r.seed { request["seed"] = s }
        if let n = r.steps { request["steps"] = n }
        if let s = r.sampler { request["sampler"] = s }
        if let s = r.scheduler, m.ran != nil { request["scheduler"] = s }
        if let c = r.cfgScale { request["cfg_scale"] = c }
        var object: [String: Any] = [
            "software": "easel", "request": request, "backend": m.backend, "job_id": m.jobID, "index": m.index,
            "created": ISO8601DateFormatter().string(from: m.date),
        ]
        if let model = r.model, !model.isEmpty { object["model"] = model }
        if let r = m.remoteID { object["remote_id"] = r }
        var timings = m.timings.mapValues { ($0 * 1000).rounded() / 1000 }
        if let e = m.elapsedSeconds { timings["total_s"] = (e * 1000).rounded() / 1000 }
        if !timings.isEmpty { object["timings"] = timings }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func isLatin1(_ s: String) -> Bool { s.unicodeScalars.allSatisfy { $0.value < 0x100 } }

    // MARK: - Safe writes

    /// `mkdir -p` with the system's own reason on failure ("Not a directory", "Permission denied").
    static func makeDirectories(_ path: String) throws(JobError) {
        var prefix = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw .storage("\(prefix): \(String(cString: strerror(errno)))")
            }
            var st = stat()
            if stat(prefix, &st) != 0 { throw .storage("\(prefix): \(String(cString: strerror(errno)))") }
            if (st.st_mode & S_IFMT) != S_IFDIR { throw .storage("\(prefix): \(String(cString: strerror(ENOTDIR)))") }
        }
    }

    /// Checks at start-up that the gallery can be created and written, so a bad `--gallery` is
    /// reported before any generation is paid for.
    /// - Throws: `JobError.storage` with the path and the system's reason.
    public func checkWritable() throws(JobError) {
        try Self.makeDirectories(directory)
        guard access(directory, W_OK | X_OK) == 0 else {
            throw .storage("\(directory): \(String(cString: strerror(errno)))")
        }
    }

    /// Temporary file in the target folder, `fsync`, then `link(2)` to the first free name, which
    /// fails with `EEXIST` instead of overwriting; the temporary name is then removed. With a
    /// `sidecar`, a name is free only when `stem.json` is free too, and the JSON is linked beside it.
    static func writeNoClobber(_ bytes: [UInt8], folder: String, stem: String, ext: String,
                               sidecar: [UInt8]? = nil) throws(JobError) -> String {
        let tmp = try temporaryCopy(bytes, folder: folder)
        defer { unlink(tmp) }
        let tmpSidecar = try sidecar.map { bytes throws(JobError) in try temporaryCopy(bytes, folder: folder) }
        defer { if let tmpSidecar { unlink(tmpSidecar) } }
        for n in 0..<10_000 {
            let base = n == 0 ? "\(folder)/\(stem)" : "\(folder)/\(stem)-\(n)"
            let path = "\(base).\(ext)"
            if tmpSidecar != nil, access(base + ".json", F_OK) == 0 { continue }
            if link(tmp, path) == 0 {
                if let tmpSidecar, link(tmpSidecar, base + ".json") != 0 {
                    let why = String(cString: strerror(errno))
                    unlink(path)
                    throw .storage("\(base).json: \(why)")
                }
                let dir = open(folder, O_RDONLY)
                if dir >= 0 { fsync(dir); close(dir) }
                return path
            }
            if errno != EEXIST { throw .storage("\(path): \(String(cString: strerror(errno)))") }
        }
        throw .storage("\(folder): no free file name for \(stem)")
    }

    /// Writes `bytes` to a new `.easel-XXXXXX` file in `folder` and `fsync`s it.
    /// - Returns: the temporary path (the caller links and unlinks it).
    static func temporaryCopy(_ bytes: [UInt8], folder: String) throws(JobError) -> String {
        var template = Array("\(folder)/.easel-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .storage("\(folder): \(String(cString: strerror(errno)))") }
        let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let mask = umask(0)                          // mkstemp makes 0600; gallery files follow the umask
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let why = String(cString: strerror(errno))
                close(fd)
                unlink(tmp)
                throw .storage("\(tmp): \(why)")
            }
            written += n
        }
        if fsync(fd) != 0 {
            let why = String(cString: strerror(errno))
            close(fd)
            unlink(tmp)
            throw .storage("\(tmp): \(why)")
        }
        close(fd)
        return tmp
    }
}

extension Gallery.Metadata {
    /// The fields written as run: `ran` when the service told, else the request and the config.
    var asRun: RanParameters {
        ran ?? RanParameters(seed: UInt64(request.seed), steps: request.steps, sampler: sampler, scheduler: scheduleType,
                             cfgScale: cfgScale, model: model.isEmpty ? nil : model)
    }
}
