import ArgumentParser
import EaselApp
import EaselCore
import EaselServer
import EaselServerPostgres
import Foundation

extension Easel {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the job server (the seed API) in front of a configured backend, or the offline procedural demo.",
            discussion: """
                Jobs run on --backend NAME (a [backends.NAME] table of the config: comfyui, a1111/forge, sdcpp, \
                openai, replicate, fal, jobapi) through the same adapters the studio uses: upstream progress feeds \
                the status and GET /api/events/{jobId}; upstream failures become "failed" with their category \
                (network, server, invalid_prompt, graph, inference_failed, ...); a cancel cancels upstream. The \
                table's concurrency (default 1; A1111 at most 1) is how many jobs run upstream at once. Without \
                --backend the offline procedural demo paints the pictures (--latency). Pools are not served: \
                run one instance per member. State (jobs, images, rate limits) is in memory.

                GET /healthz answers 200 {"status":"ok","workers":N,"store":"memory"}, 503 while shutting \
                down or when a worker has stopped. Logs are one key=value line per event on stderr \
                (ts=... level=info event=submitted job=... ip=...). SIGTERM or SIGINT: new submits get 503, \
                queued jobs fail with category shutdown, running jobs get --shutdown-grace seconds to finish, \
                then the server exits 0. X-Forwarded-For is honoured only from --trusted-proxy networks: \
                the per-IP limit then counts the rightmost hop that is not a trusted proxy.

                Faults for testing clients (--fault NAME[,NAME...]; docs/faults.md has the table):
                \(Fault.allCases.map { "  \($0.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0))\($0.doc)" }.joined(separator: "\n"))
                With --fault or --allow-fault-header, a request's X-Easel-Fault: NAME header picks its fault.
                """)

        @Option(help: "IPv4 or IPv6 address to bind (0.0.0.0 or :: for every interface).")
        var host: String = "127.0.0.1"

        @Option(help: "Run jobs on this backend: a [backends.NAME] table of the config file (default: the offline procedural demo).")
        var backend: String?

        @Option(help: "Config file for --backend (default: $XDG_CONFIG_HOME/easel/config.toml).")
        var config: String?

        @Option(help: "Seconds running jobs get to finish after SIGTERM/SIGINT before they fail and the server exits.")
        var shutdownGrace: Double = 30

        @Option(help: "A proxy network (CIDR, e.g. 10.0.0.0/8 or ::1/128) whose X-Forwarded-For is honoured; repeatable. None by default.")
        var trustedProxy: [String] = []

        @Option(help: "TCP port (0 picks a free one).")
        var port: UInt16 = 8787

        @Option(help: "Per-IP limit on POST /api/generate, e.g. 8/60s.")
        var rateLimit: String = "8/60s"

        @Option(help: "Simulated generation time per job of the procedural demo, in seconds.")
        var latency: Double = 3

        @Option(help: "Seconds between heartbeat comments on an idle event stream (GET /api/events/{jobId}).")
        var eventHeartbeat: Double = 15

        @Option(help: "Event streams open at once at most; past it the events route answers 503.")
        var maxStreams = 256

        @Option(help: "Keep jobs, rate limits, events and images in PostgreSQL (postgres://user@host:port/db), shared by every instance on that database; default: this process's memory.")
        var store: String?

        @Option(help: "With --store: seconds a worker's claim on a job lasts unrenewed; a dead instance's job is taken over after it.")
        var lease: Double = 30

        @Flag(help: "Do not log requests to stderr.")
        var quiet = false

        @Option(help: "Inject faults, e.g. 500,reset,bomb (names listed above); each request they apply to gets one at random.")
        var fault: String?

        @Option(help: "Probability 0..1 that a request gets one of the --fault faults.")
        var faultRate: Double = 1

        @Option(help: "Seconds the slow-headers and slow-body faults stall.")
        var faultStall: Double = 30

        @Option(help: "Body size of the huge fault, in MiB.")
        var faultHugeMib: Int = 80

        @Flag(help: "Honour the X-Easel-Fault request header even without --fault.")
        var allowFaultHeader = false

        func validate() throws {
            guard RateLimitSpec(rateLimit) != nil else { throw ValidationError("--rate-limit must look like 8/60s") }
            try SecondsOption.check(shutdownGrace, "--shutdown-grace")
            for cidr in trustedProxy where TrustedProxies.CIDR(cidr) == nil {
                throw ValidationError("--trusted-proxy \(cidr): not an address or network (10.0.0.0/8, ::1/128)")
            }
            try SecondsOption.check(latency, "--latency")
            try SecondsOption.check(eventHeartbeat, "--event-heartbeat", least: 0.01)
            if let store { do { _ = try PostgresStore.parseCheck(store) } catch { throw ValidationError("--store: \(error)") } }
            try SecondsOption.check(lease, "--lease", least: 0.3)
            guard maxStreams >= 0 else { throw ValidationError("--max-streams must be 0 or more") }
            if let fault {
                do { _ = try Fault.parseList(fault) } catch { throw ValidationError("--fault: \(error.message)") }
            }
            guard faultRate.isFinite, (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be in 0...1") }
            try SecondsOption.check(faultStall, "--fault-stall")
            guard (1...4096).contains(faultHugeMib) else { throw ValidationError("--fault-huge-mib must be in 1...4096") }
        }

        mutating func run() async throws {
            var config = ReferenceServer.Configuration()
            config.host = host
            config.port = port
            config.rateLimit = RateLimitSpec(rateLimit)!
            config.latency = .seconds(milliseconds: latency)
            config.logRequests = !quiet
            config.eventHeartbeat = .seconds(milliseconds: eventHeartbeat)
            config.maxOpenStreams = maxStreams
            config.faults = fault.flatMap { try? Fault.parseList($0) } ?? []
            config.faultRate = faultRate
            config.faultStall = .seconds(milliseconds: faultStall)
            config.faultHugeBytes = faultHugeMib << 20
            config.allowFaultHeader = allowFaultHeader || !config.faults.isEmpty
            config.trustedProxies = TrustedProxies(trustedProxy.compactMap(TrustedProxies.CIDR.init))
            if let backend {
                do { config.generator = try UpstreamGenerator.make(config: try loadConfigFile(self.config), backend: backend) } catch let e as CLIError {
                    FileHandle.standardError.write(Data("Error: easel serve: \(e.description)\n".utf8))
                    throw ExitCode(e.exitStatus)              // 64 for an unknown backend, 1 for a table that cannot be set up
                }
            }
            let generator = config.generator
            var shared: PostgresStore?
            if let store {
                do {
                    let pg = try PostgresStore(url: store)
                    try await pg.start()
                    shared = pg
                } catch { throw CLIError("easel serve: --store \(store): \(String(reflecting: error))") }
                config.store = shared
                config.lease = .seconds(milliseconds: lease)
            }
            let server = ReferenceServer(configuration: config)
            let interrupts = Headless.interruptSignals()
            do { try await server.start() } catch let error as ReferenceServer.StartError {
                throw CLIError("easel serve: \(error)")
            }
            let what = generator.map { "\($0.label); \($0.concurrency) at once" } ?? "latency \(latency)s; \(SketchGenerator.label)"
            let storeNote = shared == nil ? "" : "; store PostgreSQL, schema v\(PostgresStore.latestVersion), lease \(lease)s"
            print("easel serve: listening on \(await server.baseURL) (rate limit \(config.rateLimit), \(what)\(storeNote))")
            if !trustedProxy.isEmpty { print("easel serve: X-Forwarded-For honoured from \(trustedProxy.joined(separator: ", "))") }
            if config.allowFaultHeader {
                let list = config.faults.isEmpty ? "none at random" : "\(config.faults.map(\.rawValue).joined(separator: ",")) at rate \(faultRate)"
                print("easel serve: FAULT INJECTION ON (\(list); X-Easel-Fault header honoured)")
            }
            fflush(nil)
            for await _ in interrupts { break }
            await server.shutdown(grace: .seconds(milliseconds: shutdownGrace))
            fflush(nil)
        }
    }
}
