extension SketchPainter {
    // MARK: Mountains, city, forest

    func paintMountains() {
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

    func paintCity() {
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
    func drawTree(cx: Int, base: Int, height: Int, width: Int, tiers: Int,
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

    func paintForest() {
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
}
