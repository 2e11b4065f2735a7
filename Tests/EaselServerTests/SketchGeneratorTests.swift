import EaselImaging
@testable import EaselServer
import Testing

/// Mean of each colour channel over the whole image.
private func channelMeans(_ image: RGBAImage) -> (r: Double, g: Double, b: Double) {
    var r = 0, g = 0, b = 0
    var i = 0
    while i < image.pixels.count {
        r += Int(image.pixels[i]); g += Int(image.pixels[i + 1]); b += Int(image.pixels[i + 2])
        i += 4
    }
    let n = Double(max(1, image.width * image.height))
    return (Double(r) / n, Double(g) / n, Double(b) / n)
}

/// Rec. 601 luma of the pixel at (x, y), 0...255.
private func luminance(_ image: RGBAImage, _ x: Int, _ y: Int) -> Int {
    let i = (y * image.width + x) * 4
    return (Int(image.pixels[i]) * 299 + Int(image.pixels[i + 1]) * 587 + Int(image.pixels[i + 2]) * 114) / 1000
}

private func brightest(_ image: RGBAImage) -> Int {
    var best = 0
    for y in 0..<image.height { for x in 0..<image.width { best = max(best, luminance(image, x, y)) } }
    return best
}

@Suite("SketchGenerator")
struct SketchGeneratorTests {
    let generator = SketchGenerator()

    @Test("The same prompt, seed and size give identical pixels")
    func sameInputsSamePixels() {
        let prompt = "a red sun over the sea at dusk, mountains and a forest, city with stars"
        let first = generator.render(prompt: prompt, seed: 97, width: 160, height: 120)
        let second = SketchGenerator().render(prompt: prompt, seed: 97, width: 160, height: 120)
        #expect(first.width == second.width && first.height == second.height)
        // Counted rather than compared wholesale, so a failure reports a number, not two pixel dumps.
        let differing = zip(first.pixels, second.pixels).filter { $0 != $1 }.count
        #expect(first.pixels.count == second.pixels.count)
        #expect(differing == 0, "\(differing) bytes differ between two identical renders")
    }

    @Test("A different seed gives visibly different pixels")
    func differentSeedDifferentPixels() {
        for prompt in ["a red sun over the sea at dusk", "a blue abstract painting", "city at night with stars"] {
            let a = generator.render(prompt: prompt, seed: 1, width: 96, height: 64)
            let b = generator.render(prompt: prompt, seed: 2, width: 96, height: 64)
            var differing = 0
            for p in 0..<(96 * 64) {
                let i = p * 4
                let delta = abs(Int(a.pixels[i]) - Int(b.pixels[i])) + abs(Int(a.pixels[i + 1]) - Int(b.pixels[i + 1]))
                    + abs(Int(a.pixels[i + 2]) - Int(b.pixels[i + 2]))
                if delta > 24 { differing += 1 }
            }
            // Grain alone never moves a pixel this far: the layout itself must change.
            #expect(differing > 96 * 64 / 20, "only \(differing) pixels changed for \(prompt)")
        }
    }

    @Test("A red sun over the sea at dusk plans a sun and a sea in a dusk palette")
    func planForRedSunAtDusk() {
        let plan = generator.interpret(prompt: "a red sun over the sea at dusk", seed: 5)
        #expect(plan.elements.contains(.sun))
        #expect(plan.elements.contains(.sea))
        #expect(plan.palette == "dusk")
        #expect(plan.elements == [.sun, .sea])  // drawing order, nothing extra
    }

    @Test("Words match whole words only, so season is not sea and Sunday is not sun")
    func wholeWordsOnly() {
        let plan = generator.interpret(prompt: "the season of reason on a Sunday, a seasonal starfish", seed: 1)
        #expect(!plan.elements.contains(.sea))
        #expect(!plan.elements.contains(.sun))
        #expect(!plan.elements.contains(.stars))
        #expect(plan.elements.isEmpty)
    }

    @Test("Matching ignores case and punctuation and accepts plurals")
    func caseAndPlurals() {
        let plan = generator.interpret(prompt: "SEAS!Mountains,(Trees) and CITIES at SUNSET", seed: 3)
        #expect(plan.elements == [.sun, .mountains, .city, .forest, .sea])
        #expect(plan.palette == "dusk")
    }

    @Test("A city at night with stars plans a city, stars and a night palette")
    func cityAtNight() {
        let plan = generator.interpret(prompt: "city at night with stars", seed: 11)
        #expect(plan.elements.contains(.city))
        #expect(plan.elements.contains(.stars))
        #expect(plan.palette == "night")
        // The word itself picks the palette, not just the stars' fallback.
        #expect(generator.interpret(prompt: "a city at night", seed: 11).palette == "night")
    }

    @Test("A colour word picks the palette, and a colour before a scene word tints it instead")
    func colourWordsPickPalette() {
        #expect(generator.interpret(prompt: "something violet", seed: 1).palette == "purple")
        #expect(generator.interpret(prompt: "Grey skies", seed: 1).palette == "gray")
        #expect(generator.interpret(prompt: "neon pink city", seed: 1).palette == "neon")
        #expect(generator.interpret(prompt: "a quiet moon", seed: 1).palette == "night")
        let tinted = SketchScene(prompt: "a red sun over the sea at dusk", seed: 1)
        #expect(tinted.tints[.sun] == SketchPalette.key("red"))
        #expect(tinted.tints[.sea] == nil)
    }

    @Test("Without colour words the palette comes from the seed alone")
    func fallbackPaletteFromSeed() {
        let names = Set((0..<64).map { generator.interpret(prompt: "a quiet place", seed: UInt32($0)).palette })
        #expect(names.count >= 3)
        #expect(names.isSubset(of: Set(SketchPalette.fallbackNames)))
        for seed: UInt32 in [0, 7, 99] {
            #expect(generator.interpret(prompt: "a quiet place", seed: seed).palette
                    == generator.interpret(prompt: "mountains by a lake", seed: seed).palette)
        }
    }

    @Test("A red prompt is clearly red and a blue prompt is clearly blue")
    func colourFollowsPrompt() {
        for seed: UInt32 in [1, 2, 3, 42] {
            let red = channelMeans(generator.render(prompt: "a red abstract painting", seed: seed, width: 64, height: 48))
            let blue = channelMeans(generator.render(prompt: "a blue abstract painting", seed: seed, width: 64, height: 48))
            #expect(red.r > red.b + 40, "red image means \(red)")
            #expect(blue.b > blue.r + 40, "blue image means \(blue)")
        }
    }

    @Test("A sun paints a bright disc where the layout puts it")
    func sunIsBright() throws {
        let (w, h) = (160, 120)
        for seed: UInt32 in [3, 8, 21] {
            let withSun = generator.render(prompt: "a sun over the sea at dusk", seed: seed, width: w, height: h)
            let without = generator.render(prompt: "the sea at dusk", seed: seed, width: w, height: h)
            #expect(brightest(withSun) > brightest(without) + 25)
            let layout = SketchLayout(scene: SketchScene(prompt: "a sun over the sea at dusk", seed: seed), width: w, height: h)
            let sun = try #require(layout.sun)
            #expect(luminance(withSun, sun.x, sun.y) > 200)
            #expect(luminance(withSun, sun.x, sun.y) > luminance(without, sun.x, sun.y) + 40)
        }
    }

    @Test("Odd sizes give w × h × 4 opaque bytes", arguments: [(1, 1), (2, 3), (37, 91), (91, 37), (1024, 576)])
    func oddSizes(size: (Int, Int)) {
        let (w, h) = size
        for prompt in ["sun moon sea mountains stars forest city", "neon city", "white", ""] {
            let image = generator.render(prompt: prompt, seed: 12345, width: w, height: h)
            #expect(image.width == w && image.height == h)
            #expect(image.pixels.count == w * h * 4)
            var opaque = true
            var i = 3
            while i < image.pixels.count { if image.pixels[i] != 255 { opaque = false }; i += 4 }
            #expect(opaque, "\(w)x\(h) \(prompt)")
        }
    }
}
