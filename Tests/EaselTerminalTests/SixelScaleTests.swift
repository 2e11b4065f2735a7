import CSixel
@testable import EaselTerminal
import EaselImaging
import Testing

/// Issue 16, item 14 (≤ 1× img2sixel): Easel's own separable tent filter must give the pixels of libsixel's
/// `sixel_helper_scale_image(…, SIXEL_RES_BILINEAR)` (what img2sixel scales with), so the sixel bytes are img2sixel's.
@Suite("Sixel scaling matches libsixel's bilinear filter")
struct SixelScaleTests {
    /// An opaque picture with gradients, stripes and grain (every channel, every column different).
    static func picture(_ w: Int, _ h: Int) -> RGBAImage {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var px = [UInt8](repeating: 255, count: w * h * 4)
        for y in 0..<h { for x in 0..<w {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let i = (y * w + x) * 4
            px[i] = UInt8((x * 255 / max(1, w - 1) + Int(state >> 60)) & 0xFF)
            px[i + 1] = UInt8(((x / 3 + y / 5) % 2) * 200 + Int(state >> 58) % 40)
            px[i + 2] = UInt8(y * 255 / max(1, h - 1))
        } }
        return RGBAImage(width: w, height: h, pixels: px)
    }

    static func libsixel(_ image: RGBAImage, _ size: PixelSize) -> [UInt8] {
        var rgb: [UInt8] = []
        rgb.reserveCapacity(image.width * image.height * 3)
        for p in 0..<(image.width * image.height) { rgb += image.pixels[(p * 4)..<(p * 4 + 3)] }
        var out = [UInt8](repeating: 0, count: size.width * size.height * 3)
        let st = sixel_helper_scale_image(&out, rgb, Int32(image.width), Int32(image.height), Int32(SIXEL_PIXELFORMAT_RGB888),
                                          Int32(size.width), Int32(size.height), Int32(SIXEL_RES_BILINEAR), nil)
        #expect(st == SIXEL_OK)
        return out
    }

    /// The preview's cases (a 512² or 1024² picture into the 480² box, and one already that size) to the byte.
    @Test(arguments: [(512, 512, 480, 480), (1024, 1024, 480, 480), (480, 480, 480, 480)])
    func samePixelsAsLibsixel(w: Int, h: Int, tw: Int, th: Int) throws {
        let image = Self.picture(w, h), size = PixelSize(width: tw, height: th)
        let ours = try Sixel.scaledRGB(image, to: size), theirs = Self.libsixel(image, size)
        let differing = zip(ours, theirs).filter { $0 != $1 }.count
        #expect(ours.count == theirs.count && differing == 0, "\(differing) of \(ours.count) bytes differ")
    }

    /// Elsewhere the separable sums round differently from libsixel's 2-D ones now and then: one level, rarely.
    @Test(arguments: [(300, 200, 97, 64), (64, 48, 150, 112), (777, 333, 480, 205)])
    func withinOneLevelOfLibsixel(w: Int, h: Int, tw: Int, th: Int) throws {
        let image = Self.picture(w, h), size = PixelSize(width: tw, height: th)
        let ours = try Sixel.scaledRGB(image, to: size), theirs = Self.libsixel(image, size)
        let diffs = zip(ours, theirs).map { abs(Int($0) - Int($1)) }
        #expect(ours.count == theirs.count && diffs.allSatisfy { $0 <= 1 }, "largest difference \(diffs.max() ?? 0)")
        #expect(diffs.filter { $0 > 0 }.count * 1000 <= ours.count, "\(diffs.filter { $0 > 0 }.count) of \(ours.count) bytes differ")
    }

    @Test func atTheSourceSizeAlphaIsCompositedOverBlack() throws {
        let image = RGBAImage(width: 2, height: 1, pixels: [200, 100, 50, 255, 200, 100, 51, 128])
        #expect(try Sixel.scaledRGB(image, to: PixelSize(width: 2, height: 1)) == [200, 100, 50, 100, 50, 25])
    }
}
