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
    /// `JobState.key`, a stable machine key ("running", "complete", "failed", …). Journals written
    /// before v2 held the UI's words ("processing", "rate limited"); the v2 migration rewrites them.
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
    /// The gallery folder the job was made for (v2); nil in older rows.
    public var gallery: String?
    /// Every image address of a job whose service made several, as a JSON array of URLs (v3); nil for one.
    public var imageURLs: String?
    /// The images of such a job saved so far, as a JSON array of `{path, width, height}` (v3).
    public var files: String?
    /// When a job waiting out a 429 is sent again (`JobState.waiting(until:)`), in seconds since 1970 (v4),
    /// so a restart keeps the service's `Retry-After`; nil in other states and older rows.
    public var retryAt: Double? = nil
    /// `GenerationRequest.model`: the model the job asked for (v5); nil for the backend's default, and in older rows.
    public var model: String? = nil
    /// `Job.pool`: the pool the job was queued on (v6), so `t` after a restart resends through it; nil otherwise.
    public var pool: String? = nil

    public var request: GenerationRequest {
        GenerationRequest(prompt: prompt, negativePrompt: negativePrompt, width: width, height: height,
                          seed: UInt32(truncatingIfNeeded: seed), steps: steps, model: model)
    }
}

/// The job journal: SQLite through GRDB in WAL mode at `$XDG_STATE_HOME/easel/easel.sqlite`.
/// Every job transition is written (upsert by id); several Easel processes may share the file.
public final class Journal: Sendable {
    public let path: String
    let pool: DatabasePool
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
    ///
    /// With `readOnly` (for commands that only read, such as `easel history`) nothing is created: a
    /// missing folder or journal throws `JobError.storage` saying so, and no session is started
    /// (`session` is 0, so the journal must not be written).
    public init(directory: String, readOnly: Bool = false) throws(JobError) {
        let path = directory + "/easel.sqlite"
        self.path = path
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else {
                throw JobError.storage("\(path): no journal there (nothing was generated with this state folder)")
            }
        } else {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            catch { throw JobError.storage("\(directory): cannot create the journal folder: \(Self.reason(error))") }
        }
        let startSession = !readOnly
        var opened: (DatabasePool, Int)
        var recovery: String?
        var movedAsideTo: String?
        do {
            opened = try Self.openRetryingQuickBusy(path, startSession: startSession)
        } catch {
            guard Self.isUnreadable(error), !readOnly else { throw Self.storageError(error, path: path) }
            do {
                if Self.stillUnreadable(path) {
                    let aside = try Self.moveAside(path)
                    movedAsideTo = aside
                    recovery = "\(path) was not a readable SQLite database (\(Self.reason(error))): moved it to \(aside) "
                        + "and started a new, empty journal. Images in the gallery are untouched; "
                        + "`sqlite3 \(aside) .recover` may salvage the old history."
                }
                opened = try Self.open(path, startSession: startSession)        // another Easel may have moved it aside first
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
    private static func openRetryingQuickBusy(_ path: String, startSession: Bool) throws -> (DatabasePool, Int) {
        var attempt = 0
        while true {
            let started = ContinuousClock.now
            do { return try open(path, startSession: startSession) } catch let e as DatabaseError where
                (e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED)
                && ContinuousClock.now - started < .seconds(1) && attempt < 8 {
                attempt += 1
                usleep(useconds_t(20_000 * attempt + Int.random(in: 0..<20_000)))
            }
        }
    }

    private static func open(_ path: String, startSession: Bool) throws -> (DatabasePool, Int) {
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
        migrator.registerMigration("v2") { db in
            // v1 stored the UI's words as the state; v2 stores stable machine keys (`JobState.key`).
            try db.execute(sql: "UPDATE job SET state = 'running' WHERE state = 'processing'")
            try db.execute(sql: "UPDATE job SET state = 'waiting' WHERE state = 'rate limited'")
            try db.alter(table: "job") { t in t.add(column: "gallery", .text) }
        }
        migrator.registerMigration("v3") { db in
            // Several images per job: every address, and what was saved, so a restart finishes the batch.
            try db.alter(table: "job") { t in
                t.add(column: "imageURLs", .text)
                t.add(column: "files", .text)
            }
        }
        migrator.registerMigration("v4") { db in
            // A 429's wait, so a restart does not send the job again before the service's Retry-After.
            try db.alter(table: "job") { t in t.add(column: "retryAt", .double) }
        }
        registerPickedModels(in: &migrator)
        registerPools(in: &migrator)
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
                SELECT * FROM job ORDER BY createdAt DESC LIMIT 500
                """)
            _ = try Row.fetchAll(db, sql: "SELECT * FROM session")
        }
        guard startSession else { return (pool, 0) }
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

    /// `state NOT IN (…in-flight keys…)`: finished, or a state this release does not know (shown as failed).
    static let notInFlight = "state NOT IN (\(JobState.activeKeys.map { "'\($0)'" }.joined(separator: ", ")))"

    /// Jobs, newest first: finished ones (and any whose stored state this release does not know), or
    /// with `includingInFlight` every job. `search` matches the prompt (substring, case-insensitive),
    /// the seed or the backend. `limit`: at most that many rows; nil for all.
    public func history(limit: Int? = 500, search: String? = nil, includingInFlight: Bool = false) throws(JobError) -> [JobRecord] {
        var conditions: [String] = includingInFlight ? [] : ["+" + Self.notInFlight]
        var arguments: [any DatabaseValueConvertible] = []
        if let search, !search.isEmpty {
            // `%`, `_` and the escape character itself match literally.
            let pattern = "%" + Self.likeEscaped(search) + "%"
            conditions.append("(prompt LIKE ? ESCAPE '\\' OR backend LIKE ? ESCAPE '\\' OR seed = ?)")
            arguments += [pattern, pattern, Int(search) ?? -1]
        }
        // Walks the createdAt index newest first; `+state` keeps SQLite from choosing the state index
        // instead (which would read every finished job and sort them).
        var sql = "SELECT * FROM job" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY createdAt DESC, id DESC"
        if let limit { sql += " LIMIT ?"; arguments.append(limit) }
        do {
            return try pool.read { db in
                try JobRecord.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            }
        } catch { throw .storage("\(path): \(error)") }
    }

    /// `text` for a `LIKE … ESCAPE '\'` pattern: `\`, `%` and `_` preceded by `\`.
    static func likeEscaped(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "\\" || c == "%" || c == "_" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// This session's jobs still in flight (any active state), oldest first.
    public func inFlightJobsOfThisSession() throws(JobError) -> [JobRecord] {
        do {
            return try pool.read { db in
                try JobRecord.filter(Column("session") == session && JobState.activeKeys.contains(Column("state")))
                    .order(Column("id")).fetchAll(db)
            }
        } catch { throw .storage("\(path): \(error)") }
    }

    /// What `claimOrphans` found: the jobs now this session's, and those left for a process that has
    /// their backend.
    public struct OrphanClaim: Equatable, Sendable {
        /// In-flight jobs of dead sessions whose backend this process has, now owned by this session.
        public var claimed: [JobRecord] = []
        /// In-flight jobs of dead sessions whose backend this process does not have: count by backend
        /// name. They stay in the journal, unclaimed, until a process with that backend starts.
        public var unclaimed: [String: Int] = [:]
    }

    /// Claims, in one transaction, every in-flight job of every session whose process is gone (crash,
    /// SIGKILL, SSH drop) and whose backend is in `backends` (config names): two Easel processes never
    /// resume the same job, and no backend's jobs are skipped because another backend looked first.
    /// A job whose backend is not in `backends` is left as it is, for a later process that has it.
    /// - Throws: `JobError.storage` with the journal's path and SQLite's reason.
    public func claimOrphans(backends: Set<String>) throws(JobError) -> OrphanClaim {
        do {
            return try pool.write { db in
                let sessions = try Row.fetchAll(db, sql: "SELECT id, pid FROM session")
                let dead = sessions.filter { row in
                    let pid: Int = row["pid"], id: Int = row["id"]
                    return id != session && kill(pid_t(pid), 0) != 0 && errno == ESRCH
                }.map { $0["id"] as Int }
                let live = Set(sessions.map { $0["id"] as Int }).subtracting(dead)
                if !dead.isEmpty {
                    try db.execute(sql: "DELETE FROM session WHERE id IN (\(dead.map(String.init).joined(separator: ",")))")
                }
                // Not `session IN dead`: a row whose session was removed by an older release stays claimable.
                let orphans = try JobRecord.filter(JobState.activeKeys.contains(Column("state")) && !live.contains(Column("session")))
                    .order(Column("id")).fetchAll(db)
                var claim = OrphanClaim()
                for var record in orphans {
                    guard backends.contains(record.backend) else { claim.unclaimed[record.backend, default: 0] += 1; continue }
                    record.session = session
                    try record.update(db)
                    claim.claimed.append(record)
                }
                return claim
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
