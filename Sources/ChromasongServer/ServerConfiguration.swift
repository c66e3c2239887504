import Foundation
import SongEngine

/// Everything `chromasong serve` can be told, from flags or the environment (flags win). See docs/server.md.
public struct ServerConfiguration: Sendable {
    /// Address to bind. With no API key configured the server binds loopback only, whatever this says.
    public var host: String
    public var port: Int
    /// Base of every URL the server hands out (result files in byId and webhooks), e.g. "https://songs.example.com".
    /// Nil: "http://<host>:<port>".
    public var publicBaseURL: String?
    /// Holds the SQLite database, uploaded images and rendered results.
    public var dataDirectory: URL
    /// Accepted keys for `Authorization: <key>` / `Bearer <key>`; empty = no auth (loopback only).
    public var apiKeys: [String]
    /// When set, every webhook carries `X-Chromasong-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    public var webhookSecret: String?
    /// Renders at once; 0 = accept and queue only (a front end over a shared store).
    public var workers: Int
    /// What this node does (issue 13): `.all` (one process does everything, the default), `.api` (accepts,
    /// validates, stores uploads, answers byId, serves files, sends webhooks; renders nothing) or `.worker` (claims
    /// and renders; serves only /health and /metrics).
    public var role: ServerRole = .all
    /// The task store: nil = SQLite in the data directory (`chromasong.sqlite`, one process); a
    /// `postgres://...` URL = the shared PostgreSQL store (docs/scale-out.md).
    public var database: String? = nil
    /// Seconds a claim holds without renewal; its worker renews it every third of that. A worker that dies leaves
    /// its task to be taken back by another node once the lease runs out.
    public var leaseSeconds: Double = 30
    /// This node's name in claims (`claimed_by`), logs and `/health`; unique among the live nodes. At start-up a
    /// node takes back the tasks claimed under its own name (it was restarted mid-render) at once, without waiting
    /// for their leases: give each node a stable name (`CHROMASONG_NODE`) to get that. Default: "<host>:<pid>".
    public var nodeName: String = NodeName.default
    /// Tasks waiting in the queue (IN_QUEUE) beyond which submissions get 429.
    public var queueLimit: Int
    /// Let image_url and webhook_url reach loopback, private and link-local addresses (tests, closed networks).
    public var allowPrivateNetworks: Bool
    /// Presets folder (styles/, instruments/, voices/); nil = the engine's default lookup.
    public var presetsDirectory: URL?
    /// Seconds running renders get to finish on SIGTERM before they are cancelled and put back in the queue.
    public var shutdownGrace: Double
    /// Webhook retry schedule: first delay, factor, cap (seconds), and the attempts after which a delivery is dead.
    public var webhookRetry: RetrySchedule
    /// Where renders run: `.inProcess` (the library default) or a supervised child process per render
    /// (`.process(executable:)`, what `chromasong serve` uses). See docs/server.md, "Worker processes".
    public var renderWorker: RenderWorkerMode = .inProcess
    /// Time and memory bounds of a render attempt, and the attempts a task gets.
    public var renderLimits: RenderLimits = RenderLimits()
    /// Idle/header timeout and the minimum upload rate (see `ConnectionDeadlines`).
    public var connectionDeadlines = ConnectionDeadlines()
    /// Tests only: a fault for the render worker to act out for a task (never set by `chromasong serve`).
    var renderFault: (@Sendable (StoredTask) -> RenderFault?)? = nil
    /// Key of the result-file URL signatures; nil: a random one made at the first start and kept in
    /// `<data>/file-signing.key` (mode 0600), so handed-out URLs survive restarts.
    public var fileSigningSecret: String? = nil
    /// Seconds a file URL in byId or a webhook stays valid (never past the task's retention).
    public var fileURLValidity: Double = 7 * 86_400
    /// Seconds after a task finished when its upload and results are deleted (the row stays); 0 = never.
    public var retention: Double = 7 * 86_400
    /// Seconds between retention sweeps.
    public var retentionSweepInterval: Double = 600
    /// Per-key token buckets (only with API keys: the loopback-only mode has one local user and no limit).
    /// perMinute 0 = no limit.
    public var submitRate = RatePolicy(perMinute: 10, burst: 10)
    public var readRate = RatePolicy(perMinute: 600, burst: 600)
    /// Attempts a task gets (`renderLimits.retry.maxAttempts`). A claim whose render failed without the request
    /// being at fault (a crash, a hang, its memory bound, a full disk) or never finished (the server crashed, was
    /// killed or stopped without a graceful shutdown) counts; a graceful shutdown's requeue does not. A task whose
    /// attempts are used up is FAILED with its failure webhooks instead of claimed again.
    public var maxRenderAttempts: Int {
        get { renderLimits.maxAttempts }
        set { renderLimits.retry.maxAttempts = max(1, newValue) }
    }
    /// A render that fails while the data volume has less than `diskFullBytes` free counts as meeting a full disk
    /// (besides ENOSPC/EDQUOT itself; see `DiskSpace`): the task goes back to the queue (the attempt counts), and
    /// the workers stop claiming for `diskFullPause` seconds (nothing can render meanwhile).
    public var diskFullBytes: Int64 = 256 * 1024 * 1024
    public var diskFullPause: Double = 30

    public init(host: String = "127.0.0.1", port: Int = 8080, publicBaseURL: String? = nil,
                dataDirectory: URL = URL(fileURLWithPath: "chromasong-data"), apiKeys: [String] = [],
                webhookSecret: String? = nil, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                queueLimit: Int = 100, allowPrivateNetworks: Bool = false, presetsDirectory: URL? = nil,
                shutdownGrace: Double = 30, webhookRetry: RetrySchedule = RetrySchedule()) {
        self.host = host
        self.port = port
        self.publicBaseURL = publicBaseURL
        self.dataDirectory = dataDirectory
        self.apiKeys = apiKeys
        self.webhookSecret = webhookSecret
        self.workers = max(0, workers)
        self.queueLimit = max(1, queueLimit)
        self.allowPrivateNetworks = allowPrivateNetworks
        self.presetsDirectory = presetsDirectory
        self.shutdownGrace = shutdownGrace
        self.webhookRetry = webhookRetry
    }

    /// Reads `CHROMASONG_*` variables over the defaults: HOST, PORT, PUBLIC_URL, DATA_DIR, API_KEYS (comma
    /// separated), WEBHOOK_SECRET, WORKERS, QUEUE_LIMIT, ALLOW_PRIVATE_NETWORKS (true/false), PRESETS,
    /// SHUTDOWN_GRACE, ROLE, DATABASE, LEASE_SECONDS, FILE_SIGNING_SECRET, FILE_URL_HOURS, RETENTION_DAYS, SUBMIT_RATE, SUBMIT_BURST, READ_RATE,
    /// READ_BURST, RENDER_WORKER (process, in-process or a binary's absolute path), RENDER_ATTEMPTS,
    /// RENDER_TIME_FLOOR, RENDER_TIME_PER_SECOND, RENDER_MEMORY_FLOOR_MIB, RENDER_MEMORY_PER_SECOND_MIB.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws
        -> ServerConfiguration
    {
        var c = ServerConfiguration()
        func value(_ name: String) -> String? {
            guard let v = env["CHROMASONG_\(name)"]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        func int(_ name: String) throws -> Int? {
            guard let v = value(name) else { return nil }
            guard let n = Int(v) else { throw ConfigurationError("CHROMASONG_\(name) must be an integer, got \"\(v)\"") }
            return n
        }
        if let v = value("HOST") { c.host = v }
        if let v = try int("PORT") { c.port = v }
        if let v = value("PUBLIC_URL") { c.publicBaseURL = v }
        if let v = value("DATA_DIR") { c.dataDirectory = URL(fileURLWithPath: v) }
        if let v = value("API_KEYS") { c.apiKeys = parseKeys(v) }
        if let v = value("WEBHOOK_SECRET") { c.webhookSecret = v }
        if let v = try int("WORKERS") { c.workers = max(0, v) }
        if let v = try int("QUEUE_LIMIT") { c.queueLimit = max(1, v) }
        if let v = value("ALLOW_PRIVATE_NETWORKS") {
            guard let b = parseFlag(v) else {
                throw ConfigurationError("CHROMASONG_ALLOW_PRIVATE_NETWORKS must be true or false, got \"\(v)\"")
            }
            c.allowPrivateNetworks = b
        }
        if let v = value("PRESETS") { c.presetsDirectory = URL(fileURLWithPath: v) }
        if let v = value("ROLE") {
            guard let r = ServerRole(rawValue: v) else {
                throw ConfigurationError("CHROMASONG_ROLE must be api, worker or all, got \"\(v)\"")
            }
            c.role = r
        }
        if let v = value("DATABASE") { c.database = v }
        if let v = value("NODE") { c.nodeName = v }
        if let v = value("SHUTDOWN_GRACE"), let d = Double(v) { c.shutdownGrace = d }
        if let v = value("RENDER_WORKER") {
            guard let mode = RenderWorkerMode.parse(v) else {
                throw ConfigurationError("CHROMASONG_RENDER_WORKER must be process, in-process or an absolute path, got \"\(v)\"")
            }
            c.renderWorker = mode
        }
        if let v = try int("RENDER_ATTEMPTS") {
            guard v >= 1 else { throw ConfigurationError("CHROMASONG_RENDER_ATTEMPTS must be at least 1, got \(v)") }
            c.renderLimits.retry.maxAttempts = v
        }
        func positive(_ name: String) throws -> Double? {
            guard let v = value(name) else { return nil }
            guard let d = Double(v), d > 0, d.isFinite else {
                throw ConfigurationError("CHROMASONG_\(name) must be a positive number, got \"\(v)\"")
            }
            return d
        }
        if let d = try positive("RENDER_TIME_FLOOR") { c.renderLimits.timeFloor = d }
        if let d = try positive("RENDER_TIME_PER_SECOND") { c.renderLimits.timePerAudioSecond = d }
        if let d = try positive("RENDER_MEMORY_FLOOR_MIB") { c.renderLimits.memoryFloorMiB = d }
        if let d = try positive("RENDER_MEMORY_PER_SECOND_MIB") { c.renderLimits.memoryPerAudioSecondMiB = d }
        func number(_ name: String) throws -> Double? {
            guard let v = value(name) else { return nil }
            guard let d = Double(v), d >= 0, d.isFinite else {
                throw ConfigurationError("CHROMASONG_\(name) must be a number >= 0, got \"\(v)\"")
            }
            return d
        }
        if let d = try positive("LEASE_SECONDS") { c.leaseSeconds = d }
        if let v = value("FILE_SIGNING_SECRET") { c.fileSigningSecret = v }
        if let v = try number("FILE_URL_HOURS") { c.fileURLValidity = v * 3600 }
        if let v = try number("RETENTION_DAYS") { c.retention = v * 86_400 }
        if let v = try number("SUBMIT_RATE") { c.submitRate.perMinute = v }
        if let v = try int("SUBMIT_BURST") { c.submitRate.burst = max(1, v) }
        if let v = try number("READ_RATE") { c.readRate.perMinute = v }
        if let v = try int("READ_BURST") { c.readRate.burst = max(1, v) }
        try c.checkTenancy()
        return c
    }

    /// Refuses settings that cannot work: a file URL must live at least a minute.
    public func checkTenancy() throws {
        if let database { _ = try DatabaseURL(database) }
        if role != .all && database == nil {
            throw ConfigurationError("role \(role.rawValue) needs a shared database (--database postgres://...): SQLite serves one process")
        }
        if fileURLValidity < 60 {
            throw ConfigurationError("file URL validity must be at least 60 seconds (CHROMASONG_FILE_URL_HOURS / --file-url-hours)")
        }
        if retention < 0 { throw ConfigurationError("retention must be >= 0 days (0 keeps files forever)") }
    }

    public static func parseKeys(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func parseFlag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "true", "yes", "on": true
        case "0", "false", "no", "off": false
        default: nil
        }
    }

    /// The host actually bound: loopback when no key is configured.
    public var effectiveHost: String {
        apiKeys.isEmpty && !Self.isLoopback(host) ? "127.0.0.1" : host
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// "http://host:port" or the configured public URL, without a trailing slash.
    public var baseURL: String {
        if let publicBaseURL { return publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL }
        let h = effectiveHost.contains(":") ? "[\(effectiveHost)]" : effectiveHost
        return "http://\(h):\(port)"
    }
}

/// When a webhook delivery is tried again: `initial * factor^(attempt-1)`, at most `cap`; dead after `maxAttempts`.
public struct RetrySchedule: Sendable, Hashable, Codable {
    public var initial: Double
    public var factor: Double
    public var cap: Double
    public var maxAttempts: Int

    public init(initial: Double = 2, factor: Double = 2, cap: Double = 600, maxAttempts: Int = 20) {
        self.initial = initial
        self.factor = factor
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// Seconds to wait after the `attempt`-th failed attempt (1-based).
    public func delay(afterAttempt attempt: Int) -> Double {
        min(cap, initial * pow(factor, Double(max(0, attempt - 1))))
    }
}


/// What a node of a scaled-out deployment does (docs/scale-out.md).
public enum ServerRole: String, Sendable, CaseIterable {
    case api, worker, all

    var accepts: Bool { self != .worker }
    var renders: Bool { self != .api }
}
