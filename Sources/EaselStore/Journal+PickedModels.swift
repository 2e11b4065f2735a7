import EaselCore
import GRDB

/// The models picked in the studio (`pick_model`), one per backend name, kept in the journal beside the jobs
/// so the next run (and another Easel sharing the file) starts with them.
extension Journal {
    /// v5: `picked_model(backend, model, updatedAt)`, and the model each job asked for (`job.model`).
    static func registerPickedModels(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5") { db in
            try db.create(table: "picked_model") { t in
                t.primaryKey("backend", .text)
                t.column("model", .text).notNull()
                t.column("updatedAt", .double).notNull()
            }
            try db.alter(table: "job") { t in t.add(column: "model", .text) }
        }
    }

    /// Every backend's picked model, by backend name.
    /// - Throws: `JobError.storage` when the journal cannot be read.
    public func pickedModels() throws(JobError) -> [String: String] {
        do {
            return try pool.read { db in
                Dictionary(try Row.fetchAll(db, sql: "SELECT backend, model FROM picked_model").map { ($0["backend"], $0["model"]) },
                           uniquingKeysWith: { _, last in last })
            }
        } catch { throw .storage("\(path): \(error)") }
    }

    /// Records `model` as the one picked for `backend` (replacing the earlier pick), at `wallTime` (seconds since 1970).
    /// - Throws: `JobError.storage` (disk full, locked past the busy timeout).
    public func setPickedModel(_ model: String, for backend: String, at wallTime: Double) throws(JobError) {
        do {
            try pool.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO picked_model (backend, model, updatedAt) VALUES (?, ?, ?)",
                               arguments: [backend, model, wallTime])
            }
        } catch { throw .storage("\(path): \(error)") }
    }
}
