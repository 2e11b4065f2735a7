// easel-bench: the figures behind BENCHMARKS.md. `make bench` runs `easel-bench --write BENCHMARKS.md`
// on a release build: the preview pipeline (decode + scale + sixel vs img2sixel and chafa, and the
// ImagePresenter cache hit), the journal at scale, keystroke latency, and — driving the real `easel`
// binary (found next to easel-bench, or $EASEL_BIN) in a private tmux server — idle CPU, start-up to
// the first frame, resident memory and the requests and delay of one job.
//
//   easel-bench [--runs N] [--smoke] [--only SECTIONS] [--write FILE]
//
// Exit status: 0 when every measurement ran (missed performance goals are reported, not failures),
// 1 when something failed (a tool or Easel errored, or the cache re-encoded), 2 for bad arguments.

import Foundation
import Glibc

struct Options {
    var write: String?
    var smoke = false
    var runs: Int?
    /// Sections to run (all when nil).
    var only: Set<Section>?

    enum Section: String, CaseIterable {
        case preview, blocks, history, keystroke, idle, startup, jobs, comfyui, pool
        case serveStore = "serve-store"
    }

    static let usage = """
        usage: easel-bench [--runs N] [--smoke] [--only SECTIONS] [--write FILE]
          --runs N      timed runs per figure (default 7; 1 with --smoke)
          --smoke       tiny inputs and 1 run: seconds per section, to check the harness works
          --only LIST   comma-separated sections: preview, blocks, history, keystroke, idle, startup, jobs, comfyui, pool, serve-store
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
            case "--only":
                guard let v = value() else { return .failure(BenchError("--only needs a list of sections")) }
                var set = Set<Section>()
                for name in v.split(separator: ",") {
                    guard let section = Section(rawValue: name.trimmed) else {
                        return .failure(BenchError("unknown section \(name); known: \(Section.allCases.map(\.rawValue).joined(separator: ", "))"))
                    }
                    set.insert(section)
                }
                o.only = set
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
var goals: [GoalRow] = []
@MainActor func wanted(_ s: Options.Section) -> Bool { options.only?.contains(s) ?? true }

/// Runs one section, recording its failure without stopping the others.
@MainActor func section(_ name: String, _ body: () async throws -> (title: String, body: String)) async {
    do {
        sections.append(try await body())
    } catch {
        failures.append("\(name): \(error)")
    }
}

do {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
} catch {
    stderrLine("easel-bench: cannot create \(dir): \(error)")
    exit(1)
}
let smoke = options.smoke
if wanted(.preview) {
    await section("preview") {
        stderrLine("easel-bench: making test images in \(dir)")
        let images = try Fixtures.make(in: dir, large: config.largeSide, small: config.smallSide)
        stderrLine("easel-bench: preview pipeline, \(config.runs) run(s), box \(config.box.width)×\(config.box.height)")
        let results = PreviewBench(config: config, dir: dir).run(images: images)
        failures += results.failures
        goals += GoalSummary.preview(results)
        machine.loadAfter = MachineInfo.loadAverage()
        return (PreviewReport.title, PreviewReport(results: results, machine: machine).markdown)
    }
}
if wanted(.blocks) {
    await section("blocks") {
        let images = try Fixtures.make(in: dir, large: config.largeSide, small: config.smallSide)
        stderrLine("easel-bench: character-cell fallback, \(config.runs) run(s)")
        let bench = BlocksBench(config: config, dir: dir)
        return (BlocksBench.title, bench.markdown(try bench.run(images: images)))
    }
}
// The journal with 100,000 jobs (2,000 with --smoke) is shared by the history and keystroke sections.
let history = HistoryBench(jobs: smoke ? 2_000 : 100_000, keystrokes: smoke ? 50 : 1_000, dir: dir)
if wanted(.history) || wanted(.keystroke) {
    await section("history") {
        stderrLine("easel-bench: journal with \(history.jobs) jobs")
        let h = try history.run()
        if wanted(.history) { goals += history.goals(h) }
        return ("History and journal", history.markdown(h))
    }
    if !wanted(.history) { sections.removeAll { $0.title == "History and journal" } }
}
if wanted(.keystroke) {
    await section("keystroke") {
        let bench = KeystrokeBench(journalDir: dir + "/journal", jobs: history.jobs, keystrokes: smoke ? 50 : 1_000)
        stderrLine("easel-bench: keystroke latency, \(bench.keystrokes) keys per row")
        let r = try bench.run()
        goals += bench.goals(r)
        return (KeystrokeBench.title, bench.markdown(r))
    }
}
if wanted(.idle) || wanted(.startup) || wanted(.jobs) {
    let tmux = TmuxSession()
    do {
        let easel = try easelBinary()
        try tmux.startServer()
        let idleJobs = smoke ? 100 : 10_000
        stderrLine("easel-bench: journal with \(idleJobs) jobs for the studio")
        let bigState = try JournalSeed.stateHome(in: dir, jobs: idleJobs)
        let gallery = dir + "/gallery"
        if wanted(.idle) {
            await section("idle CPU") {
                let bench = IdleCPUBench(jobs: idleJobs, seconds: smoke ? 2 : 10, runs: smoke ? 1 : 3,
                                         stateHome: bigState, easel: easel, gallery: gallery)
                stderrLine("easel-bench: idle CPU, \(bench.runs) × \(Int(bench.seconds)) s")
                let r = try bench.run(tmux)
                goals += bench.goals(r)
                return (IdleCPUBench.title, bench.markdown(r))
            }
        }
        if wanted(.startup) {
            await section("start-up") {
                let bench = StartupBench(runs: smoke ? 1 : config.runs, easel: easel, dir: dir, bigStateHome: bigState, bigJobs: idleJobs)
                stderrLine("easel-bench: start-up and memory, \(bench.runs) run(s)")
                let r = try await bench.run(tmux)
                goals += bench.goals(r)
                return (StartupBench.title, bench.markdown(r))
            }
        }
        if wanted(.jobs) {
            await section("job overhead") {
                let bench = JobOverheadBench(latency: smoke ? 1 : 3, runs: smoke ? 1 : 5, easel: easel, dir: dir)
                stderrLine("easel-bench: job overhead, \(bench.runs) job(s) of \(bench.latency) s")
                let r = try await bench.run(tmux)
                goals += bench.goals(r)
                return (JobOverheadBench.title, bench.markdown(r))
            }
            await section("job overhead, push") {
                try FileManager.default.createDirectory(atPath: dir + "/push", withIntermediateDirectories: true)
                var bench = JobOverheadBench(latency: smoke ? 1 : 3, runs: smoke ? 1 : 5, easel: easel, dir: dir + "/push")
                bench.push = true
                stderrLine("easel-bench: job overhead with push, \(bench.runs) job(s) of \(bench.latency) s")
                let r = try await bench.run(tmux)
                goals += bench.pushGoals(r)
                return (JobOverheadBench.pushTitle, bench.pushMarkdown(r))
            }
        }
    } catch {
        failures.append("studio sections: \(error)")
    }
    tmux.killServer()
}
if wanted(.comfyui) {
    await section("comfyui") {
        let bench = ComfyUIBench(easel: try easelBinary(), dir: dir, runs: smoke ? 1 : 3)
        stderrLine("easel-bench: ComfyUI fake, \(bench.runs) × \(bench.jobs) jobs, WebSocket and polling")
        let r = try await bench.run()
        goals += bench.goals(r)
        return (ComfyUIBench.title, bench.markdown(r))
    }
}
if wanted(.pool) {
    await section("pool") {
        let bench = PoolBench(jobs: smoke ? 6 : 30, latency: smoke ? 1 : 2, servers: 3, easel: try easelBinary(), dir: dir)
        stderrLine("easel-bench: backend pool, \(bench.jobs) jobs of \(Int(bench.latency)) s on \(bench.servers) servers, then on one")
        let r = try await bench.run()
        goals += bench.goals(r)
        return (PoolBench.title, bench.markdown(r))
    }
}
if wanted(.serveStore) {
    await section("serve-store") {
        let bench = ServeStoreBench(submits: smoke ? 200 : 2_000, clients: 8)
        stderrLine("easel-bench: serve --store, \(bench.submits) submits from \(bench.clients) clients, memory and PostgreSQL")
        return (ServeStoreBench.title, bench.markdown(try await bench.run()))
    }
}
try? FileManager.default.removeItem(atPath: dir)
if !goals.isEmpty { sections.insert((GoalSummary.title, GoalSummary.markdown(goals, partial: options.only != nil)), at: 0) }
if machine.loadAfter == "?" { machine.loadAfter = MachineInfo.loadAverage() }

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
