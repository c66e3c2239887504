import Crypto
import Synchronization
import Foundation
import Logging
import ServiceLifecycle

/// Header names of every webhook POST (documented in docs/server.md).
public enum WebhookHeaders {
    /// Unique per webhook, the same on every retry of it: receivers de-duplicate on it.
    public static let deliveryId = "X-Chromasong-Delivery"
    /// `conversion`, `lyrics`, `cover` or `failure`.
    public static let event = "X-Chromasong-Event"
    /// 1 for the first try, 2 for the first retry, ...
    public static let attempt = "X-Chromasong-Attempt"
    /// `sha256=<lowercase hex HMAC-SHA256 of the raw body, keyed with the webhook secret>`; only with a secret.
    public static let signature = "X-Chromasong-Signature"

    /// Standard Webhooks (standardwebhooks.com): the message id (our delivery id), the send time in unix seconds,
    /// and `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, so receivers can use any Standard Webhooks
    /// library. The key: a secret written `whsec_<base64>` is those decoded bytes (the spec's form); any other
    /// secret is its UTF-8 bytes, as for `X-Chromasong-Signature`.
    public static let standardId = "webhook-id"
    public static let standardTimestamp = "webhook-timestamp"
    public static let standardSignature = "webhook-signature"

    static func standardKey(_ secret: String) -> SymmetricKey {
        if secret.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(secret.dropFirst(6))) {
            return SymmetricKey(data: bytes)
        }
        return SymmetricKey(data: Data(secret.utf8))
    }

    /// The `webhook-signature` value for one send.
    public static func signStandard(id: String, timestamp: Int, body: Data, secret: String) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: standardKey(secret))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Checks a `webhook-signature` header (space-separated `v1,<sig>` entries; any may match) in constant time per
    /// entry, and that `timestamp` is within `tolerance` seconds of `now` (the spec's replay protection).
    public static func verifyStandard(_ header: String, id: String, timestamp: String, body: Data, secret: String,
                                      now: Date = Date(), tolerance: Double = 300) -> Bool {
        guard let t = Int(timestamp), abs(now.timeIntervalSince1970 - Double(t)) <= tolerance else { return false }
        let expected = Array(signStandard(id: id, timestamp: t, body: body, secret: secret).utf8)
        var ok = false
        for entry in header.split(separator: " ") {
            let given = Array(entry.utf8)
            guard given.count == expected.count else { continue }
            var diff: UInt8 = 0
            for (a, b) in zip(expected, given) { diff |= a ^ b }
            if diff == 0 { ok = true }
        }
        return ok
    }

    /// The signature header's value for `body`.
    public static func sign(_ body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Constant-time check of a signature header against `body`, for receivers written in Swift (and the tests).
    public static func verify(_ header: String, body: Data, secret: String) -> Bool {
        let expected = Array(sign(body, secret: secret).utf8)
        let given = Array(header.utf8)
        guard expected.count == given.count else { return false }
        var diff: UInt8 = 0
        for (a, b) in zip(expected, given) { diff |= a ^ b }
        return diff == 0
    }
}

/// Sends the outbox: every pending webhook at least once, retried with exponential back-off (capped) on
/// connection errors and non-2xx answers; every attempt is stored with its outcome.
struct WebhookDispatcher: Service {
    let store: any TaskStore
    let transport: any WebhookTransport
    let secret: String?
    let schedule: RetrySchedule
    let logger: Logger
    /// A leased delivery that was never answered (the process died mid-send) is retried after this long.
    var lease: Double = 60
    var requestTimeout: Double = 10
    var idleInterval: Double = 0.25
    var batch = 16
    /// Counts each attempt's result for `/metrics`.
    var metrics: ServerMetrics? = nil

    func run() async throws {
        // Up to `batch` sends in flight; a slow receiver never holds up the others. A delivery in flight is leased,
        // so it is not handed out again meanwhile.
        let inFlight = Counter()
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = batch - inFlight.value
                var due: [WebhookDelivery] = []
                if free > 0 {
                    do {
                        due = try await store.leaseDueDeliveries(now: Date(), lease: lease, limit: free)
                    } catch {
                        logger.error("outbox read failed", metadata: ["error": "\(error)"])
                    }
                }
                for d in due {
                    inFlight.add(1)
                    group.addTask {
                        await deliver(d)
                        inFlight.add(-1)
                    }
                }
                if due.isEmpty {
                    // Sleep until the next due retry, but wake often enough to see new webhooks.
                    var wait = idleInterval
                    if let next = try? await store.nextDeliveryDue() {
                        wait = min(idleInterval, max(0.01, next.timeIntervalSinceNow))
                    }
                    let delay = wait
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(delay)) }
                }
            }
        }
        logger.info("webhook dispatcher stopped")
    }

    /// The transport's answer, or an error once `timeout` (plus a margin) has passed, whatever the transport does
    /// (a client stuck in its connection pool must not hold a delivery's outcome forever). The send itself is
    /// cancelled at that point and returned, so the caller can wait for it to end before it counts the delivery
    /// out of flight: a transport that ignores cancellation holds its in-flight slot instead of leaking past the
    /// limit (issue 9, finding 6).
    func post(_ url: String, headers: [(String, String)], body: Data) async -> (Result<Int, Error>, Task<Void, Never>?) {
        let transport = self.transport
        let timeout = requestTimeout
        let once = Once()
        var sender: Task<Void, Never>?
        var timer: Task<Void, Never>?
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, Error>, Never>) in
            sender = Task {
                do {
                    let status = try await transport.post(url: url, headers: headers, body: body, timeout: timeout)
                    if once.claim() { continuation.resume(returning: .success(status)) }
                } catch {
                    if once.claim() { continuation.resume(returning: .failure(error)) }
                }
            }
            timer = Task {
                try? await Task.sleep(for: .seconds(timeout + min(1, timeout)))
                if once.claim() { continuation.resume(returning: .failure(WebhookTimeout())) }
            }
        }
        sender?.cancel()
        timer?.cancel()
        return (outcome, sender)
    }

    func deliver(_ d: WebhookDelivery) async {
        var log = logger
        log[metadataKey: "task_id"] = "\(d.taskId)"
        log[metadataKey: "delivery_id"] = "\(d.deliveryId)"
        // Counted by the lease (the store), so the number survives a restart mid-send.
        let attemptNumber = max(1, d.attempts)
        let now = Date()
        let timestamp = Int(now.timeIntervalSince1970)
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"), ("User-Agent", "Chromasong-Webhook/1"),
            (WebhookHeaders.deliveryId, d.deliveryId), (WebhookHeaders.event, d.kind),
            (WebhookHeaders.attempt, String(attemptNumber)),
            (WebhookHeaders.standardId, d.deliveryId), (WebhookHeaders.standardTimestamp, String(timestamp)),
        ]
        if let secret, !secret.isEmpty {
            headers.append((WebhookHeaders.signature, WebhookHeaders.sign(d.payload, secret: secret)))
            headers.append((WebhookHeaders.standardSignature,
                            WebhookHeaders.signStandard(id: d.deliveryId, timestamp: timestamp, body: d.payload, secret: secret)))
        }
        var status: Int?
        var errorText: String?
        let (outcome, sender) = await post(d.url, headers: headers, body: d.payload)
        switch outcome {
        case .success(let code): status = code
        case .failure(let error): errorText = String(describing: error).prefix(300).description
        }
        let delivered = status.map { (200..<300).contains($0) } ?? false
        var next: Date?
        if !delivered && attemptNumber < schedule.maxAttempts {
            next = Date().addingTimeInterval(schedule.delay(afterAttempt: attemptNumber))
        }
        do {
            try await store.recordAttempt(deliveryId: d.deliveryId,
                                          attempt: DeliveryAttempt(at: now, httpStatus: status, error: errorText),
                                          delivered: delivered, nextAttemptAt: next)
        } catch {
            log.error("recording a webhook attempt failed", metadata: ["error": "\(error)"])
        }
        metrics?.webhookAttempt(delivered ? "delivered" : next == nil ? "dead" : "retrying")
        if delivered {
            log.info("webhook delivered", metadata: ["kind": "\(d.kind)", "attempt": "\(attemptNumber)"])
        } else if let next {
            log.notice("webhook failed; retrying", metadata: [
                "kind": "\(d.kind)", "attempt": "\(attemptNumber)", "status": "\(status.map(String.init) ?? "none")",
                "error": "\(errorText ?? "")", "retry_in": "\(String(format: "%.1f", next.timeIntervalSinceNow))",
            ])
        } else {
            log.error("webhook abandoned after \(attemptNumber) attempts", metadata: ["kind": "\(d.kind)"])
        }
        // The outcome is recorded; the in-flight slot is given back only when the send has really ended.
        await sender?.value
    }
}

struct WebhookTimeout: Error, CustomStringConvertible {
    var description: String { "no answer within the webhook timeout" }
}

/// A thread-safe integer.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ n: Int) { count.withLock { $0 += n } }
}

/// True for the first caller only.
final class Once: Sendable {
    private let done = Mutex(false)
    func claim() -> Bool {
        done.withLock { done in
            if done { return false }
            done = true
            return true
        }
    }
}
