extension SketchPainter {
    // MARK: Stars, moon, sun

    func paintStars() {
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

    func paintMoon() {
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

    func sunColours() -> (disc: SketchColor, glow: SketchColor) {
        if let tint = scene.tints[.sun] {
            let bright = tint.brightened
            return (bright.mixed(SketchColor.white, 40), bright)
        }
        return (pal.sun, pal.glow)
    }

    func paintSun() {
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
}
