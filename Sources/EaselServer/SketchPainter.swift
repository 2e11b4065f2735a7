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
    func blend(_ i: Int, _ c: SketchColor, _ a: Int) {
        let u = 256 - a
        px[i] = UInt8(truncatingIfNeeded: (Int(px[i]) * u + c.r * a) >> 8)
        px[i + 1] = UInt8(truncatingIfNeeded: (Int(px[i + 1]) * u + c.g * a) >> 8)
        px[i + 2] = UInt8(truncatingIfNeeded: (Int(px[i + 2]) * u + c.b * a) >> 8)
    }

    @inline(__always)
    func set(_ i: Int, _ c: SketchColor) {
        px[i] = UInt8(truncatingIfNeeded: c.r)
        px[i + 1] = UInt8(truncatingIfNeeded: c.g)
        px[i + 2] = UInt8(truncatingIfNeeded: c.b)
    }

    /// Fills x0..<x1 × y0..<y1 (clipped) with `c`.
    func fillRect(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: SketchColor) {
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
    func fillColumns(top: [Int], bottom: [Int], colours: [SketchColor], firstRow: Int) {
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

    func paintSky() {
        var y = 0
        while y < min(horizon, h) {
            fillRect(0, y, w, y + 1, sky[y])
            y += 1
        }
    }

    func paintGround() {
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
    func paintNeonGrid() {
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

    func fillRow(_ y: Int, _ c: SketchColor, _ a: Int) {
        var i = y * w * 4
        let end = i + w * 4
        while i < end { blend(i, c, a); i += 4 }
    }

    /// Gentle rolling hills, for pictures that asked for no landscape.
    func paintHills() {
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

    func paintClouds() {
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
}
