import Foundation

/// Small PNG copies of gallery images on disk (`$XDG_CACHE_HOME/easel/thumbs`), keyed by the source's
/// path, modification time and size: an edited or replaced file gets a new thumbnail, and a gallery
/// of thousands of images is decoded in full only once per image, only when its tile is on screen.
/// Safe to use from several threads (files are written to a temporary name and renamed).
public struct ThumbnailCache: Sendable {
    /// Absolute path of the cache folder.
    public let directory: String
    /// Longest side of a thumbnail, in pixels.
    public let maxSide: Int

    public init(directory: String, maxSide: Int = 320) {
        self.directory = directory
        self.maxSide = maxSide
    }

    /// `$XDG_CACHE_HOME/easel/thumbs`, else `~/.cache/easel/thumbs`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let x = environment["XDG_CACHE_HOME"], x.hasPrefix("/") { return x + "/easel/thumbs" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/easel/thumbs"
    }

    /// The cache file for `path` as it is now: `<directory>/<16 hex digits>.png`, from FNV-1a 64 over
    /// path, mtime (ns) and size.
    /// - Throws: `ImageError` when the source cannot be `stat`ed.
    public func cachePath(for path: String) throws(ImageError) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ImageError("\(path): \(String(cString: strerror(errno)))") }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let key = "\(path)\u{0}\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)\u{0}\(st.st_size)"
        for b in key.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return directory + "/" + String(format: "%016llx", hash) + ".png"
    }

    /// The thumbnail of `path`, made now when it is not cached (decode, scale down, PNG, write).
    /// A cache that cannot be written still returns the thumbnail.
    /// - Returns: RGBA pixels, longest side at most `maxSide`.
    /// - Throws: `ImageError` when the source cannot be read or decoded.
    public func thumbnail(for path: String) throws(ImageError) -> RGBAImage {
        let cached = try cachePath(for: path)
        if let bytes = try? Self.read(cached, limit: 16 << 20), let image = try? ImageCodec.decode(bytes) { return image }
        let source = try Self.read(path, limit: 256 << 20)
        let thumb = Self.scaled(try ImageCodec.decode(source), maxSide: maxSide)
        if let png = try? ImageCodec.encodePNG(thumb) { store(png, at: cached) }
        return thumb
    }

    /// Area-averaged downscale so the longest side is at most `maxSide` (never upscales).
    public static func scaled(_ image: RGBAImage, maxSide: Int) -> RGBAImage {
        let longest = max(image.width, image.height)
        guard longest > maxSide, maxSide > 0 else { return image }
        let w = max(1, image.width * maxSide / longest), h = max(1, image.height * maxSide / longest)
        var out = [UInt8](repeating: 0, count: w * h * 4)
        for y in 0..<h {
            let y0 = y * image.height / h, y1 = max(y0 + 1, (y + 1) * image.height / h)
            for x in 0..<w {
                let x0 = x * image.width / w, x1 = max(x0 + 1, (x + 1) * image.width / w)
                var sum = (0, 0, 0, 0)
                for sy in y0..<y1 {
                    var i = (sy * image.width + x0) * 4
                    for _ in x0..<x1 {
                        sum.0 += Int(image.pixels[i]); sum.1 += Int(image.pixels[i + 1])
                        sum.2 += Int(image.pixels[i + 2]); sum.3 += Int(image.pixels[i + 3])
                        i += 4
                    }
                }
                let n = (y1 - y0) * (x1 - x0), o = (y * w + x) * 4
                out[o] = UInt8(sum.0 / n); out[o + 1] = UInt8(sum.1 / n); out[o + 2] = UInt8(sum.2 / n); out[o + 3] = UInt8(sum.3 / n)
            }
        }
        return RGBAImage(width: w, height: h, pixels: out)
    }

    private func store(_ bytes: [UInt8], at path: String) {
        var prefix = ""
        for part in directory.split(separator: "/") {
            prefix += "/" + part
            mkdir(prefix, 0o700)
        }
        let tmp = "\(path).\(getpid()).\(UInt32.random(in: .min ... .max)).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let ok = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
        close(fd)
        if !ok || rename(tmp, path) != 0 { unlink(tmp) }
    }

    static func read(_ path: String, limit: Int) throws(ImageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageError("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = Foundation.read(fd, &chunk, chunk.count)
            if n < 0 { if errno == EINTR { continue }; throw ImageError("\(path): \(String(cString: strerror(errno)))") }
            if n == 0 { return out }
            out += chunk[0..<n]
            if out.count > limit { throw ImageError("\(path): larger than \(limit >> 20) MiB") }
        }
    }
}
