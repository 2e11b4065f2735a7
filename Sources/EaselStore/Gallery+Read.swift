import EaselCore
import EaselImaging
import Foundation

extension Gallery {
    /// Reads the generation parameters back from an image, for "re-run from an image": first Easel's
    /// `easel` iTXt chunk (JSON), then an AUTOMATIC1111 `parameters` chunk (infotext, see `Infotext`),
    /// then a sidecar `.json` beside the file (`photo.jpg` → `photo.json`).
    /// - Parameter path: a PNG, JPEG or WebP file.
    /// - Returns: what was found; `source` says which of the three.
    /// - Throws: `JobError.storage` when the file cannot be read (with the path and the system's reason);
    ///   `JobError.badResponse` when it is not an image or carries no parameters anywhere.
    public static func readParameters(at path: String) throws(JobError) -> ImageParameters {
        let bytes = try readFile(path, limit: 256 << 20)
        guard let format = ImageFormat(sniffing: bytes) else {
            throw .badResponse("\(path): not a PNG, JPEG or WebP image")
        }
        if format == .png {
            if let json = ImageCodec.pngText(bytes, key: "easel"), let p = parameters(fromJSON: Array(json.utf8), source: "easel") {
                return p
            }
            if let text = ImageCodec.pngText(bytes, key: "parameters") {
                let info = Infotext.parse(text)
                if !info.prompt.isEmpty || !info.fields.isEmpty { return info.parameters }
            }
        }
        let dot = path.lastIndex(of: ".").flatMap { $0 > (path.lastIndex(of: "/") ?? path.startIndex) ? $0 : nil }
        let sidecar = (dot.map { String(path[..<$0]) } ?? path) + ".json"
        if access(sidecar, R_OK) == 0 {
            let json = try readFile(sidecar, limit: 4 << 20)
            if let p = parameters(fromJSON: json, source: "sidecar") { return p }
            throw .badResponse("\(sidecar): not Easel's sidecar JSON (no prompt)")
        }
        throw .badResponse("\(path): no generation parameters (no easel or parameters chunk, no \(sidecar.split(separator: "/").last.map(String.init) ?? "sidecar"))")
    }

    /// Easel's JSON (`{"request":{…}}`, or the older flat layout with `prompt`, `seed`, … at the top).
    static func parameters(fromJSON bytes: [UInt8], source: String) -> ImageParameters? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { return nil }
        let r = object["request"] as? [String: Any] ?? object
        guard let prompt = r["prompt"] as? String else { return nil }
        func int(_ key: String) -> Int? { (r[key] as? NSNumber).map { $0.intValue } }
        var p = ImageParameters(prompt: prompt, negativePrompt: r["negative_prompt"] as? String ?? "", source: source)
        if let s = (r["seed"] as? NSNumber)?.int64Value, (0...Int64(UInt32.max)).contains(s) { p.seed = UInt32(s) }
        p.width = int("width").flatMap { $0 > 0 ? $0 : nil }
        p.height = int("height").flatMap { $0 > 0 ? $0 : nil }
        p.steps = int("steps").flatMap { $0 > 0 ? $0 : nil }
        return p
    }

    /// The whole file, at most `limit` bytes.
    /// - Throws: `JobError.storage` with the path and the system's reason, or "larger than N MiB".
    static func readFile(_ path: String, limit: Int) throws(JobError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .storage("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw .storage("\(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return out }
            out += chunk[0..<n]
            if out.count > limit { throw .storage("\(path): larger than \(limit >> 20) MiB") }
        }
    }
}
