import EaselBackends
import EaselCore
import EaselServer

/// `easel backends`: every configured backend asked for its health at once, each with a time limit.
public enum BackendHealthCheck {
    /// The adapter's `health()`, or "no answer within N s" once `limit` has passed on `clock` (the
    /// health request is then cancelled).
    public static func race<C: Clock>(_ adapter: any GenerationBackend, limit: Duration, clock: C) async -> BackendHealth
    where C.Duration == Duration {
        await withTaskGroup(of: BackendHealth?.self) { race in
            race.addTask { await adapter.health() }
            race.addTask {
                do { try await clock.sleep(for: limit) } catch { return nil }
                return BackendHealth(ok: false, detail: "no answer within \(Int(limit.inSeconds)) s")
            }
            let first = await race.next() ?? nil
            race.cancelAll()
            return first ?? BackendHealth(ok: false, detail: "no answer")
        }
    }

    /// Checks `entries` concurrently; the results come back in `entries` order.
    /// - Parameters:
    ///   - offline: check nothing, start nothing: every backend that can be set up is "not checked".
    ///   - limit: how long one backend may take to answer, all its requests included.
    ///   - makeAdapter: builds the adapter of a `[backends.NAME]` table; a setup error is that backend's result.
    ///   - demo: started for a `.demo` entry (unless `offline`); returned so the caller stops it.
    public static func run<C: Clock>(
        _ entries: [BackendOptions], offline: Bool, limit: Duration, clock: C, demo: DemoBackend,
        makeAdapter: (BackendOptions) throws(BackendSetupError) -> any GenerationBackend
    ) async -> (results: [(BackendOptions, BackendHealth)], demo: ReferenceServer?) where C.Duration == Duration {
        var adapters: [Int: any GenerationBackend] = [:]
        var byIndex: [Int: BackendHealth] = [:]
        var demoServer: ReferenceServer?
        let notChecked = BackendHealth(ok: true, detail: "not checked (--offline)")
        for (i, o) in entries.enumerated() {
            if o.kind == .demo {
                if offline { byIndex[i] = notChecked }
                else if let (api, server) = try? await demo.start() { demoServer = server; adapters[i] = api }
                continue
            }
            do throws(BackendSetupError) { adapters[i] = try makeAdapter(o) }
            catch { byIndex[i] = BackendHealth(ok: false, detail: error.message) }
        }
        if offline {
            for i in adapters.keys { byIndex[i] = notChecked }
        } else {
            await withTaskGroup(of: (Int, BackendHealth).self) { group in
                for (i, adapter) in adapters { group.addTask { (i, await race(adapter, limit: limit, clock: clock)) } }
                for await (i, h) in group { byIndex[i] = h }
            }
        }
        let results = entries.indices.map { (entries[$0], byIndex[$0] ?? BackendHealth(ok: false, detail: "could not be started")) }
        return (results, demoServer)
    }
}
