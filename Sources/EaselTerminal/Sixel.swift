import CSixel
import EaselImaging
import Synchronization

/// Sixel graphics through libsixel's low-level path (`sixel_output_new` + `sixel_dither_*` + `sixel_encode`).
/// - SeeAlso: https://invisible-island.net/xterm/ctlseqs/ctlseqs.html (Sixel Graphics),
///   https://github.com/libsixel/libsixel/blob/v1.10.3/include/sixel.h.in
public struct Sixel: GraphicsProtocol {
    public let name = "sixel"
    /// Palette size, 2...256; fewer colours make smaller sequences for slow links.
    public let colors: Int
    /// The longest sequence to emit, in bytes (tmux's and kitty's 1 MiB input limits). The colour count and
    /// size are chosen for it before encoding (`Sixel+Budget.swift`).
    public let maxBytes: Int

    public init(colors: Int = 256, maxBytes: Int = 1 << 20) {
        self.colors = max(2, min(256, colors))
        self.maxBytes = maxBytes
    }

    /// Scales to fit `box` (height rounded down to a multiple of 6) and encodes one DCS string,
    /// `ESC P q … ESC \`, with `SIXEL_ENCODEPOLICY_SIZE`, in one pass: an estimate of the sequence's size picks
    /// the palette (at most 64 colours for noise-like pictures, where more cannot be seen but cost 4× the time)
    /// and, when the picture would exceed ``maxBytes``, a smaller size. Only when the encoded sequence still
    /// exceeds the cap is it made again, smaller by the measured excess.
    /// - Throws: `GraphicsError` when the box is too small, libsixel fails, or no size fits in ``maxBytes``.
    public func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize) throws(GraphicsError) -> EncodedImage {
        var target = fittedSize(width: image.width, height: image.height, in: box)
        guard target.width > 0, target.height > 0 else { throw GraphicsError("the preview area is too small") }
        var rgb = try Self.scaledRGB(image, to: target)
        let plan = Self.plan(Self.estimate(rgb, target), target: target, colors: colors, maxBytes: maxBytes)
        var limit = plan.box
        while true {
            if limit != target {                // refit only a smaller box: fitting the target again may shave a pixel
                let planned = fittedSize(width: image.width, height: image.height, in: limit)
                guard planned.width > 0, planned.height > 0 else { throw GraphicsError("the image cannot fit in \(maxBytes) bytes") }
                if planned != target { target = planned; rgb = try Self.scaledRGB(image, to: target) }
                limit = target
            }
            let bytes = try Self.encodeRGB(rgb, target, colors: plan.colors)
            if bytes.count <= maxBytes {
                let cells = CellSize(columns: (target.width + cell.width - 1) / max(1, cell.width),
                                     rows: (target.height + cell.height - 1) / max(1, cell.height))
                return EncodedImage(payload: .bytes(bytes), pixels: target, cells: cells)
            }
            let shrink = (Double(maxBytes) / Double(bytes.count)).squareRoot() * 0.95
            // At least one pixel and one band smaller, so every retry makes progress.
            let smaller = PixelSize(width: min(target.width - 1, Int(Double(target.width) * shrink)),
                                    height: min(target.height - 6, Int(Double(target.height) * shrink)))
            guard smaller.width > 0, smaller.height >= 6 else { throw GraphicsError("the image cannot fit in \(maxBytes) bytes") }
            limit = smaller
        }
    }

    /// A picture of one colour the size of `image`: written over it, it hides it where text written over sixel
    /// pixels leaves them (Konsole, which also drops a sixel placement once a later one covers it whole), and in
    /// xterm, mlterm and foot the text curses writes next clears it like any sixel.
    /// ```
    /// ESC P q " 1;1;W;H # 0;2;r;g;b (! W ~ -)… ESC \      (r, g, b in percent)
    /// ```
    public func erase(_ image: EncodedImage, background: RGB) -> [UInt8]? {
        Self.cover(image.pixels, background)
    }

    /// The one-colour sixel of ``erase(_:background:)``: bands of six rows, each one `!W~` run (the last one
    /// painting only the rows left when the height is not a multiple of 6).
    static func cover(_ size: PixelSize, _ colour: RGB) -> [UInt8] {
        Array("\u{1B}Pq\"1;1;\(size.width);\(size.height)".utf8)
            + paint(rows: 0..<size.height, width: size.width, register: 0, colour: colour, first: true) + [0x1B, 0x5C]
    }

    /// Composites alpha over black and resamples to `size` with libsixel's bilinear (tent) filter, computed
    /// separably straight from RGBA: the weight of a source pixel is f(dx)·f(dy), so one horizontal and one
    /// vertical pass give the bytes of `sixel_helper_scale_image(…, SIXEL_RES_BILINEAR)` (img2sixel's default) at
    /// a fraction of its 2-D cost: the same for the preview's downscales into its box, elsewhere now and then one
    /// level apart where the sums round differently (`SixelScaleTests`). The taps are flat arrays and the vertical
    /// pass runs row by row. At the source size the filter is the identity: only the alpha is composited.
    static func scaledRGB(_ image: RGBAImage, to size: PixelSize) throws(GraphicsError) -> [UInt8] {
        let w = image.width, h = image.height, tw = size.width, th = size.height
        if w == tw && h == th { return compositedRGB(image) }
        let across = Taps(source: w, target: tw), down = Taps(source: h, target: th)
        var mid = [Double](repeating: 0, count: tw * h * 3)
        image.pixels.withUnsafeBufferPointer { src in
            mid.withUnsafeMutableBufferPointer { m in
                for y in 0..<h {
                    let row = y * w * 4
                    var o = y * tw * 3
                    for x in 0..<tw {
                        var r = 0.0, g = 0.0, b = 0.0
                        var i = row + across.first[x] * 4
                        for k in across.start[x]..<across.start[x + 1] {
                            let weight = across.weights[k], alpha = src[i + 3]
                            if alpha == 255 {                    // × 1.0 exactly, as libsixel's (a ÷ 255)
                                r += Double(src[i]) * weight; g += Double(src[i + 1]) * weight; b += Double(src[i + 2]) * weight
                            } else {
                                let a = Double(alpha) / 255
                                r += Double(src[i]) * a * weight; g += Double(src[i + 1]) * a * weight; b += Double(src[i + 2]) * a * weight
                            }
                            i += 4
                        }
                        m[o] = r; m[o + 1] = g; m[o + 2] = b
                        o += 3
                    }
                }
            }
        }
        let stride = tw * 3
        var sum = [Double](repeating: 0, count: stride)
        return [UInt8](unsafeUninitializedCapacity: tw * th * 3) { dst, count in
            mid.withUnsafeBufferPointer { m in
                sum.withUnsafeMutableBufferPointer { acc in
                    for y in 0..<th {
                        for j in 0..<stride { acc[j] = 0 }
                        var source = down.first[y] * stride
                        for k in down.start[y]..<down.start[y + 1] {
                            let weight = down.weights[k]
                            for j in 0..<stride { acc[j] += m[source + j] * weight }
                            source += stride
                        }
                        let o = y * stride
                        for x in 0..<tw {
                            let total = across.total[x] * down.total[y]
                            for c in 0..<3 {
                                dst[o + x * 3 + c] = UInt8(max(0, min(255, (acc[x * 3 + c] / total).rounded(.down))))
                            }
                        }
                    }
                }
            }
            count = tw * th * 3
        }
    }

    /// RGBA → RGB over black at the same size: what the tent filter gives when source and target agree.
    private static func compositedRGB(_ image: RGBAImage) -> [UInt8] {
        let n = image.width * image.height
        return [UInt8](unsafeUninitializedCapacity: n * 3) { dst, count in
            image.pixels.withUnsafeBufferPointer { src in
                for p in 0..<n {
                    let alpha = src[p * 4 + 3]
                    for c in 0..<3 {
                        let v = src[p * 4 + c]
                        dst[p * 3 + c] = alpha == 255 ? v : UInt8((Double(v) * (Double(alpha) / 255)).rounded(.down))
                    }
                }
            }
            count = n * 3
        }
    }

    /// For each target column (or row): the first source index and the tent weights, as libsixel's
    /// `scale_with_resampling` (src/scale.c, bilinear, n = 1) computes them, in flat arrays (target `d` uses
    /// `weights[start[d]..<start[d + 1]]` from source index `first[d]`).
    private struct Taps {
        var first: [Int] = [], start: [Int] = [0], weights: [Double] = [], total: [Double] = []

        init(source: Int, target: Int) {
            for d in 0..<target {
                var lo: Int, hi: Int, sum = 0.0
                if target >= source {
                    let c = (Double(d) + 0.5) * Double(source) / Double(target)
                    lo = max(Int(c - 1), 0); hi = min(Int(c + 1), source - 1)
                    for x in lo...hi { let f = max(0, 1 - abs(Double(x) + 0.5 - c)); weights.append(f); sum += f }
                } else {
                    let c = Double(d) + 0.5, k = Double(source) / Double(target)
                    lo = max(Int(((c - 1) * k).rounded(.down)), 0); hi = min(Int(((c + 1) * k).rounded(.down)), source - 1)
                    for x in lo...hi { let f = max(0, 1 - abs((Double(x) + 0.5) / k - c)); weights.append(f); sum += f }
                }
                first.append(lo); start.append(weights.count); total.append(sum)
            }
        }
    }

    private final class Sink { var bytes: [UInt8] = [] }

    /// Held while libsixel makes a palette. Its median cut (`sixel_dither_initialize` → `medianCut` in
    /// src/quant.c) tells `qsort`'s comparator which channel to sort on through one process-wide variable,
    /// `compareplanePlane`; two palettes made at once (the preview's lanes, parallel tests) sort on each other's
    /// channel and give a different, worse palette now and then. Error diffusion and output (`sixel_encode`) keep
    /// no such state and run unlocked.
    private static let paletteLock = Mutex(())

    private static func encodeRGB(_ pixels: [UInt8], _ size: PixelSize, colors: Int) throws(GraphicsError) -> [UInt8] {
        let sink = Sink()
        sink.bytes.reserveCapacity(size.width * size.height / 2)
        var output: OpaquePointer? = nil
        var st = sixel_output_new(&output, { data, count, priv in
            let sink = Unmanaged<Sink>.fromOpaque(priv!).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: Int(count)))
            return count
        }, Unmanaged.passUnretained(sink).toOpaque(), nil)
        guard st == SIXEL_OK else { throw GraphicsError("sixel_output_new failed (\(st))") }
        defer { sixel_output_unref(output) }
        sixel_output_set_encode_policy(output, Int32(SIXEL_ENCODEPOLICY_SIZE))
        sixel_output_set_gri_arg_limit(output, 0)      // `!` repeats over 255 in one run, as img2sixel
        var dither: OpaquePointer? = nil
        st = sixel_dither_new(&dither, Int32(colors), nil)
        guard st == SIXEL_OK else { throw GraphicsError("sixel_dither_new failed (\(st))") }
        defer { sixel_dither_unref(dither) }
        var px = pixels                     // sixel_encode mutates RGB input when diffusing: a copy
        st = paletteLock.withLock { _ in
            px.withUnsafeMutableBufferPointer { buf in
                sixel_dither_initialize(dither, buf.baseAddress, Int32(size.width), Int32(size.height),
                                        Int32(SIXEL_PIXELFORMAT_RGB888), Int32(SIXEL_LARGE_AUTO),
                                        Int32(SIXEL_REP_AUTO), Int32(SIXEL_QUALITY_AUTO))
            }
        }
        guard st == SIXEL_OK else { throw GraphicsError("sixel_dither_initialize failed (\(st))") }
        sixel_dither_set_pixelformat(dither, Int32(SIXEL_PIXELFORMAT_RGB888))
        sixel_dither_set_optimize_palette(dither, 1)   // only the colours used, as img2sixel
        st = px.withUnsafeMutableBufferPointer { buf in
            sixel_encode(buf.baseAddress, Int32(size.width), Int32(size.height), 1, dither, output)
        }
        guard st == SIXEL_OK else { throw GraphicsError("sixel_encode failed (\(st))") }
        return withExtendedLifetime(sink) { sink.bytes }
    }

    /// Decodes a sixel DCS back to RGB888 (for round-trip tests).
    /// - Returns: width, height and 3 bytes per pixel.
    public static func decode(_ sixel: [UInt8]) throws(GraphicsError) -> (width: Int, height: Int, rgb: [UInt8]) {
        var allocator: OpaquePointer? = nil
        var st = sixel_allocator_new(&allocator, nil, nil, nil, nil)
        guard st == SIXEL_OK else { throw GraphicsError("sixel_allocator_new failed") }
        defer { sixel_allocator_unref(allocator) }
        var input = sixel
        var indexed: UnsafeMutablePointer<UInt8>? = nil
        var palette: UnsafeMutablePointer<UInt8>? = nil
        var w: Int32 = 0, h: Int32 = 0, n: Int32 = 0
        st = sixel_decode_raw(&input, Int32(input.count), &indexed, &w, &h, &palette, &n, allocator)
        guard st == SIXEL_OK, let indexed, let palette else { throw GraphicsError("sixel_decode_raw failed (\(st))") }
        defer { sixel_allocator_free(allocator, indexed); sixel_allocator_free(allocator, palette) }
        var rgb = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
        for i in 0..<Int(w) * Int(h) {
            let p = Int(indexed[i]) * 3
            rgb[i * 3] = palette[p]; rgb[i * 3 + 1] = palette[p + 1]; rgb[i * 3 + 2] = palette[p + 2]
        }
        return (Int(w), Int(h), rgb)
    }
}
