import EaselImaging

/// The kitty graphics protocol: the image goes as a PNG (`f=100`), base64-encoded and sent directly (`t=d`)
/// in APC chunks, then is shown at the cursor (`a=T`) without moving it (`C=1`), with all replies off (`q=2`)
/// so nothing arrives as keystrokes while curses runs.
///
/// Output shape (`<…>` are decimal numbers, `ESC \` is ST):
/// ```
/// ESC _G a=T,f=100,t=d,i=<id>,q=2,c=<cols>,r=<rows>,C=1,m=1 ; <base64> ESC \     first chunk
/// ESC _G m=1 ; <base64> ESC \                                                    middle chunks
/// ESC _G m=0 ; <base64> ESC \                                                    last chunk
/// ```
/// A picture that fits in one chunk is a single sequence with `m=0`. Each chunk carries at most
/// ``chunkSize`` base64 bytes, and every chunk but the last carries a multiple of 4, as the spec requires.
/// Each APC is therefore about 4.2 KB, far below the 1 MiB per-sequence limit of tmux and kitty.
/// The whole transfer may be larger (about 4/3 of the PNG).
///
/// Images are separate objects in kitty: ``erase(_:)`` deletes one by id without repainting any text.
/// `c=`/`r=` ask kitty to scale the picture into exactly that many cells (rounded up), so it can stretch
/// by less than one cell on each axis.
///
/// - SeeAlso: https://sw.kovidgoyal.net/kitty/graphics-protocol/ (kitty `docs/graphics-protocol.rst`)
public struct Kitty: GraphicsProtocol {
    public let name = "kitty"
    /// Base64 bytes per APC chunk: the spec's maximum, and a multiple of 4.
    public static let chunkSize = 4096

    /// Send pictures without an id (`easel show`): kitty replaces an image sent again with the same id, placements
    /// included, so a second `show` of the same picture at the same size made the first one vanish.
    public let anonymous: Bool

    public init(anonymous: Bool = false) { self.anonymous = anonymous }

    /// Scales `image` to fit `box` keeping its aspect (no band rounding), encodes it as PNG, and returns the
    /// transmit-and-display sequence to write at the image's top-left cell.
    /// - Parameters:
    ///   - box: the largest size in pixels.
    ///   - cell: one cell in pixels, used for `c=`/`r=` and `EncodedImage.cells` (rounded up).
    /// - Returns: `imageID` is a non-zero id derived from the scaled pixels and their size, so the same picture
    ///   at the same size always gets the same id. Sending that id again replaces the earlier upload and its placements.
    ///   0 (no `i=` key) when ``anonymous``.
    /// - Throws: `GraphicsError` when the box or the image is empty, or PNG encoding fails.
    public func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize) throws(GraphicsError) -> EncodedImage {
        let fitted = try FittedPNG(image, fitting: box, cell: cell)
        let id = anonymous ? 0 : Self.imageID(of: fitted.image)
        let bytes = Self.transmitAndDisplay(png: fitted.png, id: id, cells: fitted.cells)
        return EncodedImage(payload: .bytes(bytes), pixels: fitted.pixels, cells: fitted.cells, imageID: id)
    }

    /// `ESC _G a=d,d=I,i=<id>,q=2 ESC \`: deletes every placement of the image and frees its data.
    /// - Returns: `nil` for an image without an id (not produced by ``encode(_:fitting:cell:)``).
    public func erase(_ image: EncodedImage, background: RGB) -> [UInt8]? {
        guard image.imageID != 0 else { return nil }
        return Array("\u{1B}_Ga=d,d=I,i=\(image.imageID),q=2\u{1B}\\".utf8)
    }

    /// The chunked APC sequence for `png`; id 0 leaves out the `i=` key.
    static func transmitAndDisplay(png: [UInt8], id: UInt32, cells: CellSize) -> [UInt8] {
        let data = base64(png)
        let chunks = max(1, (data.count + chunkSize - 1) / chunkSize)
        var out: [UInt8] = []
        out.reserveCapacity(data.count + chunks * 16 + 80)
        var start = 0
        for n in 0..<chunks {
            let end = min(data.count, start + chunkSize)
            let more = n < chunks - 1 ? 1 : 0
            let keys = n == 0
                ? "a=T,f=100,t=d,\(id == 0 ? "" : "i=\(id),")q=2,c=\(cells.columns),r=\(cells.rows),C=1,m=\(more)"
                : "m=\(more)"
            out += Array("\u{1B}_G\(keys);".utf8)
            out += data[start..<end]
            out += [0x1B, UInt8(ascii: "\\")]
            start = end
        }
        return out
    }

    /// A non-zero id from the pixels and size (an xxHash64-style round per 8 bytes, folded to 32 bits).
    static func imageID(of image: RGBAImage) -> UInt32 {
        let p1: UInt64 = 0x9E37_79B1_85EB_CA87, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        @inline(__always) func round(_ acc: UInt64, _ word: UInt64) -> UInt64 {
            let x = acc &+ word &* p2
            return ((x << 31) | (x >> 33)) &* p1
        }
        var h = round(0x2754_9E37_0000_0000 ^ UInt64(image.width), UInt64(image.height))
        image.pixels.withUnsafeBytes { raw in
            let words = raw.count / 8
            for k in 0..<words { h = round(h, raw.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self)) }
            var tail: UInt64 = 0
            for k in (words * 8)..<raw.count { tail = tail << 8 | UInt64(raw[k]) }
            h = round(h, tail ^ UInt64(raw.count))
        }
        h ^= h >> 33; h &*= 0xFF51_AFD7_ED55_8CCD; h ^= h >> 33; h &*= 0xC4CE_B9FE_1A85_EC53; h ^= h >> 33
        let id = UInt32(truncatingIfNeeded: h ^ (h >> 32))
        return id == 0 ? 1 : id
    }
}

// MARK: - Shared by the PNG-carrying protocols (kitty, iTerm2)

/// `image` scaled to fit a pixel box and encoded as PNG.
struct FittedPNG {
    /// The scaled pixels (what the PNG holds).
    let image: RGBAImage
    let png: [UInt8]
    var pixels: PixelSize { PixelSize(width: image.width, height: image.height) }
    /// Cells covered, rounded up.
    let cells: CellSize

    /// - Throws: `GraphicsError` when the fitted size is empty or libpng fails.
    init(_ source: RGBAImage, fitting box: PixelSize, cell: PixelSize) throws(GraphicsError) {
        let target = fittedSize(width: source.width, height: source.height, in: box, band: 1)
        guard target.width > 0, target.height > 0 else { throw GraphicsError("the preview area is too small") }
        image = scaled(source, to: target)
        do throws(ImageError) {
            png = try ImageCodec.encodePNG(image)
        } catch {
            throw GraphicsError("PNG encoding failed: \(error.message)")
        }
        let cw = max(1, cell.width), ch = max(1, cell.height)
        cells = CellSize(columns: (target.width + cw - 1) / cw, rows: (target.height + ch - 1) / ch)
    }
}

/// `image` resampled to `size` by area averaging: each output pixel is the mean of the source area it
/// covers, with fractional edge pixels weighted by their overlap. Colours are averaged weighted by alpha
/// (premultiplied), so fully transparent pixels add no colour. Upscaling by an integer factor repeats pixels.
/// Two separable passes over `Float` rows; 1024² → 500² takes a few milliseconds in release builds.
/// - Returns: `image` itself when the size is unchanged; all-zero pixels when `image` is empty.
func scaled(_ image: RGBAImage, to size: PixelSize) -> RGBAImage {
    precondition(size.width > 0 && size.height > 0, "target size must be positive")
    if size.width == image.width && size.height == image.height { return image }
    let dw = size.width, dh = size.height, sw = image.width, sh = image.height
    guard sw > 0, sh > 0 else { return RGBAImage(width: dw, height: dh, pixels: [UInt8](repeating: 0, count: dw * dh * 4)) }
    let xs = AreaTaps(source: sw, target: dw), ys = AreaTaps(source: sh, target: dh)

    // Pass 1, horizontal: sw × sh bytes → dw × sh premultiplied floats (r·a, g·a, b·a, a).
    var mid = [Float](repeating: 0, count: dw * sh * 4)
    image.pixels.withUnsafeBufferPointer { src in
        mid.withUnsafeMutableBufferPointer { dst in
            xs.withPointers { first, count, weights in
                for y in 0..<sh {
                    let row = src.baseAddress! + y * sw * 4
                    let out = dst.baseAddress! + y * dw * 4
                    for x in 0..<dw {
                        var r: Float = 0, g: Float = 0, b: Float = 0, a: Float = 0
                        let w0 = x * xs.stride
                        var p = row + first[x] * 4
                        for k in 0..<count[x] {
                            let wa = weights[w0 + k] * Float(p[3])
                            r += wa * Float(p[0]); g += wa * Float(p[1]); b += wa * Float(p[2]); a += wa
                            p += 4
                        }
                        out[x * 4] = r; out[x * 4 + 1] = g; out[x * 4 + 2] = b; out[x * 4 + 3] = a
                    }
                }
            }
        }
    }

    // Pass 2, vertical: accumulate source rows into one output row, then un-premultiply to bytes.
    var pixels = [UInt8](repeating: 0, count: dw * dh * 4)
    var acc = [Float](repeating: 0, count: dw * 4)
    mid.withUnsafeBufferPointer { src in
        pixels.withUnsafeMutableBufferPointer { dst in
            acc.withUnsafeMutableBufferPointer { acc in
                ys.withPointers { first, count, weights in
                    let n = dw * 4
                    for y in 0..<dh {
                        for i in 0..<n { acc[i] = 0 }
                        for k in 0..<count[y] {
                            let w = weights[y * ys.stride + k]
                            let row = src.baseAddress! + (first[y] + k) * n
                            for i in 0..<n { acc[i] += w * row[i] }
                        }
                        let out = dst.baseAddress! + y * n
                        for x in 0..<dw {
                            let a = acc[x * 4 + 3]
                            guard a > 0 else { continue }           // transparent: stays 0, 0, 0, 0
                            let inv = 1 / a
                            out[x * 4] = UInt8(clamping: Int(acc[x * 4] * inv + 0.5))
                            out[x * 4 + 1] = UInt8(clamping: Int(acc[x * 4 + 1] * inv + 0.5))
                            out[x * 4 + 2] = UInt8(clamping: Int(acc[x * 4 + 2] * inv + 0.5))
                            out[x * 4 + 3] = UInt8(clamping: Int(a + 0.5))
                        }
                    }
                }
            }
        }
    }
    return RGBAImage(width: dw, height: dh, pixels: pixels)
}

/// For each of `target` output pixels along one axis: the first source pixel, how many it covers, and their
/// weights (overlap ÷ footprint, summing to 1). Overlaps are computed exactly in units of 1/`target`.
private struct AreaTaps {
    var first: [Int], count: [Int], weights: [Float]
    let stride: Int

    init(source n: Int, target m: Int) {
        stride = (n + m - 1) / m + 1
        first = [Int](repeating: 0, count: m)
        count = [Int](repeating: 0, count: m)
        weights = [Float](repeating: 0, count: m * stride)
        for d in 0..<m {
            let lo = d * n, hi = (d + 1) * n                       // footprint [lo, hi) in 1/m units
            let s0 = lo / m, s1 = min(n, (hi + m - 1) / m)
            first[d] = s0
            count[d] = s1 - s0
            for s in s0..<s1 {
                let overlap = min(hi, (s + 1) * m) - max(lo, s * m)
                weights[d * stride + s - s0] = Float(overlap) / Float(n)
            }
        }
    }

    func withPointers<R>(_ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Float>) -> R) -> R {
        first.withUnsafeBufferPointer { f in count.withUnsafeBufferPointer { c in weights.withUnsafeBufferPointer { w in body(f, c, w) } } }
    }
}

/// Standard base64 (RFC 4648 §4, with `=` padding) as ASCII bytes.
func base64(_ bytes: [UInt8]) -> [UInt8] {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    let full = bytes.count / 3, rest = bytes.count % 3
    var out = [UInt8](repeating: UInt8(ascii: "="), count: (bytes.count + 2) / 3 * 4)
    bytes.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            alphabet.withUnsafeBufferPointer { abc in
                for g in 0..<full {
                    let v = UInt32(src[g * 3]) << 16 | UInt32(src[g * 3 + 1]) << 8 | UInt32(src[g * 3 + 2])
                    dst[g * 4] = abc[Int(v >> 18)]; dst[g * 4 + 1] = abc[Int(v >> 12 & 63)]
                    dst[g * 4 + 2] = abc[Int(v >> 6 & 63)]; dst[g * 4 + 3] = abc[Int(v & 63)]
                }
                guard rest > 0 else { return }
                let i = full * 3, o = full * 4
                let v = UInt32(src[i]) << 16 | (rest == 2 ? UInt32(src[i + 1]) << 8 : 0)
                dst[o] = abc[Int(v >> 18)]; dst[o + 1] = abc[Int(v >> 12 & 63)]
                if rest == 2 { dst[o + 2] = abc[Int(v >> 6 & 63)] }
            }
        }
    }
    return out
}
