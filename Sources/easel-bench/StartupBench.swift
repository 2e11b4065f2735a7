import EaselServer
import Foundation
import Glibc

/// Start-up to the first full frame, measured from outside: the real `easel` in a new tmux session,
/// `tmux capture-pane` polled until the whole frame is on screen; and the resident memory with one
/// 1024² preview shown.
struct StartupBench {
    let runs: Int
    let easel: String
    let dir: String
    /// `XDG_STATE_HOME` with the idle section's big journal, for the reference row.
    let bigStateHome: String?
    let bigJobs: Int

    static let title = "Start-up and memory"
    static let goalStartup = 0.100
    static let goalRSSMiB = 60.0
    /// Seconds between two `capture-pane` polls: small, yet leaves the two cores to the studio.
    static let pollInterval = 0.002

    struct Case {
        let label: String
        let flags: String
        let bigJournal: Bool
        let isFloor: Bool
        /// Measured on a bare pty of the bench's own instead of in tmux.
        var pty = false
        /// On the bare pty: answer the probe's DA1 query at once.
        var answerDA1 = false
    }

    var cases: [Case] {
        var c = [Case(label: "`--graphics none --probe-timeout 0`, empty journal", flags: "--graphics none --probe-timeout 0",
                      bigJournal: false, isFloor: false),
                 Case(label: "default probe (1 s timeout; tmux answers DA1), empty journal", flags: "", bigJournal: false, isFloor: false)]
        if bigStateHome != nil {
            c.append(Case(label: "`--graphics none --probe-timeout 0`, \(bigJobs.formatted()) jobs in the journal",
                          flags: "--graphics none --probe-timeout 0", bigJournal: true, isFloor: false))
        }
        c.append(Case(label: "floor: `printf` of the frame's first and last row", flags: "", bigJournal: false, isFloor: true))
        c += [Case(label: "pty: `--graphics none --probe-timeout 0`, empty journal", flags: "--graphics none --probe-timeout 0",
                   bigJournal: false, isFloor: false, pty: true),
              Case(label: "pty: default probe, DA1 answered at once, empty journal", flags: "",
                   bigJournal: false, isFloor: false, pty: true, answerDA1: true),
              Case(label: "pty floor: spawn `printf quit`", flags: "", bigJournal: false, isFloor: true, pty: true)]
        return c
    }

    struct Result {
        /// Seconds from `tmux new-session` to the full frame, per case label, per run.
        var startup: [String: [Double]] = [:]
        var memory: [MemoryRow] = []
    }

    struct MemoryRow {
        let graphics: String
        /// True when the studio used the bench's in-process server (`--server`) instead of its embedded one.
        var external = false
        /// Diagnostic: glibc malloc limited to one arena (`MALLOC_ARENA_MAX=1`), to show how much of the
        /// RSS is freed memory the per-thread arenas keep.
        var oneArena = false
        var idleKiB: [Int] = []
        var rssKiB: [Int] = []
        var peakKiB: [Int] = []
        var checked = ""
    }

    func command(_ c: Case, gallery: String, extra: String = "") -> String {
        if c.isFloor {
            return "printf '\\033[1;1H┌ Prompt\\033[\(TmuxSession.rows);1H C-c quit'; exec sleep 3600"
        }
        return "exec env TERM=tmux-256color \(shellQuote(easel)) --gallery \(shellQuote(gallery)) \(c.flags) \(extra) 2>/dev/null"
    }

    /// Every run starts each case once, in an order rotated per run (so drift hits all alike).
    /// - Throws: `BenchError` when a frame does not appear within 30 s.
    func run(_ tmux: TmuxSession) async throws -> Result {
        var result = Result()
        let all = cases
        for run in 0..<runs {
            for k in 0..<all.count {
                let c = all[(k + run) % all.count]
                let name = "start\(run)-\(k)"
                let state = c.bigJournal ? bigStateHome! : dir + "/state-start-\(run)-\(k)"
                let gallery = dir + "/gallery-start"
                if c.pty {
                    result.startup[c.label, default: []].append(try ptyStartup(c, state: state, gallery: gallery))
                    continue
                }
                let t0 = Clock.now()
                tmux.open(name, stateHome: state, command: command(c, gallery: gallery))
                let t1 = tmux.waitFor(name, timeout: 30, interval: Self.pollInterval, TmuxSession.isFullFrame)
                let screen = t1 == nil ? tmux.capture(name) : ""
                tmux.close(name)
                guard let t1 else { throw BenchError("start-up (\(c.label)): no full frame within 30 s:\n\(screen)") }
                result.startup[c.label, default: []].append(t1 - t0)
            }
        }
        // The studio alone: the same job from a server outside the studio's process.
        var config = ReferenceServer.Configuration()
        config.latency = .milliseconds(500)
        config.rateLimit = RateLimitSpec(requests: 1000, window: .seconds(60))
        let server = ReferenceServer(configuration: config)
        do { try await server.start() } catch { throw BenchError("memory: the reference server did not start: \(error)") }
        let serverURL = await server.baseURL
        do {
            for (graphics, external, oneArena) in [("sixel", false, false), ("blocks", false, false), ("sixel", true, false), ("sixel", false, true)] {
                var row = MemoryRow(graphics: graphics, external: external, oneArena: oneArena)
                for run in 0..<max(1, runs / 3) {
                    try measureMemory(tmux, graphics: graphics, server: external ? serverURL : nil, oneArena: oneArena, run: run, into: &row)
                }
                result.memory.append(row)
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        return result
    }

    /// Start-up on the bench's own pty: spawn → the status bar's last word ("quit") read from the master.
    private func ptyStartup(_ c: Case, state: String, gallery: String) throws -> Double {
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env["XDG_STATE_HOME"] = state
        for k in ["TMUX", "LINES", "COLUMNS"] { env[k] = nil }
        let argv = c.isFloor ? [Subprocess.which("printf") ?? "/usr/bin/printf", "quit"]
            : [easel, "--gallery", gallery] + c.flags.split(separator: " ").map(String.init)
        do {
            return try PtyLaunch.timeToOutput(argv, environment: env, marker: "quit", answerDA1: c.answerDA1)
        } catch {
            throw BenchError("start-up (\(c.label)): \(error)")
        }
    }

    /// One studio with `--graphics GRAPHICS`: memory once idle, then after a 1024×1024 job has been
    /// generated, saved and its preview shown, once RSS has stopped changing.
    private func measureMemory(_ tmux: TmuxSession, graphics: String, server: String?, oneArena: Bool, run: Int,
                               into row: inout MemoryRow) throws {
        let tag = "\(graphics)-\(server == nil ? "demo" : "ext")\(oneArena ? "-arena1" : "")-\(run)"
        let name = "mem-\(tag)"
        let gallery = dir + "/gallery-mem-\(tag)"
        let backend = server.map { "--server \($0)" } ?? "--latency 0.5"
        let c = Case(label: "", flags: "--graphics \(graphics) --probe-timeout 0 --width 1024 --height 1024 \(backend)",
                     bigJournal: false, isFloor: false)
        tmux.open(name, stateHome: dir + "/state-mem-\(tag)",
                  command: command(c, gallery: gallery).replacingOccurrences(of: "exec env ", with: oneArena ? "exec env MALLOC_ARENA_MAX=1 " : "exec env "))
        defer { tmux.close(name) }
        guard tmux.waitFor(name, timeout: 30, interval: 0.05, TmuxSession.isFullFrame) != nil,
              let pid = tmux.panePID(name), ProcStat.name(pid) == "easel" else {
            throw BenchError("memory (\(graphics)): the studio did not start:\n\(tmux.capture(name))")
        }
        usleep(500_000)
        guard let idle = ProcStat.memory(pid) else { throw BenchError("memory: easel exited") }
        tmux.literal(name, "a red sun over snowy mountains")
        tmux.keys(name, "Enter")
        let shown: (String) -> Bool = { screen in
            let lines = screen.split(separator: "\n")
            let saved = lines.last(where: { !$0.trimmed.isEmpty })?.contains("Saved ") == true
            // Blocks are visible in the pane; a sixel is not (tmux 3.3a drops it), so "Saved" must do.
            return saved && (graphics != "blocks" || screen.contains("▀▀▀▀"))
        }
        guard tmux.waitFor(name, timeout: 60, interval: 0.05, shown) != nil else {
            throw BenchError("memory (\(graphics)): the 1024² job was not shown within 60 s:\n\(tmux.capture(name))")
        }
        // The preview encodes in the background: wait until RSS holds still for a second (at most 15 s).
        var last = ProcStat.memory(pid)?.rss ?? 0, stableSince = Clock.now()
        let end = Clock.now() + 15
        while Clock.now() < end {
            usleep(250_000)
            guard let m = ProcStat.memory(pid) else { throw BenchError("memory: easel exited") }
            if abs(m.rss - last) > last / 100 { last = m.rss; stableSince = Clock.now() }
            else if Clock.now() - stableSince >= 1 { break }
        }
        guard let after = ProcStat.memory(pid) else { throw BenchError("memory: easel exited") }
        let files = (FileManager.default.enumerator(atPath: gallery)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".png") }
        guard files.count == 1 else { throw BenchError("memory (\(graphics)): expected one saved PNG, found \(files.count)") }
        row.idleKiB.append(idle.rss)
        row.rssKiB.append(after.rss)
        row.peakKiB.append(after.peak)
        row.checked = graphics == "blocks" ? "“Saved” in the status bar and the blocks in the preview pane"
            : "“Saved” in the status bar (tmux 3.3a drops the sixel itself; the encode still runs)"
    }

    /// Net start-up per run (case − floor of the same run).
    func net(_ c: Case, _ r: Result) -> [Double] {
        let floor = cases.first { $0.isFloor && $0.pty == c.pty }.flatMap { r.startup[$0.label] } ?? []
        return zip(r.startup[c.label] ?? [], floor).map { $0 - $1 }
    }

    func goals(_ r: Result) -> [GoalRow] {
        var rows: [GoalRow] = []
        for c in cases where !c.isFloor && !c.bigJournal {
            let n = net(c, r).median ?? .nan
            rows.append(GoalRow(section: Self.title, figure: "start-up to the first frame, \(c.label) (net of the floor)",
                                value: String(format: "%.1f ms", n * 1000), goal: "< \(Int(Self.goalStartup * 1000)) ms", met: n < Self.goalStartup))
        }
        for m in r.memory where !m.oneArena {
            let rss = (m.rssKiB.map { Double($0) / 1024 }).median ?? .nan
            rows.append(GoalRow(section: Self.title, figure: "VmRSS, `--graphics \(m.graphics)\(m.external ? " --server …" : "")`, one 1024² preview shown",
                                value: String(format: "%.1f MiB", rss), goal: "< \(Int(Self.goalRSSMiB)) MB", met: rss < Self.goalRSSMiB))
        }
        return rows
    }

    /// Where the sixel row's memory goes, from the differences between rows of this run.
    func memoryShares(_ r: Result) -> String {
        func rss(_ external: Bool, _ oneArena: Bool) -> Double? {
            r.memory.first { $0.graphics == "sixel" && $0.external == external && $0.oneArena == oneArena }
                .flatMap { $0.rssKiB.map { Double($0) / 1024 }.median }
        }
        guard let sixel = rss(false, false), let alone = rss(true, false), let arena = rss(false, true),
              let idle = r.memory.first(where: { $0.graphics == "sixel" && !$0.external && !$0.oneArena })
                .flatMap({ $0.idleKiB.map { Double($0) / 1024 }.median }) else { return "" }
        return "Where the sixel row's \(String(format: "%.1f", sixel)) MiB go (differences of medians): " +
            "\(String(format: "%.1f", idle)) MiB idle before the job; " +
            "the embedded demo server's share (sixel − sixel with `--server`) \(String(format: "%.1f", sixel - alone)) MiB; " +
            "freed memory kept by glibc's per-thread malloc arenas (sixel − sixel with `MALLOC_ARENA_MAX=1`) " +
            "\(String(format: "%.1f", sixel - arena)) MiB."
    }

    func markdown(_ r: Result) -> String {
        // Net = case − floor within the same run (they ran back to back), then the median of those.
        var rows = ""
        for c in cases {
            let times = r.startup[c.label] ?? []
            if c.isFloor {
                rows += "| \(c.label) | \(times.summary(1, scale: 1000)) | — | measurement floor | |\n"
            } else {
                let net = net(c, r)
                let netMedian = net.median ?? .nan
                rows += "| \(c.label) | \(times.summary(1, scale: 1000)) | \(net.summary(1, scale: 1000)) | "
                rows += c.bigJournal ? "reference | |\n" : "< \(Int(Self.goalStartup * 1000)) ms (net) | \(mark(netMedian < Self.goalStartup)) |\n"
            }
        }
        var mem = ""
        for m in r.memory {
            let mib: ([Int]) -> [Double] = { $0.map { Double($0) / 1024 } }
            let rss = mib(m.rssKiB).median ?? .nan
            let label = m.oneArena ? "diagnostic: `--graphics \(m.graphics)` with `MALLOC_ARENA_MAX=1`, one 1024² preview shown"
                : m.external ? "`--graphics \(m.graphics) --server …` (no embedded server), one 1024² preview shown"
                : "`--graphics \(m.graphics)`, one 1024² preview shown"
            mem += "| \(label) | \(mib(m.idleKiB).summary(1)) | \(mib(m.rssKiB).summary(1)) | "
            mem += m.oneArena ? "\(mib(m.peakKiB).summary(1)) | reference | |\n"
                : "\(mib(m.peakKiB).summary(1)) | < \(Int(Self.goalRSSMiB)) MB (VmRSS, read as MiB) | \(mark(rss < Self.goalRSSMiB)) |\n"
        }
        return """
        ## \(Self.title)

        ### Start-up to the first full frame

        Measured from outside, with no hook in `easel`: a private tmux server (started beforehand, so its own \
        start is not counted) opens a new 120×36 session running `easel` (the release build in `make bench`; a fresh \
        `XDG_STATE_HOME` per run, `TERM=tmux-256color`), and `tmux capture-pane -p` is polled every \
        \(Int(Self.pollInterval * 1000)) ms until the frame's first row starts with `┌ Prompt` and its last row \
        shows the status bar's last hint (`C-c quit`). ncurses writes the frame top to bottom in one \
        `doupdate`, so both rows mean the whole frame is there. This includes process start, argument \
        parsing, the embedded demo server's start, opening (creating) the journal, the terminal probe and \
        ncurses set-up. The **floor** runs `printf` of those two rows in the same kind of session: tmux \
        session and pane creation, `sh`, and the polling's granularity (each `capture-pane` is a process \
        start of its own); *net* = the case's time − the floor's time in the same run (cases run back to back), \
        median (min–max) over the runs. \
        The **pty** rows measure the same start-up without tmux: `easel` is spawned (new session, a \
        120×36 pseudo-terminal of the bench's as its controlling terminal, `TERM=xterm-256color`) and the \
        bench reads the master side until the status bar's last word, `quit`, arrives (the frame's last \
        text: ncurses writes rows top to bottom). Nothing emulates a terminal there, so for the default \
        probe the bench answers the DA1 query itself at once (`CSI ? 62 ; 22 c`, no sixel), as a local \
        terminal would; the pty floor spawns `printf quit` the same way. \(runs) run(s), cases interleaved \
        and rotated per run.

        | Case | Median ms (min–max) | Net ms (min–max) | Goal | Met |
        |---|---:|---:|---|---|
        \(rows)
        ### Resident memory

        The same studio (`--probe-timeout 0 --width 1024 --height 1024`, demo latency 0.5 s) generates one \
        1024×1024 job; once it is saved and shown (checked on screen: see below) and `VmRSS` has held still \
        for a second, `VmRSS` and `VmHWM` (peak) are read from `/proc/PID/status`. *Idle* is `VmRSS` after \
        the first frame, before typing. The process includes the embedded demo server, which painted and \
        PNG-encoded the image, except in the `--server` row, where the bench's in-process `ReferenceServer` \
        did that and the figure is the studio alone. \(max(1, runs / 3)) run(s) per row, medians in MiB \
        (1 MiB = 2²⁰ bytes; the 60 MB goal is compared with MiB, 4.9 % more lenient than 60 × 10⁶ bytes).

        | Case | Idle MiB | VmRSS MiB (min–max) | VmHWM MiB | Goal | Met |
        |---|---:|---:|---:|---|---|
        \(mem)
        \(memoryShares(r))

        Checked: sixel — \(r.memory.first { $0.graphics == "sixel" }?.checked ?? "n/a"); blocks — \
        \(r.memory.first { $0.graphics == "blocks" }?.checked ?? "n/a"); one PNG saved in each run's gallery.

        """
    }
}
