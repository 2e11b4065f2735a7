import EaselServer
import Foundation
import Glibc
import Synchronization

/// Job overhead: what one job costs on the wire and how long its result takes to reach the screen,
/// against the reference server with the seed's 2 s poll, compared with the theoretical minimum.
///
/// The studio talks to an in-process `ReferenceServer` (the code `easel serve` runs) through a
/// `CountingProxy`; a separate observer polls the server directly (not through the proxy, so it is not
/// counted) every 10 ms to learn when the job completed.
struct JobOverheadBench {
    /// The server's simulated generation time in seconds (the demo default is 3).
    let latency: Double
    let runs: Int
    let easel: String
    let dir: String
    /// The server names each job's event stream and the studio follows it (JobOverheadBench+Push.swift);
    /// false: a plain seed-API server, polled every 2 s.
    var push = false

    static let title = "Job overhead"
    static let pollInterval = 2.0
    /// Seconds between the observer's status requests.
    static let observeEvery = 0.010
    /// What may follow the poll that sees completion: download, save, one frame, our screen polling.
    static let delayGoalAboveFloor = 0.250

    struct Run {
        var startupRequests: [CountingProxy.Request] = []
        var requests: [CountingProxy.Request] = []
        var push = false
        var submitAt = 0.0, completedAt = 0.0, screenAt = 0.0
        var submits: Int { requests.filter { $0.method == "POST" && $0.path.hasPrefix("/api/generate") }.count }
        var polls: [CountingProxy.Request] { requests.filter { $0.method == "GET" && $0.path.hasPrefix("/api/status/") } }
        var downloads: Int { requests.filter { $0.method == "GET" && $0.path.hasPrefix("/images/") }.count }
        var streams: Int { requests.filter { $0.method == "GET" && $0.path.hasPrefix("/api/events/") }.count }
        /// When the download's request reached the proxy.
        var downloadAt: Double? { requests.first { $0.method == "GET" && $0.path.hasPrefix("/images/") }?.at }
        var others: [CountingProxy.Request] {
            requests.filter { !($0.path.hasPrefix("/api/generate") || $0.path.hasPrefix("/api/status/") || $0.path.hasPrefix("/images/")
                                || $0.path.hasPrefix("/api/events/")) }
        }
        /// Server-side generation time as observed: submit → first "completed" answer.
        var serverTime: Double { completedAt - submitAt }
        /// Polling: submit + ⌈server time ÷ 2 s⌉ polls + download. Push: submit + one stream + download.
        var minimumRequests: Int { push ? 3 : 2 + Int((serverTime / JobOverheadBench.pollInterval).rounded(.up)) }
        /// The next poll on a 2 s grid from the submit, after completion (push: nothing to wait for).
        var delayFloor: Double {
            push ? 0 : JobOverheadBench.pollInterval * (serverTime / JobOverheadBench.pollInterval).rounded(.up) - serverTime
        }
        var delay: Double { screenAt - completedAt }
        /// The poll that got "completed": the first poll after completion.
        var sawItAt: Double? { polls.first { $0.at >= completedAt }?.at }
    }

    struct Result { var runs: [Run] = [] }

    /// - Throws: `BenchError` when the server, proxy or studio fails, or the job never shows.
    func run(_ tmux: TmuxSession) async throws -> Result {
        var config = ReferenceServer.Configuration()
        config.latency = .milliseconds(Int(latency * 1000))
        config.rateLimit = RateLimitSpec(requests: 1000, window: .seconds(60))
        config.offerEvents = push
        let server = ReferenceServer(configuration: config)
        do { try await server.start() } catch { throw BenchError("job overhead: the reference server did not start: \(error)") }
        let serverPort = await server.port
        let proxy = try CountingProxy(target: serverPort)
        var result = Result()
        do {
            for i in 0..<runs { result.runs.append(try oneJob(tmux, proxy: proxy, serverPort: serverPort, index: i)) }
        } catch {
            proxy.stop()
            await server.stop()
            throw error
        }
        proxy.stop()
        await server.stop()
        if let p = proxy.problems.first { throw BenchError("job overhead: the proxy could not count: \(p)") }
        return result
    }

    private func oneJob(_ tmux: TmuxSession, proxy: CountingProxy, serverPort: UInt16, index: Int) throws -> Run {
        let name = "job\(index)"
        let gallery = dir + "/gallery-job-\(index)"
        let command = "exec env TERM=tmux-256color \(shellQuote(easel)) --server http://127.0.0.1:\(proxy.port) "
            + "--poll-interval \(Self.pollInterval) --graphics none --probe-timeout 0 --gallery \(shellQuote(gallery)) 2>/dev/null"
        proxy.reset()
        tmux.open(name, stateHome: dir + "/state-job-\(index)", command: command)
        defer { tmux.close(name) }
        guard tmux.waitFor(name, timeout: 30, interval: 0.05, TmuxSession.isFullFrame) != nil else {
            throw BenchError("job overhead: no first frame:\n\(tmux.capture(name))")
        }
        usleep(500_000)
        var run = Run()
        run.push = push
        run.startupRequests = proxy.requests
        proxy.reset()
        let prompt = "a lighthouse at dusk \(index)"
        tmux.literal(name, prompt)
        guard tmux.waitFor(name, timeout: 10, interval: 0.02, { $0.contains(prompt) }) != nil else {
            throw BenchError("job overhead: the prompt did not appear")
        }
        let observation = Observation()
        let observer = Thread {
            var id: String?
            while observation.running.load(ordering: .acquiring) {
                if id == nil { id = proxy.jobIDs.first }
                if let id, let body = Self.get("/api/status/\(id)", port: serverPort), body.contains("\"status\":\"completed\"") {
                    observation.completedAt.withLock { $0 = Clock.now() }
                    return
                }
                usleep(useconds_t((id == nil ? 0.001 : Self.observeEvery) * 1e6))
            }
        }
        observer.start()
        tmux.keys(name, "Enter")
        let shown = tmux.waitFor(name, timeout: latency + 30, interval: 0.01) { screen in
            screen.split(separator: "\n").contains { $0.contains("✓") && $0.contains("lighthouse") }
        }
        observation.running.store(false, ordering: .releasing)
        guard let shown else { throw BenchError("job overhead: the job did not complete on screen:\n\(tmux.capture(name))") }
        usleep(useconds_t(Self.pollInterval * 1.25 * 1e6))             // any poll after it would show up by now
        guard let completed = observation.completedAt.withLock({ $0 }) else { throw BenchError("job overhead: the observer never saw the job complete") }
        run.requests = proxy.requests
        guard let submit = run.requests.first(where: { $0.method == "POST" }) else {
            throw BenchError("job overhead: no submit went through the proxy")
        }
        guard run.downloads >= 1 else { throw BenchError("job overhead: the image download did not come through the proxy") }
        run.submitAt = submit.at
        run.completedAt = completed
        run.screenAt = shown
        return run
    }

    /// What the observer thread found.
    private final class Observation: Sendable {
        let completedAt = Mutex<Double?>(nil)
        let running = Atomic<Bool>(true)
    }

    /// `GET path` straight to the server (one connection, `Connection: close`); the body and head, or nil.
    static func get(_ path: String, port: UInt16) -> String? {
        let fd = CountingProxy.connectLoopback(port)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else { return nil }
        var out: [UInt8] = [], buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    func goals(_ r: Result) -> [GoalRow] {
        let total = r.runs.map { Double($0.requests.count) }.median ?? .nan
        let minimum = r.runs.map { Double($0.minimumRequests) }.median ?? .nan
        let excess = r.runs.map { $0.delay - $0.delayFloor }.median ?? .nan
        let delay = r.runs.map(\.delay).median ?? .nan, floor = r.runs.map(\.delayFloor).median ?? .nan
        return [GoalRow(section: Self.title, figure: "requests per job, \(String(format: "%g", latency)) s latency, 2 s poll",
                        value: String(format: "%.0f (minimum %.0f)", total, minimum), goal: "= the minimum",
                        met: r.runs.allSatisfy { $0.requests.count == $0.minimumRequests }),
                GoalRow(section: Self.title, figure: "completion → on screen",
                        value: String(format: "%.0f ms (floor %.0f, +%.0f)", delay * 1000, floor * 1000, excess * 1000),
                        goal: "floor + < \(Int(Self.delayGoalAboveFloor * 1000)) ms", met: excess < Self.delayGoalAboveFloor)]
    }

    func markdown(_ r: Result) -> String {
        let runs = r.runs
        func d(_ xs: [Double], _ digits: Int = 0) -> String { xs.summary(digits, scale: 1000) }
        let total = runs.map { Double($0.requests.count) }, minimum = runs.map { Double($0.minimumRequests) }
        let polls = runs.map { Double($0.polls.count) }
        let delays = runs.map(\.delay), floors = runs.map(\.delayFloor), excess = runs.map { $0.delay - $0.delayFloor }
        let pollToScreen = runs.compactMap { r in r.sawItAt.map { r.screenAt - $0 } }
        let ratio = runs.map { Double($0.requests.count) / Double($0.minimumRequests) }
        let extraKinds = Set(runs.flatMap { $0.others.map { "\($0.method) \($0.path)" } }).sorted()
        let startup = Set(runs.flatMap { $0.startupRequests.map { "\($0.method) \($0.path)" } }).sorted()
        let requestsOK = runs.allSatisfy { $0.requests.count == $0.minimumRequests }
        let delayOK = (excess.median ?? .infinity) < Self.delayGoalAboveFloor
        let pollsMin = Int((latency / Self.pollInterval).rounded(.up))
        return """
        ## \(Self.title)

        The `easel` studio (the release build in `make bench`) in tmux (`--server` pointing at a counting proxy, `--poll-interval \
        \(Int(Self.pollInterval))`, `--graphics none --probe-timeout 0`) generates one job per run against \
        an in-process `ReferenceServer` (what `easel serve` runs) with a simulated latency of \
        \(String(format: "%g", latency)) s. The proxy (a TCP forwarder in easel-bench; `Sources/EaselServer` is \
        untouched) parses every HTTP/1.1 request head the studio sends. An observer polls the server directly \
        every \(Int(Self.observeEvery * 1000)) ms (not through the proxy, so not counted) to time the job's \
        completion; *on screen* is when `tmux capture-pane`, polled every 10 ms, shows the job's ✓ row in the \
        history pane. \(runs.count) run(s), one studio each; requests made at start-up (before the prompt is \
        typed) are listed separately.

        - **Theoretical minimum** per job: 1 submit + ⌈server time ÷ 2 s⌉ polls + 1 download, the server \
        time being submit → completion as observed (the \(String(format: "%g", latency)) s latency plus \
        painting and PNG-encoding the image); with the bare latency that is 1 + \(pollsMin) + 1 = \(pollsMin + 2).
        - **Delay floor**: completion → the next poll on the 2 s grid from the submit. What lies above it is \
        the download, saving, the next frame, and our screen polling (≈ 10 ms plus a `capture-pane`).

        | Figure | Median (min–max) | Minimum / floor | Goal | Met |
        |---|---:|---:|---|---|
        | requests per job (all kinds) | \(total.summary(0)) | \(minimum.summary(0)) | = the minimum | \(mark(requestsOK)) |
        | of which status polls | \(polls.summary(0)) | \(runs.map { Double($0.minimumRequests - 2) }.summary(0)) | = ⌈server time ÷ 2 s⌉ | |
        | requests ÷ minimum (per run) | \(ratio.summary(2)) | 1.00 | 1.00 | |
        | server time, submit → completed (ms) | \(d(runs.map(\.serverTime))) | — | reference | |
        | completion → on screen (ms) | \(d(delays)) | \(d(floors)) | floor + < \(Int(Self.delayGoalAboveFloor * 1000)) ms | \(mark(delayOK)) |
        | delay above the floor (ms) | \(d(excess)) | 0 | < \(Int(Self.delayGoalAboveFloor * 1000)) ms | |
        | the poll that saw it → on screen (ms) | \(d(pollToScreen)) | — | reference | |

        Submits per job: \(runs.map { "\($0.submits)" }.joined(separator: ", ")); downloads: \
        \(runs.map { "\($0.downloads)" }.joined(separator: ", ")); other requests during the job: \
        \(extraKinds.isEmpty ? "none" : extraKinds.joined(separator: ", ")). At start-up: \
        \(startup.isEmpty ? "no requests" : startup.joined(separator: ", ")).

        """
    }
}
