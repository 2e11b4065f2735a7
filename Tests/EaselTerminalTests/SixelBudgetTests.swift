@testable import EaselTerminal
import EaselImaging
import Testing

/// Issue 16, item 14: the colour count and size for the 1 MiB cap are chosen from an estimate before encoding,
/// so the worst case (random noise) is encoded once, with few colours, instead of halving and re-encoding.
@Suite("Sixel size planned before encoding")
struct SixelBudgetTests {
    static func noise(_ side: Int) -> RGBAImage {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var px = [UInt8](repeating: 255, count: side * side * 4)
        for i in 0..<(side * side) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            px[i * 4] = UInt8(truncatingIfNeeded: state >> 24); px[i * 4 + 1] = UInt8(truncatingIfNeeded: state >> 40)
            px[i * 4 + 2] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return RGBAImage(width: side, height: side, pixels: px)
    }

    static func rgb(_ image: RGBAImage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(image.width * image.height * 3)
        for i in 0..<(image.width * image.height) { out += image.pixels[(i * 4)..<(i * 4 + 3)] }
        return out
    }

    @Test func theEstimateTellsNoiseFromSmoothPictures() {
        let size = PixelSize(width: 96, height: 96)
        let smooth = Self.rgb(SixelTests.image(96, 96)), noisy = Self.rgb(Self.noise(96))
        let a = Sixel.estimate(smooth, size), b = Sixel.estimate(noisy, size)
        #expect(a.runsPerPixel < 0.2 && !a.isNoiseLike, "\(a)")
        #expect(b.runsPerPixel > 1.5 && b.isNoiseLike, "\(b)")
        #expect(Sixel.plan(a, target: size, colors: 256, maxBytes: 1 << 20) == (256, size))
        #expect(Sixel.plan(b, target: size, colors: 256, maxBytes: 1 << 20).colors == 64)
    }

    @Test func noiseAtA1024BoxIsPlannedSmallerAndItsOneEncodeFitsTheCap() throws {
        let image = Self.noise(1024)
        let box = PixelSize(width: 1024, height: 1024), cell = PixelSize(width: 10, height: 20)
        let target = fittedSize(width: 1024, height: 1024, in: box)
        let plan = Sixel.plan(Sixel.estimate(try Sixel.scaledRGB(image, to: target), target), target: target, colors: 256, maxBytes: 1 << 20)
        #expect(plan.colors == 64)
        #expect(plan.box.width < 700 && plan.box.width > 350, "\(plan.box)")
        // The planned size fits without the retry (encoded with no cap of its own), using at least half the cap.
        let once = try Sixel(colors: plan.colors, maxBytes: .max).encode(image, fitting: plan.box, cell: cell)
        #expect(once.bytes.count <= 1 << 20 && once.bytes.count >= 1 << 19, "\(once.bytes.count) bytes at \(once.pixels)")
        // And that is the size the protocol itself emits, with at most 64 colour registers.
        let encoded = try Sixel().encode(image, fitting: box, cell: cell)
        #expect(encoded.pixels == once.pixels && encoded.bytes.count <= 1 << 20, "\(encoded.pixels) \(encoded.bytes.count) vs \(once.pixels)")
        #expect(!String(decoding: encoded.bytes, as: UTF8.self).contains("#64;"))
    }
}
