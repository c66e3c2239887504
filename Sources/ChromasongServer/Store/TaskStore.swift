import Foundation
import SongEngine

/// A task's place in its life. The raw values are the contract's `status` strings (§4).
public enum TaskStatus: String, Sendable, Codable, CaseIterable {
    case inQueue = "IN_QUEUE"
    case inProgress = "IN_PROGRESS"
    case completed = "COMPLETED"
    case failed = "FAILED"
}

/// What a worker needs to render a task again at any time: the validated `SongRequest` without its image bytes
/// (they live in the file at `StoredTask.imagePath`), and what only the server needs. Its fields read through:
/// `task.request.versions` is the song request's. Encoded flat, with the names it always had, so rows written
/// before the request type was shared still decode (and an Idempotency-Key's fingerprint stays the same).
@dynamicMemberLookup
public struct TaskRequest: Codable, Sendable, Hashable {
    /// The request; its `image` is left empty here (`songRequest(imagePath:)` puts the stored file back).
    public var song: SongRequest
    /// Where the image came from when it was given as a URL (kept for the record; the bytes were fetched once).
    public var imageURL: String?
    public var webhookURL: String?

    public init(_ request: SongRequest, imageURL: String?, webhookURL: String?) {
        song = request
        song.image = .file("")
        self.imageURL = imageURL
        self.webhookURL = webhookURL
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<SongRequest, T>) -> T {
        get { song[keyPath: keyPath] }
        set { song[keyPath: keyPath] = newValue }
    }

    /// The engine's request over the stored image file.
    public func songRequest(imagePath: String) -> SongRequest {
        var request = song
        request.image = .file(imagePath)
        return request
    }

    private enum CodingKeys: String, CodingKey { case imageURL, webhookURL }

    public init(from decoder: any Decoder) throws {
        song = try SongRequest(from: decoder)
        song.image = .file("")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageURL = try c.decodeIfPresent(String.self, forKey: .imageURL)
        webhookURL = try c.decodeIfPresent(String.self, forKey: .webhookURL)
    }

    public func encode(to encoder: any Encoder) throws {
        try song.encodeWithoutImage(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(imageURL, forKey: .imageURL)
        try c.encodeIfPresent(webhookURL, forKey: .webhookURL)
    }
}

/// A new task, validated and ready to queue.
public struct NewTask: Sendable {
    public var id: String
    public var conversionIds: [String]
    public var request: TaskRequest
    /// The image file, already written under the data directory.
    public var imagePath: String
    /// The tenant: SHA-256 hex of the submitting key, or `Tenant.anonymous` (see docs/server.md).
    public var owner: String = "anonymous"
    /// Size of the stored upload.
    public var uploadBytes: Int = 0
    /// The submission's Idempotency-Key, stored with the task in the same transaction.
    public var idempotency: IdempotencyClaim? = nil

    public init(id: String, conversionIds: [String], request: TaskRequest, imagePath: String) {
        self.id = id
        self.conversionIds = conversionIds
        self.request = request
        self.imagePath = imagePath
    }
}

/// An `Idempotency-Key` as the store keeps it: per tenant, with the fingerprint of the request it first came
/// with; a row older than `window` seconds no longer counts (and is replaced).
public struct IdempotencyClaim: Sendable, Hashable {
    public var key: String
    public var fingerprint: String
    public var window: Double

    public init(key: String, fingerprint: String, window: Double) {
        self.key = key
        self.fingerprint = fingerprint
        self.window = window
    }
}

/// A task as stored.
public struct StoredTask: Sendable {
    public var id: String
    public var conversionIds: [String]
    public var request: TaskRequest
    public var imagePath: String
    public var status: TaskStatus
    public var statusMessage: String
    /// Times a worker has claimed the task (a claim's token: only the latest claim may finish it).
    public var attempts: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// The render's manifest once COMPLETED.
    public var manifest: Manifest?
    /// Attempts that failed without the request being at fault (crash, time limit, memory, full disk, server
    /// restart), oldest first; the task is FAILED when they reach `RenderLimits.maxAttempts`.
    public var failureLog: [AttemptFailure] = []
    /// The tenant that submitted it (SHA-256 hex of its key, or "anonymous").
    public var owner: String = "anonymous"
    /// When it became COMPLETED or FAILED.
    public var finishedAt: Date? = nil
    /// Bytes on disk: the upload (known at submission) and the results (measured once the task finished).
    public var uploadBytes: Int? = nil
    public var resultBytes: Int? = nil
    /// Set when the retention service deleted the upload and the results.
    public var filesExpiredAt: Date? = nil
}

/// A webhook to send, written in the same transaction that finishes its task (a transactional outbox).
public struct NewWebhook: Sendable {
    public var deliveryId: String
    public var kind: String
    public var url: String
    public var payload: Data

    public init(deliveryId: String = UUID().uuidString.lowercased(), kind: String, url: String, payload: Data) {
        self.deliveryId = deliveryId
        self.kind = kind
        self.url = url
        self.payload = payload
    }
}

public enum DeliveryStatus: String, Sendable, Codable {
    case pending, delivered, dead
}

/// One try at delivering a webhook.
public struct DeliveryAttempt: Sendable, Codable, Hashable {
    public var at: Date
    /// The receiver's HTTP status, or nil when no answer came (connection refused, timeout).
    public var httpStatus: Int?
    public var error: String?

    public init(at: Date, httpStatus: Int?, error: String?) {
        self.at = at
        self.httpStatus = httpStatus
        self.error = error
    }
}

/// A webhook in the outbox with its history.
public struct WebhookDelivery: Sendable {
    public var deliveryId: String
    public var taskId: String
    public var kind: String
    public var url: String
    public var payload: Data
    public var status: DeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var history: [DeliveryAttempt]
}

public enum StoreError: Error, Sendable, Equatable {
    /// The queue already holds `limit` waiting tasks.
    case queueFull(limit: Int)
    /// The tenant already used this Idempotency-Key (within its window) for `taskId`, with a request whose
    /// fingerprint is `fingerprint`.
    case idempotencyKeyUsed(taskId: String, fingerprint: String)
}

/// The durable queue and record of tasks, results and webhooks. Everything outside the store speaks only this
/// protocol: the SQLite store is the embedded default; the PostgreSQL store is shared by many nodes (issue 13).
public protocol TaskStore: Sendable {
    /// Queues a task unless `queueLimit` tasks already wait (throws `StoreError.queueFull`); atomic.
    /// Returns the number of tasks ahead of it (waiting or running).
    func enqueue(_ task: NewTask, queueLimit: Int) async throws -> Int
    /// Atomically moves the oldest waiting task whose retry time has come to IN_PROGRESS and returns it (with
    /// `attempts` already counted); two workers never get the same task.
    func claimNext(now: Date) async throws -> StoredTask?
    /// Start-up recovery with the attempt cap, atomic: every IN_PROGRESS task counts a `serverStopped` failure; a
    /// task whose failures reach `maxAttempts` becomes FAILED with `final(task with its full log)` (message and
    /// failure webhooks), the others go back to IN_QUEUE.
    func recoverInterrupted(now: Date, maxAttempts: Int,
                            final: @escaping @Sendable (StoredTask) -> (message: String, webhooks: [NewWebhook]))
        async throws -> (requeued: Int, failed: Int)
    /// Whether processes on other machines share this store (API nodes and workers, issue 13). A shared store's
    /// `recoverInterrupted` takes back only the tasks whose lease ran out: other nodes may be rendering the rest.
    var isShared: Bool { get }
    /// Seconds a claim holds without renewal; a worker renews it every third of that while it renders.
    var leaseSeconds: Double { get }
    /// Moves the lease of claim `attempt` `leaseSeconds` past `now`. False when the claim is no longer the task's
    /// (its lease ran out and the task went back, or it finished): the worker then stops rendering it.
    func renewLease(taskId: String, attempt: Int, now: Date) async throws -> Bool
    /// IN_PROGRESS tasks whose lease ran out before `now` (their worker died, froze or lost the database): like
    /// `recoverInterrupted`, each counts a `leaseExpired` failure and goes back to the queue or, out of attempts,
    /// is FAILED with `final`. Safe to run on every node at once: a task is taken back once.
    func recoverExpiredLeases(now: Date, maxAttempts: Int,
                              final: @escaping @Sendable (StoredTask) -> (message: String, webhooks: [NewWebhook]))
        async throws -> (requeued: Int, failed: Int)
    /// Tasks by status, and webhook deliveries by status (`/metrics`).
    func statusCounts() async throws -> (tasks: [TaskStatus: Int], deliveries: [DeliveryStatus: Int])
    /// A failed attempt that will be tried again: IN_PROGRESS (under the claim `attempt`) back to IN_QUEUE with the
    /// failure logged, `message` as its status message, claimable from `notBefore`. Returns whether it applied.
    func retry(taskId: String, attempt: Int, failure: AttemptFailure, message: String, notBefore: Date, now: Date)
        async throws -> Bool
    /// The last attempt failed and none is left: like `fail`, with `failure` added to the task's log.
    func failAttempts(taskId: String, attempt: Int, failure: AttemptFailure, message: String, webhooks: [NewWebhook],
                      now: Date) async throws -> Bool
    /// A worker gives a claimed task back (shutdown before it finished).
    func requeue(taskId: String, attempt: Int, now: Date) async throws
    /// Records a finished render and queues its webhooks, only if `attempt` is still the task's latest claim and
    /// the task is IN_PROGRESS. Returns whether it did.
    func complete(taskId: String, attempt: Int, manifest: Manifest, webhooks: [NewWebhook], now: Date) async throws
        -> Bool
    /// Records a failed render and queues its failure webhooks, under the same rule as `complete`.
    func fail(taskId: String, attempt: Int, message: String, webhooks: [NewWebhook], now: Date) async throws -> Bool
    func task(id: String) async throws -> StoredTask?
    func task(conversionId: String) async throws -> StoredTask?
    /// Tasks waiting and running.
    func queueCounts() async throws -> (queued: Int, running: Int)
    /// Atomically leases up to `limit` due pending deliveries: their next attempt moves `lease` seconds ahead, so a
    /// crash mid-send means the delivery is tried again after the lease (at least once).
    func leaseDueDeliveries(now: Date, lease: Double, limit: Int) async throws -> [WebhookDelivery]
    /// Stores one attempt; `delivered` ends the delivery, else it is tried at `nextAttemptAt` (nil: dead).
    func recordAttempt(deliveryId: String, attempt: DeliveryAttempt, delivered: Bool, nextAttemptAt: Date?) async throws
    /// When the next pending delivery is due (nil: none pending).
    func nextDeliveryDue() async throws -> Date?
    /// A task's webhooks with their attempt history, oldest first.
    func deliveries(taskId: String) async throws -> [WebhookDelivery]

    // Tenancy (schema v2-tenant).
    /// The task a tenant's Idempotency-Key names, and its request's fingerprint, if used after `notBefore`.
    func idempotentTask(owner: String, key: String, notBefore: Date) async throws -> (taskId: String, fingerprint: String)?
    /// Forgets Idempotency-Keys used before `before`; returns how many.
    func purgeIdempotencyKeys(before: Date) async throws -> Int
    /// Records the measured size of a finished task's results.
    func recordResultBytes(taskId: String, bytes: Int) async throws
    /// Finished (COMPLETED or FAILED) tasks whose files still exist and that finished before `finishedBefore`,
    /// oldest first.
    func tasksWithExpiredFiles(finishedBefore: Date, limit: Int) async throws -> [StoredTask]
    /// Marks a task's upload and results as deleted.
    func markFilesExpired(taskId: String, at: Date) async throws
    /// Tasks whose files are kept, and their bytes on disk (uploads + measured results).
    func storageTotals() async throws -> (tasks: Int, bytes: Int)
}

extension AttemptFailure {
    /// A task's failure log as stored (`failure_log`, JSON, keys sorted), in every store.
    static func encodeLog(_ log: [AttemptFailure]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(log), as: UTF8.self)
    }

    static func decodeLog(_ text: String) -> [AttemptFailure] {
        (try? JSONDecoder().decode([AttemptFailure].self, from: Data(text.utf8))) ?? []
    }

    /// Whether a task whose failures are `log` after claim `attempts` has used up its `maxAttempts`. Claims count
    /// too: rows from before the failure log, and claims a graceful shutdown gave back, are not in it.
    static func attemptsUsedUp(_ log: [AttemptFailure], claims attempts: Int, maxAttempts: Int) -> Bool {
        max(log.count, attempts) >= maxAttempts
    }
}

/// The status messages of a task taken back from a claim that cannot finish (the same words in every store).
enum TakeBack {
    /// Start-up recovery of the embedded store: the process that claimed it is gone.
    static let restartMessage = "requeued after a restart"
    /// A shared store: the claim's lease ran out (its worker was killed, froze or lost the database).
    static let expiredMessage = "requeued: its worker stopped answering"
}

/// A node's name in claims, logs and metrics: `CHROMASONG_NODE`, else "<host name>:<process id>".
public enum NodeName {
    public static let `default`: String = {
        if let v = ProcessInfo.processInfo.environment["CHROMASONG_NODE"], !v.isEmpty { return v }
        return "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }()
}
