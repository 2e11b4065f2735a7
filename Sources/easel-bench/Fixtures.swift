import EaselCore
import EaselImaging
import EaselServer
import Foundation

/// One input file of the preview benchmark.
struct BenchImage {
    /// Short label for tables, e.g. "photo 1024² PNG".
    let label: String
    let path: String
    let format: ImageFormat
    let width: Int
    let height: Int
    let fileBytes: Int
    /// Distinct RGB colours in the pixels that were encoded (before lossy WebP).
    let distinctColors: Int
}

/// Builds the benchmark's test images: procedural scenes made "photo-like" with texture and noise.
enum Fixtures {
    /// The scene painted by `SketchGenerator` (sky gradient, sun, snowy ridges, forest, sea, grain).
    static let prompt = "a red sun over snowy mountains with a pine forest by the sea at dusk"
    static let seed: UInt32 = 7
    static let webpQuality: Float = 80

    /// How the "photo-like" pixels are made, for BENCHMARKS.md.
    static let recipe = """
        `SketchGenerator().render(prompt: "\(prompt)", seed: \(seed))` at the target size, then, per pixel, \
        (1) a two-octave value-noise texture (lattice 32 px and 6 px, ±22 and ±10 levels of brightness, bilinear) \
        and (2) independent per-channel noise (triangular, ±12 levels), all from a fixed-seed SplitMix64, so the \
        file is identical on every run. This turns the flat illustration into smooth gradients plus texture and \
        sensor-like noise (each file's distinct-colour count is listed below), which is what makes palette \
        choice, dithering and sixel run-length coding behave as on a photograph.
        """

    /// A `side × side` photo-like image (see `recipe`).
    static func photoLike(side: Int) -> RGBAImage {
        var image = SketchGenerator().render(prompt: prompt, seed: seed, width: side, height: side)
        var rng = SplitMix64(seed: 0xEA5E1 ^ UInt64(side))
        let coarse = ValueNoise(width: side, height: side, cell: 32, rng: &rng)
        let fine = ValueNoise(width: side, height: side, cell: 6, rng: &rng)
        image.pixels.withUnsafeMutableBufferPointer { px in
            for y in 0..<side {
                for x in 0..<side {
                    // Texture: signed brightness offset in levels.
                    let texture = (coarse.sample(x, y) * 22 + fine.sample(x, y) * 10) / 255
                    let i = (y * side + x) * 4
                    for c in 0..<3 {
                        let r = rng.next()
                        // Triangular noise in -12...12 from two uniform bytes.
                        let noise = (Int(r & 0xFF) + Int((r >> 8) & 0xFF)) * 12 / 255 - 12
                        px[i + c] = UInt8(clamping: Int(px[i + c]) + texture + noise)
                    }
                }
            }
        }
        return image
    }

    /// A `side × side` image of uniform random noise (every channel of every pixel independent): the worst
    /// case for a sixel encoder (issue 16: 16.6 s at 1024²).
    static func noise(side: Int) -> RGBAImage {
        var rng = SplitMix64(seed: 0x5EED ^ UInt64(side))
        var px = [UInt8](repeating: 255, count: side * side * 4)
        for i in 0..<(side * side) {
            let r = rng.next()
            px[i * 4] = UInt8(r & 0xFF); px[i * 4 + 1] = UInt8(r >> 8 & 0xFF); px[i * 4 + 2] = UInt8(r >> 16 & 0xFF)
        }
        return RGBAImage(width: side, height: side, pixels: px)
    }

    /// Writes the four benchmark images into `dir`: a `large`² PNG, a `small`² PNG, a WebP of the
    /// large image (lossy, quality 80) and a `large`² PNG of random noise.
    static func make(in dir: String, large: Int, small: Int) throws -> [BenchImage] {
        let big = photoLike(side: large)
        let little = photoLike(side: small)
        let random = noise(side: large)
        let bigColors = distinctColors(big), littleColors = distinctColors(little)
        let bigPNG: [UInt8], littlePNG: [UInt8], noisePNG: [UInt8]
        do {
            bigPNG = try ImageCodec.encodePNG(big)
            littlePNG = try ImageCodec.encodePNG(little)
            noisePNG = try ImageCodec.encodePNG(random)
        } catch {
            throw BenchError("PNG encode failed: \(error.message)")
        }
        guard let bigWebP = ImageCodec.encodeWebP(big, quality: webpQuality) else { throw BenchError("WebP encode failed") }
        var out: [BenchImage] = []
        for (label, name, bytes, side, colors) in [
            ("photo \(large)² PNG", "photo-\(large).png", bigPNG, large, bigColors),
            ("photo \(small)² PNG", "photo-\(small).png", littlePNG, small, littleColors),
            ("photo \(large)² WebP", "photo-\(large).webp", bigWebP, large, bigColors),
            ("noise \(large)² PNG", "noise-\(large).png", noisePNG, large, distinctColors(random)),
        ] {
            let path = dir + "/" + name
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw BenchError("cannot write \(path)")
            }
            guard let format = ImageFormat(sniffing: bytes) else { throw BenchError("\(path): unknown format") }
            out.append(BenchImage(label: label, path: path, format: format, width: side, height: side,
                                  fileBytes: bytes.count, distinctColors: colors))
        }
        return out
    }

    /// Number of distinct RGB triples (a 2 MiB bitmap over the 2²⁴ colours).
    static func distinctColors(_ image: RGBAImage) -> Int {
        var seen = [UInt64](repeating: 0, count: (1 << 24) / 64)
        var count = 0
        image.pixels.withUnsafeBufferPointer { px in
            var i = 0
            while i < px.count {
                let rgb = Int(px[i]) << 16 | Int(px[i + 1]) << 8 | Int(px[i + 2])
                let bit = UInt64(1) << UInt64(rgb & 63)
                if seen[rgb >> 6] & bit == 0 {
                    seen[rgb >> 6] |= bit
                    count += 1
                }
                i += 4
            }
        }
        return count
    }

    /// A box-filter downscale of `image` to `size` (area average), used to make the pre-scaled input for
    /// the "encode only" stage figure. Not timed.
    static func downscale(_ image: RGBAImage, to size: PixelBox) -> RGBAImage {
        let w = size.width, h = size.height
        var out = [UInt8](repeating: 255, count: w * h * 4)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let y0 = y * image.height / h, y1 = max(y0 + 1, (y + 1) * image.height / h)
                for x in 0..<w {
                    let x0 = x * image.width / w, x1 = max(x0 + 1, (x + 1) * image.width / w)
                    var sum = (0, 0, 0)
                    for sy in y0..<y1 {
                        for sx in x0..<x1 {
                            let i = (sy * image.width + sx) * 4
                            sum.0 += Int(src[i]); sum.1 += Int(src[i + 1]); sum.2 += Int(src[i + 2])
                        }
                    }
                    let n = (y1 - y0) * (x1 - x0), o = (y * w + x) * 4
                    out[o] = UInt8(sum.0 / n); out[o + 1] = UInt8(sum.1 / n); out[o + 2] = UInt8(sum.2 / n)
                }
            }
        }
        return RGBAImage(width: w, height: h, pixels: out)
    }
}

/// The fixtures' random numbers: Easel's own SplitMix64 (never the system RNG, so fixtures repeat exactly).
struct SplitMix64 {
    private var source: SeedSource
    init(seed: UInt64) { source = SeedSource(seed: seed) }
    mutating func next() -> UInt64 { source.next64() }
}

/// Bilinearly interpolated random lattice values in -255...255.
struct ValueNoise {
    private let lattice: [Int]
    private let columns: Int
    private let cell: Int

    init(width: Int, height: Int, cell: Int, rng: inout SplitMix64) {
        self.cell = cell
        columns = width / cell + 2
        let rows = height / cell + 2
        lattice = (0..<(columns * rows)).map { _ in Int(rng.next() % 511) - 255 }
    }

    func sample(_ x: Int, _ y: Int) -> Int {
        let gx = x / cell, gy = y / cell
        let fx = (x % cell) * 256 / cell, fy = (y % cell) * 256 / cell
        let a = lattice[gy * columns + gx], b = lattice[gy * columns + gx + 1]
        let c = lattice[(gy + 1) * columns + gx], d = lattice[(gy + 1) * columns + gx + 1]
        let top = a * (256 - fx) + b * fx, bottom = c * (256 - fx) + d * fx
        return (top * (256 - fy) + bottom * fy) >> 16
    }
}
