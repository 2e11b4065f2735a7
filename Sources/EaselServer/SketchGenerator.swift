// SketchGenerator.swift — the embedded demo backend's offline, procedural picture painter.

import EaselCore
import EaselImaging

// MARK: - Public surface

/// Offline, deterministic, procedural **demo** image generator for Easel's embedded demo backend.
///
/// This is *not* a neural text-to-image model and it understands no language: it spots a small vocabulary
/// of words in the prompt and paints a flat, illustration-style landscape from them with integer maths.
/// It exists so the studio can be tried end to end with no GPU, network or model weights; its pictures
/// should be labelled as demo output.
///
/// **Determinism.** The same `(prompt, seed, width, height)` always yields byte-identical pixels, in every
/// run and every process. Randomness comes from a private SplitMix64 stream seeded from `seed` and a stable
/// FNV-1a hash of the prompt's normalised words (never `Hasher`/`hashValue`, which are salted per process);
/// pixels are computed with integer arithmetic, and layout uses only IEEE-exact `Double` operations
/// (`+ − × ÷ √`, no `sin`/`pow`/libm), so results do not depend on the C library either.
///
/// **Words understood.** Matching is case-insensitive on whole words: the prompt is split at every
/// non-letter, and simple plurals (`-s`, `-es`, `-ies`) are accepted, so "Seas" matches *sea* but
/// "season" does not.
/// - *Colours* choose the palette: red (crimson, scarlet, ruby, cherry), orange (amber, tangerine),
///   yellow (lemon), green (emerald, lime, olive, jade), blue (azure, navy, sapphire, cobalt), purple
///   (violet, lavender, lilac, indigo, magenta, plum), pink (rose, rosy, fuchsia, salmon), brown (sepia,
///   chocolate, tan, rust), black (ebony, jet), white (ivory), gray/grey (silver, slate), gold (golden),
///   teal (cyan, turquoise, aqua).
/// - *Moods* choose the palette and win over colours: dusk (sunset, sundown, twilight, evening), dawn
///   (sunrise, morning, daybreak), night (midnight, nighttime, moonlit, moonlight), day (daytime, noon,
///   midday, sunny), pastel, neon (cyberpunk, synthwave, vaporwave, retrowave).
/// - A colour at most two words *before* a scene word tints that element instead of the palette:
///   "a red sun over the sea at dusk" paints a red sun in a dusk palette.
/// - *Scene words* add elements: sun (sunny, sunshine, sunlight, sunset, sunrise, sundown), moon (moonlit,
///   moonlight, crescent), sea (ocean, water, wave, lake, bay, beach, shore, coast, harbo(u)r, seaside,
///   seascape), mountains (mountain, peak, hill, ridge, alps, cliff, range), stars (star, starry,
///   starlight, starlit, constellation, galaxy), forest (tree, wood, woods, woodland, pine, fir, conifer,
///   spruce, jungle), city (town, skyline, skyscraper, building, tower, downtown, metropolis, urban).
/// - "full" or "crescent"/"half" choose the moon's phase; otherwise the seed does.
/// - With no palette word the palette is `night` when the moon or stars were asked for, otherwise one of
///   day/dawn/dusk/pastel chosen by the seed alone.
///
/// Every picture has a sky gradient and seed-driven variation (positions, sizes, counts, clouds, grain),
/// so different seeds give visibly different pictures.
public struct SketchGenerator: Sendable {
    public init() {}

    /// Paints the picture for `prompt` as opaque 8-bit RGBA.
    ///
    /// - Parameters:
    ///   - width: pixels across, 1...4096 (the caller validates; a size of 0 gives an empty image).
    ///   - height: pixels down, 1...4096.
    /// - Returns: an image whose pixels are identical for identical inputs; alpha is always 255.
    public func render(prompt: String, seed: UInt32, width: Int, height: Int) -> RGBAImage {
        let w = max(0, width), h = max(0, height)
        guard w > 0, h > 0 else { return RGBAImage(width: w, height: h, pixels: []) }
        let scene = SketchScene(prompt: prompt, seed: seed)
        var pixels = [UInt8](repeating: 255, count: w * h * 4)
        pixels.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            SketchPainter(scene: scene, pixels: base, width: w, height: h).paint()
        }
        return RGBAImage(width: w, height: h, pixels: pixels)
    }

    /// The palette and scene elements the prompt selected — for tests and for the server's log — e.g.
    /// palette `"dusk"` and elements `[.sun, .sea]` for "a red sun over the sea at dusk".
    public func interpret(prompt: String, seed: UInt32) -> SketchPlan {
        SketchScene(prompt: prompt, seed: seed).plan
    }
}

/// What `SketchGenerator` decided to paint for a prompt.
public struct SketchPlan: Equatable, Sendable {
    /// Palette name: a colour ("red", "gray", "teal", …), a mood ("dusk", "night", "pastel", "neon",
    /// "dawn", "day"), or a seed-chosen fallback.
    public var palette: String
    /// The scene elements found, in drawing order (back to front):
    /// stars, moon, sun, mountains, city, forest, sea.
    public var elements: [SketchElement]

    public init(palette: String, elements: [SketchElement]) {
        self.palette = palette
        self.elements = elements
    }
}

/// A scene element `SketchGenerator` knows how to paint.
public enum SketchElement: String, CaseIterable, Sendable {
    case sun, moon, sea, mountains, stars, forest, city

    /// Back-to-front painting order.
    static let drawingOrder: [SketchElement] = [.stars, .moon, .sun, .mountains, .city, .forest, .sea]
}

// MARK: - Vocabulary

/// The words the sketch generator reacts to.
enum SketchVocabulary {
    struct Meaning: Equatable {
        var mood: String?
        var colour: String?
        var element: SketchElement?
        var isEmpty: Bool { mood == nil && colour == nil && element == nil }
    }

    static let moods: [String: String] = [
        "dusk": "dusk", "sunset": "dusk", "sundown": "dusk", "twilight": "dusk", "evening": "dusk",
        "dawn": "dawn", "sunrise": "dawn", "morning": "dawn", "daybreak": "dawn",
        "night": "night", "midnight": "night", "nighttime": "night", "moonlit": "night", "moonlight": "night",
        "day": "day", "daytime": "day", "noon": "day", "midday": "day", "sunny": "day",
        "pastel": "pastel",
        "neon": "neon", "cyberpunk": "neon", "synthwave": "neon", "vaporwave": "neon", "retrowave": "neon",
    ]

    static let colours: [String: String] = [
        "red": "red", "crimson": "red", "scarlet": "red", "ruby": "red", "cherry": "red",
        "orange": "orange", "amber": "orange", "tangerine": "orange",
        "yellow": "yellow", "lemon": "yellow",
        "green": "green", "emerald": "green", "lime": "green", "olive": "green", "jade": "green",
        "blue": "blue", "azure": "blue", "navy": "blue", "sapphire": "blue", "cobalt": "blue",
        "purple": "purple", "violet": "purple", "lavender": "purple", "lilac": "purple", "indigo": "purple",
        "magenta": "purple", "plum": "purple",
        "pink": "pink", "rose": "pink", "rosy": "pink", "fuchsia": "pink", "salmon": "pink",
        "brown": "brown", "sepia": "brown", "chocolate": "brown", "tan": "brown", "rust": "brown",
        "black": "black", "ebony": "black", "jet": "black",
        "white": "white", "ivory": "white",
        "gray": "gray", "grey": "gray", "silver": "gray", "slate": "gray",
        "gold": "gold", "golden": "gold",
        "teal": "teal", "cyan": "teal", "turquoise": "teal", "aqua": "teal",
    ]

    static let elements: [String: SketchElement] = [
        "sun": .sun, "sunny": .sun, "sunshine": .sun, "sunlight": .sun, "sunset": .sun, "sunrise": .sun,
        "sundown": .sun,
        "moon": .moon, "moonlit": .moon, "moonlight": .moon, "crescent": .moon,
        "sea": .sea, "ocean": .sea, "water": .sea, "wave": .sea, "lake": .sea, "bay": .sea, "beach": .sea,
        "shore": .sea, "coast": .sea, "harbor": .sea, "harbour": .sea, "seaside": .sea, "seascape": .sea,
        "mountain": .mountains, "peak": .mountains, "hill": .mountains, "ridge": .mountains,
        "alps": .mountains, "cliff": .mountains, "range": .mountains,
        "star": .stars, "starry": .stars, "starlight": .stars, "starlit": .stars,
        "constellation": .stars, "galaxy": .stars,
        "forest": .forest, "tree": .forest, "wood": .forest, "woods": .forest, "woodland": .forest,
        "pine": .forest, "fir": .forest, "conifer": .forest, "spruce": .forest, "jungle": .forest,
        "city": .city, "town": .city, "skyline": .city, "skyscraper": .city, "building": .city,
        "tower": .city, "downtown": .city, "metropolis": .city, "urban": .city,
    ]

    /// Lower-cased words of `prompt`, split at every character that is not a letter.
    static func tokens(in prompt: String) -> [String] {
        prompt.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init)
    }

    /// What `word` (already lower-cased) means, trying it as written and then without a plural suffix.
    static func meaning(of word: String) -> Meaning {
        var candidates = [word]
        if word.count > 4, word.hasSuffix("ies") { candidates.append(String(word.dropLast(3)) + "y") }
        if word.count > 3, word.hasSuffix("es") { candidates.append(String(word.dropLast(2))) }
        if word.count > 2, word.hasSuffix("s") { candidates.append(String(word.dropLast())) }
        for candidate in candidates {
            let meaning = Meaning(mood: moods[candidate], colour: colours[candidate], element: elements[candidate])
            if !meaning.isEmpty { return meaning }
        }
        return Meaning()
    }
}

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

// MARK: - Colour and palettes

struct SketchColor: Equatable, Sendable {
    var r: Int, g: Int, b: Int
    init(_ r: Int, _ g: Int, _ b: Int) { self.r = r; self.g = g; self.b = b }

    /// `t` of 256 of the way towards `other`.
    func mixed(_ other: SketchColor, _ t: Int) -> SketchColor {
        let t = min(256, max(0, t)), u = 256 - t
        return SketchColor((r * u + other.r * t) >> 8, (g * u + other.g * t) >> 8, (b * u + other.b * t) >> 8)
    }

    /// Multiplied by `f`/256, clamped to 255.
    func scaled(_ f: Int) -> SketchColor {
        SketchColor(min(255, (r * f) >> 8), min(255, (g * f) >> 8), min(255, (b * f) >> 8))
    }

    /// Same hue with its largest channel at 255.
    var brightened: SketchColor {
        let top = max(1, r, g, b)
        return SketchColor(r * 255 / top, g * 255 / top, b * 255 / top)
    }

    static let white = SketchColor(255, 255, 255)
}

struct SketchPalette: Sendable {
    var name: String
    var top: SketchColor, mid: SketchColor, horizon: SketchColor
    var sun: SketchColor, glow: SketchColor, moon: SketchColor
    var far: SketchColor, near: SketchColor, tree: SketchColor
    var ground: SketchColor, groundDeep: SketchColor, water: SketchColor
    var cloud: SketchColor, window: SketchColor, star: SketchColor
    var isDark: Bool

    static let fallbackNames = ["day", "dawn", "dusk", "pastel", "day"]

    /// The single colour a colour word stands for, used to tint an element.
    static func key(_ colour: String) -> SketchColor {
        switch colour {
        case "red": return SketchColor(235, 50, 40)
        case "orange": return SketchColor(255, 135, 30)
        case "yellow": return SketchColor(255, 220, 50)
        case "green": return SketchColor(60, 180, 80)
        case "blue": return SketchColor(45, 105, 230)
        case "purple": return SketchColor(145, 70, 210)
        case "pink": return SketchColor(255, 120, 185)
        case "brown": return SketchColor(135, 85, 45)
        case "black": return SketchColor(22, 22, 26)
        case "white": return SketchColor(246, 246, 246)
        case "gray": return SketchColor(145, 145, 150)
        case "gold": return SketchColor(245, 190, 50)
        default: return SketchColor(25, 185, 185)  // teal
        }
    }

    private static func make(_ name: String, _ top: SketchColor, _ mid: SketchColor, _ horizon: SketchColor,
                             sun: SketchColor, glow: SketchColor, moon: SketchColor,
                             far: SketchColor, near: SketchColor, tree: SketchColor? = nil,
                             ground: SketchColor, groundDeep: SketchColor, water: SketchColor,
                             cloud: SketchColor, window: SketchColor = SketchColor(255, 214, 120),
                             star: SketchColor = SketchColor(255, 252, 235), dark: Bool = false) -> SketchPalette {
        SketchPalette(name: name, top: top, mid: mid, horizon: horizon, sun: sun, glow: glow, moon: moon,
                      far: far, near: near, tree: tree ?? near, ground: ground, groundDeep: groundDeep,
                      water: water, cloud: cloud, window: window, star: star, isDark: dark)
    }

    typealias C = SketchColor

    static func named(_ name: String) -> SketchPalette {
        switch name {
        case "day":
            return make(name, C(38, 96, 186), C(88, 152, 222), C(196, 224, 242),
                        sun: C(255, 252, 228), glow: C(255, 244, 200), moon: C(240, 240, 232),
                        far: C(120, 150, 186), near: C(48, 78, 82), tree: C(30, 86, 54),
                        ground: C(96, 150, 72), groundDeep: C(48, 96, 46), water: C(28, 86, 150),
                        cloud: C(255, 255, 255))
        case "dawn":
            return make(name, C(66, 96, 168), C(222, 158, 172), C(255, 214, 168),
                        sun: C(255, 246, 214), glow: C(255, 204, 150), moon: C(250, 236, 228),
                        far: C(150, 132, 170), near: C(62, 60, 92), tree: C(40, 68, 70),
                        ground: C(112, 122, 92), groundDeep: C(58, 70, 58), water: C(86, 108, 162),
                        cloud: C(255, 226, 214))
        case "dusk":
            return make(name, C(38, 28, 88), C(156, 62, 122), C(255, 152, 82),
                        sun: C(255, 238, 190), glow: C(255, 150, 76), moon: C(255, 232, 214),
                        far: C(124, 72, 122), near: C(42, 22, 52), tree: C(34, 22, 46),
                        ground: C(72, 38, 62), groundDeep: C(34, 20, 40), water: C(62, 42, 96),
                        cloud: C(255, 176, 150))
        case "night":
            return make(name, C(4, 7, 24), C(14, 24, 62), C(44, 64, 114),
                        sun: C(255, 242, 206), glow: C(130, 150, 210), moon: C(238, 238, 222),
                        far: C(34, 44, 76), near: C(9, 12, 26), tree: C(6, 14, 20),
                        ground: C(28, 36, 62), groundDeep: C(9, 12, 24), water: C(12, 24, 52),
                        cloud: C(62, 72, 104), window: C(255, 206, 108), dark: true)
        case "pastel":
            return make(name, C(150, 182, 232), C(222, 192, 232), C(255, 224, 214),
                        sun: C(255, 250, 232), glow: C(255, 232, 204), moon: C(255, 250, 240),
                        far: C(184, 172, 214), near: C(132, 146, 190), tree: C(120, 170, 150),
                        ground: C(184, 222, 190), groundDeep: C(148, 192, 172), water: C(148, 198, 224),
                        cloud: C(255, 246, 250))
        case "neon":
            return make(name, C(16, 0, 38), C(112, 0, 136), C(255, 46, 160),
                        sun: C(255, 232, 80), glow: C(255, 60, 196), moon: C(220, 255, 255),
                        far: C(84, 0, 124), near: C(16, 0, 34),
                        ground: C(32, 0, 62), groundDeep: C(10, 0, 26), water: C(30, 0, 84),
                        cloud: C(255, 84, 200), window: C(0, 250, 240), star: C(120, 255, 255), dark: true)
        case "red":
            return make(name, C(88, 8, 16), C(182, 38, 36), C(255, 142, 112),
                        sun: C(255, 234, 206), glow: C(255, 124, 92), moon: C(255, 224, 214),
                        far: C(152, 52, 52), near: C(62, 10, 16),
                        ground: C(124, 32, 32), groundDeep: C(62, 10, 16), water: C(112, 20, 32),
                        cloud: C(255, 192, 180))
        case "orange":
            return make(name, C(150, 58, 18), C(232, 120, 40), C(255, 204, 124),
                        sun: C(255, 246, 214), glow: C(255, 184, 92), moon: C(255, 240, 220),
                        far: C(172, 92, 52), near: C(72, 30, 14),
                        ground: C(152, 82, 32), groundDeep: C(82, 40, 16), water: C(124, 62, 32),
                        cloud: C(255, 222, 184))
        case "yellow":
            return make(name, C(196, 154, 26), C(240, 208, 70), C(255, 246, 176),
                        sun: C(255, 255, 236), glow: C(255, 242, 150), moon: C(255, 252, 230),
                        far: C(192, 160, 72), near: C(104, 82, 22),
                        ground: C(174, 144, 42), groundDeep: C(112, 90, 22), water: C(152, 132, 52),
                        cloud: C(255, 250, 222))
        case "green":
            return make(name, C(18, 68, 48), C(62, 140, 92), C(184, 230, 172),
                        sun: C(242, 255, 224), glow: C(204, 255, 172), moon: C(236, 255, 236),
                        far: C(72, 132, 92), near: C(16, 50, 26),
                        ground: C(52, 122, 52), groundDeep: C(20, 70, 26), water: C(30, 92, 82),
                        cloud: C(222, 255, 222))
        case "blue":
            return make(name, C(10, 30, 108), C(40, 92, 192), C(152, 202, 250),
                        sun: C(242, 250, 255), glow: C(172, 212, 255), moon: C(232, 242, 255),
                        far: C(62, 102, 172), near: C(10, 30, 72),
                        ground: C(30, 72, 132), groundDeep: C(10, 30, 82), water: C(20, 62, 152),
                        cloud: C(222, 236, 255))
        case "purple":
            return make(name, C(40, 10, 72), C(102, 40, 152), C(202, 152, 232),
                        sun: C(250, 232, 255), glow: C(212, 152, 255), moon: C(244, 232, 255),
                        far: C(102, 62, 142), near: C(34, 14, 56),
                        ground: C(82, 40, 112), groundDeep: C(40, 14, 62), water: C(72, 40, 122),
                        cloud: C(232, 202, 250))
        case "pink":
            return make(name, C(196, 76, 138), C(240, 142, 190), C(255, 212, 230),
                        sun: C(255, 246, 250), glow: C(255, 192, 222), moon: C(255, 240, 246),
                        far: C(202, 122, 162), near: C(122, 40, 82),
                        ground: C(212, 122, 162), groundDeep: C(152, 62, 112), water: C(192, 102, 152),
                        cloud: C(255, 232, 242))
        case "brown":
            return make(name, C(82, 50, 30), C(142, 96, 60), C(212, 172, 122),
                        sun: C(255, 234, 184), glow: C(232, 182, 122), moon: C(246, 226, 196),
                        far: C(132, 96, 66), near: C(56, 36, 20),
                        ground: C(112, 76, 46), groundDeep: C(62, 40, 24), water: C(92, 72, 52),
                        cloud: C(232, 202, 162))
        case "black":
            return make(name, C(0, 0, 0), C(14, 14, 18), C(52, 52, 60),
                        sun: C(242, 242, 242), glow: C(112, 112, 122), moon: C(226, 226, 226),
                        far: C(36, 36, 42), near: C(5, 5, 6),
                        ground: C(22, 22, 24), groundDeep: C(5, 5, 5), water: C(16, 16, 22),
                        cloud: C(62, 62, 68), window: C(222, 220, 200), star: C(236, 236, 236), dark: true)
        case "white":
            return make(name, C(202, 212, 222), C(232, 236, 242), C(250, 250, 252),
                        sun: C(255, 250, 236), glow: C(255, 250, 240), moon: C(252, 252, 252),
                        far: C(202, 206, 216), near: C(152, 156, 166),
                        ground: C(236, 238, 242), groundDeep: C(212, 216, 224), water: C(192, 202, 216),
                        cloud: C(255, 255, 255), window: C(255, 238, 190))
        case "gray":
            return make(name, C(70, 74, 84), C(122, 126, 136), C(192, 194, 200),
                        sun: C(244, 244, 238), glow: C(204, 204, 204), moon: C(236, 236, 236),
                        far: C(112, 114, 122), near: C(46, 48, 54),
                        ground: C(102, 104, 106), groundDeep: C(60, 62, 66), water: C(82, 88, 98),
                        cloud: C(222, 222, 226))
        case "gold":
            return make(name, C(122, 80, 10), C(202, 150, 40), C(255, 226, 132),
                        sun: C(255, 250, 222), glow: C(255, 212, 92), moon: C(255, 244, 214),
                        far: C(172, 122, 42), near: C(82, 50, 10),
                        ground: C(162, 122, 42), groundDeep: C(92, 62, 16), water: C(142, 102, 32),
                        cloud: C(255, 236, 172))
        default:  // teal
            return make("teal", C(0, 70, 90), C(20, 140, 150), C(152, 232, 222),
                        sun: C(236, 255, 250), glow: C(152, 255, 240), moon: C(232, 255, 252),
                        far: C(42, 122, 132), near: C(5, 50, 60),
                        ground: C(20, 112, 112), groundDeep: C(5, 60, 66), water: C(10, 102, 122),
                        cloud: C(212, 250, 246))
        }
    }
}

// MARK: - Layout

/// A disc in pixel coordinates.
struct SketchDisc: Equatable {
    var x: Int, y: Int, radius: Int
}

/// Where the big things go for one scene at one size; shared by painting and tests.
struct SketchLayout: Equatable {
    var horizon: Int
    var sun: SketchDisc?
    var moon: SketchDisc?

    init(scene: SketchScene, width w: Int, height h: Int) {
        var rng = scene.random(0x1A70)
        let fraction: Double
        if scene.has(.sea) {
            fraction = rng.range(0.56, 0.66)
        } else if scene.has(.forest) {
            fraction = rng.range(0.50, 0.60)
        } else if scene.has(.mountains) || scene.has(.city) {
            fraction = rng.range(0.64, 0.74)
        } else {
            fraction = rng.range(0.70, 0.80)
        }
        horizon = min(h, max(0, Int(Double(h) * fraction)))
        let short = Double(min(w, h)), hz = Double(horizon)
        var sunX = -1.0
        if scene.has(.sun) {
            var r = scene.random(0x5011)
            let radius = max(1.0, short * r.range(0.065, 0.1))
            let x = Double(w) * r.range(0.2, 0.8)
            // A low sun sits on the sea or on open land; over mountains, towers or trees it stays clear of them.
            let tallLand = scene.has(.mountains) || scene.has(.city) || (scene.has(.forest) && !scene.has(.sea))
            let low = !tallLand && (["dusk", "dawn", "neon"].contains(scene.palette.name) || r.chance(0.5))
            var y = low ? hz - radius * r.range(0.3, 1.6) : hz * (tallLand ? r.range(0.2, 0.38) : r.range(0.3, 0.55))
            if !low { y = max(y, min(radius * 1.3, hz - 1)) }
            sun = SketchDisc(x: Int(x), y: Int(y), radius: Int(radius))
            sunX = x
        }
        if scene.has(.moon) {
            var r = scene.random(0x3004)
            let radius = max(1.0, short * r.range(0.05, 0.075))
            var x = Double(w) * r.range(0.15, 0.85)
            if sunX >= 0 {
                x = Double(w) * (sunX < Double(w) / 2 ? r.range(0.64, 0.86) : r.range(0.14, 0.36))
            }
            let y = max(hz * r.range(0.16, 0.42), min(radius * 1.4, hz - 1))
            moon = SketchDisc(x: Int(x), y: Int(y), radius: Int(radius))
        }
    }
}

// MARK: - Tables and noise

enum SketchTables {
    /// One period of sine in 1024 steps, scaled to ±4096 (Bhaskara's integer approximation: no libm).
    static let sine: [Int] = {
        var table = [Int](repeating: 0, count: 1024)
        for i in 0..<512 {
            let p = i * (512 - i)
            let v = 16 * p * 4096 / (5 * 512 * 512 - 4 * p)
            table[i] = v
            table[i + 512] = -v
        }
        return table
    }()

    /// Glow opacity (0...256) by squared distance: index = d² · 1023 / R².
    static let glow: [Int] = falloff(peak: 250, cubic: 0.82)
    /// A fainter, wider halo for the moon.
    static let halo: [Int] = falloff(peak: 110, cubic: 0.7)

    private static func falloff(peak: Double, cubic: Double) -> [Int] {
        (0..<1024).map { i in
            let u = (Double(i) / 1023).squareRoot()  // distance / radius
            let v = 1 - u
            return Int(peak * (cubic * v * v * v + (1 - cubic) * v))
        }
    }
}

enum SketchNoise {
    /// Fractal 1-D value noise per column, normalised to 0...1. `smooth` rounds the lattice
    /// joints (hills); without it the profile is piecewise linear (jagged ridges).
    static func profile(width: Int, period: Double, octaves: Int, persistence: Double, smooth: Bool,
                        rng: inout SketchRandom) -> [Double] {
        var out = [Double](repeating: 0, count: width)
        var amplitude = 1.0, p = max(1.5, period)
        for _ in 0..<octaves {
            let count = Int(Double(width) / p) + 3
            var lattice = [Double](repeating: 0, count: count)
            for i in 0..<count { lattice[i] = rng.unit() }
            let offset = rng.unit()
            for x in 0..<width {
                let fx = Double(x) / p + offset
                let i = Int(fx)
                var f = fx - Double(i)
                if smooth { f = f * f * (3 - 2 * f) }
                out[x] += (lattice[i] * (1 - f) + lattice[i + 1] * f) * amplitude
            }
            amplitude *= persistence
            p = max(1.5, p / 2)
        }
        guard let low = out.min(), let high = out.max(), high - low > 1e-9 else {
            return [Double](repeating: 0.5, count: width)
        }
        return out.map { ($0 - low) / (high - low) }
    }
}

// MARK: - Painter

/// Paints one scene into a caller-owned RGBA buffer (alpha pre-set to 255 and never touched).
struct SketchPainter {
    let scene: SketchScene
    let pal: SketchPalette
    let px: UnsafeMutablePointer<UInt8>
    let w: Int
    let h: Int
    let short: Int
    let layout: SketchLayout
    let horizon: Int
    /// Sky colour per row (rows at or below the horizon hold the horizon colour).
    let sky: [SketchColor]

    init(scene: SketchScene, pixels: UnsafeMutablePointer<UInt8>, width: Int, height: Int) {
        self.scene = scene
        pal = scene.palette
        px = pixels
        w = width
        h = height
        short = min(width, height)
        layout = SketchLayout(scene: scene, width: width, height: height)
        horizon = layout.horizon
        var sky = [SketchColor]()
        sky.reserveCapacity(height)
        let span = max(1, layout.horizon)
        for y in 0..<height {
            if y >= layout.horizon {
                sky.append(scene.palette.horizon)
            } else {
                let t = y * 1024 / span
                var c = t < 600 ? scene.palette.top.mixed(scene.palette.mid, t * 256 / 600)
                                : scene.palette.mid.mixed(scene.palette.horizon, (t - 600) * 256 / 424)
                if scene.has(.city), scene.palette.isDark, t > 640 {
                    c = c.mixed(scene.palette.window, (t - 640) * 52 / 384)  // city lights glow on the haze
                }
                sky.append(c)
            }
        }
        self.sky = sky
    }

    func paint() {
        paintSky()
        if !scene.has(.sea) {
            paintGround()
            if pal.name == "neon" { paintNeonGrid() }
        }
        paintClouds()
        paintStars()
        paintMoon()
        paintSun()
        if !scene.has(.sea), !scene.has(.mountains), !scene.has(.city), !scene.has(.forest) { paintHills() }
        paintMountains()
        paintCity()
        paintForest()
        paintSea()
        finish()
    }

    // MARK: Pixel helpers

    /// Murmur3's 32-bit finaliser: every input bit reaches every output bit.
    static func mix(_ value: UInt32) -> UInt32 {
        var h = value
        h ^= h >> 16
        h = h &* 0x85EB_CA6B
        h ^= h >> 13
        h = h &* 0xC2B2_AE35
        h ^= h >> 16
        return h
    }

    @inline(__always)
    private func blend(_ i: Int, _ c: SketchColor, _ a: Int) {
        let u = 256 - a
        px[i] = UInt8(truncatingIfNeeded: (Int(px[i]) * u + c.r * a) >> 8)
        px[i + 1] = UInt8(truncatingIfNeeded: (Int(px[i + 1]) * u + c.g * a) >> 8)
        px[i + 2] = UInt8(truncatingIfNeeded: (Int(px[i + 2]) * u + c.b * a) >> 8)
    }

    @inline(__always)
    private func set(_ i: Int, _ c: SketchColor) {
        px[i] = UInt8(truncatingIfNeeded: c.r)
        px[i + 1] = UInt8(truncatingIfNeeded: c.g)
        px[i + 2] = UInt8(truncatingIfNeeded: c.b)
    }

    /// Fills x0..<x1 × y0..<y1 (clipped) with `c`.
    private func fillRect(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: SketchColor) {
        let xa = max(0, x0), xb = min(w, x1), ya = max(0, y0), yb = min(h, y1)
        guard xa < xb, ya < yb else { return }
        let r = UInt8(truncatingIfNeeded: c.r), g = UInt8(truncatingIfNeeded: c.g), b = UInt8(truncatingIfNeeded: c.b)
        var y = ya
        while y < yb {
            var i = (y * w + xa) * 4
            let end = (y * w + xb) * 4
            while i < end { px[i] = r; px[i + 1] = g; px[i + 2] = b; i += 4 }
            y += 1
        }
    }

    /// Fills each column x from `top[x]` (8.8 fixed point, anti-aliased) down to `bottom[x]` (exclusive),
    /// coloured by row: `colours[y - firstRow]`, clamped at both ends.
    private func fillColumns(top: [Int], bottom: [Int], colours: [SketchColor], firstRow: Int) {
        guard !colours.isEmpty else { return }
        let last = colours.count - 1
        let stride = w * 4
        var x = 0
        while x < w {
            let t = top[x]
            let y0 = t >> 8
            let yEnd = min(h, bottom[x])
            if y0 < yEnd {
                var y = y0
                if y >= 0 {
                    let c = colours[min(last, max(0, y - firstRow))]
                    blend((y * w + x) * 4, c, 256 - (t & 255))
                }
                y = max(0, y + 1)
                var i = (y * w + x) * 4
                while y < yEnd {
                    set(i, colours[min(last, max(0, y - firstRow))])
                    i += stride
                    y += 1
                }
            }
            x += 1
        }
    }

    // MARK: Sky, ground, hills, clouds

    private func paintSky() {
        var y = 0
        while y < min(horizon, h) {
            fillRect(0, y, w, y + 1, sky[y])
            y += 1
        }
    }

    private func paintGround() {
        let depth = max(1, h - horizon)
        var rng = scene.random(0x6207)
        let spill = scene.has(.city) && pal.isDark ? 34 : 0  // street light under a night skyline
        var y = horizon
        while y < h {
            var c = pal.ground.mixed(pal.groundDeep, (y - horizon) * 256 / depth)
            if spill > 0 { c = c.mixed(pal.window, spill * max(0, 256 - (y - horizon) * 512 / depth) / 256) }
            // Faint furrows so the ground is not a flat card.
            if rng.chance(0.2) { c = c.mixed(pal.groundDeep, 18) }
            fillRect(0, y, w, y + 1, c)
            y += 1
        }
    }

    /// The synthwave floor: a glowing perspective grid converging on the horizon.
    private func paintNeonGrid() {
        guard horizon < h, h - horizon >= 4 else { return }
        let depth = h - horizon
        let line = pal.glow
        let spacing = max(4, w / 9)  // between vertical lines on the bottom row
        let z0 = depth * 5           // horizontal lines: one where depth·5/d crosses an integer
        let centre = w / 2
        var y = horizon
        while y < h {
            let d = y - horizon + 1
            let alpha = 40 + 200 * d / depth
            if ((z0 << 8) / d) >> 8 != ((z0 << 8) / (d + 1)) >> 8, d * d >= z0 * 3 {
                fillRow(y, line, alpha)
            }
            let step = spacing * d * 256 / depth  // 8.8 pixels between lines on this row
            if step >= 512 {
                // Lines fade out where they crowd together near the horizon.
                let lineAlpha = alpha * min(256, (step - 512) / 6) / 256
                var k = -(centre * 256 / step) - 1
                while true {
                    let xf = centre * 256 + k * step
                    let x = xf >> 8
                    if x >= w { break }
                    let frac = xf & 255
                    if x >= 0 { blend((y * w + x) * 4, line, lineAlpha * (256 - frac) / 256) }
                    if x + 1 >= 0, x + 1 < w { blend((y * w + x + 1) * 4, line, lineAlpha * frac / 256) }
                    k += 1
                }
            }
            y += 1
        }
    }

    private func fillRow(_ y: Int, _ c: SketchColor, _ a: Int) {
        var i = y * w * 4
        let end = i + w * 4
        while i < end { blend(i, c, a); i += 4 }
    }

    /// Gentle rolling hills, for pictures that asked for no landscape.
    private func paintHills() {
        guard horizon > 1, horizon < h else { return }
        var rng = scene.random(0x4111)
        let hz = Double(horizon)
        let layers: [(rise: Double, colour: SketchColor)] = [
            (hz * rng.range(0.08, 0.16), pal.ground.mixed(pal.horizon, 130)),
            (hz * rng.range(0.03, 0.08), pal.ground),
        ]
        for (index, layer) in layers.enumerated() {
            let noise = SketchNoise.profile(width: w, period: Double(w) * rng.range(0.45, 0.8), octaves: 3,
                                            persistence: 0.35, smooth: true, rng: &rng)
            var top = [Int](repeating: 0, count: w)
            var minTop = horizon
            for x in 0..<w {
                let rise = layer.rise * (0.25 + 0.75 * noise[x])
                top[x] = Int((hz - rise) * 256)
                minTop = min(minTop, top[x] >> 8)
            }
            let first = max(0, minTop)
            let rows = max(1, horizon - first + 1)
            var colours = [SketchColor]()
            colours.reserveCapacity(rows)
            for k in 0..<rows {
                // The far layer fades into the haze at its foot; the near one is lit from above.
                let t = k * 256 / rows
                colours.append(index == 0 ? layer.colour.mixed(pal.horizon, t / 3)
                                          : layer.colour.mixed(SketchColor.white, 20 - t * 20 / 256))
            }
            fillColumns(top: top, bottom: [Int](repeating: horizon, count: w), colours: colours, firstRow: first)
        }
    }

    private func paintClouds() {
        guard !pal.isDark, !scene.has(.stars), horizon > 6, w > 6 else { return }
        var rng = scene.random(0xC10D)
        let count = rng.int(1, 4) + (w > h ? 1 : 0)
        for _ in 0..<count {
            let cw = Double(w) * rng.range(0.16, 0.34)
            let ch = max(2.0, cw * rng.range(0.14, 0.22))
            let cx = Double(w) * rng.range(-0.05, 1.05)
            let cy = Double(horizon) * rng.range(0.12, 0.6)
            var blobs: [(x: Int, y: Int, rx: Int, ry: Int)] = [
                (Int(cx), Int(cy), max(1, Int(cw / 2)), max(1, Int(ch * 0.42))),
            ]
            let puffs = rng.int(3, 5)
            for k in 0..<puffs {
                let f = (Double(k) + rng.range(0.25, 0.75)) / Double(puffs) - 0.5
                let rx = max(1.0, cw * rng.range(0.12, 0.2))
                let ry = max(1.0, min(rx * rng.range(0.7, 0.95), ch * 0.9))
                blobs.append((Int(cx + f * cw * 0.72), Int(cy - ry * rng.range(0.15, 0.55)), Int(rx), Int(ry)))
            }
            var x0 = Int.max, x1 = Int.min, y0 = Int.max, y1 = Int.min
            for b in blobs {
                x0 = min(x0, b.x - b.rx); x1 = max(x1, b.x + b.rx + 1)
                y0 = min(y0, b.y - b.ry); y1 = max(y1, b.y + b.ry + 1)
            }
            x0 = max(0, x0); x1 = min(w, x1); y0 = max(0, y0); y1 = min(horizon, y1)
            guard x0 < x1, y0 < y1 else { continue }
            let bw = x1 - x0, bh = y1 - y0
            // Union of soft ellipses (max, not sum) so overlapping puffs don't show seams.
            var mask = [Int](repeating: 0, count: bw * bh)
            mask.withUnsafeMutableBufferPointer { m in
                for b in blobs {
                    let kx = (1 << 32) / (b.rx * b.rx), ky = (1 << 32) / (b.ry * b.ry)
                    var y = max(y0, b.y - b.ry)
                    while y < min(y1, b.y + b.ry + 1) {
                        let dy = y - b.y
                        let qy = dy * dy * ky
                        var x = max(x0, b.x - b.rx)
                        let xe = min(x1, b.x + b.rx + 1)
                        var j = (y - y0) * bw + (x - x0)
                        while x < xe {
                            let dx = x - b.x
                            let q = (dx * dx * kx + qy) >> 16  // 65536 == on the rim
                            if q < 65536 {
                                let a = min(256, (65536 - q) >> 7)
                                if a > m[j] { m[j] = a }
                            }
                            x += 1
                            j += 1
                        }
                        y += 1
                    }
                }
            }
            let lightC = pal.cloud
            let maxAlpha = 212
            var y = y0
            while y < y1 {
                // Lit tops, sky-tinted undersides.
                let t = (y - y0) * 256 / bh
                let c = lightC.mixed(lightC.mixed(sky[y], 150).scaled(236), t)
                var j = (y - y0) * bw
                var i = (y * w + x0) * 4
                var x = x0
                while x < x1 {
                    let a = mask[j]
                    if a > 0 { blend(i, c, (a * maxAlpha) >> 8) }
                    x += 1
                    j += 1
                    i += 4
                }
                y += 1
            }
        }
    }

    // MARK: Stars, moon, sun

    private func paintStars() {
        guard scene.has(.stars), horizon > 2 else { return }
        var rng = scene.random(0x57A5)
        let colour = scene.tints[.stars]?.mixed(SketchColor.white, 60) ?? pal.star
        let limit = max(1, horizon * 93 / 100)
        let count = max(4, Int(Double(w * limit) / 650 * rng.range(0.7, 1.2)))
        let arm = max(1, short / 260)
        for _ in 0..<count {
            let x = rng.int(0, w - 1), y = rng.int(0, limit - 1)
            let b = rng.unit()
            let fade = 1 - 0.7 * Double(y) / Double(limit)
            let a = Int(256 * (0.25 + 0.75 * b * b) * fade)
            blend((y * w + x) * 4, colour, a)
            if short >= 300, b > 0.55 {
                // A soft 2×2 core on big canvases.
                if x + 1 < w { blend((y * w + x + 1) * 4, colour, a / 2) }
                if y + 1 < h { blend(((y + 1) * w + x) * 4, colour, a / 2) }
            }
            if rng.chance(0.05) {
                // The odd bright star gets a twinkle cross.
                for k in 1...(arm * 2) {
                    let ak = a * (arm * 2 + 1 - k) / (arm * 2 + 1) / 2
                    if x - k >= 0 { blend((y * w + x - k) * 4, colour, ak) }
                    if x + k < w { blend((y * w + x + k) * 4, colour, ak) }
                    if y - k >= 0 { blend(((y - k) * w + x) * 4, colour, ak) }
                    if y + k < h { blend(((y + k) * w + x) * 4, colour, ak) }
                }
            }
        }
    }

    private func paintMoon() {
        guard let moon = layout.moon, horizon > 0 else { return }
        var rng = scene.random(0x300E)
        let colour = scene.tints[.moon]?.mixed(SketchColor.white, 110) ?? pal.moon
        let r = max(1, moon.radius)
        let r2 = r * r
        let rolled = rng.chance(0.65)
        let crescent = scene.fullMoon.map { !$0 } ?? rolled
        let side = rng.chance(0.5) ? 1 : -1
        let sx = moon.x + side * Int(Double(r) * rng.range(0.4, 0.75)), sy = moon.y - r / 6
        let sr = r + r / 20
        let sr2 = sr * sr
        var craters: [(x: Int, y: Int, r2: Int)] = []
        for _ in 0..<4 {
            let cr = max(1, Int(Double(r) * rng.range(0.1, 0.22)))
            craters.append((moon.x + Int(Double(r) * rng.range(-0.55, 0.55)),
                            moon.y + Int(Double(r) * rng.range(-0.55, 0.55)), cr * cr))
        }
        let g = r * 3
        let g2 = g * g
        let halo = SketchTables.halo
        var y = max(0, moon.y - g)
        while y < min(horizon, moon.y + g + 1) {
            let dy = y - moon.y
            let dark = sky[y].mixed(colour, 26)
            var x = max(0, moon.x - g)
            var i = (y * w + x) * 4
            while x < min(w, moon.x + g + 1) {
                let dx = x - moon.x
                let d2 = dx * dx + dy * dy
                if d2 < g2 {
                    blend(i, colour, halo[d2 * 1023 / g2])
                    if d2 < (r + 1) * (r + 1) {
                        let cover = min(256, max(0, 128 - (d2 - r2) * 128 / r))
                        var lit = colour.scaled(256 - d2 * 44 / max(1, r2))  // limb darkening
                        for c in craters {
                            let cx = x - c.x, cy = y - c.y
                            if cx * cx + cy * cy < c.r2 { lit = lit.scaled(228) }
                        }
                        var c = lit
                        if crescent {
                            let ex = x - sx, ey = y - sy
                            let shadow = min(256, max(0, 128 - (ex * ex + ey * ey - sr2) * 128 / sr))
                            c = lit.mixed(dark, shadow)
                        }
                        blend(i, c, cover)
                    }
                }
                x += 1
                i += 4
            }
            y += 1
        }
    }

    private func sunColours() -> (disc: SketchColor, glow: SketchColor) {
        if let tint = scene.tints[.sun] {
            let bright = tint.brightened
            return (bright.mixed(SketchColor.white, 40), bright)
        }
        return (pal.sun, pal.glow)
    }

    private func paintSun() {
        guard let sun = layout.sun, horizon > 0 else { return }
        let (discC, glowC) = sunColours()
        let lowerC = discC.mixed(glowC, 110)
        let r = max(1, sun.radius)
        let r2 = r * r, rim2 = (r + 1) * (r + 1)
        let g = r * 7 / 2
        let g2 = g * g
        let glow = SketchTables.glow
        let striped = pal.name == "neon" && r >= 6
        var y = max(0, sun.y - g)
        while y < min(horizon, sun.y + g + 1) {
            let dy = y - sun.y
            // Vertical gradient across the disc, and retro stripes across its lower half in neon.
            let discRow = discC.mixed(lowerC, min(256, max(0, (dy + r) * 128 / r)))
            var gap = false
            if striped, dy > 0 {
                for k in 1...5 {
                    let lineY = r * k / 6, thick = max(1, r * k / 26)
                    if dy >= lineY, dy < lineY + thick { gap = true }
                }
            }
            var x = max(0, sun.x - g)
            var i = (y * w + x) * 4
            while x < min(w, sun.x + g + 1) {
                let dx = x - sun.x
                let d2 = dx * dx + dy * dy
                if d2 < g2 {
                    blend(i, glowC, glow[d2 * 1023 / g2])
                    if d2 < rim2, !gap {
                        blend(i, discRow, min(256, max(0, 128 - (d2 - r2) * 128 / r)))
                    }
                }
                x += 1
                i += 4
            }
            y += 1
        }
    }

    // MARK: Mountains, city, forest

    private func paintMountains() {
        guard scene.has(.mountains), horizon > 2 else { return }
        var rng = scene.random(0x3007)
        let layers = short >= 48 ? rng.int(2, 4) : 2
        let tint = scene.tints[.mountains]
        let farBase = tint?.mixed(pal.horizon, 120) ?? pal.far
        let nearBase = tint?.scaled(110) ?? pal.near
        let hz = Double(horizon)
        let snowy = pal.name != "neon" && rng.chance(0.7)
        let bottom = [Int](repeating: horizon, count: w)
        for layer in 0..<layers {
            let d = Double(layer) / Double(layers - 1)  // 0 far … 1 near
            let maxRise = hz * (0.52 - 0.26 * d) * rng.range(0.85, 1.05)
            let minRise = maxRise * rng.range(0.12, 0.32)
            let noise = SketchNoise.profile(width: w, period: Double(w) * rng.range(0.28, 0.5), octaves: 6,
                                            persistence: 0.56, smooth: false, rng: &rng)
            var top = [Int](repeating: 0, count: w)
            var minTop = horizon
            for x in 0..<w {
                // Squaring sharpens the peaks and widens the valleys.
                let n = noise[x]
                top[x] = Int((hz - minRise - (maxRise - minRise) * (0.35 * n + 0.65 * n * n)) * 256)
                minTop = min(minTop, top[x] >> 8)
            }
            var colour = farBase.mixed(nearBase, Int(d * 256))
            if layer == 0 { colour = colour.mixed(pal.horizon, 50) }
            let first = max(0, minTop)
            let rows = max(1, horizon - first + 1)
            var colours = [SketchColor]()
            colours.reserveCapacity(rows)
            let mist = 96 - Int(56 * d)
            for k in 0..<rows { colours.append(colour.mixed(pal.horizon, k * mist / rows)) }
            fillColumns(top: top, bottom: bottom, colours: colours, firstRow: first)

            // Snow caps on the higher, farther ridges: brightest at the summits, with a ragged lower edge.
            guard snowy, layer < max(1, layers - 2) else { continue }
            let snowLine = hz - minRise - (maxRise - minRise) * 0.5
            let snow = SketchColor(250, 251, 255).mixed(pal.horizon, 60)
            let wobble = SketchNoise.profile(width: w, period: max(4, Double(w) * 0.05), octaves: 3,
                                             persistence: 0.5, smooth: true, rng: &rng)
            var capBottom = [Int](repeating: 0, count: w)
            for x in 0..<w {
                let topY = Double(top[x]) / 256
                let above = snowLine - topY
                capBottom[x] = above > 0 ? Int(topY + above * (0.3 + 0.55 * wobble[x])) + 1 : 0
            }
            let snowRows = max(1, Int(snowLine) - first + 1)
            var snowColours = [SketchColor]()
            snowColours.reserveCapacity(snowRows)
            for k in 0..<snowRows { snowColours.append(snow.mixed(colour, k * 90 / snowRows)) }
            fillColumns(top: top, bottom: capBottom, colours: snowColours, firstRow: first)
        }
    }

    private func paintCity() {
        guard scene.has(.city), horizon > 2 else { return }
        var rng = scene.random(0xC171)
        let front = scene.tints[.city]?.scaled(100) ?? pal.near
        let back = front.mixed(pal.horizon, 96)
        let hz = Double(horizon)
        let litShare = pal.isDark ? 52 : (pal.name == "dusk" || pal.name == "dawn" ? 38 : 20)
        let winW = max(1, short / 200), winH = max(1, short / 150)
        let salt = UInt32(truncatingIfNeeded: scene.layoutSeed)
        let scale = scene.has(.mountains) ? 0.7 : 1.0
        for row in 0..<2 {
            let colour = row == 0 ? back : front
            let unlit = pal.isDark ? colour : colour.mixed(pal.horizon, 34)
            var x = -Int(Double(w) * rng.range(0, 0.04))
            var building = 0
            while x < w {
                building += 1
                let bw = max(2, Int(Double(w) * rng.range(0.035, 0.08)))
                let rise = hz * scale * (row == 0 ? rng.range(0.2, 0.52) : rng.range(0.08, 0.34))
                let top = horizon - max(1, Int(rise))
                fillRect(x, top, x + bw, horizon, colour)
                var roof = top
                if bw >= 8, rng.chance(0.3) {
                    let inset = bw / 4, extra = max(1, Int(rise * rng.range(0.06, 0.16)))
                    fillRect(x + inset, top - extra, x + bw - inset, top, colour)
                    roof = top - extra
                }
                if rng.chance(0.22) {
                    let mastH = max(2, Int(rise * rng.range(0.1, 0.25)))
                    let mastX = x + bw / 2
                    fillRect(mastX, roof - mastH, mastX + max(1, short / 500), roof, colour)
                    if pal.isDark, roof - mastH >= 0, mastX >= 0, mastX < w {
                        set(((roof - mastH) * w + mastX) * 4, SketchColor(255, 60, 60))
                    }
                }
                // Windows: a grid of cells, each lit by a stable hash of its position.
                let pitchX = winW * 2 + (row == 0 ? 1 : 0), pitchY = winH * 2
                let margin = max(1, winW)
                var wy = top + margin
                var cellRow: UInt32 = 0
                while wy + winH < horizon - margin {
                    var wx = x + margin
                    var cellCol: UInt32 = 0
                    while wx + winW <= x + bw - margin {
                        var hash = salt ^ UInt32(row) ^ (UInt32(truncatingIfNeeded: building) &* 0x9E37_79B1)
                        hash = SketchPainter.mix(hash ^ (cellRow &* 0x85EB_CA77))
                        hash = SketchPainter.mix(hash ^ (cellCol &* 0xC2B2_AE3D))
                        let lit = Int(hash % 100) < (row == 0 ? litShare / 2 : litShare)
                        let c: SketchColor
                        if lit {
                            let glow = 180 + Int((hash >> 8) % 76)
                            c = pal.window.scaled(glow + 1).mixed(colour, row == 0 ? 110 : 0)
                        } else {
                            c = unlit
                        }
                        if lit || !pal.isDark { fillRect(wx, wy, wx + winW, wy + winH, c) }
                        wx += pitchX
                        cellCol += 1
                    }
                    wy += pitchY
                    cellRow += 1
                }
                x += bw + (rng.chance(0.3) ? rng.int(0, max(1, bw / 3)) : 0)
            }
        }
    }

    /// A conifer of `height` pixels whose trunk stands on (`cx`, `base`), lit on its left side.
    private func drawTree(cx: Int, base: Int, height: Int, width: Int, tiers: Int,
                          lit: SketchColor, shade: SketchColor) {
        let trunkH = max(1, height / 9)
        let trunkW = max(1, height / 24)
        let top = base - height
        let canopy = max(1, height - trunkH)
        let tierLen = max(1, canopy / tiers)
        let maxHW = max(128, width * 128)  // half width in 8.8
        fillRect(cx - trunkW / 2, base - trunkH - 1, cx - trunkW / 2 + trunkW, base, shade.scaled(170))
        let centre = cx * 256 + 128
        var y = max(0, top)
        while y < min(h, top + canopy) {
            let t = y - top
            let k = min(tiers - 1, t / tierLen)
            let f = min(256, (t - k * tierLen) * 256 / tierLen)
            let bottomHW = maxHW * (k + 1) / tiers
            let topHW = k == 0 ? 0 : bottomHW * 2 / 5
            let hw = topHW + (bottomHW - topHW) * f / 256
            let left = centre - hw, right = centre + hw
            var x = max(0, left >> 8)
            let xEnd = min(w - 1, right >> 8)
            var i = (y * w + x) * 4
            while x <= xEnd {
                let c = x * 256 + 128 < centre ? lit : shade
                // Anti-aliased edges: coverage of this pixel by [left, right).
                let cover = min(256, max(0, min(right, x * 256 + 256) - max(left, x * 256)))
                if cover >= 256 { set(i, c) } else if cover > 0 { blend(i, c, cover) }
                x += 1
                i += 4
            }
            y += 1
        }
    }

    private func paintForest() {
        guard scene.has(.forest), horizon > 1 else { return }
        var rng = scene.random(0xF0E5)
        let base = scene.tints[.forest]?.scaled(150) ?? pal.tree
        let haze = pal.far.mixed(pal.horizon, 90)  // distance fades trees towards the far hills' colour
        let hz = Double(horizon)
        var rows: [(base: Int, height: Double, haze: Int, density: Double)] = []
        if scene.has(.sea) {
            // A wooded far shore.
            let tall = hz * rng.range(0.07, 0.11)
            rows = [(horizon, tall * 0.75, 120, 0.16), (horizon, tall, 60, 0.2)]
        } else {
            let count = short >= 60 ? rng.int(3, 4) : 2
            let below = Double(h - horizon)
            for r in 0..<count {
                let f = Double(r) / Double(count - 1)
                rows.append((horizon + Int(below * (0.06 + 1.0 * f)),
                             Double(h) * (0.07 + 0.3 * f * f) * rng.range(0.85, 1.15),
                             Int(120 * (1 - f)), 0.15 + 0.13 * f))
            }
        }
        for row in rows {
            // Sunlit (or moonlit, in the dark palettes) on the left, shaded on the right.
            let lit = base.mixed(haze, row.haze).mixed(pal.isDark ? pal.moon : pal.glow, pal.isDark ? 30 : 24)
            let shade = base.mixed(haze, row.haze * 3 / 4).scaled(200)
            let spacing = max(1.5, row.height * row.density)
            var x = -rng.range(0, spacing)
            while x < Double(w) + spacing {
                let height = max(3, Int(row.height * rng.range(0.62, 1.18)))
                let jitter = Int(row.height * rng.range(-0.06, 0.06))
                drawTree(cx: Int(x), base: row.base + jitter, height: height,
                         width: max(1, Int(Double(height) * rng.range(0.22, 0.32))),
                         tiers: height >= 14 ? rng.int(3, 4) : 1, lit: lit, shade: shade)
                x += spacing * rng.range(0.55, 1.05)
            }
        }
    }

    // MARK: Sea

    private func paintSea() {
        guard scene.has(.sea), horizon < h else { return }
        var rng = scene.random(0x05EA)
        let depth = h - horizon
        let d0 = max(1.0, Double(depth) * 0.35)
        let bands = rng.range(16, 26)
        let c = bands / (1 / d0 - 1 / (Double(depth) + d0))
        let lambda0 = max(3.0, Double(w) * rng.range(0.16, 0.28))
        let phase1 = rng.int(0, 1023), phase2 = rng.int(0, 1023)
        let tint = scene.tints[.sea]
        let near = tint?.scaled(140) ?? pal.water
        let far = (tint ?? pal.water).mixed(pal.horizon, 140)
        let crestC = pal.horizon.mixed(SketchColor.white, 50)
        let sine = SketchTables.sine
        let amplitude = 190

        // Reflections of the sun (or moon) as a broken column of glints.
        var glint: (x: Int, r: Int, colour: SketchColor, alpha: Int)?
        if let sun = layout.sun {
            glint = (sun.x, max(1, sun.radius), sunColours().disc, 230)
        } else if let moon = layout.moon {
            glint = (moon.x, max(1, moon.radius), scene.tints[.moon]?.mixed(SketchColor.white, 110) ?? pal.moon, 150)
        }

        var y = max(0, horizon)
        while y < h {
            let d = Double(y - horizon + 1)
            let t = (y - horizon) * 256 / max(1, depth)
            let baseC = far.mixed(near, t)
            let altC = baseC.scaled(236)
            let thick = (d + d0) * (d + d0) / c  // band height in pixels on this row
            let contrast = min(256, max(0, Int((thick - 1) * 64)))
            let crest = baseC.mixed(crestC, contrast * 140 / 256)
            let alt = baseC.mixed(altC, contrast)
            let u = Int(c * 1024 / (d + d0))
            let lambda = lambda0 * (d + d0) / (Double(depth) + d0)
            let f1 = max(1, Int(1024 * 256 / lambda)), f2 = f1 * 19 / 10
            let p2 = phase2 + u / 20
            var x = 0
            var i = y * w * 4
            while x < w {
                let s = sine[((x * f1) >> 8 + phase1) & 1023] * 3 + sine[((x * f2) >> 8 + p2) & 1023]
                let v = u + s * amplitude / 16384
                let frac = v & 1023
                if frac < 170 { set(i, crest) } else if (v >> 10) & 1 == 1 { set(i, alt) } else { set(i, baseC) }
                x += 1
                i += 4
            }
            if let g = glint {
                let rowHash = UInt32(truncatingIfNeeded: y &* 0x9E37_79B1) ^ UInt32(truncatingIfNeeded: scene.layoutSeed)
                let jitter = Int((rowHash >> 7) % 100)
                let halfWidth = max(1, g.r * (70 + 160 * t / 256 + jitter / 2) / 100)
                let rowAlpha = g.alpha * (256 - t * 150 / 256) / 256
                var gx = max(0, g.x - halfWidth)
                while gx < min(w, g.x + halfWidth + 1) {
                    let s = sine[((gx * f1) >> 8 + phase1) & 1023] * 3 + sine[((gx * f2) >> 8 + p2) & 1023]
                    let v = u + s * amplitude / 16384
                    if v & 1023 < 480 {
                        let off = abs(gx - g.x)
                        blend((y * w + gx) * 4, g.colour, rowAlpha * (halfWidth - off) / halfWidth)
                    }
                    gx += 1
                }
            }
            y += 1
        }
    }

    // MARK: Finish

    /// Vignette and a faint film grain (which also hides gradient banding).
    private func finish() {
        let halfW = max(1, w / 2), halfH = max(1, h / 2)
        var vx = [Int](repeating: 0, count: w)
        for x in 0..<w { let d = x - halfW; vx[x] = d * d * 256 / (halfW * halfW) }
        let salt = UInt32(truncatingIfNeeded: scene.layoutSeed >> 32) | 1
        var y = 0
        while y < h {
            let dy = y - halfH
            let vy = dy * dy * 256 / (halfH * halfH)
            var x = 0
            var i = y * w * 4
            var hash = UInt32(truncatingIfNeeded: y) &* 0x85EB_CA77 ^ salt
            while x < w {
                hash = (hash ^ (hash >> 15)) &* 0x2C1B_3C6D
                hash ^= hash >> 13
                let grain = Int(hash >> 29) - 3
                let keep = 256 - (((vx[x] + vy) * 44) >> 9)
                px[i] = UInt8(min(255, max(0, ((Int(px[i]) * keep) >> 8) + grain)))
                px[i + 1] = UInt8(min(255, max(0, ((Int(px[i + 1]) * keep) >> 8) + grain)))
                px[i + 2] = UInt8(min(255, max(0, ((Int(px[i + 2]) * keep) >> 8) + grain)))
                hash = hash &+ 0x9E37_79B9
                x += 1
                i += 4
            }
            y += 1
        }
    }
}
