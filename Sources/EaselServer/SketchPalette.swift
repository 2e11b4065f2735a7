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

    /// The single colour each colour word stands for, used to tint an element ("a red sun").
    static let keys: [String: SketchColor] = [
        "red": C(235, 50, 40), "orange": C(255, 135, 30), "yellow": C(255, 220, 50), "green": C(60, 180, 80),
        "blue": C(45, 105, 230), "purple": C(145, 70, 210), "pink": C(255, 120, 185), "brown": C(135, 85, 45),
        "black": C(22, 22, 26), "white": C(246, 246, 246), "gray": C(145, 145, 150), "gold": C(245, 190, 50),
        "teal": C(25, 185, 185),
    ]

    /// The single colour a colour word stands for; teal for a word not in `keys`.
    static func key(_ colour: String) -> SketchColor { keys[colour] ?? keys["teal"]! }

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

    /// Every palette, by name: the moods, the colour words, and teal (the fallback for any other name).
    /// One row each: sky top, middle and horizon, then the named roles (`tree` defaults to `near`).
    static let table: [String: SketchPalette] = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0) })

    private static let rows: [SketchPalette] = [
        make("day", C(38, 96, 186), C(88, 152, 222), C(196, 224, 242),
             sun: C(255, 252, 228), glow: C(255, 244, 200), moon: C(240, 240, 232),
             far: C(120, 150, 186), near: C(48, 78, 82), tree: C(30, 86, 54),
             ground: C(96, 150, 72), groundDeep: C(48, 96, 46), water: C(28, 86, 150),
             cloud: C(255, 255, 255)),
        make("dawn", C(66, 96, 168), C(222, 158, 172), C(255, 214, 168),
             sun: C(255, 246, 214), glow: C(255, 204, 150), moon: C(250, 236, 228),
             far: C(150, 132, 170), near: C(62, 60, 92), tree: C(40, 68, 70),
             ground: C(112, 122, 92), groundDeep: C(58, 70, 58), water: C(86, 108, 162),
             cloud: C(255, 226, 214)),
        make("dusk", C(38, 28, 88), C(156, 62, 122), C(255, 152, 82),
             sun: C(255, 238, 190), glow: C(255, 150, 76), moon: C(255, 232, 214),
             far: C(124, 72, 122), near: C(42, 22, 52), tree: C(34, 22, 46),
             ground: C(72, 38, 62), groundDeep: C(34, 20, 40), water: C(62, 42, 96),
             cloud: C(255, 176, 150)),
        make("night", C(4, 7, 24), C(14, 24, 62), C(44, 64, 114),
             sun: C(255, 242, 206), glow: C(130, 150, 210), moon: C(238, 238, 222),
             far: C(34, 44, 76), near: C(9, 12, 26), tree: C(6, 14, 20),
             ground: C(28, 36, 62), groundDeep: C(9, 12, 24), water: C(12, 24, 52),
             cloud: C(62, 72, 104), window: C(255, 206, 108), dark: true),
        make("pastel", C(150, 182, 232), C(222, 192, 232), C(255, 224, 214),
             sun: C(255, 250, 232), glow: C(255, 232, 204), moon: C(255, 250, 240),
             far: C(184, 172, 214), near: C(132, 146, 190), tree: C(120, 170, 150),
             ground: C(184, 222, 190), groundDeep: C(148, 192, 172), water: C(148, 198, 224),
             cloud: C(255, 246, 250)),
        make("neon", C(16, 0, 38), C(112, 0, 136), C(255, 46, 160),
             sun: C(255, 232, 80), glow: C(255, 60, 196), moon: C(220, 255, 255),
             far: C(84, 0, 124), near: C(16, 0, 34),
             ground: C(32, 0, 62), groundDeep: C(10, 0, 26), water: C(30, 0, 84),
             cloud: C(255, 84, 200), window: C(0, 250, 240), star: C(120, 255, 255), dark: true),
        make("red", C(88, 8, 16), C(182, 38, 36), C(255, 142, 112),
             sun: C(255, 234, 206), glow: C(255, 124, 92), moon: C(255, 224, 214),
             far: C(152, 52, 52), near: C(62, 10, 16),
             ground: C(124, 32, 32), groundDeep: C(62, 10, 16), water: C(112, 20, 32),
             cloud: C(255, 192, 180)),
        make("orange", C(150, 58, 18), C(232, 120, 40), C(255, 204, 124),
             sun: C(255, 246, 214), glow: C(255, 184, 92), moon: C(255, 240, 220),
             far: C(172, 92, 52), near: C(72, 30, 14),
             ground: C(152, 82, 32), groundDeep: C(82, 40, 16), water: C(124, 62, 32),
             cloud: C(255, 222, 184)),
        make("yellow", C(196, 154, 26), C(240, 208, 70), C(255, 246, 176),
             sun: C(255, 255, 236), glow: C(255, 242, 150), moon: C(255, 252, 230),
             far: C(192, 160, 72), near: C(104, 82, 22),
             ground: C(174, 144, 42), groundDeep: C(112, 90, 22), water: C(152, 132, 52),
             cloud: C(255, 250, 222)),
        make("green", C(18, 68, 48), C(62, 140, 92), C(184, 230, 172),
             sun: C(242, 255, 224), glow: C(204, 255, 172), moon: C(236, 255, 236),
             far: C(72, 132, 92), near: C(16, 50, 26),
             ground: C(52, 122, 52), groundDeep: C(20, 70, 26), water: C(30, 92, 82),
             cloud: C(222, 255, 222)),
        make("blue", C(10, 30, 108), C(40, 92, 192), C(152, 202, 250),
             sun: C(242, 250, 255), glow: C(172, 212, 255), moon: C(232, 242, 255),
             far: C(62, 102, 172), near: C(10, 30, 72),
             ground: C(30, 72, 132), groundDeep: C(10, 30, 82), water: C(20, 62, 152),
             cloud: C(222, 236, 255)),
        make("purple", C(40, 10, 72), C(102, 40, 152), C(202, 152, 232),
             sun: C(250, 232, 255), glow: C(212, 152, 255), moon: C(244, 232, 255),
             far: C(102, 62, 142), near: C(34, 14, 56),
             ground: C(82, 40, 112), groundDeep: C(40, 14, 62), water: C(72, 40, 122),
             cloud: C(232, 202, 250)),
        make("pink", C(196, 76, 138), C(240, 142, 190), C(255, 212, 230),
             sun: C(255, 246, 250), glow: C(255, 192, 222), moon: C(255, 240, 246),
             far: C(202, 122, 162), near: C(122, 40, 82),
             ground: C(212, 122, 162), groundDeep: C(152, 62, 112), water: C(192, 102, 152),
             cloud: C(255, 232, 242)),
        make("brown", C(82, 50, 30), C(142, 96, 60), C(212, 172, 122),
             sun: C(255, 234, 184), glow: C(232, 182, 122), moon: C(246, 226, 196),
             far: C(132, 96, 66), near: C(56, 36, 20),
             ground: C(112, 76, 46), groundDeep: C(62, 40, 24), water: C(92, 72, 52),
             cloud: C(232, 202, 162)),
        make("black", C(0, 0, 0), C(14, 14, 18), C(52, 52, 60),
             sun: C(242, 242, 242), glow: C(112, 112, 122), moon: C(226, 226, 226),
             far: C(36, 36, 42), near: C(5, 5, 6),
             ground: C(22, 22, 24), groundDeep: C(5, 5, 5), water: C(16, 16, 22),
             cloud: C(62, 62, 68), window: C(222, 220, 200), star: C(236, 236, 236), dark: true),
        make("white", C(202, 212, 222), C(232, 236, 242), C(250, 250, 252),
             sun: C(255, 250, 236), glow: C(255, 250, 240), moon: C(252, 252, 252),
             far: C(202, 206, 216), near: C(152, 156, 166),
             ground: C(236, 238, 242), groundDeep: C(212, 216, 224), water: C(192, 202, 216),
             cloud: C(255, 255, 255), window: C(255, 238, 190)),
        make("gray", C(70, 74, 84), C(122, 126, 136), C(192, 194, 200),
             sun: C(244, 244, 238), glow: C(204, 204, 204), moon: C(236, 236, 236),
             far: C(112, 114, 122), near: C(46, 48, 54),
             ground: C(102, 104, 106), groundDeep: C(60, 62, 66), water: C(82, 88, 98),
             cloud: C(222, 222, 226)),
        make("gold", C(122, 80, 10), C(202, 150, 40), C(255, 226, 132),
             sun: C(255, 250, 222), glow: C(255, 212, 92), moon: C(255, 244, 214),
             far: C(172, 122, 42), near: C(82, 50, 10),
             ground: C(162, 122, 42), groundDeep: C(92, 62, 16), water: C(142, 102, 32),
             cloud: C(255, 236, 172)),
        make("teal", C(0, 70, 90), C(20, 140, 150), C(152, 232, 222),
             sun: C(236, 255, 250), glow: C(152, 255, 240), moon: C(232, 255, 252),
             far: C(42, 122, 132), near: C(5, 50, 60),
             ground: C(20, 112, 112), groundDeep: C(5, 60, 66), water: C(10, 102, 122),
             cloud: C(212, 250, 246)),
    ]

    /// The palette called `name`; teal for a name not in `table`.
    static func named(_ name: String) -> SketchPalette { table[name] ?? table["teal"]! }
}
