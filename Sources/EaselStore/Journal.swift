import EaselCore
import Foundation
import GRDB

/// One job as the journal keeps it: the frozen request, where it got to, and when (wall-clock seconds).
public struct JobRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "job"
    /// The job's id, unique across processes (sessions get disjoint id ranges).
    public var id: Int
    public var session: Int
    public var prompt: String
    public var negativePrompt: String
    public var width: Int
    public var height: Int
    public var seed: Int
    public var steps: Int
    public var backend: String
    /// `JobState.label` ("processing", "complete", "failed", …).
    public var state: String
    public var remoteID: String?
    public var imageURL: String?
    public var file: String?
    public var imageWidth: Int?
    public var imageHeight: Int?
    /// `JobError.kind` and message, for failed jobs.
    public var errorKind: String?
    public var errorMessage: String?
    public var attempts: Int
    public var createdAt: Double
    public var finishedAt: Double?
    public var updatedAt: Double
    public var starred: Bool = false

    public var request: GenerationRequest {
        GenerationRequest(prompt: prompt, negativePrompt: negativePrompt, width: width, height: height,
                          seed: UInt32(truncatingIfNeeded: seed), steps: steps)
    }
}

/// The job journal: SQLite through GRDB in WAL mode at `$XDG_STATE_HOME/easel/easel.sqlite`.
/// Every job transition is written (upsert by id); several Easel processes may share the file.
public final class Journal: Sendable {
    public let path: String
    private let pool: DatabasePool
    /// This process's session: its job ids are `session × 1,000,000 + n`.
    public let session: Int

    /// `$XDG_STATE_HOME/easel`, else `~/.local/state/easel`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let x = environment["XDG_STATE_HOME"], x.hasPrefix("/") { return x + "/easel" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state/easel"
    }

    /// Opens (creating) the journal in `directory` and starts a session for this process.
    /// - Throws: `JobError.storage` with the path and reason (unwritable folder, not a database, locked).
    public init(directory: String) throws(JobError) {
        path = directory + "/easel.sqlite"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var config = Configuration()
            config.busyMode = .timeout(5)                   // another Easel writing: wait, do not fail
            pool = try DatabasePool(path: path, configuration: config)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.create(table: "session") { t in
                    t.autoIncrementedPrimaryKey("id")
                    t.column("pid", .integer).notNull()
                    t.column("startedAt", .double).notNull()
                }
                try db.create(table: "job") { t in
                    t.primaryKey("id", .integer)
                    t.column("session", .integer).notNull().indexed()
                    t.column("prompt", .text).notNull()
                    t.column("negativePrompt", .text).notNull()
                    t.column("width", .integer).notNull()
                    t.column("height", .integer).notNull()
                    t.column("seed", .integer).notNull()
                    t.column("steps", .integer).notNull()
                    t.column("backend", .text).notNull()
                    t.column("state", .text).notNull().indexed()
                    t.column("remoteID", .text)
                    t.column("imageURL", .text)
                    t.column("file", .text)
                    t.column("imageWidth", .integer)
                    t.column("imageHeight", .integer)
                    t.column("errorKind", .text)
                    t.column("errorMessage", .text)
                    t.column("attempts", .integer).notNull()
                    t.column("createdAt", .double).notNull().indexed()
                    t.column("finishedAt", .double)
                    t.column("updatedAt", .double).notNull()
                    t.column("starred", .boolean).notNull().defaults(to: false)
                }
            }
            // Two Easel processes may open a new journal at the same moment: the loser of the race
            // finds the schema already made, so it simply tries again and sees nothing left to do.
            var attempt = 0
            while true {
                do {
                    try migrator.migrate(pool)
                    break
                } catch {
                    attempt += 1
                    if attempt >= 5 { throw error }
                    usleep(useconds_t(50_000 * attempt))
                }
            }
            session = try pool.write { db in
                try db.execute(sql: "INSERT INTO session (pid, startedAt) VALUES (?, ?)",
                               arguments: [Int(getpid()), Date().timeIntervalSince1970])
                return Int(db.lastInsertedRowID)
            }
        } catch let error as DatabaseError {
            throw .storage("\(directory)/easel.sqlite: \(error.message ?? "\(error.resultCode)")")
        } catch {
            throw .storage("\(directory): \((error as NSError).localizedDescription)")
        }
    }

    /// The first job id this session may use.
    public var firstJobID: Int { session * 1_000_000 + 1 }

    /// Writes (inserts or replaces) the records.
    /// - Throws: `JobError.storage` (disk full, locked past the 5 s busy timeout).
    public func write(_ records: [JobRecord]) throws(JobError) {
        guard !records.isEmpty else { return }
        do { try pool.write { db in for r in records { try r.save(db) } } }
        catch { throw .storage("\(path): \(error)") }
    }

    /// Finished jobs, newest first; `search` matches the prompt (substring, case-insensitive), the seed
    /// or the backend.
    public func history(limit: Int = 500, search: String? = nil) throws(JobError) -> [JobRecord] {
        do {
            return try pool.read { db in
                guard let search, !search.isEmpty else {
                    // Walk the createdAt index newest first; `+state` keeps SQLite from choosing the
                    // state index instead (which would read every finished job and sort them).
                    return try JobRecord.fetchAll(db, sql: """
                        SELECT * FROM job WHERE +state IN ('complete', 'failed', 'canceled')
                        ORDER BY createdAt DESC LIMIT ?
                        """, arguments: [limit])
                }
                let like = "%\(search)%"
                let query = JobRecord.filter(["complete", "failed", "canceled"].contains(Column("state")))
                    .filter(Column("prompt").like(like) || Column("backend").like(like) || Column("seed") == (Int(search) ?? -1))
                return try query.order(Column("createdAt").desc, Column("id").desc).limit(limit).fetchAll(db)
            }
        } catch { throw .storage("\(path): \(error)") }
    }

    /// Jobs left in flight by sessions whose process is gone (crash, SIGKILL, SSH drop), claimed for
    /// this session so that two Easel processes never resume the same job.
    /// Only jobs sent to `backend` (the display name) are claimed: another backend cannot answer for them.
    public func claimOrphans(backend: String? = nil) throws(JobError) -> [JobRecord] {
        do {
            return try pool.write { db in
                let sessions = try Row.fetchAll(db, sql: "SELECT id, pid FROM session WHERE id != ?", arguments: [session])
                let dead = sessions.filter { row in
                    let pid: Int = row["pid"]
                    return kill(pid_t(pid), 0) != 0 && errno == ESRCH
                }.map { $0["id"] as Int }
                guard !dead.isEmpty else { return [] }
                let active = ["pending", "rate limited", "submitting", "queued", "processing", "downloading", "saving"]
                var query = JobRecord.filter(dead.contains(Column("session")) && active.contains(Column("state")))
                if let backend { query = query.filter(Column("backend") == backend) }
                var orphans = try query.fetchAll(db)
                for i in orphans.indices {
                    orphans[i].session = session
                    try orphans[i].update(db)
                }
                try db.execute(sql: "DELETE FROM session WHERE id IN (\(dead.map(String.init).joined(separator: ",")))")
                return orphans
            }
        } catch { throw .storage("\(path): \(error)") }
    }

    /// Removes jobs from the journal (their image files stay).
    public func delete(ids: [Int]) throws(JobError) {
        guard !ids.isEmpty else { return }
        do { _ = try pool.write { db in try JobRecord.deleteAll(db, keys: ids) } }
        catch { throw .storage("\(path): \(error)") }
    }

    public func count() throws(JobError) -> Int {
        do { return try pool.read { try JobRecord.fetchCount($0) } } catch { throw .storage("\(path): \(error)") }
    }
}
