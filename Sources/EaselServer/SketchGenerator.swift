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
