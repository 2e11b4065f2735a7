// easel-bench: the figures behind BENCHMARKS.md. `make bench` runs `easel-bench --write BENCHMARKS.md`
// on a release build. Today: the preview pipeline (decode + scale + sixel vs img2sixel and chafa, and the
// ImagePresenter cache hit).
//
//   easel-bench [--runs N] [--smoke] [--write FILE]
//
// Exit status: 0 when every measurement ran (missed performance goals are reported, not failures),
// 1 when something failed (a tool or Easel errored, or the cache re-encoded), 2 for bad arguments.

import Foundation
import Glibc

struct Options {
    var write: String?
    var smoke = false
    var runs: Int?

    static let usage = """
        usage: easel-bench [--runs N] [--smoke] [--write FILE]
          --runs N      timed runs per figure (default 7; 1 with --smoke)
          --smoke       tiny images and 1 run: a few seconds, to check the harness works
          --write FILE  also write the results into FILE (BENCHMARKS.md), keeping its other sections
        """

    static func parse(_ args: [String]) -> Result<Options, BenchError> {
        var o = Options()
        var i = 0
        while i < args.count {
            let a = args[i]
            func value() -> String? {
                i += 1
                return i < args.count ? args[i] : nil
            }
            switch a {
            case "--smoke": o.smoke = true
            case "--write":
                guard let v = value(), !v.isEmpty else { return .failure(BenchError("--write needs a file name")) }
                o.write = v
            case "--runs":
                guard let v = value(), let n = Int(v), n >= 1 else { return .failure(BenchError("--runs needs a number ≥ 1")) }
                o.runs = n
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                if a.hasPrefix("--write=") { o.write = String(a.dropFirst(8)); break }
                if a.hasPrefix("--runs="), let n = Int(a.dropFirst(7)), n >= 1 { o.runs = n; break }
                return .failure(BenchError("unknown argument \(a)"))
            }
            i += 1
        }
        return .success(o)
    }
}

func stderrLine(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

let options: Options
switch Options.parse(Array(CommandLine.arguments.dropFirst())) {
case .success(let o): options = o
case .failure(let e):
    stderrLine("easel-bench: \(e)\n\(Options.usage)")
    exit(2)
}

var config = options.smoke ? PreviewConfig.smoke : PreviewConfig.full
if let runs = options.runs { config.runs = runs }

var machine = MachineInfo.collect()
let dir = NSTemporaryDirectory() + "easel-bench-\(getpid())-\(UInt32.random(in: .min ... .max))"
var failures: [String] = []
var sections: [(title: String, body: String)] = []
do {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    stderrLine("easel-bench: making test images in \(dir)")
    let images = try Fixtures.make(in: dir, large: config.largeSide, small: config.smallSide)
    stderrLine("easel-bench: preview pipeline, \(config.runs) run(s), box \(config.box.width)×\(config.box.height)")
    let results = PreviewBench(config: config, dir: dir).run(images: images)
    failures += results.failures
    machine.loadAfter = MachineInfo.loadAverage()
    sections.append((PreviewReport.title, PreviewReport(results: results, machine: machine).markdown))
    let history = HistoryBench(jobs: options.smoke ? 2_000 : 100_000, keystrokes: options.smoke ? 50 : 1_000, dir: dir)
    stderrLine("easel-bench: journal with \(history.jobs) jobs")
    let h = try history.run()
    sections.append(("History and journal", history.markdown(h)))
} catch {
    failures.append("\(error)")
}

print(BenchDocument.title + "\n\n" + machine.markdown + "\n")
for s in sections { print(s.body) }
if let path = options.write, !sections.isEmpty {
    do {
        try BenchDocument.write(path, machine: machine, sections: sections)
        stderrLine("easel-bench: wrote \(path)")
    } catch {
        failures.append("\(error)")
    }
}
if !failures.isEmpty {
    stderrLine("easel-bench: FAILED\n" + failures.map { "  - \($0)" }.joined(separator: "\n"))
    exit(1)
}
