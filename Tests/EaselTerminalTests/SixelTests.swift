import Dispatch
import EaselImaging
import EaselTerminal
import Synchronization
import Testing

@Suite("Sixel encoding through libsixel")
struct SixelTests {
    static func image(_ w: Int, _ h: Int) -> RGBAImage {
        var px = [UInt8](repeating: 255, count: w * h * 4)
        for y in 0..<h { for x in 0..<w {
            let i = (y * w + x) * 4
            px[i] = UInt8(x * 255 / max(1, w - 1)); px[i + 1] = UInt8(y * 255 / max(1, h - 1)); px[i + 2] = 60
        } }
        return RGBAImage(width: w, height: h, pixels: px)
    }

    @Test func encodeThenSixelDecodeRawRoundTripsSizeAndColours() throws {
        let source = Self.image(64, 48)
        let encoded = try Sixel().encode(source, fitting: PixelSize(width: 64, height: 48), cell: PixelSize(width: 8, height: 16))
        #expect(encoded.bytes.starts(with: [0x1B, 0x50]))               // ESC P
        #expect(encoded.bytes.suffix(2) == [0x1B, 0x5C])                // ESC \
        #expect(encoded.pixels == PixelSize(width: 64, height: 48))
        #expect(encoded.cells == CellSize(columns: 8, rows: 3))
        let decoded = try Sixel.decode(encoded.bytes)
        #expect(decoded.width == 64 && decoded.height == 48)
        var err = 0
        for i in 0..<(64 * 48) { for c in 0..<3 { err += abs(Int(decoded.rgb[i * 3 + c]) - Int(source.pixels[i * 4 + c])) } }
        #expect(err / (64 * 48 * 3) < 8, "mean error \(err / (64 * 48 * 3))")
    }

    @Test func scalingKeepsAspectAndHeightIsAMultipleOfSix() throws {
        let encoded = try Sixel().encode(Self.image(768, 512), fitting: PixelSize(width: 400, height: 301), cell: PixelSize(width: 10, height: 20))
        #expect(encoded.pixels.height % 6 == 0)
        #expect(encoded.pixels.width <= 400 && encoded.pixels.height <= 301)
        let decoded = try Sixel.decode(encoded.bytes)
        #expect(decoded.width == encoded.pixels.width && decoded.height == encoded.pixels.height)
        #expect(abs(Double(decoded.width) / Double(decoded.height) - 1.5) < 0.05)
    }

    @Test func sequencesOverTheByteCapAreShrunk() throws {
        let big = try Sixel(maxBytes: 20_000).encode(Self.image(512, 512), fitting: PixelSize(width: 512, height: 512), cell: PixelSize(width: 10, height: 20))
        #expect(big.bytes.count <= 20_000)
    }

    @Test(arguments: [(768, 768, 300, 200, 200, 198), (1024, 576, 600, 600, 600, 336), (10, 10, 5, 5, 0, 0)])
    func fittedSizeRoundsTheHeightDownToASixelBand(w: Int, h: Int, bw: Int, bh: Int, ew: Int, eh: Int) {
        #expect(fittedSize(width: w, height: h, in: PixelSize(width: bw, height: bh)) == PixelSize(width: ew, height: eh))
    }

    /// libsixel's median cut passes the channel to sort on to `qsort`'s comparator in a process-wide variable;
    /// pictures encoded at once (the preview's lanes run side by side) got each other's channel and now and then a
    /// different palette (CI failed on it; unlocked, 48 of 48 here differed). Encoded on 8 threads at once, every
    /// sequence is the one a lone encode gives.
    @Test func picturesEncodedAtOnceGetTheLoneEncodesPalette() throws {
        var px = [UInt8](repeating: 255, count: 160 * 120 * 4)
        for y in 0..<120 { for x in 0..<160 {
            let i = (y * 160 + x) * 4
            px[i] = UInt8(x * 255 / 159); px[i + 1] = UInt8(y * 255 / 119); px[i + 2] = UInt8((x * 7 + y * 13) % 256)
        } }
        let image = RGBAImage(width: 160, height: 120, pixels: px)
        let box = PixelSize(width: 160, height: 120), cell = PixelSize(width: 10, height: 20)
        let lone = try Sixel().encode(image, fitting: box, cell: cell).bytes
        let differing = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<6 where (try? Sixel().encode(image, fitting: box, cell: cell).bytes) != lone {
                differing.withLock { $0 += 1 }
            }
        }
        let n = differing.withLock { $0 }
        #expect(n == 0, "\(n) of 48 encodes made at once differ from the lone one")
    }
}

@Suite("Choosing a protocol")
struct GraphicsChoiceTests {
    func caps(da1: [Int], tmux: Bool = false) -> TerminalCapabilities {
        var c = TerminalCapabilities()
        c.da1 = da1
        c.answeredDA1 = true
        c.inTmux = tmux
        return c
    }

    @Test func autoNeverSendsSixelToATerminalThatDidNotAdvertiseIt() {
        #expect(GraphicsChoice.auto.resolve(caps(da1: [1, 2]))?.graphics.name == "blocks")
        #expect(GraphicsChoice.auto.resolve(caps(da1: [1, 2, 4]))?.graphics.name == "sixel")
        #expect(GraphicsChoice.auto.resolve(TerminalCapabilities())?.graphics.name == "blocks")
        #expect(GraphicsChoice.none.resolve(caps(da1: [4])) == nil)
    }

    @Test func insideTmuxSixelIsNativeWhenAdvertisedElsePassthroughOnlyWhenAskedFor() {
        let native = GraphicsChoice.auto.resolve(caps(da1: [1, 2, 4], tmux: true))
        #expect(native?.graphics.name == "sixel" && native?.passthrough == false)
        #expect(GraphicsChoice.auto.resolve(caps(da1: [1, 2], tmux: true))?.graphics.name == "blocks")
        let forced = GraphicsChoice.sixel.resolve(caps(da1: [1, 2], tmux: true))
        #expect(forced?.graphics.name == "sixel" && forced?.passthrough == true)
        // Said at start: tmux drops passthrough unless allowed (an empty preview, no word why, before).
        #expect(forced?.startHint?.hasPrefix("sixel through tmux passthrough: no pictures unless tmux set -g allow-passthrough on") == true)
        #expect(GraphicsChoice.sixel.resolve(caps(da1: [1, 2, 4], tmux: true))?.startHint == nil)
    }

    @Test func passthroughDoublesEveryEscape() {
        let wrapped = ImagePresenter.passthrough([0x1B, 0x50, 0x71, 0x1B, 0x5C])
        #expect(wrapped == Array("\u{1B}Ptmux;\u{1B}\u{1B}Pq\u{1B}\u{1B}\\\u{1B}\\".utf8))
    }
}
