extension SketchPainter {
    // MARK: Sea

    func paintSea() {
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
    func finish() {
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
