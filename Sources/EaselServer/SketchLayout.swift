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

    static func falloff(peak: Double, cubic: Double) -> [Int] {
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
