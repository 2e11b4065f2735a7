import EaselServer
import Foundation
import Logging
import PostgresNIO

/// A `ServerStore` in PostgreSQL, for several `easel serve --store postgres://…` instances on one database
/// (issue 21 items 2–3), through postgres-nio's `PostgresClient` pool.
///
/// - Jobs: table `jobs`; workers claim with `FOR UPDATE SKIP LOCKED` and a lease (`lease_until`).
/// - Rate limit: accepted submits per client in `rate_hits`, checked and recorded in the submit's transaction
///   under a per-client advisory lock, so the limit holds across every instance in total.
/// - Events: table `job_events` (per-job `seq`); each insert does `pg_notify('easel_events', "job seq final")`,
///   delivered at commit to every instance's `LISTEN` (one pooled connection each), which reads the rows.
/// - Images: `jobs.image` (bytea). Times are the database's `clock_timestamp()`.
/// - SeeAlso: https://www.postgresql.org/docs/15/sql-select.html#SQL-FOR-UPDATE-SHARE,
///   https://www.postgresql.org/docs/15/sql-notify.html
public actor PostgresStore: ServerStore {
    /// The NOTIFY channel for event notices.
    static let channel = "easel_events"
    let client: PostgresClient
    let logger: Logger
    private let runTask: Task<Void, Never>
    private var listener: Task<Void, Never>?
    public nonisolated let notices: AsyncStream<EventNotice>
    private let noticeSink: AsyncStream<EventNotice>.Continuation

    /// A store for `url`, `postgres://user[:password]@host[:port]/database` (TLS off: loopback or a private
    /// network). Call `start()` before use and `close()` at the end.
    /// - Throws: `BadURL` for another shape.
    public init(url: String, logger: Logger = Logger(label: "easel.serve.postgres")) throws {
        let parts = try Self.parseCheck(url)
        let host = parts.host ?? "", user = parts.user ?? ""
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : nil
        var config = PostgresClient.Configuration(host: host, port: parts.port ?? 5432, username: user,
                                                  password: parts.password, database: database?.isEmpty == false ? database : nil,
                                                  tls: .disable)
        config.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        runTask = Task { await client.run() }
        (notices, noticeSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// The URL's parts when it is `postgres://user[:password]@host[:port]/database`. - Throws: `BadURL`.
    public static func parseCheck(_ url: String) throws -> URLComponents {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""),
              let host = parts.host, !host.isEmpty, let user = parts.user, !user.isEmpty else { throw BadURL(url: url) }
        return parts
    }

    /// Migrates the schema to the latest version and starts listening for event notices; returns once the
    /// `LISTEN` is in place. - Throws: the database's errors (unreachable, auth, `SchemaTooNew`).
    public func start() async throws {
        try await migrate()
        let (ready, readySink) = AsyncStream<Void>.makeStream()
        let client = self.client, sink = noticeSink, logger = self.logger
        listener = Task {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { conn in
                        try await conn.listen(on: Self.channel) { seq in
                            readySink.yield()
                            for try await n in seq { if let notice = EventNotice(payload: n.payload) { sink.yield(notice) } }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("LISTEN \(Self.channel) lost: \(error); reconnecting")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        for await _ in ready { break }
    }

    /// Stops listening and closes the pool.
    public func close() {
        listener?.cancel()
        noticeSink.finish()
        runTask.cancel()
    }

    // MARK: - Jobs

    public func submit(params: String, client ip: String, limit: RateLimitSpec?, maxPending: Int) async throws -> SubmitOutcome {
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { conn in
            if let limit {
                let window = limit.window.components.seconds
                try await conn.query("SELECT pg_advisory_xact_lock(hashtext(\(ip)))", logger: logger)
                try await conn.query("""
                    DELETE FROM rate_hits WHERE client = \(ip) AND at <= clock_timestamp() - make_interval(secs => \(Double(window)))
                    """, logger: logger)
                let rows = try await conn.query("""
                    SELECT count(*)::int8, coalesce(extract(epoch FROM min(at) + make_interval(secs => \(Double(window))) - clock_timestamp()), 0)::float8
                    FROM rate_hits WHERE client = \(ip)
                    """, logger: logger).collect()
                if let row = rows.first {
                    let (count, wait) = try row.decode((Int, Double).self)
                    if count >= limit.requests { return .limited(retryAfter: wait) }
                }
            }
            let waiting = try await Self.int(conn.query("SELECT count(*)::int8 FROM jobs WHERE state = 'processing' AND started_at IS NULL",
                                                        logger: logger))
            guard waiting < maxPending else { return .queueFull }
            if limit != nil { try await conn.query("INSERT INTO rate_hits (client, at) VALUES (\(ip), clock_timestamp())", logger: logger) }
            let seq = try await Self.int(conn.query("SELECT nextval('job_ids')::int8", logger: logger))
            let id = "job-\(seq)"
            try await conn.query("INSERT INTO jobs (seq, id, params) VALUES (\(seq), \(id), \(params))", logger: logger)
            let queued = StoreEvent(name: "status", data: "{\"queue_position\":\(waiting + 1),\"status\":\"queued\"}")
            try await Self.append(queued, job: id, conn, logger)
            return .accepted(id: id)
        }
    }

    public func claim(worker: String, lease: Duration) async throws -> ClaimedJob? {
        let rows = try await client.query("""
            UPDATE jobs SET worker = \(worker), lease_until = clock_timestamp() + make_interval(secs => \(Self.seconds(lease))),
                started_at = coalesce(started_at, clock_timestamp()), attempts = attempts + 1
            WHERE seq = (SELECT seq FROM jobs WHERE state = 'processing' AND (lease_until IS NULL OR lease_until < clock_timestamp())
                         ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, params, upstream_id, attempts::int8
            """, logger: logger)
        for try await (id, params, upstream, attempt) in rows.decode((String, String, String?, Int).self) {
            return ClaimedJob(id: id, params: params, upstreamID: upstream, attempt: attempt)
        }
        return nil
    }

    public func renew(job: String, worker: String, lease: Duration) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE jobs SET lease_until = clock_timestamp() + make_interval(secs => \(Self.seconds(lease)))
            WHERE id = \(job) AND worker = \(worker) AND state = 'processing' RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    public func complete(job: String, worker: String, png: Data, event: StoreEvent) async throws -> Bool {
        try await finish(job, worker: worker, event: event,
                         "UPDATE jobs SET state = 'completed', image = \(png), lease_until = NULL WHERE id = \(job) AND worker = \(worker) AND state = 'processing' RETURNING id")
    }

    public func fail(job: String, worker: String, message: String, event: StoreEvent) async throws -> Bool {
        try await finish(job, worker: worker, event: event,
                         "UPDATE jobs SET state = 'failed', error = \(message), lease_until = NULL WHERE id = \(job) AND worker = \(worker) AND state = 'processing' RETURNING id")
    }

    private func finish(_ job: String, worker: String, event: StoreEvent, _ update: PostgresQuery) async throws -> Bool {
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { conn in
            guard try await !conn.query(update, logger: logger).collect().isEmpty else { return false }
            try await Self.append(event, job: job, conn, logger)
            return true
        }
    }

    public func cancel(job: String, event: StoreEvent) async throws -> CancelOutcome {
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { conn in
            let rows = try await conn.query("""
                UPDATE jobs SET state = 'canceled', lease_until = NULL WHERE id = \(job) AND state = 'processing' RETURNING id
                """, logger: logger).collect()
            if !rows.isEmpty {
                try await Self.append(event, job: job, conn, logger)
                return .canceled
            }
            let states = try await conn.query("SELECT state FROM jobs WHERE id = \(job)", logger: logger).collect()
            return try states.first.map { .finished(try $0.decode(String.self)) } ?? .unknown
        }
    }

    public func status(job: String) async throws -> JobSnapshot? {
        let rows = try await client.query("""
            SELECT state, error, extract(epoch FROM clock_timestamp() - started_at)::float8,
                   (SELECT count(*) FROM jobs q WHERE q.state = 'processing' AND q.started_at IS NULL AND q.seq <= j.seq)::int8
            FROM jobs j WHERE id = \(job)
            """, logger: logger)
        for try await (state, error, elapsed, ahead) in rows.decode((String, String?, Double?, Int).self) {
            return JobSnapshot(state: state, error: error, elapsed: elapsed, queuePosition: elapsed == nil ? ahead : nil)
        }
        return nil
    }

    public func image(job: String) async throws -> Data? {
        let rows = try await client.query("SELECT image FROM jobs WHERE id = \(job) AND state = 'completed'", logger: logger)
        for try await png in rows.decode(Data?.self) { return png }
        return nil
    }

    public func recordUpstreamID(job: String, id: String) async throws {
        try await client.query("UPDATE jobs SET upstream_id = \(id) WHERE id = \(job)", logger: logger)
    }

    public func trim(keep: Int) async throws -> Int {
        // Events go with their job (ON DELETE CASCADE); `seq` is submission order.
        try await client.query("""
            DELETE FROM jobs WHERE seq IN (
                SELECT seq FROM jobs WHERE state <> 'processing' ORDER BY seq DESC OFFSET \(max(0, keep)))
            RETURNING seq
            """, logger: logger).collect().count
    }

    // MARK: - Events

    public func publish(job: String, event: StoreEvent) async throws {
        let logger = self.logger
        try await client.withTransaction(logger: logger) { conn in try await Self.append(event, job: job, conn, logger) }
    }

    public func events(job: String, after: Int) async throws -> [StoredEvent] {
        let rows = try await client.query("""
            SELECT seq::int8, name, data FROM job_events WHERE job_id = \(job) AND seq > \(after) ORDER BY seq
            """, logger: logger)
        var events: [StoredEvent] = []
        for try await (seq, name, data) in rows.decode((Int, String, String).self) {
            events.append(StoredEvent(seq: seq, event: StoreEvent(name: name, data: data)))
        }
        return events
    }

    /// Appends `event` as the job's next `seq` (none after a final one) and notifies, inside the caller's
    /// transaction; the job's row lock orders concurrent appends.
    private static func append(_ event: StoreEvent, job: String, _ conn: PostgresConnection, _ logger: Logger) async throws {
        try await conn.query("SELECT 1 FROM jobs WHERE id = \(job) FOR UPDATE", logger: logger)
        let rows = try await conn.query("""
            SELECT coalesce(max(seq), 0)::int8, coalesce(bool_or(final), false) FROM job_events WHERE job_id = \(job)
            """, logger: logger).collect()
        let (last, ended) = try rows.first?.decode((Int, Bool).self) ?? (0, false)
        guard !ended else { return }
        try await conn.query("""
            INSERT INTO job_events (job_id, seq, name, data, final) VALUES (\(job), \(last + 1), \(event.name), \(event.data), \(event.final))
            """, logger: logger)
        let notice = EventNotice(job: job, seq: last + 1, final: event.final)
        try await conn.query("SELECT pg_notify(\(Self.channel), \(notice.payload))", logger: logger)
    }

    /// The first column of the first row as an integer (0 for no row).
    private static func int(_ rows: PostgresRowSequence) async throws -> Int {
        try await rows.collect().first?.decode(Int.self) ?? 0
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// A `--store` URL that is not `postgres://user@host[:port]/database`.
public struct BadURL: Error, CustomStringConvertible {
    public let url: String
    public var description: String { "\(url) is not a postgres://user[:password]@host[:port]/database URL" }
}
