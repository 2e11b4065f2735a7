import EaselCore
import EaselHTTP
import EaselServer
import EaselServerPostgres
import FakeServices
import Foundation

/// `easel serve --store`: accepted submits per second and submit latency (median, p99) for one and two
/// reference servers, in memory and on one PostgreSQL database (a private cluster started for the bench),
/// against the demo generator. `clients` submitters send `submits` jobs in all, spread over the instances
/// in turn, through libcurl on loopback. The rate limit is set past reach (10^9 per 60 s) and the queue
/// unbounded; in PostgreSQL the per-IP check still runs (one client IP: its submits serialize on it).
/// Memory instances share nothing: their two-instance figure is two separate queues, for scale only.
struct ServeStoreBench {
    let submits: Int
    let clients: Int

    static let title = "Server store: submit throughput"

    struct Row {
        let store: String
        let instances: Int
        let accepted: Int
        let wall: Double
        let latencies: [Double]
        var perSecond: Double { Double(accepted) / wall }
    }

    /// - Throws: `BenchError` when a server or the cluster does not start, or a submit is refused.
    func run() async throws -> [Row] {
        var rows: [Row] = []
        for n in [1, 2] { rows.append(try await measure("memory", instances: n, store: nil)) }
        try await PrivatePostgres.with { cluster in
            for n in [1, 2] {
                try cluster.createDatabase("bench\(n)")
                let url = cluster.url("bench\(n)")
                rows.append(try await measure("PostgreSQL", instances: n) { try PostgresStore(url: url) })
            }
        }
        return rows
    }

    private func measure(_ name: String, instances: Int, store: (() throws -> PostgresStore)?) async throws -> Row {
        var servers: [ReferenceServer] = [], stores: [PostgresStore] = []
        defer { for s in stores { Task { await s.close() } } }
        for _ in 0..<instances {
            var c = ReferenceServer.Configuration()
            c.rateLimit = RateLimitSpec(requests: 1_000_000_000, window: .seconds(60))
            c.maxPendingJobs = .max
            c.maxStoredJobs = submits * 2
            if let store {
                let s = try store()
                try await s.start()
                stores.append(s)
                c.store = s
            }
            let server = ReferenceServer(configuration: c)
            do { try await server.start() } catch { throw BenchError("serve-store: a server did not start: \(error)") }
            servers.append(server)
        }
        var bases: [String] = []
        for s in servers { bases.append(await s.baseURL) }
        let body = Array(#"{"prompt": "harbour at dusk", "width": 64, "height": 64, "seed": 3, "steps": 4}"#.utf8)
        let (total, clients, targets) = (submits, clients, bases)
        let start = ContinuousClock.now
        let samples = await withTaskGroup(of: [(Double, Int)].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var out: [(Double, Int)] = []
                    for i in stride(from: client, to: total, by: clients) {
                        let t0 = ContinuousClock.now
                        let status = (try? await HTTPClient().send(.postJSON(targets[i % targets.count] + "/api/generate", body)).status) ?? 0
                        out.append(((ContinuousClock.now - t0).inSeconds, status))
                    }
                    return out
                }
            }
            var all: [(Double, Int)] = []
            for await part in group { all += part }
            return all
        }
        let wall = (ContinuousClock.now - start).inSeconds
        for s in servers { await s.stop() }
        let refused = samples.filter { $0.1 != 200 }
        guard refused.isEmpty else { throw BenchError("serve-store: \(refused.count) submits refused (\(Set(refused.map(\.1))))") }
        return Row(store: name, instances: instances, accepted: samples.count, wall: wall, latencies: samples.map(\.0))
    }

    func markdown(_ rows: [Row]) -> String {
        var s = "## \(Self.title)\n\n"
        s += "`easel-bench --only serve-store`: \(submits) submits from \(clients) concurrent clients (libcurl, loopback), "
        s += "rate limit out of reach, demo generator (3 s a job) behind; PostgreSQL 15 is a private cluster on this machine "
        s += "(fsync off). Memory instances share nothing; PostgreSQL instances share one queue, one limit and one event log.\n\n"
        s += "| store | instances | accepted | submits/s | median ms | p99 ms |\n|---|---|---|---|---|---|\n"
        for r in rows {
            s += "| \(r.store) | \(r.instances) | \(r.accepted) | \(String(format: "%.0f", r.perSecond)) | "
            s += "\(msText(r.latencies.percentile(0.5) ?? 0)) | \(msText(r.latencies.percentile(0.99) ?? 0)) |\n"
        }
        return s
    }
}
