// Why one file of 500 lines: every method is one SQL transaction of the TaskStore protocol over the same schema
// and row mapping; the migrations are the file's first part. The PostgreSQL store (PostgresTaskStore.swift) shares
// the protocol and the row meaning, not this file.
import Foundation
import GRDB
import SongEngine

/// The embedded task store: one SQLite file in WAL mode through GRDB. Writes are serialized by SQLite, so a claim
/// (`UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING`) is atomic across workers of this process.
public final class SQLiteTaskStore: TaskStore {
    let pool: DatabasePool
    public var isShared: Bool { false }
    public let leaseSeconds: Double
    /// Written with each claim (`claimed_by`), for the operator.
    let node: String

    /// Opens (creating when needed) the database at `path` and migrates it to the current schema.
    public init(path: String, leaseSeconds: Double = 30, node: String = NodeName.default) throws {
        self.leaseSeconds = max(0.05, leaseSeconds)
        self.node = node
        var config = Configuration()
        config.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE tasks (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    request_json TEXT NOT NULL,
                    image_path TEXT NOT NULL,
                    status TEXT NOT NULL,
                    status_msg TEXT NOT NULL DEFAULT '',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    manifest_json TEXT
                );
                CREATE INDEX tasks_status ON tasks(status, seq);
                CREATE TABLE versions (
                    conversion_id TEXT PRIMARY KEY,
                    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    duration REAL,
                    files_json TEXT,
                    UNIQUE(task_id, idx)
                );
                CREATE TABLE webhook_outbox (
                    delivery_id TEXT PRIMARY KEY,
                    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    url TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    created_at REAL NOT NULL,
                    delivered_at REAL
                );
                CREATE INDEX outbox_due ON webhook_outbox(status, next_attempt_at);
                CREATE TABLE webhook_attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    delivery_id TEXT NOT NULL REFERENCES webhook_outbox(delivery_id) ON DELETE CASCADE,
                    at REAL NOT NULL,
                    http_status INTEGER,
                    error TEXT
                );
                CREATE INDEX attempts_delivery ON webhook_attempts(delivery_id);
                """)
        }
        // Owners (SHA-256 of the key; rows from before belong to the anonymous tenant), disk use, retention and
        // Idempotency-Keys (docs/server.md).
        m.registerMigration("v2-tenant") { db in
            try db.execute(sql: """
                ALTER TABLE tasks ADD COLUMN owner TEXT NOT NULL DEFAULT 'anonymous';
                ALTER TABLE tasks ADD COLUMN upload_bytes INTEGER;
                ALTER TABLE tasks ADD COLUMN result_bytes INTEGER;
                ALTER TABLE tasks ADD COLUMN files_expired_at REAL;
                CREATE INDEX tasks_retention ON tasks(finished_at) WHERE files_expired_at IS NULL;
                CREATE TABLE idempotency_keys (
                    owner TEXT NOT NULL,
                    key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (owner, key)
                );
                CREATE INDEX idempotency_age ON idempotency_keys(created_at);
                """)
        }
        // Process isolation (issue 9): the attempts that failed, and the time before which a task waiting for its
        // retry is not claimed.
        m.registerMigration("v2-isolation") { db in
            try db.execute(sql: """
                ALTER TABLE tasks ADD COLUMN failure_log TEXT NOT NULL DEFAULT '[]';
                ALTER TABLE tasks ADD COLUMN not_before REAL NOT NULL DEFAULT 0;
                """)
        }
        // Leases (issue 13): a claim holds until `lease_until` unless its worker renews it; `claimed_by` names the
        // node. Rows claimed before have no lease: start-up recovery takes them back as before.
        m.registerMigration("v3-lease") { db in
            try db.execute(sql: """
                ALTER TABLE tasks ADD COLUMN lease_until REAL;
                ALTER TABLE tasks ADD COLUMN claimed_by TEXT;
                """)
        }
        return m
    }

    // MARK: tasks

    public func enqueue(_ task: NewTask, queueLimit: Int) async throws -> Int {
        let json = String(decoding: try JSONEncoder().encode(task.request), as: UTF8.self)
        let now = Date().timeIntervalSince1970
        return try await pool.write { db in
            let queued = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks WHERE status = 'IN_QUEUE'") ?? 0
            if queued >= queueLimit { throw StoreError.queueFull(limit: queueLimit) }
            let running = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks WHERE status = 'IN_PROGRESS'") ?? 0
            if let claim = task.idempotency {
                try db.execute(sql: "DELETE FROM idempotency_keys WHERE owner = ? AND key = ? AND created_at < ?",
                               arguments: [task.owner, claim.key, now - claim.window])
                if let row = try Row.fetchOne(db, sql: "SELECT task_id, fingerprint FROM idempotency_keys WHERE owner = ? AND key = ?",
                                              arguments: [task.owner, claim.key]) {
                    throw StoreError.idempotencyKeyUsed(taskId: row["task_id"], fingerprint: row["fingerprint"])
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO tasks (id, request_json, image_path, status, created_at, updated_at, owner, upload_bytes)
                    VALUES (?, ?, ?, 'IN_QUEUE', ?, ?, ?, ?)
                    """, arguments: [task.id, json, task.imagePath, now, now, task.owner, task.uploadBytes])
            if let claim = task.idempotency {
                try db.execute(sql: """
                    INSERT INTO idempotency_keys (owner, key, fingerprint, task_id, created_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [task.owner, claim.key, claim.fingerprint, task.id, now])
            }
            for (i, cid) in task.conversionIds.enumerated() {
                try db.execute(sql: "INSERT INTO versions (conversion_id, task_id, idx) VALUES (?, ?, ?)",
                               arguments: [cid, task.id, i])
            }
            return queued + running
        }
    }

    public func claimNext(now: Date) async throws -> StoredTask? {
        let t = now.timeIntervalSince1970
        return try await pool.write { db in
            guard let id = try String.fetchOne(db, sql: """
                UPDATE tasks SET status = 'IN_PROGRESS', attempts = attempts + 1, status_msg = '',
                       updated_at = ?, started_at = ?, lease_until = ?, claimed_by = ?
                WHERE seq = (SELECT seq FROM tasks WHERE status = 'IN_QUEUE' AND not_before <= ? ORDER BY seq LIMIT 1)
                RETURNING id
                """, arguments: [t, t, t + leaseSeconds, node, t])
            else { return nil }
            return try Self.load(db, id: id)
        }
    }

    /// One process owns this file: at its start, every IN_PROGRESS task was interrupted.
    public func recoverInterrupted(now: Date, maxAttempts: Int,
                                   final: @escaping @Sendable (StoredTask) -> (message: String, webhooks: [NewWebhook]))
        async throws -> (requeued: Int, failed: Int)
    {
        try await takeBack(now: now, maxAttempts: maxAttempts, expiredOnly: false, final: final)
    }

    public func recoverExpiredLeases(now: Date, maxAttempts: Int,
                                     final: @escaping @Sendable (StoredTask) -> (message: String, webhooks: [NewWebhook]))
        async throws -> (requeued: Int, failed: Int)
    {
        try await takeBack(now: now, maxAttempts: maxAttempts, expiredOnly: true, final: final)
    }

    public func renewLease(taskId: String, attempt: Int, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE tasks SET lease_until = ? WHERE id = ? AND attempts = ? AND status = 'IN_PROGRESS'
                """, arguments: [now.timeIntervalSince1970 + leaseSeconds, taskId, attempt])
            return db.changesCount == 1
        }
    }

    func takeBack(now: Date, maxAttempts: Int, expiredOnly: Bool,
                  final: @escaping @Sendable (StoredTask) -> (message: String, webhooks: [NewWebhook]))
        async throws -> (requeued: Int, failed: Int)
    {
        let t = now.timeIntervalSince1970
        return try await pool.write { db in
            var requeued = 0, failed = 0
            let ids = expiredOnly
                ? try String.fetchAll(db, sql: """
                    SELECT id FROM tasks WHERE status = 'IN_PROGRESS' AND lease_until IS NOT NULL AND lease_until < ?
                    ORDER BY seq
                    """, arguments: [t])
                : try String.fetchAll(db, sql: "SELECT id FROM tasks WHERE status = 'IN_PROGRESS' ORDER BY seq")
            for id in ids {
                guard var task = try Self.load(db, id: id) else { continue }
                task.failureLog.append(AttemptFailure(expiredOnly ? .leaseExpired : .serverStopped))
                let log = try AttemptFailure.encodeLog(task.failureLog)
                if AttemptFailure.attemptsUsedUp(task.failureLog, claims: task.attempts, maxAttempts: maxAttempts) {
                    let (message, webhooks) = final(task)
                    try db.execute(sql: """
                        UPDATE tasks SET status = 'FAILED', status_msg = ?, failure_log = ?, updated_at = ?, finished_at = ?
                        WHERE id = ?
                        """, arguments: [message, log, t, t, id])
                    try Self.insert(webhooks, taskId: id, now: t, db: db)
                    failed += 1
                } else {
                    try db.execute(sql: """
                        UPDATE tasks SET status = 'IN_QUEUE', status_msg = ?, failure_log = ?, not_before = 0,
                               updated_at = ?, lease_until = NULL
                        WHERE id = ?
                        """, arguments: [expiredOnly ? TakeBack.expiredMessage : TakeBack.restartMessage, log, t, id])
                    requeued += 1
                }
            }
            return (requeued, failed)
        }
    }

    public func retry(taskId: String, attempt: Int, failure: AttemptFailure, message: String, notBefore: Date,
                      now: Date) async throws -> Bool
    {
        let t = now.timeIntervalSince1970
        return try await pool.write { db in
            guard let log = try Self.failureLog(db, taskId: taskId, attempt: attempt, adding: failure) else { return false }
            try db.execute(sql: """
                UPDATE tasks SET status = 'IN_QUEUE', status_msg = ?, failure_log = ?, not_before = ?, updated_at = ?
                WHERE id = ? AND attempts = ? AND status = 'IN_PROGRESS'
                """, arguments: [message, log, notBefore.timeIntervalSince1970, t, taskId, attempt])
            return db.changesCount == 1
        }
    }

    /// The encoded failure log of a task still IN_PROGRESS under claim `attempt`, with `failure` appended; nil when
    /// the claim is stale.
    static func failureLog(_ db: Database, taskId: String, attempt: Int, adding failure: AttemptFailure) throws -> String? {
        guard let current = try String.fetchOne(db, sql: """
            SELECT failure_log FROM tasks WHERE id = ? AND attempts = ? AND status = 'IN_PROGRESS'
            """, arguments: [taskId, attempt])
        else { return nil }
        return try AttemptFailure.encodeLog(AttemptFailure.decodeLog(current) + [failure])
    }

    public func failAttempts(taskId: String, attempt: Int, failure: AttemptFailure, message: String,
                             webhooks: [NewWebhook], now: Date) async throws -> Bool
    {
        let t = now.timeIntervalSince1970
        return try await pool.write { db in
            guard let log = try Self.failureLog(db, taskId: taskId, attempt: attempt, adding: failure) else { return false }
            try db.execute(sql: """
                UPDATE tasks SET status = 'FAILED', status_msg = ?, failure_log = ?, updated_at = ?, finished_at = ?
                WHERE id = ? AND attempts = ? AND status = 'IN_PROGRESS'
                """, arguments: [message, log, t, t, taskId, attempt])
            guard db.changesCount == 1 else { return false }
            try Self.insert(webhooks, taskId: taskId, now: t, db: db)
            return true
        }
    }

    public func requeue(taskId: String, attempt: Int, now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE tasks SET status = 'IN_QUEUE', status_msg = 'requeued at shutdown', updated_at = ?,
                       attempts = attempts - 1
                WHERE id = ? AND attempts = ? AND status = 'IN_PROGRESS'
                """, arguments: [now.timeIntervalSince1970, taskId, attempt])
        }
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
        let rows = versionRows
        return try await pool.write { db in
            try db.execute(sql: """
                UPDATE tasks SET status = 'COMPLETED', status_msg = '', manifest_json = ?, updated_at = ?, finished_at = ?
                WHERE id = ? AND attempts = ? AND status = 'IN_PROGRESS'
                """, arguments: [json, t, t, taskId, attempt])
            guard db.changesCount == 1 else { return false }
            for (cid, duration, files) in rows {
                try db.execute(sql: "UPDATE versions SET duration = ?, files_json = ? WHERE conversion_id = ?",
                               arguments: [duration, files, cid])
            }
            try Self.insert(webhooks, taskId: taskId, now: t, db: db)
            return true
        }
    }

    public func fail(taskId: String, attempt: Int, message: String, webhooks: [NewWebhook], now: Date) async throws
        -> Bool
    {
        let t = now.timeIntervalSince1970
        return try await pool.write { db in
            try db.execute(sql: """
                UPDATE tasks SET status = 'FAILED', status_msg = ?, updated_at = ?, finished_at = ?
                WHERE id = ? AND attempts = ? AND status = 'IN_PROGRESS'
                """, arguments: [message, t, t, taskId, attempt])
            guard db.changesCount == 1 else { return false }
            try Self.insert(webhooks, taskId: taskId, now: t, db: db)
            return true
        }
    }

    static func insert(_ webhooks: [NewWebhook], taskId: String, now: Double, db: Database) throws {
        for w in webhooks {
            try db.execute(sql: """
                INSERT INTO webhook_outbox (delivery_id, task_id, kind, url, payload, status, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
                """, arguments: [w.deliveryId, taskId, w.kind, w.url, String(decoding: w.payload, as: UTF8.self), now, now])
        }
    }

    public func task(id: String) async throws -> StoredTask? {
        try await pool.read { db in try Self.load(db, id: id) }
    }

    public func task(conversionId: String) async throws -> StoredTask? {
        try await pool.read { db in
            guard let id = try String.fetchOne(db, sql: "SELECT task_id FROM versions WHERE conversion_id = ?",
                                               arguments: [conversionId])
            else { return nil }
            return try Self.load(db, id: id)
        }
    }

    static func load(_ db: Database, id: String) throws -> StoredTask? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM tasks WHERE id = ?", arguments: [id]) else { return nil }
        let ids = try String.fetchAll(db, sql: "SELECT conversion_id FROM versions WHERE task_id = ? ORDER BY idx",
                                      arguments: [id])
        let requestJSON: String = row["request_json"]
        let request = try JSONDecoder().decode(TaskRequest.self, from: Data(requestJSON.utf8))
        let manifestJSON: String? = row["manifest_json"]
        let manifest = try manifestJSON.map { try JSONDecoder().decode(Manifest.self, from: Data($0.utf8)) }
        let status: String = row["status"]
        let finished: Double? = row["finished_at"]
        let expired: Double? = row["files_expired_at"]
        return StoredTask(
            id: id, conversionIds: ids, request: request, imagePath: row["image_path"],
            status: TaskStatus(rawValue: status) ?? .failed, statusMessage: row["status_msg"], attempts: row["attempts"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]), manifest: manifest,
            failureLog: AttemptFailure.decodeLog(row["failure_log"] ?? "[]"), owner: row["owner"],
            finishedAt: finished.map(Date.init(timeIntervalSince1970:)), uploadBytes: row["upload_bytes"],
            resultBytes: row["result_bytes"], filesExpiredAt: expired.map(Date.init(timeIntervalSince1970:)))
    }

    // MARK: tenancy

    public func idempotentTask(owner: String, key: String, notBefore: Date) async throws
        -> (taskId: String, fingerprint: String)?
    {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT task_id, fingerprint FROM idempotency_keys WHERE owner = ? AND key = ? AND created_at >= ?
                """, arguments: [owner, key, notBefore.timeIntervalSince1970])
            else { return nil }
            return (row["task_id"], row["fingerprint"])
        }
    }

    public func purgeIdempotencyKeys(before: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE created_at < ?", arguments: [before.timeIntervalSince1970])
            return db.changesCount
        }
    }

    public func recordResultBytes(taskId: String, bytes: Int) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE tasks SET result_bytes = ? WHERE id = ? AND files_expired_at IS NULL",
                           arguments: [bytes, taskId])
        }
    }

    public func tasksWithExpiredFiles(finishedBefore: Date, limit: Int) async throws -> [StoredTask] {
        try await pool.read { db in
            let ids = try String.fetchAll(db, sql: """
                SELECT id FROM tasks WHERE files_expired_at IS NULL AND finished_at IS NOT NULL AND finished_at < ?
                AND status IN ('COMPLETED', 'FAILED') ORDER BY finished_at LIMIT ?
                """, arguments: [finishedBefore.timeIntervalSince1970, limit])
            return try ids.compactMap { try Self.load(db, id: $0) }
        }
    }

    public func markFilesExpired(taskId: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE tasks SET files_expired_at = ? WHERE id = ?",
                           arguments: [at.timeIntervalSince1970, taskId])
        }
    }

    public func storageTotals() async throws -> (tasks: Int, bytes: Int) {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, COALESCE(SUM(COALESCE(upload_bytes, 0) + COALESCE(result_bytes, 0)), 0) AS b
                FROM tasks WHERE files_expired_at IS NULL
                """)
            return (row?["n"] ?? 0, row?["b"] ?? 0)
        }
    }

    public func statusCounts() async throws -> (tasks: [TaskStatus: Int], deliveries: [DeliveryStatus: Int]) {
        try await pool.read { db in
            var tasks: [TaskStatus: Int] = [:], deliveries: [DeliveryStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM tasks GROUP BY status") {
                if let s = TaskStatus(rawValue: row["status"]) { tasks[s] = row["n"] }
            }
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM webhook_outbox GROUP BY status") {
                if let s = DeliveryStatus(rawValue: row["status"]) { deliveries[s] = row["n"] }
            }
            return (tasks, deliveries)
        }
    }

    public func queueCounts() async throws -> (queued: Int, running: Int) {
        try await pool.read { db in
            let q = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks WHERE status = 'IN_QUEUE'") ?? 0
            let r = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks WHERE status = 'IN_PROGRESS'") ?? 0
            return (q, r)
        }
    }

    /// Every task row, whatever its status (tests: a rejected request leaves none).
    func taskCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks") ?? 0 }
    }

    /// Every task id, oldest first (tests).
    func taskIds() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT id FROM tasks ORDER BY seq") }
    }

    // MARK: webhooks

    public func leaseDueDeliveries(now: Date, lease: Double, limit: Int) async throws -> [WebhookDelivery] {
        let t = now.timeIntervalSince1970
        return try await pool.write { db in
            let ids = try String.fetchAll(db, sql: """
                SELECT delivery_id FROM webhook_outbox WHERE status = 'pending' AND next_attempt_at <= ?
                ORDER BY next_attempt_at, created_at LIMIT ?
                """, arguments: [t, limit])
            var out: [WebhookDelivery] = []
            for id in ids {
                // The lease is the attempt: counted before the send, so a process that dies mid-send leaves the
                // count right and the retry carries the next number (issue 9, finding 12).
                try db.execute(sql: "UPDATE webhook_outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE delivery_id = ?",
                               arguments: [t + lease, id])
                if let d = try Self.delivery(db, id: id) { out.append(d) }
            }
            return out
        }
    }

    public func recordAttempt(deliveryId: String, attempt: DeliveryAttempt, delivered: Bool, nextAttemptAt: Date?)
        async throws
    {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO webhook_attempts (delivery_id, at, http_status, error) VALUES (?, ?, ?, ?)",
                           arguments: [deliveryId, attempt.at.timeIntervalSince1970, attempt.httpStatus, attempt.error])
            if delivered {
                try db.execute(sql: """
                    UPDATE webhook_outbox SET status = 'delivered', delivered_at = ?
                    WHERE delivery_id = ?
                    """, arguments: [attempt.at.timeIntervalSince1970, deliveryId])
            } else if let next = nextAttemptAt {
                try db.execute(sql: """
                    UPDATE webhook_outbox SET next_attempt_at = ? WHERE delivery_id = ?
                    """, arguments: [next.timeIntervalSince1970, deliveryId])
            } else {
                try db.execute(sql: "UPDATE webhook_outbox SET status = 'dead' WHERE delivery_id = ?",
                               arguments: [deliveryId])
            }
        }
    }

    public func nextDeliveryDue() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM webhook_outbox WHERE status = 'pending'")
                .map { Date(timeIntervalSince1970: $0) }
        }
    }

    public func deliveries(taskId: String) async throws -> [WebhookDelivery] {
        try await pool.read { db in
            let ids = try String.fetchAll(db, sql: """
                SELECT delivery_id FROM webhook_outbox WHERE task_id = ? ORDER BY created_at, rowid
                """, arguments: [taskId])
            return try ids.compactMap { try Self.delivery(db, id: $0) }
        }
    }

    static func delivery(_ db: Database, id: String) throws -> WebhookDelivery? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM webhook_outbox WHERE delivery_id = ?", arguments: [id])
        else { return nil }
        let history = try Row.fetchAll(db, sql: """
            SELECT at, http_status, error FROM webhook_attempts WHERE delivery_id = ? ORDER BY id
            """, arguments: [id]).map { r in
            DeliveryAttempt(at: Date(timeIntervalSince1970: r["at"]), httpStatus: r["http_status"], error: r["error"])
        }
        let payload: String = row["payload"]
        let status: String = row["status"]
        return WebhookDelivery(
            deliveryId: id, taskId: row["task_id"], kind: row["kind"], url: row["url"], payload: Data(payload.utf8),
            status: DeliveryStatus(rawValue: status) ?? .pending, attempts: row["attempts"],
            nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]), history: history)
    }
}
