/// Choosing the palette size and the picture size for the byte cap before encoding, from an estimate of the
/// sixel's size: libsixel then encodes once, instead of encoding, finding the result too large, and trying again.
///
/// The estimate counts what a sixel encoder writes. In every band of 6 pixel rows, each colour is written as a
/// row of sixel characters (one per column, the bits saying which of the 6 pixels have that colour), run-length
/// coded, after a colour select (`#n`) and before `$`/`-`. So the size follows the number of places where some
/// colour's column pattern changes from one column to the next. Those are counted exactly on the picture reduced
/// to a stand-in palette (the top bits of each channel), in one pass over the pixels.
extension Sixel {
    /// What the estimate measured on a picture at one size.
    struct Estimate: Equatable {
        /// Column-pattern changes per pixel, summed over the stand-in palette's colours (≈ 0.05 for flat
        /// illustrations, ≈ 0.3 for photographs with grain, ≈ 2 for random noise).
        let runsPerPixel: Double
        /// Colour selects per pixel (distinct colours per band, over the band's pixels).
        let selectsPerPixel: Double

        /// The model, fitted on libsixel 1.10.3's output (`SIXEL_ENCODEPOLICY_SIZE`, Floyd–Steinberg) for smooth
        /// gradients, grainy gradients, plasma and random noise at 480²: bytes per pixel ≈ a floor that error
        /// diffusion costs even on smooth pictures, plus bytes per stand-in run (dithering multiplies the runs,
        /// more so with more colours), plus 5 per colour select. It errs high for noise (where a miss would cost a
        /// second encode of the slowest picture) and by up to −12% on plasma at 256 colours (the plan keeps 15%).
        static let floorPerPixel = 0.35, bytesPerSelect = 5.0
        static func bytesPerRun(colors: Int) -> Double { colors > 64 ? 1.6 : colors > 32 ? 1.45 : 0.7 }

        /// The sequence's expected size for `area` pixels at `colors` colours (scaling a picture changes its
        /// runs per pixel little; the cap check after encoding covers the rest).
        func bytes(area: Int, colors: Int) -> Double {
            let perPixel = Self.floorPerPixel + runsPerPixel * Self.bytesPerRun(colors: colors) + selectsPerPixel * Self.bytesPerSelect
            return Double(area) * perPixel + Double(colors) * 16 + 64
        }

        /// Pictures this busy look the same with 64 colours as with 256 (the dithering is the picture), while
        /// libsixel's palette search costs about 4× as much at 256 on them.
        var isNoiseLike: Bool { runsPerPixel >= 1.0 }
    }

    /// Measures `rgb` (RGB888, `size.width × size.height`) with a 3-3-2-bit stand-in palette.
    static func estimate(_ rgb: [UInt8], _ size: PixelSize) -> Estimate {
        let w = size.width, h = size.height
        guard w > 0, h > 0 else { return Estimate(runsPerPixel: 0, selectsPerPixel: 0) }
        var runs = 0, selects = 0
        var seen = [UInt8](repeating: 0, count: 256)              // per band: colour used (band-stamped)
        var stamp: UInt8 = 0
        rgb.withUnsafeBufferPointer { px in
            var band = 0
            while band < h {
                let rows = min(6, h - band)
                stamp = stamp == 255 ? 1 : stamp + 1
                if stamp == 1 { for i in 0..<256 { seen[i] = 0 } }
                var prevColor: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
                var prevMask: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
                var prevCount = 0
                for x in 0..<w {
                    var color: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
                    var mask: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
                    var count = 0
                    withUnsafeMutableBytes(of: &color) { c in
                        withUnsafeMutableBytes(of: &mask) { m in
                            for r in 0..<rows {
                                let i = ((band + r) * w + x) * 3
                                let k = (px[i] & 0xE0) | (px[i + 1] & 0xE0) >> 3 | px[i + 2] >> 6
                                var j = 0
                                while j < count && c[j] != k { j += 1 }
                                if j == count { c[j] = k; m[j] = 0; count += 1 }
                                m[j] |= 1 << UInt8(r)
                                if seen[Int(k)] != stamp { seen[Int(k)] = stamp; selects += 1 }
                            }
                        }
                    }
                    // Changes: colours whose pattern differs from the previous column's (new ones included),
                    // plus colours of the previous column that are absent here.
                    withUnsafeBytes(of: color) { c in withUnsafeBytes(of: mask) { m in
                        withUnsafeBytes(of: prevColor) { pc in withUnsafeBytes(of: prevMask) { pm in
                            for j in 0..<count {
                                var k = 0
                                while k < prevCount && pc[k] != c[j] { k += 1 }
                                if k == prevCount || pm[k] != m[j] { runs += 1 }
                            }
                            for k in 0..<prevCount {
                                var j = 0
                                while j < count && c[j] != pc[k] { j += 1 }
                                if j == count { runs += 1 }
                            }
                        } }
                    } }
                    prevColor = color; prevMask = mask; prevCount = count
                }
                band += 6
            }
        }
        let area = Double(w * h)
        return Estimate(runsPerPixel: Double(runs) / area, selectsPerPixel: Double(selects) / area)
    }

    /// The palette size and the pixel box for `target` so that the sequence should stay within `maxBytes`
    /// (with a 15% margin for the estimate's error): fewer colours for noise-like pictures, then the largest
    /// size whose estimate fits, keeping the aspect.
    static func plan(_ estimate: Estimate, target: PixelSize, colors: Int, maxBytes: Int) -> (colors: Int, box: PixelSize) {
        let palette = estimate.isNoiseLike ? min(colors, 64) : colors
        let budget = Double(maxBytes) * 0.85
        let bytes = estimate.bytes(area: target.width * target.height, colors: palette)
        guard bytes > budget else { return (palette, target) }
        let scale = ((budget - Double(palette) * 16 - 64) / max(1, bytes - Double(palette) * 16 - 64)).squareRoot()
        return (palette, PixelSize(width: max(1, Int(Double(target.width) * scale)), height: max(6, Int(Double(target.height) * scale))))
    }
}
