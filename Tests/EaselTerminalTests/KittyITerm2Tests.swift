import EaselImaging
import EaselTerminal
import Foundation
import Testing

/// Test pictures and decoders for the PNG-carrying protocols.
enum PNGPictures {
    /// Deterministic noise: PNG cannot compress it, so the payload spans many kitty chunks.
    static func noise(width: Int, height: Int, seed: UInt32 = 1) -> RGBAImage {
        var state = seed
        var pixels = [UInt8](repeating: 255, count: width * height * 4)
        for i in 0..<(width * height) {
            for c in 0..<3 {
                state = state &* 1_664_525 &+ 1_013_904_223
                pixels[i * 4 + c] = UInt8(truncatingIfNeeded: state >> 24)
            }
        }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    /// An image from explicit RGBA pixels, row-major.
    static func image(_ width: Int, _ height: Int, _ rgba: [[UInt8]]) -> RGBAImage {
        RGBAImage(width: width, height: height, pixels: rgba.flatMap { $0 })
    }

    /// Standard base64 decoded by Foundation (independent of the encoder under test).
    static func unbase64(_ ascii: [UInt8]) -> [UInt8]? {
        Data(base64Encoded: Data(ascii)).map { [UInt8]($0) }
    }
}

/// One `ESC _G keys ; payload ESC \` sequence.
struct KittyChunk {
    let keys: String
    let payload: [UInt8]

    /// Splits kitty output into its APC chunks; `nil` when anything else is in the stream.
    static func split(_ bytes: [UInt8]) -> [KittyChunk]? {
        var chunks: [KittyChunk] = [], i = 0
        while i < bytes.count {
            guard bytes[i...].starts(with: [0x1B, UInt8(ascii: "_"), UInt8(ascii: "G")]),
                  let semi = bytes[i...].firstIndex(of: UInt8(ascii: ";")),
                  let esc = bytes[semi...].firstIndex(of: 0x1B), esc + 1 < bytes.count, bytes[esc + 1] == UInt8(ascii: "\\")
            else { return nil }
            chunks.append(KittyChunk(keys: String(decoding: bytes[(i + 3)..<semi], as: UTF8.self), payload: Array(bytes[(semi + 1)..<esc])))
            i = esc + 2
        }
        return chunks
    }
}

@Suite("Kitty and iTerm2 inline images")
struct KittyITerm2Tests {
    let cell = PixelSize(width: 8, height: 16)

    /// The PNG carried by kitty output, decoded.
    func kittyPicture(_ encoded: EncodedImage) throws -> RGBAImage {
        let chunks = try #require(KittyChunk.split(encoded.bytes))
        let png = try #require(PNGPictures.unbase64(chunks.flatMap(\.payload)))
        return try ImageCodec.decode(png)
    }

    @Test func kittyOutputIsChunkedTransmitAndDisplayWithTheKeysOnlyOnTheFirstChunk() throws {
        let encoded = try Kitty().encode(PNGPictures.noise(width: 300, height: 200), fitting: PixelSize(width: 120, height: 90), cell: cell)
        #expect(encoded.bytes.starts(with: Array("\u{1B}_G".utf8)))
        let chunks = try #require(KittyChunk.split(encoded.bytes))
        #expect(chunks.count > 3)
        #expect(chunks[0].keys.hasPrefix("a=T,f=100"))
        #expect(chunks[0].keys == "a=T,f=100,t=d,i=\(encoded.imageID),q=2,c=15,r=5,C=1,m=1")
        for chunk in chunks.dropFirst().dropLast() { #expect(chunk.keys == "m=1") }
        #expect(chunks.last?.keys == "m=0")
        for chunk in chunks {
            #expect(chunk.payload.count <= Kitty.chunkSize && !chunk.payload.isEmpty)
            #expect(chunk.payload.allSatisfy { $0 != 0x1B })
        }
        for chunk in chunks.dropLast() { #expect(chunk.payload.count % 4 == 0) }
    }

    @Test func kittyPayloadDecodesToAPNGOfTheFittedSizeAndAspect() throws {
        let encoded = try Kitty().encode(PNGPictures.noise(width: 300, height: 200), fitting: PixelSize(width: 120, height: 90), cell: cell)
        let picture = try kittyPicture(encoded)
        #expect(encoded.pixels == fittedSize(width: 300, height: 200, in: PixelSize(width: 120, height: 90), band: 1))
        #expect(PixelSize(width: picture.width, height: picture.height) == PixelSize(width: 120, height: 80))
        #expect(encoded.pixels == PixelSize(width: 120, height: 80))
        #expect(encoded.cells == CellSize(columns: 15, rows: 5))       // 120/8 = 15, 80/16 = 5 rounded up
    }

    @Test func aSmallPictureIsOneChunkWithMoreZero() throws {
        let encoded = try Kitty().encode(PNGPictures.noise(width: 8, height: 8), fitting: PixelSize(width: 8, height: 8), cell: cell)
        let chunks = try #require(KittyChunk.split(encoded.bytes))
        #expect(chunks.count == 1)
        #expect(chunks[0].keys.hasSuffix(",C=1,m=0") && chunks[0].keys.hasPrefix("a=T,f=100,t=d,i="))
        #expect(try kittyPicture(encoded).pixels == PNGPictures.noise(width: 8, height: 8).pixels)
    }

    @Test func theImageIDIsStableForTheSamePictureAndSizeAndDiffersOtherwise() throws {
        let box = PixelSize(width: 100, height: 100)
        let a = try Kitty().encode(PNGPictures.noise(width: 64, height: 48, seed: 1), fitting: box, cell: cell)
        let again = try Kitty().encode(PNGPictures.noise(width: 64, height: 48, seed: 1), fitting: box, cell: cell)
        let other = try Kitty().encode(PNGPictures.noise(width: 64, height: 48, seed: 2), fitting: box, cell: cell)
        let smaller = try Kitty().encode(PNGPictures.noise(width: 64, height: 48, seed: 1), fitting: PixelSize(width: 32, height: 32), cell: cell)
        #expect(a.imageID != 0)
        #expect(a.imageID == again.imageID && a.bytes == again.bytes)
        #expect(a.imageID != other.imageID)
        #expect(a.imageID != smaller.imageID)
    }

    /// `easel show` twice in kitty: the same picture at the same size got the same id, and kitty replaced the
    /// first upload (and its placement) with the second: the first picture vanished. Inline pictures have no id.
    @Test func picturesForTheShellsFlowHaveNoIDSoASecondShowKeepsTheFirst() throws {
        let caps = TerminalCapabilities()
        let selection = try #require(GraphicsChoice.kitty.resolve(caps, inline: true))
        let box = PixelSize(width: 100, height: 100)
        let shown = try selection.graphics.encode(PNGPictures.noise(width: 64, height: 48, seed: 1), fitting: box, cell: cell)
        #expect(shown.imageID == 0)
        let first = try #require(KittyChunk.split(shown.bytes)?.first)
        #expect(first.keys.hasPrefix("a=T,f=100,t=d,q=2,") && !first.keys.contains("i="), "\(first.keys)")
        let studio = try #require(GraphicsChoice.kitty.resolve(caps))
        #expect(try studio.graphics.encode(PNGPictures.noise(width: 64, height: 48, seed: 1), fitting: box, cell: cell).imageID != 0)
    }

    @Test func kittyEraseDeletesThatImageByIDAndFreesItsData() throws {
        let kitty = Kitty()
        let encoded = try kitty.encode(PNGPictures.noise(width: 20, height: 20), fitting: PixelSize(width: 20, height: 20), cell: cell)
        #expect(kitty.erase(encoded, background: RGB(0, 0, 0)) == Array("\u{1B}_Ga=d,d=I,i=\(encoded.imageID),q=2\u{1B}\\".utf8))
        let anonymous = EncodedImage(payload: .bytes([]), pixels: encoded.pixels, cells: encoded.cells)
        #expect(kitty.erase(anonymous, background: RGB(0, 0, 0)) == nil)
        #expect(kitty.name == "kitty" && ITerm2().name == "iterm")
    }

    @Test func aBoxTooSmallForOnePixelIsAnError() {
        #expect(throws: GraphicsError.self) { try Kitty().encode(PNGPictures.noise(width: 4, height: 4), fitting: PixelSize(width: 0, height: 0), cell: cell) }
        #expect(throws: GraphicsError.self) { try ITerm2().encode(PNGPictures.noise(width: 4, height: 4), fitting: PixelSize(width: 10, height: 0), cell: cell) }
    }

    /// `File=` arguments and the decoded payload of an OSC 1337 sequence.
    func iTermParts(_ bytes: [UInt8]) throws -> (args: [String: String], file: [UInt8]) {
        let head = Array("\u{1B}]1337;File=".utf8)
        #expect(bytes.starts(with: head))
        #expect(bytes.last == 0x07)
        #expect(bytes.dropLast().allSatisfy { $0 != 0x07 })
        let colon = try #require(bytes.firstIndex(of: UInt8(ascii: ":")))
        let argText = String(decoding: bytes[head.count..<colon], as: UTF8.self)
        var args: [String: String] = [:]
        for pair in argText.split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            args[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
        }
        let file = try #require(PNGPictures.unbase64(Array(bytes[(colon + 1)..<(bytes.count - 1)])))
        return (args, file)
    }

    @Test func iTerm2OutputIsOneOSC1337WithSizeInBytesAndWidthHeightInCells() throws {
        let encoded = try ITerm2().encode(PNGPictures.noise(width: 300, height: 200), fitting: PixelSize(width: 120, height: 90), cell: cell)
        let (args, file) = try iTermParts(encoded.bytes)
        #expect(args["inline"] == "1" && args["preserveAspectRatio"] == "1")
        #expect(args["size"] == String(file.count))
        #expect(args["width"] == "15" && args["height"] == "5")
        #expect(encoded.cells == CellSize(columns: 15, rows: 5))
        let picture = try ImageCodec.decode(file)
        #expect(PixelSize(width: picture.width, height: picture.height) == PixelSize(width: 120, height: 80))
        #expect(encoded.pixels == PixelSize(width: 120, height: 80))
        #expect(ITerm2().erase(encoded, background: RGB(0, 0, 0)) == nil)
        #expect(encoded.imageID == 0)
    }

    @Test func iTerm2ShrinksThePictureUntilTheSequenceFitsItsByteLimit() throws {
        let source = PNGPictures.noise(width: 300, height: 200)
        let full = try ITerm2().encode(source, fitting: PixelSize(width: 300, height: 200), cell: cell)
        let capped = try ITerm2(maxBytes: 40_000).encode(source, fitting: PixelSize(width: 300, height: 200), cell: cell)
        #expect(full.bytes.count > 40_000)
        #expect(capped.bytes.count <= 40_000)
        #expect(capped.pixels.width < 300 && capped.pixels.height < 200)
        #expect(abs(capped.pixels.width * 2 - capped.pixels.height * 3) <= 3)        // still 3:2
        let picture = try ImageCodec.decode(iTermParts(capped.bytes).file)
        #expect(PixelSize(width: picture.width, height: picture.height) == capped.pixels)
        #expect(throws: GraphicsError.self) { try ITerm2(maxBytes: 100).encode(source, fitting: PixelSize(width: 300, height: 200), cell: cell) }
    }

    // MARK: Scaling (the shared area-average resampler, observed through the PNG kitty sends)

    @Test func a4x4ImageScaledTo2x2AveragesEachQuadrant() throws {
        let q: [[UInt8]] = [
            [0, 0, 0, 255], [40, 8, 200, 255], [255, 0, 0, 255], [255, 0, 0, 255],
            [80, 16, 100, 255], [120, 24, 100, 255], [255, 0, 0, 255], [251, 4, 8, 255],
            [10, 10, 10, 255], [20, 20, 20, 255], [0, 100, 0, 255], [0, 200, 0, 255],
            [30, 30, 30, 255], [40, 40, 40, 255], [0, 0, 100, 255], [0, 0, 200, 255],
        ]
        let encoded = try Kitty().encode(PNGPictures.image(4, 4, q), fitting: PixelSize(width: 2, height: 2), cell: cell)
        let picture = try kittyPicture(encoded)
        #expect(picture.width == 2 && picture.height == 2)
        #expect(picture.pixels == [60, 12, 100, 255, 254, 1, 2, 255,
                                   25, 25, 25, 255, 0, 75, 75, 255])
    }

    @Test func averagingWeighsColoursByAlphaSoTransparentPixelsAddNoColour() throws {
        let pair = PNGPictures.image(2, 1, [[255, 0, 0, 255], [0, 0, 255, 0]])
        let picture = try kittyPicture(Kitty().encode(pair, fitting: PixelSize(width: 1, height: 1), cell: cell))
        #expect(picture.pixels == [255, 0, 0, 128])
    }

    @Test func partlyCoveredSourcePixelsCountByTheirOverlap() throws {
        let row = PNGPictures.image(3, 1, [[0, 0, 0, 255], [90, 90, 90, 255], [180, 180, 180, 255]])
        let picture = try kittyPicture(Kitty().encode(row, fitting: PixelSize(width: 2, height: 2), cell: cell))
        #expect(picture.width == 2 && picture.height == 1)
        #expect(picture.pixels == [30, 30, 30, 255, 150, 150, 150, 255])      // ⅔·0 + ⅓·90, ⅓·90 + ⅔·180
    }

    @Test func upscalingByAnIntegerFactorRepeatsPixels() throws {
        let pair = PNGPictures.image(2, 1, [[10, 20, 30, 255], [200, 100, 50, 255]])
        let picture = try kittyPicture(Kitty().encode(pair, fitting: PixelSize(width: 4, height: 4), cell: cell))
        #expect(picture.width == 4 && picture.height == 2)
        let a: [UInt8] = [10, 20, 30, 255], b: [UInt8] = [200, 100, 50, 255]
        #expect(picture.pixels == a + a + b + b + a + a + b + b)
    }
}
