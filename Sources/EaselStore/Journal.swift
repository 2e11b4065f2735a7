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

    /// Set when the journal file could not be read as a database and was moved aside: one sentence
    /// for the user saying what was found, where the old file now is, and that a new journal started.
    public let recovery: String?
    /// Where the unreadable journal was moved (`…/easel.sqlite.corrupt-YYYYMMDD-HHMMSS`), when it was.
    public let movedAsideTo: String?

    /// Opens (creating) the journal in `directory` and starts a session for this process.
    ///
    /// A file that is not a readable SQLite database (garbage bytes, a damaged page) is never
    /// deleted: it is moved to `easel.sqlite.corrupt-YYYYMMDD-HHMMSS` (with its `-wal`/`-shm`), a new
    /// journal is started, and `recovery` says so.
    /// - Throws: `JobError.storage` with the path and reason: an unwritable or unreadable folder or
    ///   file, or a journal locked by another program for more than the 5 s busy timeout.
    public init(directory: String) throws(JobError) {
        let path = directory + "/easel.sqlite"
        self.path = path
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        catch { throw JobError.storage("\(directory): cannot create the journal folder: \(Self.reason(error))") }
        var opened: (DatabasePool, Int)
        var recovery: String?
        var movedAsideTo: String?
        do {
            opened = try Self.openRetryingQuickBusy(path)
        } catch {
            guard Self.isUnreadable(error) else { throw Self.storageError(error, path: path) }
            do {
                if Self.stillUnreadable(path) {
                    let aside = try Self.moveAside(path)
                    movedAsideTo = aside
                    recovery = "\(path) was not a readable SQLite database (\(Self.reason(error))): moved it to \(aside) "
                        + "and started a new, empty journal. Images in the gallery are untouched; "
                        + "`sqlite3 \(aside) .recover` may salvage the old history."
                }
                opened = try Self.open(path)        // another Easel may have moved it aside first
            } catch {
                throw Self.storageError(error, path: path)
            }
        }
        (pool, session) = opened
        self.recovery = recovery
        self.movedAsideTo = movedAsideTo
    }

    /// `open`, tried again when SQLite answered BUSY/LOCKED *at once*: processes creating a new journal
    /// together race on switching it to WAL, which SQLite reports without waiting out the busy timeout.
    /// A lock held past the 5 s timeout (another program) is not retried.
    private static func openRetryingQuickBusy(_ path: String) throws -> (DatabasePool, Int) {
        var attempt = 0
        while true {
            let started = ContinuousClock.now
            do { return try open(path) } catch let e as DatabaseError where
                (e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED)
                && ContinuousClock.now - started < .seconds(1) && attempt < 8 {
                attempt += 1
                usleep(useconds_t(20_000 * attempt + Int.random(in: 0..<20_000)))
            }
        }
    }

    private static func open(_ path: String) throws -> (DatabasePool, Int) {
        var config = Configuration()
        config.busyMode = .timeout(5)                   // another Easel writing: wait, do not fail
        let pool = try DatabasePool(path: path, configuration: config)
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
        // A file that is not a database, locked past the busy timeout, or unwritable is not retried.
        var attempt = 0
        while true {
            do {
                try migrator.migrate(pool)
                break
            } catch {
                attempt += 1
                if attempt >= 5 || isUnreadable(error) || isFinal(error) { throw error }
                usleep(useconds_t(50_000 * attempt))
            }
        }
        // Read what start-up reads (the newest jobs, the sessions): a damaged page there is found now,
        // while the file can still be moved aside, not halfway through start-up.
        try pool.read { db in
            _ = try Row.fetchAll(db, sql: """
                SELECT * FROM job WHERE +state IN ('complete', 'failed', 'canceled') ORDER BY createdAt DESC LIMIT 500
                """)
            _ = try Row.fetchAll(db, sql: "SELECT * FROM session")
        }
        let session = try pool.write { db in
            try db.execute(sql: "INSERT INTO session (pid, startedAt) VALUES (?, ?)",
                           arguments: [Int(getpid()), Date().timeIntervalSince1970])
            return Int(db.lastInsertedRowID)
        }
        return (pool, session)
    }

    // MARK: - Bad files

    /// Not a database, or a damaged one (SQLITE_NOTADB, SQLITE_CORRUPT).
    static func isUnreadable(_ error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return e.resultCode == .SQLITE_NOTADB || e.resultCode == .SQLITE_CORRUPT
    }

    /// Errors that trying again will not fix: locked past the busy timeout, no permission, read-only.
    static func isFinal(_ error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH,
                .SQLITE_IOERR, .SQLITE_FULL].contains(e.resultCode)
    }

    /// Checks again, read-only, before moving a file aside: another Easel may already have replaced it.
    static func stillUnreadable(_ path: String) -> Bool {
        var config = Configuration()
        config.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            return try queue.read { try String.fetchOne($0, sql: "PRAGMA quick_check(1)") } != "ok"
        } catch {
            return isUnreadable(error)
        }
    }

    /// Renames `path` (and its `-wal`/`-shm`) to `path.corrupt-YYYYMMDD-HHMMSS`, never over another file.
    /// - Returns: the new path.
    static func moveAside(_ path: String) throws(JobError) -> String {
        var t = time_t(Date().timeIntervalSince1970)
        var tm = tm()
        localtime_r(&t, &tm)
        let stamp = String(format: "%04d%02d%02d-%02d%02d%02d", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1,
                           Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
        for n in 0..<100 {
            let aside = "\(path).corrupt-\(stamp)" + (n == 0 ? "" : "-\(n)")
            if link(path, aside) == 0 {
                unlink(path)
                for suffix in ["-wal", "-shm"] where link(path + suffix, aside + suffix) == 0 { unlink(path + suffix) }
                return aside
            }
            if errno != EEXIST { throw .storage("\(path): cannot move the damaged journal aside: \(String(cString: strerror(errno)))") }
        }
        throw .storage("\(path): cannot move the damaged journal aside: too many earlier copies")
    }

    /// The journal's failure as `JobError.storage`, with the path and what to do.
    static func storageError(_ error: any Error, path: String) -> JobError {
        guard let e = error as? DatabaseError else { return .storage("\(path): \(reason(error))") }
        switch e.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .storage("\(path) is locked by another program (waited 5 s): close it, or use --state-dir for a separate journal")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return .storage("\(path): \(reason(error)) — quit Easel and move the file aside (the next start makes a new journal), or try `sqlite3 \(path) .recover`")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            return .storage("\(path): \(reason(error)) — check the permissions of the file and its folder, or use --state-dir")
        default:
            return .storage("\(path): \(reason(error))")
        }
    }

    /// SQLite's message, else the system's.
    static func reason(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        return (error as NSError).localizedDescription
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
