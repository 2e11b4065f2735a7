import ArgumentParser
import EaselApp
import EaselCore
import EaselServer
import EaselServerPostgres
import Foundation

extension Easel {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the reference job server (the seed API) with the offline procedural generator.",
            discussion: """
                Faults for testing clients (--fault NAME[,NAME...]; docs/faults.md has the table):
                \(Fault.allCases.map { "  \($0.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0))\($0.doc)" }.joined(separator: "\n"))
                With --fault or --allow-fault-header, a request's X-Easel-Fault: NAME header picks its fault.
                """)

        @Option(help: "IPv4 address to bind.")
        var host: String = "127.0.0.1"

        @Option(help: "TCP port (0 picks a free one).")
        var port: UInt16 = 8787

        @Option(help: "Per-IP limit on POST /api/generate, e.g. 8/60s.")
        var rateLimit: String = "8/60s"

        @Option(help: "Simulated generation time per job, in seconds.")
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
            guard latency >= 0 else { throw ValidationError("--latency must be 0 or more") }
            guard eventHeartbeat >= 0.01 else { throw ValidationError("--event-heartbeat must be at least 0.01 seconds") }
            if let store { do { _ = try PostgresStore.parseCheck(store) } catch { throw ValidationError("--store: \(error)") } }
            guard lease >= 0.3 else { throw ValidationError("--lease must be at least 0.3 seconds") }
            guard maxStreams >= 0 else { throw ValidationError("--max-streams must be 0 or more") }
            if let fault {
                do { _ = try Fault.parseList(fault) } catch { throw ValidationError("--fault: \(error.message)") }
            }
            guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be in 0...1") }
            guard faultStall >= 0 else { throw ValidationError("--fault-stall must be 0 or more seconds") }
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
            do { try await server.start() } catch let error as ReferenceServer.StartError {
                throw CLIError("easel serve: \(error)")
            }
            print("easel serve: listening on \(await server.baseURL) (rate limit \(config.rateLimit), latency \(latency)s; \(SketchGenerator.label)\(shared == nil ? "" : "; store PostgreSQL, schema v\(PostgresStore.latestVersion), lease \(lease)s"))")
            if config.allowFaultHeader {
                let list = config.faults.isEmpty ? "none at random" : "\(config.faults.map(\.rawValue).joined(separator: ",")) at rate \(faultRate)"
                print("easel serve: FAULT INJECTION ON (\(list); X-Easel-Fault header honoured)")
            }
            fflush(nil)
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
