import EaselCore
import EaselStore

/// What the studio takes back from the journal at start: the recent history, and every job that a
/// process which died (crash, `kill -9`, SIGHUP, a dropped SSH connection) left in flight on one of
/// this run's backends, claimed for this session in one transaction so no other Easel resumes it too.
public struct JournalRestore: Sendable {
    /// Finished jobs (newest 500) and claimed in-flight ones, oldest first, for `.restored`.
    public var jobs: [Job] = []
    /// One line each for the status bar: in-flight jobs left for a backend this run does not have.
    public var warnings: [String] = []

    /// The name old journals gave the embedded demo's jobs (before backends had config names).
    public static let legacyDemoName = "demo backend — procedural, offline"

    /// Reads the history and claims the orphans.
    /// - Parameters:
    ///   - backends: the config names of this run's backends ("demo", "gpu", …).
    ///   - ephemeral: backends whose server died with the process that used them (the embedded demo):
    ///     their jobs that had been sent cannot be resumed and come back failed ("interrupted", `t`
    ///     resends); jobs never sent come back pending.
    ///   - now, wallNow: the monotonic and wall-clock (seconds since 1970) time of the start.
    /// - Throws: `JobError.storage` from the journal.
    public static func load(from journal: Journal, backends: Set<String>, ephemeral: Set<String>,
                            now: ContinuousClock.Instant, wallNow: Double) throws(JobError) -> JournalRestore {
        var result = JournalRestore()
        result.jobs = try journal.history(limit: 500).reversed().map { $0.job(now: now, wallNow: wallNow) }
        var names = backends
        if backends.contains("demo") { names.insert(legacyDemoName) }
        let claim = try journal.claimOrphans(backends: names)
        var rewritten: [JobRecord] = []
        for record in claim.claimed {
            var r = record
            let isEphemeral = ephemeral.contains(r.backend) || (r.backend == legacyDemoName && ephemeral.contains("demo"))
            if r.backend == legacyDemoName { r.backend = "demo" }
            if isEphemeral, !["pending", "waiting"].contains(r.state) {
                r.state = "failed"
                r.errorKind = "network"
                r.errorMessage = JobError.network("interrupted: the demo backend stopped with the last Easel (t resends)").message
                r.finishedAt = wallNow
                r.updatedAt = wallNow
                rewritten.append(r)
            }
            result.jobs.append(r.job(now: now, wallNow: wallNow))
        }
        try journal.write(rewritten)            // the journal says what the screen says, at once
        for (backend, count) in claim.unclaimed.sorted(by: { $0.key < $1.key }) {
            result.warnings.append("\(count) job\(count == 1 ? "" : "s") left in flight on backend \"\(Sanitize.line(backend))\", "
                                   + "which this config does not have: kept in the journal until Easel runs with it")
        }
        return result
    }

    /// One line for the shell after the studio quits with this session's jobs in flight on services
    /// that keep them (every backend but `ephemeral`): they go on there and resume at the next start.
    /// nil when there are none (or the journal cannot be read).
    public static func stillInFlight(journal: Journal, ephemeral: Set<String>) -> String? {
        guard let rows = try? journal.inFlightJobsOfThisSession() else { return nil }
        let mine = rows.filter { !ephemeral.contains($0.backend) }
        guard !mine.isEmpty else { return nil }
        var byBackend: [String: Int] = [:]
        for r in mine { byBackend[r.backend, default: 0] += 1 }
        let on = byBackend.sorted { $0.key < $1.key }.map { "\($0.value) on \(Sanitize.line($0.key))" }.joined(separator: ", ")
        let n = mine.count
        return "\(n) job\(n == 1 ? " is" : "s are") still in flight (\(on)): \(n == 1 ? "it resumes" : "they resume") "
            + "the next time Easel starts with this journal; `easel history` lists \(n == 1 ? "it" : "them")"
    }
}
