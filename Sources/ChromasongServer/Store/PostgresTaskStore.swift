// Why one file of this size: as in SQLiteTaskStore, every method is one SQL transaction of the TaskStore protocol
// over one schema (PostgresMigrations.swift) and one row mapping.
import Foundation
import Logging
import PostgresNIO
import SongEngine

/// The shared task store (issue 13): any number of API nodes and workers, on any machines, over one PostgreSQL
/// database through postgres-nio's pooled client.
///
/// - A claim takes the oldest waiting task with `FOR UPDATE SKIP LOCKED`: concurrent claimers never wait on each
///   other's row and never get the same task. The claim carries a lease (`leaseSeconds`) that its worker renews
///   while it renders; `recoverExpiredLeases` (run by every worker node) takes back tasks whose lease ran out.
/// - The webhook outbox is in the same database: a delivery is leased with `SKIP LOCKED` too, so one node at a
///   time sends it, and a node that dies mid-send leaves it due again after the lease.
/// - Submissions take a transaction-scoped advisory lock, so the queue limit and an Idempotency-Key hold across
///   API nodes exactly as in one process.
/// - Times are the calling node's clock (`now:` arguments): nodes keep their clocks in sync (NTP); a skew of a
///   second is small beside a lease of 30.
public final class PostgresTaskStore: TaskStore {
    let client: PostgresClient
    let runTask: Task<Void, Never>
    let logger: Logger
    public var isShared: Bool { true }
    public let leaseSeconds: Double
    let node: String
    /// Where it connects, without the password (logs, errors).
    public let location: String

    /// Advisory lock keys (arbitrary constants: "chromasong" migrations and submissions).
    static let migrationLock: Int = 0x6368_726F_6D61_0001
    static let enqueueLock: Int = 0x6368_726F_6D61_0002

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?schema=name&sslmode=require]`), creates
    /// the schema when named, and migrates it. The pool keeps at most `maxConnections` connections.
    public init(url: String, leaseSeconds: Double = 30, node: String = NodeName.default, maxConnections: Int = 8,
                logger: Logger = Logger(label: "chromasong.postgres")) async throws {
        let target = try DatabaseURL(url)
        var config = PostgresClient.Configuration(
            host: target.host, port: target.port, username: target.user, password: target.password,
            database: target.database, tls: .disable)
        if target.requireTLS {
            config.tls = .require(.makeClientConfiguration())
        }
        if let schema = target.schema { config.options.additionalStartupParameters = [("search_path", schema)] }
        config.options.maximumConnections = max(2, maxConnections)
        config.options.connectTimeout = .seconds(10)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        // The pool's own background messages: connection errors only.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: config, backgroundLogger: background)
        self.client = client
        // The pool runs from here until `close()`; the first query waits until its run loop has started.
        let started = AsyncStream<Void>.makeStream()
        self.runTask = Task {
            started.continuation.finish()
            await client.run()
        }
        for await _ in started.stream {}
        await Task.yield()
        self.logger = quiet
        self.leaseSeconds = max(0.05, leaseSeconds)
        self.node = node
        self.location = target.description
        do {
            // One plain connection first: a refused login or a missing database is reported at once in the server's
            // words, where the pool would retry it behind a circuit breaker for about a minute and then say less.
            try await Self.probe(target, logger: quiet)
            try await migrate(schema: target.schema)
        } catch {
            runTask.cancel()
            throw ConfigurationError("cannot use the database \(target.description): \(Self.describe(error))")
        }
    }

    deinit { runTask.cancel() }

    static func probe(_ target: DatabaseURL, logger: Logger) async throws {
        var config = PostgresConnection.Configuration(
            host: target.host, port: target.port, username: target.user, password: target.password,
            database: target.database,
            tls: target.requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable)
        config.options.connectTimeout = .seconds(10)
        let connection = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
        try await connection.close()
    }

    /// Stops the connection pool.
    public func close() { runTask.cancel() }

    /// The server's own words for a database error (postgres-nio's description hides them by default); any other
    /// error at start-up is the pool failing to connect at all (refused, unreachable, wrong TLS).
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            if let cause = e.underlying { return "could not connect (\(cause))" }
            return "\(e.code)"
        }
        return "no connection could be made (is PostgreSQL running there and reachable?): \(error)"
    }

    // MARK: plumbing

    /// One transaction on one pooled connection; the body's own error is rethrown as it is.
    func transaction<R: Sendable>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        try await client.withConnection { conn in
            try await conn.query("BEGIN", logger: logger)
            do {
                let value = try await body(conn)
                try await conn.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await conn.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    func rows(_ q: PostgresQuery, on conn: PostgresConnection) async throws -> [PostgresRandomAccessRow] {
        var out: [PostgresRandomAccessRow] = []
        for try await row in try await conn.query(q, logger: logger) { out.append(row.makeRandomAccess()) }
        return out
    }

    func rows(_ q: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await client.withConnection { conn in try await rows(q, on: conn) }
    }

    func migrate(schema: String?) async throws {
        try await transaction { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            if let schema {
                // `schema` passed DatabaseURL's identifier rule (letters, digits, underscores): safe to splice.
                try await conn.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            }
            try await conn.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)
                """, logger: logger)
            var applied = Set<Int>()
            for r in try await rows("SELECT version FROM schema_migrations", on: conn) {
                applied.insert(try r["version"].decode(Int.self))
            }
            for m in PostgresMigrations.all where !applied.contains(m.version) {
                for sql in m.statements { try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
                let now = Date().timeIntervalSince1970
                try await conn.query("""
                    INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(m.version), \(m.name), \(now))
                    """, logger: logger)
            }
        }
    }

    // MARK: tasks

    public func enqueue(_ task: NewTask, queueLimit: Int) async throws -> Int {
        let json = String(decoding: try JSONEncoder().encode(task.request), as: UTF8.self)
        let now = Date().timeIntervalSince1970
        return try await transaction { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(\(Self.enqueueLock))", logger: logger)
            let counts = try await countsByStatus(on: conn, only: [.inQueue, .inProgress])
            let queued = counts[.inQueue] ?? 0, running = counts[.inProgress] ?? 0
            if queued >= queueLimit { throw StoreError.queueFull(limit: queueLimit) }
            if let claim = task.idempotency {
                try await conn.query("""
                    DELETE FROM idempotency_keys WHERE owner = \(task.owner) AND key = \(claim.key)
                    AND created_at < \(now - claim.window)
                    """, logger: logger)
                if let r = try await rows("""
                    SELECT task_id, fingerprint FROM idempotency_keys WHERE owner = \(task.owner) AND key = \(claim.key)
                    """, on: conn).first {
                    throw StoreError.idempotencyKeyUsed(taskId: try r["task_id"].decode(String.self),
                                                        fingerprint: try r["fingerprint"].decode(String.self))
                }
            }
            try await conn.query("""
                INSERT INTO tasks (id, request_json, image_path, status, created_at, updated_at, owner, upload_bytes)
                VALUES (\(task.id), \(json), \(task.imagePath), 'IN_QUEUE', \(now), \(now), \(task.owner), \(task.uploadBytes))
                """, logger: logger)
            if let claim = task.idempotency {
                try await conn.query("""
                    INSERT INTO idempotency_keys (owner, key, fingerprint, task_id, created_at)
                    VALUES (\(task.owner), \(claim.key), \(claim.fingerprint), \(task.id), \(now))
                    """, logger: logger)
            }
            for (i, cid) in task.conversionIds.enumerated() {
                try await conn.query("INSERT INTO versions (conversion_id, task_id, idx) VALUES (\(cid), \(task.id), \(i))",
                                     logger: logger)
            }
            return queued + running
        }
    }

    public func claimNext(now: Date) async throws -> StoredTask? {
        let t = now.timeIntervalSince1970
        let lease = t + leaseSeconds
        return try await transaction { conn in
            guard let r = try await rows("""
                UPDATE tasks SET status = 'IN_PROGRESS', attempts = attempts + 1, status_msg = '', updated_at = \(t),
                       started_at = \(t), lease_until = \(lease), claimed_by = \(node)
                WHERE seq = (SELECT seq FROM tasks WHERE status = 'IN_QUEUE' AND not_before <= \(t)
                             ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id
                """, on: conn).first
            else { return nil }
            return try await load(id: try r["id"].decode(String.self), on: conn)
        }
    }

    /// Other nodes may be rendering: at start-up a node takes back only what it claimed itself under its name (it
    /// was restarted mid-render; counted as `serverStopped`). Other dead nodes' claims wait for their lease.
    public func recoverInterrupted(now: Date, maxAttempts: Int,
                                   final: @escaping @Sendable (StoredTask) -> (message: String, webhooks: [NewWebhook]))
        async throws -> (requeued: Int, failed: Int)
    {
        try await takeBack(now: now, maxAttempts: maxAttempts, ownClaims: true, final: final)
    }

    public func recoverExpiredLeases(now: Date, maxAttempts: Int,
                                     final: @escaping @Sendable (StoredTask) -> (message: String, webhooks: [NewWebhook]))
        async throws -> (requeued: Int, failed: Int)
    {
        try await takeBack(now: now, maxAttempts: maxAttempts, ownClaims: false, final: final)
    }

    func takeBack(now: Date, maxAttempts: Int, ownClaims: Bool,
                  final: @escaping @Sendable (StoredTask) -> (message: String, webhooks: [NewWebhook]))
        async throws -> (requeued: Int, failed: Int)
    {
        let t = now.timeIntervalSince1970
        return try await transaction { conn in
            var requeued = 0, failed = 0
            // Locked and skipped: two sweeping nodes split the expired tasks instead of taking one back twice.
            let ids = try await rows(ownClaims ? """
                SELECT id FROM tasks WHERE status = 'IN_PROGRESS' AND claimed_by = \(node)
                ORDER BY seq FOR UPDATE SKIP LOCKED
                """ : """
                SELECT id FROM tasks WHERE status = 'IN_PROGRESS' AND (lease_until IS NULL OR lease_until < \(t))
                ORDER BY seq FOR UPDATE SKIP LOCKED
                """, on: conn).map { try $0["id"].decode(String.self) }
            for id in ids {
                guard var task = try await load(id: id, on: conn) else { continue }
                task.failureLog.append(AttemptFailure(ownClaims ? .serverStopped : .leaseExpired))
                let log = try AttemptFailure.encodeLog(task.failureLog)
                if AttemptFailure.attemptsUsedUp(task.failureLog, claims: task.attempts, maxAttempts: maxAttempts) {
                    let (message, webhooks) = final(task)
                    try await conn.query("""
                        UPDATE tasks SET status = 'FAILED', status_msg = \(message), failure_log = \(log),
                               updated_at = \(t), finished_at = \(t), lease_until = NULL
                        WHERE id = \(id)
                        """, logger: logger)
                    try await insert(webhooks, taskId: id, now: t, on: conn)
                    failed += 1
                } else {
                    try await conn.query("""
                        UPDATE tasks SET status = 'IN_QUEUE',
                               status_msg = \(ownClaims ? TakeBack.restartMessage : TakeBack.expiredMessage),
                               failure_log = \(log), not_before = 0, updated_at = \(t), lease_until = NULL
                        WHERE id = \(id)
                        """, logger: logger)
                    requeued += 1
                }
            }
            return (requeued, failed)
        }
    }

    public func renewLease(taskId: String, attempt: Int, now: Date) async throws -> Bool {
        let until = now.timeIntervalSince1970 + leaseSeconds
        return try await !rows("""
            UPDATE tasks SET lease_until = \(until)
            WHERE id = \(taskId) AND attempts = \(attempt) AND status = 'IN_PROGRESS' RETURNING id
            """).isEmpty
    }

    /// The encoded failure log of a task still IN_PROGRESS under claim `attempt`, with `failure` appended (the
    /// row locked until the transaction ends); nil when the claim is stale.
    func failureLog(taskId: String, attempt: Int, adding failure: AttemptFailure, on conn: PostgresConnection)
        async throws -> String?
    {
        guard let r = try await rows("""
            SELECT failure_log FROM tasks WHERE id = \(taskId) AND attempts = \(attempt) AND status = 'IN_PROGRESS'
            FOR UPDATE
            """, on: conn).first
        else { return nil }
        return try AttemptFailure.encodeLog(AttemptFailure.decodeLog(try r["failure_log"].decode(String.self)) + [failure])
    }

    public func retry(taskId: String, attempt: Int, failure: AttemptFailure, message: String, notBefore: Date,
                      now: Date) async throws -> Bool
    {
        let t = now.timeIntervalSince1970, nb = notBefore.timeIntervalSince1970
        return try await transaction { conn in
            guard let log = try await failureLog(taskId: taskId, attempt: attempt, adding: failure, on: conn) else {
                return false
            }
            return try await !rows("""
                UPDATE tasks SET status = 'IN_QUEUE', status_msg = \(message), failure_log = \(log), not_before = \(nb),
                       updated_at = \(t), lease_until = NULL
                WHERE id = \(taskId) AND attempts = \(attempt) AND status = 'IN_PROGRESS' RETURNING id
                """, on: conn).isEmpty
        }
    }

    public func failAttempts(taskId: String, attempt: Int, failure: AttemptFailure, message: String,
                             webhooks: [NewWebhook], now: Date) async throws -> Bool
    {
        let t = now.timeIntervalSince1970
        return try await transaction { conn in
            guard let log = try await failureLog(taskId: taskId, attempt: attempt, adding: failure, on: conn) else {
                return false
            }
            let done = try await !rows("""
                UPDATE tasks SET status = 'FAILED', status_msg = \(message), failure_log = \(log), updated_at = \(t),
                       finished_at = \(t), lease_until = NULL
                WHERE id = \(taskId) AND attempts = \(attempt) AND status = 'IN_PROGRESS' RETURNING id
                """, on: conn).isEmpty
            if done { try await insert(webhooks, taskId: taskId, now: t, on: conn) }
            return done
        }
    }

    public func requeue(taskId: String, attempt: Int, now: Date) async throws {
        try await client.query("""
            UPDATE tasks SET status = 'IN_QUEUE', status_msg = 'requeued at shutdown', updated_at = \(now.timeIntervalSince1970),
                   attempts = attempts - 1, lease_until = NULL
            WHERE id = \(taskId) AND attempts = \(attempt) AND status = 'IN_PROGRESS'
            """, logger: logger)
    }

    public func complete(taskId: String, attempt: Int, manifest: Manifest, webhooks: [NewWebhook], now: Date)
        async throws -> Bool
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(manifest), as: UTF8.self)
        var versionRows: [(String, Double, String)] = []
        for v in manifest.versions {
            versionRows.append((v.conversionId, v.duration, String(decoding: try encoder.encode(v.files), as: UTF8.self)))
        }
        let t = now.timeIntervalSince1970
        let versions = versionRows
        return try await transaction { conn in
            let done = try await !rows("""
                UPDATE tasks SET status = 'COMPLETED', status_msg = '', manifest_json = \(json), updated_at = \(t),
                       finished_at = \(t), lease_until = NULL
                WHERE id = \(taskId) AND attempts = \(attempt) AND status = 'IN_PROGRESS' RETURNING id
                """, on: conn).isEmpty
            guard done else { return false }
            for (cid, duration, files) in versions {
                try await conn.query("""
                    UPDATE versions SET duration = \(duration), files_json = \(files) WHERE conversion_id = \(cid)
                    """, logger: logger)
            }
            try await insert(webhooks, taskId: taskId, now: t, on: conn)
            return true
        }
    }

    public func fail(taskId: String, attempt: Int, message: String, webhooks: [NewWebhook], now: Date) async throws
        -> Bool
    {
        let t = now.timeIntervalSince1970
        return try await transaction { conn in
            let done = try await !rows("""
                UPDATE tasks SET status = 'FAILED', status_msg = \(message), updated_at = \(t), finished_at = \(t),
                       lease_until = NULL
                WHERE id = \(taskId) AND attempts = \(attempt) AND status = 'IN_PROGRESS' RETURNING id
                """, on: conn).isEmpty
            if done { try await insert(webhooks, taskId: taskId, now: t, on: conn) }
            return done
        }
    }

    func insert(_ webhooks: [NewWebhook], taskId: String, now: Double, on conn: PostgresConnection) async throws {
        for w in webhooks {
            let payload = String(decoding: w.payload, as: UTF8.self)
            try await conn.query("""
                INSERT INTO webhook_outbox (delivery_id, task_id, kind, url, payload, status, next_attempt_at, created_at)
                VALUES (\(w.deliveryId), \(taskId), \(w.kind), \(w.url), \(payload), 'pending', \(now), \(now))
                """, logger: logger)
        }
    }

    public func task(id: String) async throws -> StoredTask? {
        try await client.withConnection { conn in try await load(id: id, on: conn) }
    }

    public func task(conversionId: String) async throws -> StoredTask? {
        try await client.withConnection { conn in
            guard let r = try await rows("SELECT task_id FROM versions WHERE conversion_id = \(conversionId)", on: conn).first
            else { return nil }
            return try await load(id: try r["task_id"].decode(String.self), on: conn)
        }
    }

    func load(id: String, on conn: PostgresConnection) async throws -> StoredTask? {
        guard let r = try await rows("""
            SELECT request_json, image_path, status, status_msg, attempts, created_at, updated_at, manifest_json,
                   failure_log, owner, finished_at, upload_bytes, result_bytes, files_expired_at
            FROM tasks WHERE id = \(id)
            """, on: conn).first
        else { return nil }
        let ids = try await rows("SELECT conversion_id FROM versions WHERE task_id = \(id) ORDER BY idx", on: conn)
            .map { try $0["conversion_id"].decode(String.self) }
        let request = try JSONDecoder().decode(TaskRequest.self, from: Data(try r["request_json"].decode(String.self).utf8))
        let manifest = try r["manifest_json"].decode(String?.self)
            .map { try JSONDecoder().decode(Manifest.self, from: Data($0.utf8)) }
        return StoredTask(
            id: id, conversionIds: ids, request: request, imagePath: try r["image_path"].decode(String.self),
            status: TaskStatus(rawValue: try r["status"].decode(String.self)) ?? .failed,
            statusMessage: try r["status_msg"].decode(String.self), attempts: try r["attempts"].decode(Int.self),
            createdAt: Date(timeIntervalSince1970: try r["created_at"].decode(Double.self)),
            updatedAt: Date(timeIntervalSince1970: try r["updated_at"].decode(Double.self)), manifest: manifest,
            failureLog: AttemptFailure.decodeLog(try r["failure_log"].decode(String.self)),
            owner: try r["owner"].decode(String.self),
            finishedAt: try r["finished_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
            uploadBytes: try r["upload_bytes"].decode(Int?.self), resultBytes: try r["result_bytes"].decode(Int?.self),
            filesExpiredAt: try r["files_expired_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)))
    }

    // MARK: tenancy

    public func idempotentTask(owner: String, key: String, notBefore: Date) async throws
        -> (taskId: String, fingerprint: String)?
    {
        guard let r = try await rows("""
            SELECT task_id, fingerprint FROM idempotency_keys WHERE owner = \(owner) AND key = \(key)
            AND created_at >= \(notBefore.timeIntervalSince1970)
            """).first
        else { return nil }
        return (try r["task_id"].decode(String.self), try r["fingerprint"].decode(String.self))
    }

    public func purgeIdempotencyKeys(before: Date) async throws -> Int {
        try await rows("DELETE FROM idempotency_keys WHERE created_at < \(before.timeIntervalSince1970) RETURNING key").count
    }

    public func recordResultBytes(taskId: String, bytes: Int) async throws {
        try await client.query("UPDATE tasks SET result_bytes = \(bytes) WHERE id = \(taskId) AND files_expired_at IS NULL",
                               logger: logger)
    }

    public func tasksWithExpiredFiles(finishedBefore: Date, limit: Int) async throws -> [StoredTask] {
        try await client.withConnection { conn in
            let ids = try await rows("""
                SELECT id FROM tasks WHERE files_expired_at IS NULL AND finished_at IS NOT NULL
                AND finished_at < \(finishedBefore.timeIntervalSince1970) AND status IN ('COMPLETED', 'FAILED')
                ORDER BY finished_at LIMIT \(limit)
                """, on: conn).map { try $0["id"].decode(String.self) }
            var out: [StoredTask] = []
            for id in ids { if let t = try await load(id: id, on: conn) { out.append(t) } }
            return out
        }
    }

    public func markFilesExpired(taskId: String, at: Date) async throws {
        try await client.query("UPDATE tasks SET files_expired_at = \(at.timeIntervalSince1970) WHERE id = \(taskId)",
                               logger: logger)
    }

    public func storageTotals() async throws -> (tasks: Int, bytes: Int) {
        guard let r = try await rows("""
            SELECT COUNT(*) AS n, COALESCE(SUM(COALESCE(upload_bytes, 0) + COALESCE(result_bytes, 0)), 0)::BIGINT AS b
            FROM tasks WHERE files_expired_at IS NULL
            """).first
        else { return (0, 0) }
        return (try r["n"].decode(Int.self), try r["b"].decode(Int.self))
    }

    /// Tasks by status: every status, or only those in `only` (the submission's and /health's count, which must
    /// not scan the finished tasks of years).
    func countsByStatus(on conn: PostgresConnection, only: [TaskStatus]? = nil) async throws -> [TaskStatus: Int] {
        let query: PostgresQuery = only.map { wanted in
            "SELECT status, COUNT(*) AS n FROM tasks WHERE status = ANY(\(wanted.map(\.rawValue))) GROUP BY status"
        } ?? "SELECT status, COUNT(*) AS n FROM tasks GROUP BY status"
        var out: [TaskStatus: Int] = [:]
        for r in try await rows(query, on: conn) {
            if let s = TaskStatus(rawValue: try r["status"].decode(String.self)) { out[s] = try r["n"].decode(Int.self) }
        }
        return out
    }

    public func queueCounts() async throws -> (queued: Int, running: Int) {
        let counts = try await client.withConnection { conn in
            try await countsByStatus(on: conn, only: [.inQueue, .inProgress])
        }
        return (counts[.inQueue] ?? 0, counts[.inProgress] ?? 0)
    }

    public func statusCounts() async throws -> (tasks: [TaskStatus: Int], deliveries: [DeliveryStatus: Int]) {
        try await client.withConnection { conn in
            let tasks = try await countsByStatus(on: conn)
            var deliveries: [DeliveryStatus: Int] = [:]
            for r in try await rows("SELECT status, COUNT(*) AS n FROM webhook_outbox GROUP BY status", on: conn) {
                if let s = DeliveryStatus(rawValue: try r["status"].decode(String.self)) {
                    deliveries[s] = try r["n"].decode(Int.self)
                }
            }
            return (tasks, deliveries)
        }
    }

    /// Every task id, oldest first (tests).
    func taskIds() async throws -> [String] {
        try await rows("SELECT id FROM tasks ORDER BY seq").map { try $0["id"].decode(String.self) }
    }

    // MARK: webhooks

    public func leaseDueDeliveries(now: Date, lease: Double, limit: Int) async throws -> [WebhookDelivery] {
        let t = now.timeIntervalSince1970
        return try await transaction { conn in
            // Locked and skipped: a delivery is in one node's hands at a time.
            let ids = try await rows("""
                SELECT delivery_id FROM webhook_outbox WHERE status = 'pending' AND next_attempt_at <= \(t)
                ORDER BY next_attempt_at, seq LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, on: conn).map { try $0["delivery_id"].decode(String.self) }
            var out: [WebhookDelivery] = []
            for id in ids {
                // The lease is the attempt: counted before the send (as in the SQLite store).
                try await conn.query("""
                    UPDATE webhook_outbox SET next_attempt_at = \(t + lease), attempts = attempts + 1
                    WHERE delivery_id = \(id)
                    """, logger: logger)
                if let d = try await delivery(id: id, on: conn) { out.append(d) }
            }
            return out
        }
    }

    public func recordAttempt(deliveryId: String, attempt: DeliveryAttempt, delivered: Bool, nextAttemptAt: Date?)
        async throws
    {
        let at = attempt.at.timeIntervalSince1970
        try await transaction { conn in
            try await conn.query("""
                INSERT INTO webhook_attempts (delivery_id, at, http_status, error)
                VALUES (\(deliveryId), \(at), \(attempt.httpStatus), \(attempt.error))
                """, logger: logger)
            if delivered {
                try await conn.query("""
                    UPDATE webhook_outbox SET status = 'delivered', delivered_at = \(at) WHERE delivery_id = \(deliveryId)
                    """, logger: logger)
            } else if let next = nextAttemptAt {
                try await conn.query("""
                    UPDATE webhook_outbox SET next_attempt_at = \(next.timeIntervalSince1970) WHERE delivery_id = \(deliveryId)
                    """, logger: logger)
            } else {
                try await conn.query("UPDATE webhook_outbox SET status = 'dead' WHERE delivery_id = \(deliveryId)",
                                     logger: logger)
            }
        }
    }

    public func nextDeliveryDue() async throws -> Date? {
        try await rows("SELECT MIN(next_attempt_at) AS t FROM webhook_outbox WHERE status = 'pending'").first
            .flatMap { try $0["t"].decode(Double?.self) }.map { Date(timeIntervalSince1970: $0) }
    }

    public func deliveries(taskId: String) async throws -> [WebhookDelivery] {
        try await client.withConnection { conn in
            let ids = try await rows("""
                SELECT delivery_id FROM webhook_outbox WHERE task_id = \(taskId) ORDER BY created_at, seq
                """, on: conn).map { try $0["delivery_id"].decode(String.self) }
            var out: [WebhookDelivery] = []
            for id in ids { if let d = try await delivery(id: id, on: conn) { out.append(d) } }
            return out
        }
    }

    func delivery(id: String, on conn: PostgresConnection) async throws -> WebhookDelivery? {
        guard let r = try await rows("""
            SELECT task_id, kind, url, payload, status, attempts, next_attempt_at FROM webhook_outbox
            WHERE delivery_id = \(id)
            """, on: conn).first
        else { return nil }
        let history = try await rows("""
            SELECT at, http_status, error FROM webhook_attempts WHERE delivery_id = \(id) ORDER BY id
            """, on: conn).map { a in
            DeliveryAttempt(at: Date(timeIntervalSince1970: try a["at"].decode(Double.self)),
                            httpStatus: try a["http_status"].decode(Int?.self), error: try a["error"].decode(String?.self))
        }
        return WebhookDelivery(
            deliveryId: id, taskId: try r["task_id"].decode(String.self), kind: try r["kind"].decode(String.self),
            url: try r["url"].decode(String.self), payload: Data(try r["payload"].decode(String.self).utf8),
            status: DeliveryStatus(rawValue: try r["status"].decode(String.self)) ?? .pending,
            attempts: try r["attempts"].decode(Int.self),
            nextAttemptAt: Date(timeIntervalSince1970: try r["next_attempt_at"].decode(Double.self)), history: history)
    }
}

/// `postgres://user[:password]@host[:port]/database[?schema=name&sslmode=disable|require]`, checked field by field.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// The schema the tables live in (created when missing); nil: the database's default search path.
    public var schema: String?
    public var requireTLS: Bool

    public init(_ text: String) throws {
        func bad(_ rule: String) -> ConfigurationError {
            ConfigurationError("database: \(rule) (postgres://user[:password]@host[:port]/database[?schema=name])")
        }
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased() else {
            throw bad("must be a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else { throw bad("the scheme must be postgres://") }
        guard let host = c.host, !host.isEmpty else { throw bad("needs a host") }
        guard let user = c.user?.removingPercentEncoding, !user.isEmpty else { throw bad("needs a user name") }
        let database = String(c.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw bad("needs one database name after the host") }
        self.user = user
        password = c.password?.removingPercentEncoding
        self.host = host
        port = c.port ?? 5432
        guard (1...65535).contains(port) else { throw bad("the port must be 1 to 65535") }
        self.database = database.removingPercentEncoding ?? database
        schema = nil
        requireTLS = false
        for item in c.queryItems ?? [] {
            switch item.name {
            case "schema":
                let name = item.value ?? ""
                guard !name.isEmpty, name.count <= 63,
                      name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }),
                      !name.first!.isNumber
                else { throw bad("schema must be 1 to 63 lower-case letters, digits or underscores") }
                schema = name
            case "sslmode":
                switch item.value {
                case "disable": requireTLS = false
                case "require": requireTLS = true
                default: throw bad("sslmode must be disable or require")
                }
            default: throw bad("unknown parameter \"\(item.name)\"")
            }
        }
    }

    /// The URL without its password.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (schema.map { "?schema=\($0)" } ?? "")
    }
}
