import Logging
import PostgresNIO

/// The store's schema, in versions applied in order and recorded in `schema_migrations(version, applied_at)`.
/// Each `easel serve --store postgres://…` migrates at start, under a transaction-scoped advisory lock, so
/// instances starting together apply each version once. Never edit a shipped version: add the next one.
extension PostgresStore {
    /// v1: jobs as a queue (claim order `seq`, lease `lease_until`, image bytea) and rate-limit hits.
    /// v2: per-job events (the stream's ids) and the upstream id a worker recorded for take-over.
    static let migrations: [(version: Int, statements: [String])] = [
        (1, [
            "CREATE SEQUENCE job_ids",
            """
            CREATE TABLE jobs (
                seq bigint PRIMARY KEY, id text UNIQUE NOT NULL, params text NOT NULL,
                state text NOT NULL DEFAULT 'processing', error text,
                created_at timestamptz NOT NULL DEFAULT clock_timestamp(), started_at timestamptz,
                worker text, lease_until timestamptz, attempts int NOT NULL DEFAULT 0, image bytea)
            """,
            "CREATE INDEX jobs_processing ON jobs (seq) WHERE state = 'processing'",
            "CREATE TABLE rate_hits (client text NOT NULL, at timestamptz NOT NULL)",
            "CREATE INDEX rate_hits_client ON rate_hits (client, at)",
        ]),
        (2, [
            "ALTER TABLE jobs ADD COLUMN upstream_id text",
            """
            CREATE TABLE job_events (
                job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE, seq int NOT NULL,
                name text NOT NULL, data text NOT NULL, final boolean NOT NULL, PRIMARY KEY (job_id, seq))
            """,
        ]),
    ]

    /// The newest schema version this build knows.
    public static var latestVersion: Int { migrations.last!.version }

    /// Applies the versions after the database's up to `target` (default: all), in one transaction.
    /// - Returns: the database's version afterwards.
    /// - Throws: `PSQLError` from the database; `SchemaTooNew` when the database is past this build.
    @discardableResult
    public func migrate(to target: Int = PostgresStore.latestVersion) async throws -> Int {
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(7273010021)", logger: logger)
            try await conn.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())
                """, logger: logger)
            var current = try await conn.query("SELECT coalesce(max(version), 0)::int8 FROM schema_migrations", logger: logger)
                .collect().first?.decode(Int.self) ?? 0
            guard current <= Self.latestVersion else { throw SchemaTooNew(database: current, known: Self.latestVersion) }
            for (version, statements) in Self.migrations where version > current && version <= target {
                for sql in statements { try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
                try await conn.query("INSERT INTO schema_migrations (version) VALUES (\(version))", logger: logger)
                current = version
            }
            return current
        }
    }

    /// The database's schema version (0 for an empty database).
    public func schemaVersion() async throws -> Int {
        let exists = try await client.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
        for try await present in exists.decode(Bool.self) where !present { return 0 }
        for try await v in try await client.query("SELECT coalesce(max(version), 0)::int8 FROM schema_migrations", logger: logger)
            .decode(Int.self) { return v }
        return 0
    }
}

/// The database was migrated by a newer build than this one.
public struct SchemaTooNew: Error, CustomStringConvertible {
    public let database: Int
    public let known: Int
    public var description: String { "the database's schema is version \(database); this easel knows up to \(known)" }
}
