/// The PostgreSQL store's schema, versioned here in the repository (issue 13). A migration is never edited once
/// released: a change is a new entry. `PostgresTaskStore` applies the missing ones at start-up, under an advisory
/// lock so that nodes starting together migrate once, and records each in `schema_migrations`.
///
/// The rows mean what the SQLite store's rows mean (`SQLiteTaskStore`'s migrations v1 to v3-lease): times are
/// seconds since 1970 as `double precision`, JSON is stored as text, a claim is `attempts` (its token) with a lease.
enum PostgresMigrations {
    struct Migration {
        let version: Int
        let name: String
        /// Statements, run one by one in the migration's transaction.
        let statements: [String]
    }

    static let all: [Migration] = [
        Migration(version: 1, name: "tasks, versions, webhook outbox, idempotency keys, leases", statements: [
            """
            CREATE TABLE tasks (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                request_json TEXT NOT NULL,
                image_path TEXT NOT NULL,
                status TEXT NOT NULL,
                status_msg TEXT NOT NULL DEFAULT '',
                attempts BIGINT NOT NULL DEFAULT 0,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                started_at DOUBLE PRECISION,
                finished_at DOUBLE PRECISION,
                manifest_json TEXT,
                owner TEXT NOT NULL DEFAULT 'anonymous',
                upload_bytes BIGINT,
                result_bytes BIGINT,
                files_expired_at DOUBLE PRECISION,
                failure_log TEXT NOT NULL DEFAULT '[]',
                not_before DOUBLE PRECISION NOT NULL DEFAULT 0,
                lease_until DOUBLE PRECISION,
                claimed_by TEXT
            )
            """,
            // The claim's scan: waiting tasks in submission order; the lease sweep: running tasks by lease.
            "CREATE INDEX tasks_waiting ON tasks (seq) WHERE status = 'IN_QUEUE'",
            "CREATE INDEX tasks_leases ON tasks (lease_until) WHERE status = 'IN_PROGRESS'",
            "CREATE INDEX tasks_status ON tasks (status)",
            "CREATE INDEX tasks_retention ON tasks (finished_at) WHERE files_expired_at IS NULL",
            """
            CREATE TABLE versions (
                conversion_id TEXT PRIMARY KEY,
                task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                idx BIGINT NOT NULL,
                duration DOUBLE PRECISION,
                files_json TEXT,
                UNIQUE (task_id, idx)
            )
            """,
            """
            CREATE TABLE webhook_outbox (
                seq BIGSERIAL,
                delivery_id TEXT PRIMARY KEY,
                task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                url TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at DOUBLE PRECISION NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                delivered_at DOUBLE PRECISION
            )
            """,
            "CREATE INDEX outbox_due ON webhook_outbox (next_attempt_at) WHERE status = 'pending'",
            "CREATE INDEX outbox_task ON webhook_outbox (task_id, seq)",
            """
            CREATE TABLE webhook_attempts (
                id BIGSERIAL PRIMARY KEY,
                delivery_id TEXT NOT NULL REFERENCES webhook_outbox(delivery_id) ON DELETE CASCADE,
                at DOUBLE PRECISION NOT NULL,
                http_status BIGINT,
                error TEXT
            )
            """,
            "CREATE INDEX attempts_delivery ON webhook_attempts (delivery_id, id)",
            """
            CREATE TABLE idempotency_keys (
                owner TEXT NOT NULL,
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (owner, key)
            )
            """,
            "CREATE INDEX idempotency_age ON idempotency_keys (created_at)",
        ]),
    ]
}
