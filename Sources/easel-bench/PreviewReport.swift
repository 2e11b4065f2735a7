import EaselImaging
import Foundation

/// Renders the `## Preview pipeline` section of BENCHMARKS.md (also printed to stdout).
struct PreviewReport {
    static let title = "Preview pipeline"
    /// The results table's header row (the smoke test looks for it).
    static let tableHeader = "| Image | Tool | Output px | Median ms (min–max) | Bytes | Time ÷ img2sixel | Bytes ÷ img2sixel | Goal | Met |"

    let results: PreviewResults
    let machine: MachineInfo

    private var config: PreviewConfig { results.config }
    private var boxText: String { "\(config.box.width)×\(config.box.height) px" }
    private var cellsText: String {
        "\(config.columns)×\(config.rows) cells of \(config.cell.width)×\(config.cell.height) px"
    }

    var markdown: String {
        var s = "## \(Self.title)\n\n"
        s += "From an image file to the sixel bytes the preview pane writes, at a fixed box of \(boxText) "
        s += "(\(cellsText)); \(config.runs) timed run\(config.runs == 1 ? "" : "s") after one untimed warm-up; "
        s += "\(machine.build).\n\n"
        s += method + "\n" + table + "\n" + stages + "\n" + missedGoals
        if !results.failures.isEmpty {
            s += "\n### Failures\n\n" + results.failures.map { "- \($0)\n" }.joined()
        }
        return s
    }

    // MARK: Method

    private var method: String {
        var s = "### Method\n\n"
        s += "- **Images**, written to a temporary directory: \(Fixtures.recipe) The WebP is the large image "
        s += "through `ImageCodec.encodeWebP` (lossy, quality \(Int(Fixtures.webpQuality))).\n"
        for r in results.images {
            s += "  - \(r.image.label): \(r.image.width)×\(r.image.height), \(group(r.image.fileBytes)) bytes, "
            s += "\(group(r.image.distinctColors)) distinct colours"
            s += r.image.format == .webp ? " (in the pixels it was encoded from)\n" : "\n"
        }
        s += "- **Easel**, in process: read the file (`read(2)`) → `ImageCodec.decode` → "
        s += "`Sixel().encode(_:fitting: \(config.box.width)×\(config.box.height), cell: \(config.cell.width)×\(config.cell.height))` "
        s += "with `Sixel`'s defaults (256 colours, `SIXEL_ENCODEPOLICY_SIZE`). This is the body of `ImagePresenter`'s "
        s += "background encode; the bytes stay in memory.\n"
        s += "- **img2sixel**: `img2sixel -w W -h H -E size FILE > out`, W×H = the picture fitted to the whole box (every "
        s += "image here is square, so the full box; Easel may make a noise-like picture smaller and use fewer colours "
        s += "to stay under the 1 MiB cap, img2sixel has no cap), started with `posix_spawnp`, stdout to a file, timed from spawn to "
        s += "`waitpid`. So its figure includes process start-up; the *spawn floor* (`/bin/true` the same way) "
        s += "is in the stage table.\n"
        s += "- **chafa**: `chafa -f sixels -s \(config.columns)x\(config.rows) FILE > out`, cells = the box ÷ a "
        s += "\(config.cell.width)×\(config.cell.height) px cell. "
        if results.chafaSawCellSize {
            s += "Its stdin is a pty whose `TIOCGWINSZ` reports \(boxText) for \(config.columns)×\(config.rows) cells, "
            s += "so chafa knows the cell is \(config.cell.width)×\(config.cell.height) px and fits the same box "
            s += "(with stdout a file and no such tty, chafa 1.12 assumes its own cell size). "
        } else {
            s += "No pty could be opened, so chafa guessed the cell size: compare its output size. "
        }
        s += "chafa uses every core by default; its time is a reference, with no goal.\n"
        s += "- **Timing**: every run measures each image with every tool, rotating the order each run and image "
        s += "so that drift and noise from other work on the machine hit all tools alike. Figures are medians over "
        s += "the runs, with min–max. *Time ÷ img2sixel* pairs Easel (or chafa) with img2sixel within each run and "
        s += "takes the median of those per-run ratios. Bytes are the same in every run.\n"
        s += "- **Cache hit**: a real `ImagePresenter` (graphics `Sixel()`, cell \(config.cell.width)×\(config.cell.height), "
        s += "a `wake` that counts calls) asked for the large PNG in a \(config.columns)×\(config.rows)-cell rect "
        s += "(box \(boxText)). The first `status(for:)` misses and queues the encode; once `wake` fires and "
        s += "`status(for:)` answers `.ready`, \(max(config.runs, 7)) batches of \(config.cacheBatch) further calls "
        s += "are timed (median per call). No re-encode = `wake` fired exactly once (also after a grace period), "
        s += "every call answered the same `.ready`, and a hit is at least 100× cheaper than the encode.\n"
        return s
    }

    // MARK: Results table

    private var table: String {
        var s = "### Results\n\n" + Self.tableHeader + "\n|---|---|---|---:|---:|---:|---:|---|---|\n"
        let goal = "time ≤ 1.0× and bytes ≤ img2sixel's"
        for r in results.images {
            let label = r.image.label
            let ratios = r.timeRatios.median
            let byteRatio = r.byteRatio
            var met = "n/a (no img2sixel)"
            if let ratios, let byteRatio {
                met = [ratios <= 1.0 ? "✓ time" : "✗ time", byteRatio <= 1.0 ? "✓ bytes" : "✗ bytes"].joined(separator: ", ")
            }
            s += row(label, "Easel", r.easel, ratio(ratios), byteRatio.map(ratio) ?? "n/a", goal, met)
            s += row(label, "img2sixel", r.img2sixel, r.img2sixel.unavailable == nil ? "1.00×" : "n/a",
                     r.img2sixel.unavailable == nil ? "1.00×" : "n/a", "baseline", "")
            let chafaRatio = r.img2sixel.unavailable == nil && r.chafa.times.count == r.img2sixel.times.count
                ? zip(r.chafa.times, r.img2sixel.times).map { $0 / $1 }.median : nil
            let chafaBytes = r.chafa.bytes.flatMap { c in r.img2sixel.bytes.map { Double(c) / Double($0) } }
            s += row(label, "chafa", r.chafa, ratio(chafaRatio),
                     r.img2sixel.unavailable == nil ? (chafaBytes.map(ratio) ?? "n/a") : "n/a", "reference", "")
        }
        if let c = results.cache {
            s += "| \(c.label), cached (\(c.box.width)×\(c.box.height)) | `ImagePresenter.status(for:)` | — | "
            s += String(format: "%.3f µs per call (%.3f–%.3f)", c.hitMedian * 1e6,
                        (c.hitSamples.min() ?? .nan) * 1e6, (c.hitSamples.max() ?? .nan) * 1e6)
            s += " | — | — | — | no re-encode | \(c.noReencode ? "✓" : "✗") \(c.verdict) |\n"
        }
        for r in results.images {
            for (tool, f) in [("Easel", r.easel), ("img2sixel", r.img2sixel), ("chafa", r.chafa)] {
                if let why = f.unavailable { s += "\n\(tool) on \(r.image.label): n/a: \(why)\n" }
            }
        }
        return s
    }

    private func row(_ image: String, _ tool: String, _ f: Figures, _ time: String, _ bytes: String,
                     _ goal: String, _ met: String) -> String {
        let px = f.pixels?.description ?? "—"
        let median = f.unavailable != nil ? "n/a" : rangeText(f.times)
        let b = f.unavailable != nil ? "n/a" : (f.bytes.map(group) ?? "—")
        return "| \(image) | \(tool) | \(px) | \(median) | \(b) | \(time) | \(bytes) | \(goal) | \(met) |\n"
    }

    // MARK: Stage table

    private var stages: String {
        var s = "### Where Easel's time goes (medians, ms)\n\n"
        s += "*Sixel.encode at target size* encodes the same picture already scaled to the output size (box-filtered "
        s += "beforehand, untimed), so it is the palette + dither + sixel output share; the difference to the full "
        s += "`Sixel.encode` is the per-pixel work at the source size (RGBA → RGB, scaling).\n\n"
        s += "| Image | read + decode | Sixel.encode | of which at target size | of which convert + scale | Easel total | img2sixel total | spawn floor |\n"
        s += "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        let floor = ms(results.spawnFloor.median)
        for r in results.images {
            let e = r.encode.median, t = r.encodeOnly.median
            let diff = e.flatMap { e in t.map { e - $0 } }
            let diffText = diff.map { $0 > 0 ? ms($0) : "≈0 (noise)" } ?? "n/a"
            s += "| \(r.image.label) | \(ms(r.decode.median)) | \(ms(e)) | \(ms(t)) | \(diffText) | "
            s += "\(ms(r.easel.times.median)) | \(r.img2sixel.unavailable == nil ? ms(r.img2sixel.times.median) : "n/a") | \(floor) |\n"
        }
        if let c = results.cache {
            s += String(format: "\nCache: a miss (`status(for:)` inserting `.encoding` and queueing the encode) cost "
                        + "%.1f µs on the calling thread the first time in the process and %.1f µs later (a second "
                        + "presenter); the background read + decode + encode took %.1f ms until `wake`; a hit costs "
                        + "%.3f µs.\n", c.missCall * 1e6, c.laterMissCall * 1e6, c.coldEncode * 1e3, c.hitMedian * 1e6)
        }
        return s
    }

    // MARK: Missed goals

    private var missedGoals: String {
        var lines: [String] = []
        for r in results.images {
            guard r.img2sixel.unavailable == nil, let ratio = r.timeRatios.median, let byteRatio = r.byteRatio,
                  let easel = r.easel.times.median, let img = r.img2sixel.times.median else {
                if let why = r.img2sixel.unavailable {
                    lines.append("**\(r.image.label)**: goals not measurable — \(why). Easel takes \(ms(r.easel.times.median)) ms"
                                 + (r.chafa.unavailable == nil ? "; chafa, which reads it, \(ms(r.chafa.times.median)) ms." : "."))
                }
                continue
            }
            if ratio > 1.0 { lines.append(timeMiss(r, ratio: ratio, easel: easel, img2sixel: img)) }
            if byteRatio > 1.0 {
                lines.append("**\(r.image.label)**, bytes: Easel writes \(group(r.easel.bytes ?? 0)) bytes, "
                             + String(format: "%.1f%%", (byteRatio - 1) * 100) + " more than img2sixel's "
                             + "\(group(r.img2sixel.bytes ?? 0)) for the same box (Easel at \(r.fitted), img2sixel at \(r.boxFitted), 256 colours, encode "
                             + "policy (size). Both run libsixel's quantizer and sixel encoder, so the extra bytes come from "
                             + "the pixels handed to them (the scaling filter decides how much fine detail and noise "
                             + "survive, which error diffusion and run-length coding pay for) and from output options "
                             + "img2sixel sets differently (palette optimisation, `!` repeat-count limit).")
            }
        }
        if let c = results.cache, !c.noReencode {
            lines.append("**Cache hit**: \(c.verdict).")
        }
        var s = "### Missed goals and why\n\n"
        if lines.isEmpty {
            s += "None: every measurable goal was met in this run.\n"
        } else {
            s += lines.map { "- \($0)\n" }.joined()
        }
        return s
    }

    private func timeMiss(_ r: ImageResult, ratio: Double, easel: Double, img2sixel: Double) -> String {
        let decode = r.decode.median ?? 0, encode = r.encode.median ?? 0, target = r.encodeOnly.median ?? 0
        let convert = max(0, encode - target), floor = results.spawnFloor.median ?? 0
        let stages = [("read + decode", decode), ("RGBA → RGB + scaling at the source size", convert),
                      ("palette + dither + sixel output at the target size", target)]
        let top = stages.max { $0.1 < $1.1 }!
        var s = "**\(r.image.label)**, time: Easel takes " + String(format: "%.2f×", ratio)
        s += " img2sixel's time (medians \(ms(easel)) ms vs \(ms(img2sixel)) ms; img2sixel's figure even includes "
        s += "\(ms(floor)) ms of process start). Easel's stages: read + decode \(ms(decode)) ms, RGBA → RGB + scaling "
        s += "\(r.image.width)×\(r.image.height) → \(r.fitted) \(ms(convert)) ms, palette + dither + output "
        s += "\(ms(target)) ms. The largest is \(top.0)"
        s += String(format: " (%.0f%% of Easel's time)", top.1 / max(easel, 1e-9) * 100)
        s += "; reaching 1.0× means cutting \(ms(max(0, easel - img2sixel))) ms."
        let imgRest = img2sixel - floor - target
        if top.0 == stages[1].0 && convert > imgRest {
            s += " Taking away its process start and the palette + dither + output step (the same libsixel code "
            s += "in both), img2sixel decodes *and* scales in about \(ms(max(0, imgRest))) ms: "
            s += "less than Easel's scaling step alone, so the scaling filter `Sixel.encode` uses is what to change "
            s += "(img2sixel's default is libsixel's bilinear)."
        }
        return s
    }

    // MARK: Formatting

    private func rangeText(_ times: [Double]) -> String {
        guard let m = times.median, let lo = times.min(), let hi = times.max() else { return "—" }
        return times.count == 1 ? ms(m) : "\(ms(m)) (\(ms(lo))–\(ms(hi)))"
    }

    private func ms(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "n/a" }
        return String(format: seconds < 0.01 ? "%.2f" : "%.1f", seconds * 1e3)
    }

    private func ratio(_ r: Double?) -> String {
        guard let r, r.isFinite else { return "n/a" }
        return String(format: "%.2f×", r)
    }

    private func group(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }
}
