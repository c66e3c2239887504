import ArgumentParser
import ChromasongServer
import Foundation
import Logging

/// `chromasong serve`: the HTTP API (contract §4). Flags override the CHROMASONG_* environment variables.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server (the image_to_song API).",
        discussion: "Environment: CHROMASONG_HOST, _PORT, _PUBLIC_URL, _DATA_DIR, _API_KEYS, _WEBHOOK_SECRET, _WORKERS, "
            + "_QUEUE_LIMIT, _ALLOW_PRIVATE_NETWORKS, _PRESETS, _SHUTDOWN_GRACE, _FILE_SIGNING_SECRET, _FILE_URL_HOURS, "
            + "_RETENTION_DAYS, _SUBMIT_RATE, _SUBMIT_BURST, _READ_RATE, _READ_BURST, _RENDER_WORKER, _RENDER_ATTEMPTS, "
            + "_RENDER_TIME_FLOOR, _RENDER_TIME_PER_SECOND, _RENDER_MEMORY_FLOOR_MIB, _RENDER_MEMORY_PER_SECOND_MIB, "
            + "_ROLE, _DATABASE, _LEASE_SECONDS, _NODE, _LOG_FORMAT. "
            + "With no API key the server listens on loopback only. Many nodes on one PostgreSQL: docs/scale-out.md.")

    @Option(help: "What this node does: api (accept, answer, serve files, send webhooks), worker (claim and render), or all (default).")
    var role: String?
    @Option(help: "The task store: a postgres://user[:password]@host[:port]/database[?schema=name] URL shared by every node (default: SQLite in the data folder, one process).")
    var database: String?
    @Option(help: "Seconds a worker's claim holds without renewal; a dead worker's task goes back after it (default 30).")
    var lease: Double?
    @Option(help: "Log lines as text (default) or json: one object per line with ts, level, msg, node, task_id, ...")
    var logFormat: String?
    @Option(help: "Address to bind (default 127.0.0.1).") var host: String?
    @Option(help: "Port (default 8080).") var port: Int?
    @Option(help: "Base of the URLs in results and webhooks (default http://HOST:PORT).") var publicURL: String?
    @Option(help: "Folder for the database, uploads and results (default ./chromasong-data).") var dataDir: String?
    @Option(help: "An accepted API key (repeat for several).") var apiKey: [String] = []
    @Option(help: "Secret for the webhooks' HMAC-SHA256 signature header.") var webhookSecret: String?
    @Option(help: "Renders at once (default: the number of cores).") var workers: Int?
    @Option(help: "Waiting tasks beyond which submissions get 429 (default 100).") var queueLimit: Int?
    @Flag(help: "Let image_url and webhook_url reach loopback, private and link-local addresses.")
    var allowPrivateNetworks = false
    @Option(help: "Seconds running renders get to finish on SIGTERM before they go back to the queue (default 30).")
    var shutdownGrace: Double?
    @Option(help: "Key of the result-file URL signatures (default: a random one kept in DATA_DIR/file-signing.key).")
    var fileSigningSecret: String?
    @Option(help: "Hours a file URL from byId or a webhook stays valid, never past the retention (default 168).")
    var fileURLHours: Double?
    @Option(help: "Days after a task finished when its upload and results are deleted; 0 = never (default 7).")
    var retentionDays: Double?
    @Option(help: "Submissions a minute per API key; 0 = no limit (default 10; only with API keys).")
    var submitRate: Double?
    @Option(help: "Submissions a key may make at once before the rate applies (default 10).") var submitBurst: Int?
    @Option(help: "Other API requests a minute per API key; 0 = no limit (default 600).") var readRate: Double?
    @Option(help: "Other API requests a key may make at once (default 600).") var readBurst: Int?
    @Option(help: "Where renders run: process (a supervised child process per render, the default), in-process, or the path of a chromasong binary.")
    var renderWorker: String?
    @Option(help: "Attempts a task gets when renders crash, hang, run out of memory or meet a full disk (default 3).")
    var renderAttempts: Int?
    @Option(help: "Seconds a connection may stay idle, or take to send a request's headers, before it is closed (default 20).")
    var idleTimeout: Double?
    @Option(help: "Bytes a second a request body must average after its first 10 seconds, or its connection is closed (default 8192).")
    var bodyMinRate: Int?

    func run() async throws {
        var c: ServerConfiguration
        do { c = try ServerConfiguration.fromEnvironment() } catch { fail(error) }
        if let role {
            guard let r = ServerRole(rawValue: role) else { fail(ValidationError("--role must be api, worker or all, got \"\(role)\"")) }
            c.role = r
        }
        if let database { c.database = database }
        if let lease {
            guard lease > 0, lease.isFinite else { fail(ValidationError("--lease must be a positive number of seconds")) }
            c.leaseSeconds = lease
        }
        if let host { c.host = host }
        if let port { c.port = port }
        if let publicURL { c.publicBaseURL = publicURL }
        if let dataDir { c.dataDirectory = URL(fileURLWithPath: dataDir) }
        if !apiKey.isEmpty { c.apiKeys = apiKey }
        if let webhookSecret { c.webhookSecret = webhookSecret }
        if let workers { c.workers = max(0, workers) }
        if let queueLimit { c.queueLimit = max(1, queueLimit) }
        if allowPrivateNetworks { c.allowPrivateNetworks = true }
        if let shutdownGrace { c.shutdownGrace = shutdownGrace }
        if let fileSigningSecret { c.fileSigningSecret = fileSigningSecret }
        if let fileURLHours { c.fileURLValidity = fileURLHours * 3600 }
        if let retentionDays { c.retention = retentionDays * 86_400 }
        if let submitRate { c.submitRate.perMinute = max(0, submitRate) }
        if let submitBurst { c.submitRate.burst = max(1, submitBurst) }
        if let idleTimeout { c.connectionDeadlines.idleTimeout = max(1, idleTimeout) }
        if let bodyMinRate { c.connectionDeadlines.bodyMinimumRate = max(1, bodyMinRate) }
        if let readRate { c.readRate.perMinute = max(0, readRate) }
        if let readBurst { c.readRate.burst = max(1, readBurst) }
        do { try c.checkTenancy() } catch { fail(error) }
        switch logFormat ?? ProcessInfo.processInfo.environment["CHROMASONG_LOG_FORMAT"] ?? "text" {
        case "text", "": break
        case "json":
            let node = c.nodeName
            LoggingSystem.bootstrap { JSONLogHandler(label: $0, node: node) }
        case let other: fail(ValidationError("--log-format must be text or json, got \"\(other)\""))
        }
        // Renders run isolated in child processes of this very binary unless told otherwise.
        if ProcessInfo.processInfo.environment["CHROMASONG_RENDER_WORKER"]?.isEmpty ?? true {
            c.renderWorker = .process(executable: RenderWorkerMode.currentExecutable)
        }
        if let renderWorker {
            guard let mode = RenderWorkerMode.parse(renderWorker) else {
                throw ValidationError("--render-worker must be process, in-process or an absolute path, got \"\(renderWorker)\"")
            }
            c.renderWorker = mode
        }
        if let renderAttempts {
            guard renderAttempts >= 1 else { throw ValidationError("--render-attempts must be at least 1") }
            c.renderLimits.retry.maxAttempts = renderAttempts
        }
        // The address policy for image_url and webhooks, and the Endpoint Explorer at GET /.
        // A start-up refusal (the database unreachable, the data folder unwritable) is one line, as for flags.
        let app = await orFail { try await buildApplication(configuration: c, hooks: .production(configuration: c)) }
        try await app.runService()
    }
}

/// The value of `body`, or `fail`'s one line and exit when it throws.
func orFail<T>(_ body: () async throws -> T) async -> T {
    do { return try await body() } catch { fail(error) }
}
