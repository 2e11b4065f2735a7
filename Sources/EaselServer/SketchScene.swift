import EaselCore

// MARK: - Scene (prompt → plan, palette, tints, random streams)

struct SketchScene {
    let plan: SketchPlan
    let palette: SketchPalette
    /// Element colours asked for by a colour word just before the element ("a red sun").
    let tints: [SketchElement: SketchColor]
    /// Seeds every random stream: the caller's seed mixed with a stable hash of the prompt's words.
    let layoutSeed: UInt64
    /// `true` for "full moon", `false` for "crescent"/"half moon", `nil` to let the seed decide.
    let fullMoon: Bool?

    init(prompt: String, seed: UInt32) {
        let tokens = SketchVocabulary.tokens(in: prompt)
        let meanings = tokens.map(SketchVocabulary.meaning(of:))
        var mood: String?
        var freeColours: [String] = []
        var tints: [SketchElement: SketchColor] = [:]
        var found = Set<SketchElement>()
        for (index, meaning) in meanings.enumerated() {
            if mood == nil, let m = meaning.mood { mood = m }
            if let element = meaning.element { found.insert(element) }
            guard let colour = meaning.colour else { continue }
            // A colour right before a scene word ("red sun", "a golden jagged ridge") tints that element.
            var target: SketchElement?
            var next = index + 1
            while next < meanings.count, next <= index + 2 {
                if let element = meanings[next].element { target = element; break }
                if meanings[next].colour != nil || meanings[next].mood != nil { break }
                next += 1
            }
            if let target {
                if tints[target] == nil { tints[target] = SketchPalette.key(colour) }
            } else {
                freeColours.append(colour)
            }
        }
        let elements = SketchElement.drawingOrder.filter(found.contains)
        let paletteName: String
        if let mood {
            paletteName = mood
        } else if let colour = freeColours.first {
            paletteName = colour
        } else if found.contains(.moon) || found.contains(.stars) {
            paletteName = "night"
        } else {
            var pick = SketchRandom(seed: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 ^ 0x0BAD_5EED)
            paletteName = SketchPalette.fallbackNames[Int(pick.next() % UInt64(SketchPalette.fallbackNames.count))]
        }
        plan = SketchPlan(palette: paletteName, elements: elements)
        palette = SketchPalette.named(paletteName)
        self.tints = tints
        fullMoon = tokens.contains("full") ? true
            : (tokens.contains("crescent") || tokens.contains("half") ? false : nil)
        // FNV-1a over the normalised words: stable across processes, unlike Hasher.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in tokens.joined(separator: " ").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        layoutSeed = (UInt64(seed) << 32 | UInt64(seed)) ^ hash
    }

    /// An independent random stream for one part of the picture, so how many numbers one part
    /// draws (which can depend on the size) never shifts another part's layout.
    func random(_ salt: UInt64) -> SketchRandom {
        var mixer = SketchRandom(seed: layoutSeed ^ (salt &* 0xD1B5_4A32_D192_ED03))
        return SketchRandom(seed: mixer.next())
    }

    func has(_ element: SketchElement) -> Bool { plan.elements.contains(element) }
}

/// The scene's random numbers: `SeedSource` (SplitMix64) with a few helpers.
struct SketchRandom {
    private var source: SeedSource
    init(seed: UInt64) { source = SeedSource(seed: seed) }

    mutating func next() -> UInt64 { source.next64() }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }
    mutating func range(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }
    /// Uniform in low...high; `low` when the range is empty.
    mutating func int(_ low: Int, _ high: Int) -> Int {
        high <= low ? low : low + Int(next() % UInt64(high - low + 1))
    }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
}
