import EaselCore
import EaselStore
import Foundation

/// Fills a journal with finished jobs through the `Journal` API (what the studio itself writes), for the
/// sections that need a big history: start-up, idle CPU and keystrokes.
enum JournalSeed {
    static let words = ["lighthouse", "dusk", "red sun", "sea", "mountains", "forest", "city at night", "stars", "moon"]

    /// Writes `count` completed jobs (768×768, demo backend, one wall-clock second apart, newest last) in
    /// transactions of 10,000 rows.
    /// - Returns: the wall time the writes took.
    /// - Throws: `JobError.storage` from the journal (disk full, locked).
    @discardableResult
    static func fill(_ journal: Journal, jobs count: Int) throws(JobError) -> Duration {
        let start = ContinuousClock.now
        var batch: [JobRecord] = []
        let now = ContinuousClock.now
        for i in 0..<count {
            let prompt = "\(words[i % words.count]) \(words[(i / 7) % words.count]) #\(i)"
            let job = Job(id: JobID(journal.firstJobID + i), request: GenerationRequest(prompt: prompt, seed: UInt32(i)),
                          state: .complete(SavedImage(path: "/g/\(i).png", width: 768, height: 768)),
                          remoteID: RemoteJobID("r\(i)"), createdAt: now, finishedAt: now, createdWallTime: 1_700_000_000 + Double(i))
            batch.append(JobRecord(job, backend: "demo", session: journal.session, now: now, wallNow: 1_700_000_000 + Double(i) + 2))
            if batch.count == 10_000 { try journal.write(batch); batch.removeAll(keepingCapacity: true) }
        }
        try journal.write(batch)
        return .now - start
    }

    /// A state directory for `XDG_STATE_HOME` whose `easel/` journal holds `count` finished jobs.
    /// - Throws: `JobError.storage` when the journal cannot be created or written.
    static func stateHome(in dir: String, jobs count: Int) throws(JobError) -> String {
        let home = dir + "/state-\(count)-\(UInt32.random(in: .min ... .max))"
        let journal = try Journal(directory: home + "/easel")
        try fill(journal, jobs: count)
        return home
    }
}
