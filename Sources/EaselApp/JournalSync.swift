import Dispatch
import EaselCore
import EaselStore
import Foundation

/// Writes every job transition to the journal: after each batch of actions the loop hands over the
/// state, and jobs whose record changed are written on a background queue (never blocking the UI).
/// `flush()` waits for the writes (quit, SIGHUP, SIGTERM).
public final class JournalSync: @unchecked Sendable {
    public let journal: Journal
    private let backend: String
    private var written: [JobID: JobRecord] = [:]     // touched only by the owning loop
    private var seen: [JobID: Job] = [:]
    private var lastJobs: [Job]?                      // the list the last sync went through
    /// Jobs checked one by one against what was last synced, over every `sync` so far (a test's measure of the work).
    public private(set) var jobsCompared = 0
    private let queue = DispatchQueue(label: "easel.journal")
    private let onError: @Sendable (JobError) -> Void

    public init(journal: Journal, backend: String, onError: @escaping @Sendable (JobError) -> Void = { _ in }) {
        self.journal = journal
        self.backend = backend
        self.onError = onError
    }

    /// Marks jobs read from the journal as already written.
    public func adopt(_ jobs: [Job], now: ContinuousClock.Instant, wallNow: Double) {
        for job in jobs { written[job.id] = JobRecord(job, backend: backend, session: journal.session, now: now, wallNow: wallNow) }
        lastJobs = nil
    }

    public func sync(_ state: AppState) {
        // Most batches (a keystroke, an idle tick) leave the job list as it was: the same array, compared in
        // O(1), instead of one comparison per job and a set of every id.
        if let lastJobs, state.jobs == lastJobs { return }
        lastJobs = state.jobs
        var changed: [JobRecord] = []
        jobsCompared += state.jobs.count
        for job in state.jobs {
            // The loop calls this after every batch (10 times a second while a job animates):
            // an unchanged job costs one comparison, not a record built and compared.
            if seen[job.id] == job { continue }
            seen[job.id] = job
            var record = JobRecord(job, backend: backend, session: journal.session, now: state.now, wallNow: state.wallTime)
            if let old = written[job.id] {
                record.updatedAt = old.updatedAt
                if let f = old.finishedAt, record.finishedAt != nil { record.finishedAt = f }   // keep the first wall time
                if old == record { continue }
            }
            record.updatedAt = state.wallTime
            written[job.id] = record
            changed.append(record)
        }
        let present = Set(state.queue.jobs.map(\.id))
        let removed = written.keys.filter { !present.contains($0) }     // deleted from the history (d)
        for id in removed { written[id] = nil; seen[id] = nil }
        guard !changed.isEmpty || !removed.isEmpty else { return }
        let journal = self.journal, onError = self.onError, records = changed, gone = removed.map(\.rawValue)
        queue.async {
            do throws(JobError) {
                try journal.write(records)
                try journal.delete(ids: gone)
            } catch { onError(error) }
        }
    }

    public func flush() { queue.sync {} }

    private var draftWritten: String?
    private var pickedWritten: [String: String]?

    /// Keeps the models picked in the studio (`AppState.pickedModels`) in the journal; only the picks that
    /// changed since the last call are written. The first call marks `picked` as already there (what was read at start).
    public func syncPickedModels(_ picked: [String: String], wallTime: Double) {
        guard let before = pickedWritten else { pickedWritten = picked; return }
        guard picked != before else { return }
        pickedWritten = picked
        let changed = picked.filter { before[$0.key] != $0.value }
        let journal = self.journal, onError = self.onError
        queue.async {
            do throws(JobError) {
                for (backend, model) in changed.sorted(by: { $0.key < $1.key }) { try journal.setPickedModel(model, for: backend, at: wallTime) }
            } catch { onError(error) }
        }
    }

    /// Keeps the prompt being edited in `draft.txt` beside the journal, so it survives a crash.
    public func syncDraft(_ text: String) {
        guard text != draftWritten else { return }
        draftWritten = text
        let path = (journal.path as NSString).deletingLastPathComponent + "/draft.txt"
        queue.async {
            let tmp = path + ".tmp"
            if (try? text.write(toFile: tmp, atomically: false, encoding: .utf8)) != nil { rename(tmp, path) }
        }
    }

    /// The draft left by the last run, if any.
    public static func savedDraft(journal: Journal) -> String? {
        let path = (journal.path as NSString).deletingLastPathComponent + "/draft.txt"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return nil }
        return text
    }
}
