import FakeServices
import Foundation

/// ComfyUI: does the server ever wait on Easel? `easel generate --count 10` against the FakeComfyUI running
/// prompts one at a time on its own clock (a GPU with its own queue: `steps × stepTime` each), once following
/// the jobs over its WebSocket and once with the socket refused (polling `/history` every 2 s, the default).
/// Figures: the wall time of the whole run over the server's own busy time (the sum of its runs), the server's
/// span (first start → last completion) over its busy time (1.00: it never idled), and each job's completion →
/// its image saved in the gallery (the file's mtime; headless, the moment it would be drawn).
struct ComfyUIBench {
    static let title = "ComfyUI: a GPU that never waits"
    /// Wall ÷ busy for 10 short jobs, the issue's goal.
    static let wallGoal = 1.2
    let easel: String
    let dir: String
    var jobs = 10
    var steps = 10
    var stepTime = Duration.milliseconds(30)
    var runs = 3

    struct Run {
        var wall: Double, busy: Double, span: Double
        /// Completion → saved, per job, in seconds.
        var toSaved: [Double]
    }

    struct Result { var socket: [Run]; var polling: [Run] }

    func run() async throws -> Result {
        var r = Result(socket: [], polling: [])
        for i in 0..<runs {
            r.socket.append(try await once(socket: true, tag: "ws\(i)"))
            r.polling.append(try await once(socket: false, tag: "poll\(i)"))
        }
        return r
    }

    private func once(socket: Bool, tag: String) async throws -> Run {
        let fake = FakeComfyUI()
        try await fake.start()
        await fake.setOwnClock(true)
        await fake.setStepTime(stepTime)
        await fake.setRefuseWebSocket(!socket)
        let base = dir + "/comfy-\(tag)"
        try FileManager.default.createDirectory(atPath: base + "/state", withIntermediateDirectories: true)
        try "[backends.gpu]\nkind = \"comfyui\"\nurl = \"\(await fake.baseURL)\"\n".write(toFile: base + "/easel.toml", atomically: true, encoding: .utf8)
        let argv = ["/usr/bin/env", "XDG_STATE_HOME=\(base)/state", easel, "generate", "--config", base + "/easel.toml", "--backend", "gpu",
                    "--count", "\(jobs)", "--seed", "1", "--steps", "\(steps)", "--width", "256", "--height", "256",
                    "--gallery", base + "/gallery", "a harbour at dawn"]
        let start = Date().timeIntervalSince1970
        let status = await Self.offThePool { Subprocess.run(argv, stdout: base + "/out.txt").status }
        let wall = Date().timeIntervalSince1970 - start
        let gpu = await fake.gpuRuns
        await fake.stop()
        guard status == 0, gpu.count == jobs else {
            let out = (try? String(contentsOfFile: base + "/out.txt", encoding: .utf8)) ?? ""
            throw BenchError("easel generate against the ComfyUI fake: exit \(status), \(gpu.count) of \(jobs) runs: \(out.suffix(400))")
        }
        let files = (FileManager.default.enumerator(atPath: base + "/gallery")?.allObjects as? [String]) ?? []
        let saved = files.filter { $0.hasSuffix(".png") }
            .compactMap { name -> Double? in
                (try? FileManager.default.attributesOfItem(atPath: base + "/gallery/" + name)[.modificationDate] as? Date)?.timeIntervalSince1970
            }.sorted()
        let busy = gpu.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) }
        let span = (gpu.last?.upperBound ?? 0) - (gpu.first?.lowerBound ?? 0)
        // One GPU runs them in order, and the saves follow in the same order.
        let toSaved = zip(gpu.map(\.upperBound), saved).map { max(0, $1 - $0) }
        return Run(wall: wall, busy: busy, span: span, toSaved: toSaved)
    }

    /// Runs blocking work (fork, waitpid) on a thread of its own: the fake's actor needs the pool meanwhile.
    private static func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in Thread { c.resume(returning: work()) }.start() }
    }

    func goals(_ r: Result) -> [GoalRow] {
        let ratio = r.socket.map { $0.wall / $0.busy }
        let toSaved = r.socket.flatMap(\.toSaved)
        return [GoalRow(section: Self.title, figure: "\(jobs) short jobs: wall ÷ server busy, WebSocket",
                        value: String(format: "%.2f× (server span ÷ busy %.2f)", ratio.median ?? .nan,
                                      r.socket.map { $0.span / $0.busy }.median ?? .nan),
                        goal: "≤ \(Self.wallGoal)×", met: (ratio.median ?? .infinity) <= Self.wallGoal),
                GoalRow(section: Self.title, figure: "completion → image saved, WebSocket vs polling",
                        value: String(format: "%.0f ms vs %.0f ms", (toSaved.median ?? .nan) * 1000,
                                      (r.polling.flatMap(\.toSaved).median ?? .nan) * 1000),
                        goal: "< 100 ms (WebSocket)", met: (toSaved.median ?? .infinity) < 0.1)]
    }

    func markdown(_ r: Result) -> String {
        func row(_ name: String, _ runs: [Run]) -> String {
            "| \(name) | \(runs.map(\.wall).summary(2)) | \(runs.map(\.busy).summary(2)) | \(runs.map { $0.wall / $0.busy }.summary(2)) | "
                + "\(runs.map { $0.span / $0.busy }.summary(2)) | \(runs.flatMap(\.toSaved).summary(0, scale: 1000)) |"
        }
        let busy = Double(steps) * Double(stepTime.components.attoseconds) / 1e18
        return """
        ## \(Self.title)

        `easel generate --count \(jobs)` (queue-ahead 2, ComfyUI's default) against the ComfyUI fake running prompts one \
        at a time on its own clock, \(steps) steps × \(Int(busy * 1000 / Double(steps))) ms = \(Int(busy * 1000)) ms each; \
        once following the jobs over the WebSocket, once with the socket refused (polling `/history` every 2 s). \
        Wall: the process, start to exit. Busy: the sum of the server's runs. Span: its first start to its last completion \
        (÷ busy = 1.00: it never waited on Easel). Completion → saved: the image file's mtime after the server finished \
        the job. \(r.socket.count) run(s) each.

        | Following | wall (s) | busy (s) | wall ÷ busy | span ÷ busy | completion → saved (ms) |
        |---|---:|---:|---:|---:|---:|
        \(row("WebSocket", r.socket))
        \(row("polling", r.polling))

        """
    }
}
