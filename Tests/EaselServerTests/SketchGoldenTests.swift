import EaselImaging
@testable import EaselServer
import Testing

/// Pins the generator's exact output: a refactor of `SketchGenerator` must give the same bytes.
@Suite("SketchGenerator golden pixels")
struct SketchGoldenTests {
    /// One prompt per palette (every mood, every colour word, the seed-picked fallback) and every element.
    static let prompts = [
        "a red sun over the sea at dusk", "dawn over mountains and a forest", "a city at night with stars and a full moon",
        "a sunny day at the beach", "pastel hills", "neon city skyline", "crimson sky above a lake", "orange sky above the city",
        "yellow sky above the trees", "green sky above mountains", "blue sky above the harbour", "purple sky above a tower",
        "pink sky above the woods", "brown sky above a cliff", "black sky above downtown", "white sky above the ocean",
        "gray sky above a ridge", "golden sky with a crescent moon", "teal sky above the sea", "an empty room",
        "a golden jagged ridge under a half moon with starry skies", "cyberpunk downtown tower by the ocean",
        "a quiet street", "a quiet room", "an old chair",
    ]

    /// FNV-1a (64-bit) over width, height and every RGBA byte of each render, in order.
    static func digest(seed: UInt32, sizes: [(Int, Int)]) -> UInt64 {
        let generator = SketchGenerator()
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func eat(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        for (i, prompt) in prompts.enumerated() {
            let (w, h) = sizes[i % sizes.count]
            let image = generator.render(prompt: prompt, seed: seed &+ UInt32(i), width: w, height: h)
            for v in [image.width, image.height] { for s in stride(from: 0, to: 32, by: 8) { eat(UInt8((v >> s) & 0xFF)) } }
            for byte in image.pixels { eat(byte) }
        }
        return hash
    }

    @Test("Every palette and element renders the pinned bytes at fixed seeds")
    func pinnedBytes() {
        let plans = Self.prompts.enumerated().map { SketchGenerator().interpret(prompt: $1, seed: 42 &+ UInt32($0)) }
        #expect(Set(plans.map(\.palette)).count == 19, "every palette is painted")
        #expect(Set(plans.flatMap(\.elements)) == Set(SketchElement.allCases), "every element is painted")
        let digest = Self.digest(seed: 42, sizes: [(96, 64), (64, 96), (128, 72), (65, 33)])
        #expect(digest == 0xC1DF_7261_4169_ECC3, "digest 0x\(String(digest, radix: 16))")
    }
}
