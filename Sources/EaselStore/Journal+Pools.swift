import GRDB

extension Journal {
    /// v6: `job.pool`, the pool a job was queued on (`Job.pool`; `backend` then names the member that ran
    /// it), so a job restored after a restart is resent by `t` through its pool, not to that member.
    /// Older rows keep nil: they were made before pools existed or are resent to their member as before.
    static func registerPools(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6") { db in
            try db.alter(table: "job") { t in t.add(column: "pool", .text) }
        }
    }
}
