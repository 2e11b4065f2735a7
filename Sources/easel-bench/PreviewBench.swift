import EaselImaging
import EaselTerminal
import Foundation

/// Sizes and counts for one preview-pipeline run.
struct PreviewConfig {
    /// The pixel box every image is fitted into (the preview pane's cells × the cell size).
    var box: PixelSize
    /// One terminal cell in pixels (the probe's fallback, 10×20).
    var cell: PixelSize
    var runs: Int
    var largeSide: Int
    var smallSide: Int
    /// `status(for:)` calls per timed cache-hit sample.
    var cacheBatch: Int

    var columns: Int { box.width / cell.width }
    var rows: Int { box.height / cell.height }

    static let full = PreviewConfig(box: PixelSize(width: 480, height: 480), cell: PixelSize(width: 10, height: 20),
                                    runs: 7, largeSide: 1024, smallSide: 512, cacheBatch: 1000)
    static let smoke = PreviewConfig(box: PixelSize(width: 60, height: 60), cell: PixelSize(width: 10, height: 20),
                                     runs: 1, largeSide: 96, smallSide: 64, cacheBatch: 100)
}

/// What one tool produced for one image over all runs.
struct Figures {
    /// Seconds, one per timed run.
    var times: [Double] = []
    var bytes: Int?
    /// The size the output's sixel raster attributes declare.
    var pixels: PixelBox?
    /// Why there is no figure ("n/a" in the table); not a failure.
    var unavailable: String?
}

/// Every figure for one image.
struct ImageResult {
    let image: BenchImage
    var fitted = PixelBox(width: 0, height: 0)
    /// The size the whole box allows (what img2sixel is asked for); larger than `fitted` when Easel had to
    /// make the picture smaller for the 1 MiB cap.
    var boxFitted = PixelBox(width: 0, height: 0)
    var easel = Figures()
    var img2sixel = Figures()
    var chafa = Figures()
    /// Easel's stages per run: read + `ImageCodec.decode`, then `Sixel.encode` (convert, scale, quantize, emit).
    var decode: [Double] = []
    var encode: [Double] = []
    /// `Sixel.encode` of the same picture already scaled to `fitted` (box-filtered, untimed): the
    /// quantize + emit share of `encode`.
    var encodeOnly: [Double] = []

    /// Easel ÷ img2sixel, paired run by run.
    var timeRatios: [Double] {
        guard img2sixel.unavailable == nil, img2sixel.times.count == easel.times.count else { return [] }
        return zip(easel.times, img2sixel.times).map { $0 / $1 }
    }

    var byteRatio: Double? {
        guard let e = easel.bytes, let i = img2sixel.bytes, img2sixel.unavailable == nil, i > 0 else { return nil }
        return Double(e) / Double(i)
    }
}

struct PreviewResults {
    let config: PreviewConfig
    var images: [ImageResult] = []
    /// `posix_spawnp("/bin/true")` + `waitpid`: the process overhead inside every img2sixel/chafa figure.
    var spawnFloor: [Double] = []
    var cache: CacheResult?
    /// Errors (the bench exits non-zero when there are any).
    var failures: [String] = []
    /// Whether chafa was given a pty reporting the cell size.
    var chafaSawCellSize = false
}

/// Easel's decode + scale + sixel encode against img2sixel and chafa at one pixel box, interleaved run by run.
final class PreviewBench {
    let config: PreviewConfig
    let dir: String
    private let img2sixel = Subprocess.which("img2sixel")
    private let chafa = Subprocess.which("chafa")
    private let pty: PseudoTerminal?
    private var prescaled: [String: RGBAImage] = [:]

    init(config: PreviewConfig, dir: String) {
        self.config = config
        self.dir = dir
        pty = PseudoTerminal(columns: config.columns, rows: config.rows,
                             pixels: PixelBox(width: config.box.width, height: config.box.height))
    }

    private enum Step: CaseIterable { case easel, encodeOnly, img2sixel, chafa, spawnFloor }

    func run(images: [BenchImage]) -> PreviewResults {
        var results = PreviewResults(config: config)
        results.chafaSawCellSize = pty != nil
        results.images = images.map { ImageResult(image: $0) }
        // Warm-up (untimed): page cache, dynamic linking, lazy library set-up; also checks every output.
        var measurable: [Int] = []
        for i in results.images.indices {
            do {
                results.failures += try warmUp(&results.images[i]).map { "\(results.images[i].image.label): \($0)" }
                measurable.append(i)
            } catch {
                results.failures.append("\(results.images[i].image.label): \(error)")
            }
        }
        let steps = Step.allCases
        for run in 0..<config.runs {
            for i in measurable {
                // Rotate the order every run and image, so drift and noise hit every tool alike.
                let start = (run + i) % steps.count
                for step in steps[start...] + steps[..<start] {
                    do {
                        try measure(step, &results.images[i], spawnFloor: &results.spawnFloor)
                    } catch {
                        results.failures.append("\(results.images[i].image.label), run \(run + 1): \(error)")
                    }
                }
            }
        }
        let cacheImage = images[0]
        do {
            results.cache = try CacheBench(config: config).run(path: cacheImage.path, label: cacheImage.label)
            if let c = results.cache, !c.noReencode { results.failures.append("cache hit: \(c.verdict)") }
        } catch {
            results.failures.append("cache hit: \(error)")
        }
        return results
    }

    /// Checks Easel and both tools once on `r`. Throws when Easel fails (the image is then skipped);
    /// returns the external tools' failures, whose rows become n/a while the others are still measured.
    private func warmUp(_ r: inout ImageResult) throws -> [String] {
        var failures: [String] = []
        let first = try easelOnce(r.image.path)
        r.fitted = PixelBox(width: first.encoded.pixels.width, height: first.encoded.pixels.height)
        let whole = fittedSize(width: r.image.width, height: r.image.height, in: config.box)
        r.boxFitted = PixelBox(width: whole.width, height: whole.height)
        r.easel.bytes = first.encoded.bytes.count
        r.easel.pixels = sixelRasterSize(first.encoded.bytes)
        guard r.easel.pixels == r.fitted else {
            throw BenchError("Easel's sixel declares \(r.easel.pixels?.description ?? "no size"), expected \(r.fitted)")
        }
        let decoded: RGBAImage
        do { decoded = try ImageCodec.decode(try readFile(r.image.path)) } catch let e as ImageError { throw BenchError(e.message) }
        prescaled[r.image.path] = Fixtures.downscale(decoded, to: r.fitted)
        _ = try encodeOnlyOnce(r.image.path)

        if img2sixel == nil { r.img2sixel.unavailable = "img2sixel not installed (apt-get install libsixel-bin)" }
        if chafa == nil { r.chafa.unavailable = "chafa not installed (apt-get install chafa)" }
        for tool in [Step.img2sixel, .chafa] {
            guard let (argv, stdinFD) = command(tool, r) else { continue }
            do {
                try checkTool(tool, argv: argv, stdinFD: stdinFD, &r)
            } catch {
                failures.append("\(error)")
                if tool == .img2sixel { r.img2sixel.unavailable = "failed: \(error)" } else { r.chafa.unavailable = "failed: \(error)" }
            }
        }
        return failures
    }

    private func checkTool(_ tool: Step, argv: [String], stdinFD: Int32, _ r: inout ImageResult) throws {
        let out = outputPath(tool)
        let res = Subprocess.run(argv, stdout: out, stdinFD: stdinFD)
        if res.status != 0 {
            let why = res.stderr.isEmpty ? "exit status \(res.status)" : res.stderr
            if tool == .img2sixel && r.image.format == .webp {
                // Debian's libsixel decodes through stb_image, which has no WebP: expected, not a failure.
                r.img2sixel.unavailable = "img2sixel cannot read WebP (\(why))"
                return
            }
            throw BenchError("\(argv.joined(separator: " ")) failed: \(why)")
        }
        let bytes = try readFile(out)
        let size = sixelRasterSize(bytes)
        if tool == .img2sixel {
            r.img2sixel.bytes = bytes.count
            r.img2sixel.pixels = size
            guard size == r.boxFitted else {
                throw BenchError("img2sixel made \(size?.description ?? "no sixel"), expected \(r.boxFitted)")
            }
        } else {
            guard size != nil else { throw BenchError("chafa wrote no sixel image") }
            r.chafa.bytes = bytes.count
            r.chafa.pixels = size
        }
    }

    private func measure(_ step: Step, _ r: inout ImageResult, spawnFloor: inout [Double]) throws {
        switch step {
        case .easel:
            let e = try easelOnce(r.image.path)
            guard e.encoded.bytes.count == r.easel.bytes else {
                throw BenchError("Easel's output changed size between runs (\(e.encoded.bytes.count) vs \(r.easel.bytes ?? 0))")
            }
            r.easel.times.append(e.total)
            r.decode.append(e.decode)
            r.encode.append(e.encode)
        case .encodeOnly:
            r.encodeOnly.append(try encodeOnlyOnce(r.image.path))
        case .img2sixel, .chafa:
            guard let (argv, stdinFD) = command(step, r) else { return }
            let res = Subprocess.run(argv, stdout: outputPath(step), stdinFD: stdinFD)
            guard res.status == 0 else { throw BenchError("\(argv[0]) exited \(res.status): \(res.stderr)") }
            if step == .img2sixel { r.img2sixel.times.append(res.seconds) } else { r.chafa.times.append(res.seconds) }
        case .spawnFloor:
            let res = Subprocess.run(["/bin/true"], stdout: "/dev/null")
            guard res.status == 0 else { throw BenchError("/bin/true exited \(res.status)") }
            spawnFloor.append(res.seconds)
        }
    }

    /// The command line for an external tool, or `nil` when the tool is unavailable for this image.
    private func command(_ step: Step, _ r: ImageResult) -> (argv: [String], stdinFD: Int32)? {
        switch step {
        case .img2sixel:
            guard let tool = img2sixel, r.img2sixel.unavailable == nil else { return nil }
            return ([tool, "-w", "\(r.boxFitted.width)", "-h", "\(r.boxFitted.height)", "-E", "size", r.image.path], -1)
        case .chafa:
            guard let tool = chafa, r.chafa.unavailable == nil else { return nil }
            return ([tool, "-f", "sixels", "-s", "\(config.columns)x\(config.rows)", r.image.path], pty?.slave ?? -1)
        default:
            return nil
        }
    }

    private func outputPath(_ step: Step) -> String { dir + "/out-\(step).six" }

    /// Read file bytes → `ImageCodec.decode` → `Sixel().encode(fitting:)`: what `ImagePresenter` runs
    /// on its background queue for a cache miss.
    private func easelOnce(_ path: String) throws -> (total: Double, decode: Double, encode: Double, encoded: EncodedImage) {
        let t0 = Clock.now()
        let image: RGBAImage
        do {
            image = try ImageCodec.decode(try readFile(path))
        } catch let e as ImageError {
            throw BenchError("decode: \(e.message)")
        }
        let t1 = Clock.now()
        let encoded: EncodedImage
        do {
            encoded = try Sixel().encode(image, fitting: config.box, cell: config.cell)
        } catch {
            throw BenchError("Sixel.encode: \(error.message)")
        }
        let t2 = Clock.now()
        return (t2 - t0, t1 - t0, t2 - t1, encoded)
    }

    private func encodeOnlyOnce(_ path: String) throws -> Double {
        guard let image = prescaled[path] else { throw BenchError("no pre-scaled image") }
        let t0 = Clock.now()
        do {
            _ = try Sixel().encode(image, fitting: config.box, cell: config.cell)
        } catch {
            throw BenchError("Sixel.encode (pre-scaled): \(error.message)")
        }
        return Clock.now() - t0
    }
}
