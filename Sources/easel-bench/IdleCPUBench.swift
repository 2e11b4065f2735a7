import Foundation
import Glibc

/// Idle CPU: the real studio open in tmux, a big history in its journal, no job running. The loop
/// should block in `poll()` with no timeout, so the process should use (almost) no CPU.
struct IdleCPUBench {
    /// Finished jobs seeded into the journal before the studio starts (10,000 in the real run).
    let jobs: Int
    /// Seconds measured per run (10 in the real run).
    let seconds: Double
    let runs: Int
    /// `XDG_STATE_HOME` holding a journal with `jobs` finished jobs.
    let stateHome: String
    let easel: String
    let gallery: String

    static let title = "Idle CPU"
    static let goalPercent = 1.0

    struct Sample { var ticks: Int; var wall: Double; var historyRows: Int }
    struct Result { var samples: [Sample] = [] }

    var command: String {
        "exec env TERM=tmux-256color \(shellQuote(easel)) --gallery \(shellQuote(gallery)) --graphics none --probe-timeout 0 2>/dev/null"
    }

    /// Opens the studio `runs` times; each time waits for the first frame plus one settling second,
    /// then reads utime + stime from `/proc/PID/stat` `seconds` apart.
    /// - Throws: `BenchError` when the studio does not draw a frame within 30 s or exits early.
    func run(_ tmux: TmuxSession) throws -> Result {
        var result = Result()
        for i in 0..<runs {
            let name = "idle\(i)"
            tmux.open(name, stateHome: stateHome, command: command)
            defer { tmux.close(name) }
            guard tmux.waitFor(name, timeout: 30, interval: 0.05, TmuxSession.isFullFrame) != nil else {
                throw BenchError("idle CPU: no first frame within 30 s:\n\(tmux.capture(name))")
            }
            guard let pid = tmux.panePID(name), ProcStat.name(pid) == "easel" else {
                throw BenchError("idle CPU: the pane's process is not easel")
            }
            usleep(1_000_000)                           // restore + first frames done
            let rows = tmux.capture(name).split(separator: "\n").filter { $0.contains("✓") }.count
            guard let t0 = ProcStat.cpuTicks(pid) else { throw BenchError("idle CPU: easel exited") }
            let w0 = Clock.now()
            usleep(useconds_t(seconds * 1e6))
            guard let t1 = ProcStat.cpuTicks(pid) else { throw BenchError("idle CPU: easel exited while idle") }
            result.samples.append(Sample(ticks: t1 - t0, wall: Clock.now() - w0, historyRows: rows))
        }
        return result
    }

    func percent(_ s: Sample) -> Double { Double(s.ticks) / ProcStat.ticksPerSecond / s.wall * 100 }

    func goals(_ r: Result) -> [GoalRow] {
        let median = r.samples.map(percent).median ?? .nan
        return [GoalRow(section: Self.title, figure: "idle CPU, \(jobs.formatted()) jobs in history", value: String(format: "%.2f %%", median),
                        goal: "< \(Int(Self.goalPercent)) % of a core", met: median < Self.goalPercent)]
    }

    func markdown(_ r: Result) -> String {
        let percents = r.samples.map(percent)
        let median = percents.median ?? .nan
        let resolution = 1 / ProcStat.ticksPerSecond / seconds * 100
        let rows = r.samples.map(\.historyRows).min() ?? 0
        return """
        ## \(Self.title)

        The real `easel` studio (the release build in `make bench`) in a private tmux server, 120×36, `--graphics none --probe-timeout 0`, \
        its embedded demo server running, with \(jobs.formatted()) finished jobs in the journal (written through \
        `Journal` into a temporary `XDG_STATE_HOME`; the studio loads the newest 500 at most, and \(rows) history rows were \
        on screen), no job running, nothing typed. After the first frame and one settling second, utime + stime of \
        the process (all threads) are read from `/proc/PID/stat` \(Int(seconds)) s apart; \(runs) run(s), one \
        studio each. Resolution: one clock tick (1/\(Int(ProcStat.ticksPerSecond)) s) = \
        \(String(format: "%.2f", resolution)) % over the window.

        | Figure | Median (min–max) | Ticks per run | Goal | Met |
        |---|---:|---|---|---|
        | idle CPU, \(jobs.formatted()) jobs in history | \(percents.summary(2)) % of a core | \
        \(r.samples.map { "\($0.ticks)" }.joined(separator: ", ")) | < \(Int(Self.goalPercent)) % of a core | \(mark(median < Self.goalPercent)) |

        """
    }
}
