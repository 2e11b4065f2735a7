import EaselImaging
import Testing

@Suite("Decoding and encoding images through libpng, TurboJPEG and libwebp")
struct ImageCodecTests {
    static func gradient(_ w: Int, _ h: Int) -> RGBAImage {
        var px = [UInt8](repeating: 255, count: w * h * 4)
        for y in 0..<h { for x in 0..<w {
            let i = (y * w + x) * 4
            px[i] = UInt8(x * 255 / max(1, w - 1)); px[i + 1] = UInt8(y * 255 / max(1, h - 1)); px[i + 2] = 128
        } }
        return RGBAImage(width: w, height: h, pixels: px)
    }

    @Test func pngRoundTripIsExactAndKeepsText() throws {
        let image = Self.gradient(64, 48)
        let png = try ImageCodec.encodePNG(image, text: [PNGText(key: "parameters", text: "日本語の猫, Seed: 42")])
        #expect(ImageFormat(sniffing: png) == .png)
        #expect(try ImageCodec.decode(png) == image)
        #expect(ImageCodec.pngText(png, key: "parameters") == "日本語の猫, Seed: 42")
    }

    @Test func insertingTextKeepsEveryPixelAndOtherChunks() throws {
        let image = Self.gradient(33, 17)
        let png = try ImageCodec.encodePNG(image, text: [PNGText(key: "Software", text: "x", international: false)])
        let tagged = try ImageCodec.insertingText([PNGText(key: "parameters", text: "a red fox\nSteps: 30, Seed: 7", international: false),
                                                   PNGText(key: "easel", text: "{\"seed\":7}")], into: png)
        #expect(try ImageCodec.decode(tagged) == image)
        #expect(ImageCodec.pngText(tagged, key: "parameters") == "a red fox\nSteps: 30, Seed: 7")
        #expect(ImageCodec.pngText(tagged, key: "easel") == "{\"seed\":7}")
        #expect(ImageCodec.pngText(tagged, key: "Software") == "x")
    }

    @Test func jpegAndWebPDecodeCloseToTheSource() throws {
        let image = Self.gradient(64, 48)
        for (bytes, format) in [(ImageCodec.encodeJPEG(image, quality: 95), ImageFormat.jpeg),
                                (ImageCodec.encodeWebP(image, quality: 95), ImageFormat.webp)] {
            let b = try #require(bytes)
            #expect(ImageFormat(sniffing: b) == format)
            let decoded = try ImageCodec.decode(b)
            #expect(decoded.width == 64 && decoded.height == 48)
            let err = zip(decoded.pixels, image.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) } / decoded.pixels.count
            #expect(err < 6, "\(format) mean error \(err)")
        }
    }

    @Test func truncatedAndNonImageBytesAreClearErrors() throws {
        let png = try ImageCodec.encodePNG(Self.gradient(64, 64))
        #expect(throws: ImageError.self) { try ImageCodec.decode(Array(png.prefix(png.count / 2))) }
        #expect(throws: ImageError("not a PNG, JPEG or WebP image")) { try ImageCodec.decode(Array("<html>".utf8)) }
        #expect(throws: ImageError.self) { try ImageCodec.decode([]) }
    }

    @Test func aDecompressionBombIsRefusedFromItsHeader() throws {
        var png = try ImageCodec.encodePNG(Self.gradient(4, 4))
        // IHDR data starts at byte 16: width and height, big-endian; then fix the chunk's CRC.
        for (offset, value) in [(16, UInt32(30_000)), (20, UInt32(30_000))] {
            for k in 0..<4 { png[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
        }
        let crc = crc32(Array(png[12..<29]))
        for k in 0..<4 { png[29 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
        #expect(try ImageCodec.dimensions(of: png) == (30_000, 30_000))
        #expect(throws: ImageError("image is larger than the pixel limit")) { try ImageCodec.decode(png) }
    }

    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}
