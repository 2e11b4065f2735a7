import EaselServer
import Foundation
import Glibc

/// A backend pool: `easel generate --backend gpus -` with 30 prompts on stdin, spread over three
/// single-worker reference servers (each runs one job at a time, `latency` seconds each), against the
/// ideal wall time (jobs × latency ÷ servers); then the same prompts on one of those servers alone.
/// The servers run in this process; Easel is the real binary, polling every 50 ms, two jobs in flight
/// per member so each server's own queue holds the next job.
struct PoolBench {
    let jobs: Int
    /// Seconds each server spends on one job.
    let latency: Double
    let servers: Int
    let easel: String
    let dir: String

    static let title = "Backend pool"
    /// The goal: wall time at most this multiple of the ideal.
    static let goalRatio = 1.15

    struct Result {
        var poolSeconds = 0.0
        var singleSeconds = 0.0
        /// Submits each server's log counted, in server order.
        var submits: [Int] = []
        var ideal = 0.0
        var ratio: Double { poolSeconds / ideal }
    }

    /// - Throws: `BenchError` when a server cannot start or a run does not complete every job.
    func run() async throws -> Result {
        var started: [ReferenceServer] = []
        var proxies: [CountingProxy] = []
        var urls: [String] = []
        for _ in 0..<servers {
            var c = ReferenceServer.Configuration()
            c.latency = .milliseconds(Int(latency * 1000))
            c.rateLimit = RateLimitSpec(requests: 10_000, window: .seconds(60))
            let server = ReferenceServer(configuration: c)
            do { try await server.start() } catch { throw BenchError("pool: a reference server did not start: \(error)") }
            started.append(server)
            let proxy = try CountingProxy(target: await server.port)   // counts each server's submits
            proxies.append(proxy)
            urls.append("http://127.0.0.1:\(proxy.port)")
        }
        defer { for p in proxies { p.stop() } }
        var toml = "[queue]\nconcurrency = 2\n"
        for (i, url) in urls.enumerated() {
            toml += "\n[backends.gpu\(i + 1)]\nkind = \"jobapi\"\nurl = \"\(url)\"\nconcurrency = 2\npoll_interval = 0.05\n"
        }
        toml += "\n[backends.gpus]\nkind = \"pool\"\nmembers = [\(urls.indices.map { "\"gpu\($0 + 1)\"" }.joined(separator: ", "))]\n"
        let config = dir + "/pool.toml"
        try toml.write(toFile: config, atomically: true, encoding: .utf8)
        let prompts = dir + "/prompts.txt"
        try (1...jobs).map { "harbour at dusk, variation \($0)" }.joined(separator: "\n").appending("\n")
            .write(toFile: prompts, atomically: true, encoding: .utf8)
        var result = Result(ideal: Double(jobs) * latency / Double(servers))
        do {
            result.poolSeconds = try generate(backend: "gpus", config: config, prompts: prompts, tag: "pool")
            result.submits = proxies.map { $0.requests.count { $0.method == "POST" && $0.path.hasPrefix("/api/generate") } }
            result.singleSeconds = try generate(backend: "gpu1", config: config, prompts: prompts, tag: "single")
        } catch {
            for s in started { await s.stop() }
            throw error
        }
        for s in started { await s.stop() }
        if result.submits.reduce(0, +) != jobs { throw BenchError("pool: the servers counted \(result.submits) submits for \(jobs) jobs") }
        return result
    }

    /// Runs `easel generate --backend NAME -` with the prompts on stdin; returns its wall time in seconds.
    private func generate(backend: String, config: String, prompts: String, tag: String) throws -> Double {
        let fd = open(prompts, O_RDONLY)
        guard fd >= 0 else { throw BenchError("cannot open \(prompts)") }
        defer { close(fd) }
        let out = dir + "/\(tag).out"
        let r = Subprocess.run(["env", "XDG_STATE_HOME=\(dir)/state-\(tag)", easel, "generate", "--config", config,
                                "--backend", backend, "--gallery", dir + "/gallery-\(tag)", "--pace", "1000/60s",
                                "--width", "256", "--height", "256", "-"],
                               stdout: out, stdinFD: fd)
        guard r.status == 0 else { throw BenchError("easel generate --backend \(backend) exited \(r.status): \(r.stderr)") }
        let saved = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").count
        guard saved == jobs else { throw BenchError("easel generate --backend \(backend) saved \(saved) of \(jobs) images") }
        return r.seconds
    }

    func goals(_ r: Result) -> [GoalRow] {
        [GoalRow(section: Self.title, figure: "\(jobs) jobs of \(Int(latency)) s on \(servers) single-worker servers",
                 value: String(format: "%.1f s (%.2f× ideal)", r.poolSeconds, r.ratio),
                 goal: String(format: "≤ %.2f× the ideal %.0f s", Self.goalRatio, r.ideal), met: r.ratio <= Self.goalRatio)]
    }

    func markdown(_ r: Result) -> String {
        var s = "## \(Self.title)\n\n"
        s += "`easel generate --backend gpus -` with \(jobs) prompts on stdin, on a pool of \(servers) reference servers"
        s += " (one worker each, \(Int(latency)) s per 256×256 job, polled every 50 ms, two jobs in flight per member), then the same"
        s += " prompts on one of those servers alone. One run each; wall time from spawn to exit.\n\n"
        s += "| Run | Wall | Ideal | Ratio | Submits per server |\n|---|---:|---:|---:|---|\n"
        s += String(format: "| pool of %d | %.1f s | %.0f s | %.2f× | %@ |\n", servers, r.poolSeconds, r.ideal, r.ratio,
                    r.submits.map(String.init).joined(separator: ", "))
        let single = Double(jobs) * latency
        s += String(format: "| one server | %.1f s | %.0f s | %.2f× | — |\n", r.singleSeconds, single, r.singleSeconds / single)
        return s
    }
}
