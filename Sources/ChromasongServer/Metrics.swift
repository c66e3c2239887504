import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// `GET /metrics` in Prometheus's text format (issue 13), on every role. What the queue holds is read from the store
/// at each scrape, so every node reports the whole deployment's queue; what a node did itself (render seconds,
/// webhook attempts, claims taken back) is counted in the node and labelled by Prometheus's own `instance`.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let queueDepth: Prometheus.Gauge
    let tasks: [TaskStatus: Prometheus.Gauge]
    let deliveries: [DeliveryStatus: Prometheus.Gauge]
    let renderSeconds: ValueHistogram
    let renderOutcomes: [String: Prometheus.Counter]
    let webhookAttempts: [String: Prometheus.Counter]
    let leasesTakenBack: Prometheus.Counter

    init() {
        queueDepth = registry.makeGauge(name: "chromasong_queue_depth", help: "Tasks waiting to be claimed (IN_QUEUE).")
        var t: [TaskStatus: Prometheus.Gauge] = [:]
        for s in TaskStatus.allCases {
            t[s] = registry.makeGauge(name: "chromasong_tasks", labels: [("state", s.rawValue)],
                                      help: "Tasks in the store by state.")
        }
        tasks = t
        var d: [DeliveryStatus: Prometheus.Gauge] = [:]
        for s in [DeliveryStatus.pending, .delivered, .dead] {
            d[s] = registry.makeGauge(name: "chromasong_webhook_deliveries", labels: [("state", s.rawValue)],
                                      help: "Webhook deliveries in the outbox by state.")
        }
        deliveries = d
        renderSeconds = registry.makeValueHistogram(
            name: "chromasong_render_seconds", buckets: [0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300, 600],
            help: "Wall seconds of this node's render attempts, from claim to outcome.")
        var o: [String: Prometheus.Counter] = [:]
        for outcome in ["completed", "failed", "retried", "requeued"] {
            o[outcome] = registry.makeCounter(name: "chromasong_render_attempts_total", labels: [("outcome", outcome)],
                                              help: "This node's render attempts by outcome.")
        }
        renderOutcomes = o
        var w: [String: Prometheus.Counter] = [:]
        for result in ["delivered", "retrying", "dead"] {
            w[result] = registry.makeCounter(name: "chromasong_webhook_attempts_total", labels: [("result", result)],
                                             help: "Webhook send attempts by this node, by result.")
        }
        webhookAttempts = w
        leasesTakenBack = registry.makeCounter(
            name: "chromasong_leases_taken_back_total",
            help: "Claims whose lease ran out (their worker died or froze), taken back by this node.")
    }

    func render(seconds: Double, outcome: String) {
        renderSeconds.record(seconds)
        renderOutcomes[outcome]?.increment()
    }

    func webhookAttempt(_ result: String) { webhookAttempts[result]?.increment() }

    /// The text body, with the store's counts read now.
    func scrape(_ store: any TaskStore) async throws -> String {
        let counts = try await store.statusCounts()
        queueDepth.set(Double(counts.tasks[.inQueue] ?? 0))
        for (s, g) in tasks { g.set(Double(counts.tasks[s] ?? 0)) }
        for (s, g) in deliveries { g.set(Double(counts.deliveries[s] ?? 0)) }
        return registry.emitToString()
    }

    func addRoute(to router: Router<BasicRequestContext>, store: any TaskStore) {
        router.get("metrics") { _, _ in
            let text = try await self.scrape(store)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

/// Takes back claims whose lease ran out, every `interval` (worker and all roles): a task whose worker was killed
/// goes back to the queue within a lease and an interval, counted as a `leaseExpired` attempt.
struct LeaseSweepService: Service {
    let store: any TaskStore
    let payloads: Payloads
    let maxAttempts: Int
    let interval: Duration
    let metrics: ServerMetrics
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let (requeued, failed) = try await store.recoverExpiredLeases(
                        now: Date(), maxAttempts: maxAttempts, final: payloads.attemptsUsedUp)
                    if requeued + failed > 0 {
                        metrics.leasesTakenBack.increment(by: Int64(requeued + failed))
                        logger.warning("took back claims whose lease ran out", metadata: [
                            "requeued": "\(requeued)", "failed": "\(failed)",
                        ])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled || Task.isShuttingDownGracefully { return }
                    logger.error("lease sweep failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
