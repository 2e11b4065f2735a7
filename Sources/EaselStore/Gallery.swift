import EaselCore
import EaselImaging
import Foundation

/// The gallery directory: every finished image as a plain file, written atomically and never
/// overwriting another, with its generation parameters embedded (PNG) or beside it (sidecar JSON).
public struct Gallery: Sendable {
    /// Absolute path of the gallery root.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// `$XDG_PICTURES_DIR/easel`, else `~/Pictures/easel`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let pictures = environment["XDG_PICTURES_DIR"], pictures.hasPrefix("/") { return pictures + "/easel" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/Pictures/easel"
    }

    /// Everything written into the file besides the pixels.
    public struct Metadata: Sendable {
        public var request: GenerationRequest
        public var backend: String
        public var model: String
        public var jobID: String
        public var remoteID: String?
        /// Seconds from submission to completion.
        public var elapsedSeconds: Double?
        public var date: Date

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

    /// Saves `bytes` (already checked to be PNG, JPEG or WebP) as `{date}/{time}_{prompt_slug}_{seed}.{ext}`.
    /// PNGs get a `tEXt` `parameters` chunk in the AUTOMATIC1111 layout and an `iTXt` `easel` chunk
    /// (JSON); JPEG and WebP get a sidecar `.json`. A name that exists gets `-1`, `-2`, … appended.
    /// - Returns: the absolute path written.
    /// - Throws: `JobError.storage` with the path and the system's reason (disk full, permission, read-only).
    public func save(_ bytes: [UInt8], metadata: Metadata) throws(JobError) -> String {
        guard let format = ImageFormat(sniffing: bytes) else { throw .badResponse("not a PNG, JPEG or WebP image") }
        let (day, time) = Self.stamp(metadata.date)
        let folder = directory + "/" + day
        try Self.makeDirectories(folder)
        let stem = "\(time)_\(Self.slug(metadata.request.prompt))_\(metadata.request.seed)"
        var payload = bytes
        if format == .png {
            do {
                payload = try ImageCodec.insertingText([
                    PNGText(key: "parameters", text: Self.parameters(metadata), international: !Self.isLatin1(Self.parameters(metadata))),
                    PNGText(key: "easel", text: Self.json(metadata)),
                ], into: bytes)
            } catch {
                throw .badResponse("could not add metadata to the PNG: \(error.message)")
            }
        }
        let path = try Self.writeNoClobber(payload, folder: folder, stem: stem, ext: format.fileExtension)
        if format != .png {
            let sidecar = String(path.dropLast(format.fileExtension.count)) + "json"
            _ = try? Self.writeNoClobber(Array(Self.json(metadata).utf8), folder: folder,
                                         stem: String(sidecar.split(separator: "/").last!.dropLast(5)), ext: "json")
        }
        return path
    }

    // MARK: - Naming

    /// Lower-case letters and digits joined by `-`, at most 48 characters; "untitled" when nothing is left.
    public static func slug(_ prompt: String) -> String {
        var out = ""
        var dash = false
        for s in prompt.lowercased().unicodeScalars {
            if (s.properties.isAlphabetic || ("0"..."9").contains(s)) && s.value > 0x20 {
                if dash && !out.isEmpty { out.append("-") }
                out.unicodeScalars.append(s)
                dash = false
            } else {
                dash = true
            }
            if out.count >= 47 { break }
        }
        return out.isEmpty ? "untitled" : out
    }

    static func stamp(_ date: Date) -> (day: String, time: String) {
        var t = time_t(date.timeIntervalSince1970)
        var tm = tm()
        localtime_r(&t, &tm)
        let day = String(format: "%04d-%02d-%02d", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday))
        let time = String(format: "%02d%02d%02d", Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
        return (day, time)
    }

    // MARK: - Metadata

    /// AUTOMATIC1111's infotext: prompt, `Negative prompt: …`, then `Steps: N, …, Seed: …, Size: WxH`.
    static func parameters(_ m: Metadata) -> String {
        var lines = [m.request.prompt]
        if !m.request.negativePrompt.isEmpty { lines.append("Negative prompt: \(m.request.negativePrompt)") }
        var fields = ["Steps: \(m.request.steps)", "Seed: \(m.request.seed)", "Size: \(m.request.width)x\(m.request.height)"]
        if !m.model.isEmpty { fields.append("Model: \(m.model)") }
        fields.append("Backend: \(m.backend)")
        lines.append(fields.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    static func json(_ m: Metadata) -> String {
        var object: [String: Any] = [
            "prompt": m.request.prompt, "negative_prompt": m.request.negativePrompt, "seed": Int(m.request.seed),
            "width": m.request.width, "height": m.request.height, "steps": m.request.steps,
            "backend": m.backend, "job_id": m.jobID, "created": ISO8601DateFormatter().string(from: m.date),
            "software": "easel",
        ]
        if !m.model.isEmpty { object["model"] = m.model }
        if let r = m.remoteID { object["remote_id"] = r }
        if let e = m.elapsedSeconds { object["elapsed_s"] = (e * 100).rounded() / 100 }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func isLatin1(_ s: String) -> Bool { s.unicodeScalars.allSatisfy { $0.value < 0x100 } }

    // MARK: - Safe writes

    /// `mkdir -p` with the system's own reason on failure ("Not a directory", "Permission denied").
    private static func makeDirectories(_ path: String) throws(JobError) {
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
    /// fails with `EEXIST` instead of overwriting; the temporary name is then removed.
    static func writeNoClobber(_ bytes: [UInt8], folder: String, stem: String, ext: String) throws(JobError) -> String {
        var template = Array("\(folder)/.easel-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .storage("\(folder): \(String(cString: strerror(errno)))") }
        let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(tmp) }
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
                throw .storage("\(tmp): \(why)")
            }
            written += n
        }
        if fsync(fd) != 0 {
            let why = String(cString: strerror(errno))
            close(fd)
            throw .storage("\(tmp): \(why)")
        }
        close(fd)
        for n in 0..<10_000 {
            let path = n == 0 ? "\(folder)/\(stem).\(ext)" : "\(folder)/\(stem)-\(n).\(ext)"
            if link(tmp, path) == 0 {
                let dir = open(folder, O_RDONLY)
                if dir >= 0 { fsync(dir); close(dir) }
                return path
            }
            if errno != EEXIST { throw .storage("\(path): \(String(cString: strerror(errno)))") }
        }
        throw .storage("\(folder): no free file name for \(stem)")
    }

}
