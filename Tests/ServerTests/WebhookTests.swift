import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import ChromasongServer
@testable import SongEngine
#if canImport(Glibc)
import Glibc
#endif

/// A local webhook receiver: records every request; answers 500 to the first `failures` tries of each delivery.
actor HookReceiver {
    struct Hit: Sendable {
        var deliveryId: String
        var event: String
        var attempt: String
        var signature: String?
        var body: Data
    }

    private(set) var hits: [Hit] = []
    let failures: Int
    /// While set, every request gets 500.
    private(set) var alwaysFail = false

    func setAlwaysFail(_ value: Bool) { alwaysFail = value }

    init(failures: Int) { self.failures = failures }

    func take(_ request: Request, body: Data) -> HTTPResponse.Status {
        func header(_ name: String) -> String? {
            request.headers.first { $0.name.canonicalName == name.lowercased() }?.value
        }
        let id = header(WebhookHeaders.deliveryId) ?? ""
        hits.append(Hit(deliveryId: id, event: header(WebhookHeaders.event) ?? "",
                        attempt: header(WebhookHeaders.attempt) ?? "", signature: header(WebhookHeaders.signature),
                        body: body))
        if alwaysFail { return .internalServerError }
        return hits.filter { $0.deliveryId == id }.count <= failures ? .internalServerError : .ok
    }

    /// One body per delivery id (what a de-duplicating receiver keeps).
    var unique: [String: Hit] {
        var out: [String: Hit] = [:]
        for h in hits where out[h.deliveryId] == nil { out[h.deliveryId] = h }
        return out
    }

    /// Runs `body` with a live receiver; passes its URL.
    static func serve<T: Sendable>(_ receiver: HookReceiver, _ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            return Response(status: await receiver.take(request, body: Data(buffer.readableBytesView)))
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .warning
        let app = Application(router: router, logger: logger)
        return try await app.test(.live) { client in
            try await body("http://localhost:\(client.port!)/hook")
        }
    }
}

/// A transport whose send takes `holdSeconds` and ignores cancellation, as a client stuck in its pool would.
final class StubbornTransport: WebhookTransport, @unchecked Sendable {
    let holdSeconds: Double
    let starts = Shared<[ContinuousClock.Instant]>([])
    init(holdSeconds: Double) { self.holdSeconds = holdSeconds }
    func post(url: String, headers: [(String, String)], body: Data, timeout: Double) async throws -> Int {
        starts.update { $0.append(ContinuousClock.now) }
        let hold = holdSeconds
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + hold) { c.resume() }
        }
        return 200
    }
}

func waitUntil(timeout: Double, _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

@Suite struct WebhookTests {
    @Test func retriesUntilDeliveredAndSigns() async throws {
        let secret = "s3cret-key"
        let receiver = HookReceiver(failures: 3)
        let store = try await StoreTests.openStore(ServerFixtures.temporaryDirectory("hooks"))
        try await HookReceiver.serve(receiver) { url in
            _ = try await store.enqueue(StoreTests.newTask(1), queueLimit: 10)
            let t = try #require(try await store.claimNext(now: Date()))
            let hooks = [
                NewWebhook(deliveryId: "a", kind: "conversion", url: url, payload: Data(#"{"n":1}"#.utf8)),
                NewWebhook(deliveryId: "b", kind: "cover", url: url, payload: Data(#"{"n":2}"#.utf8)),
            ]
            #expect(try await store.complete(taskId: t.id, attempt: t.attempts, manifest: StoreTests.manifest(for: t),
                                             webhooks: hooks, now: Date()))
            var logger = Logger(label: "dispatcher")
            logger.logLevel = .critical
            let dispatcher = WebhookDispatcher(
                store: store, transport: HTTPClientWebhookTransport(), secret: secret,
                schedule: RetrySchedule(initial: 0.05, factor: 2, cap: 0.4, maxAttempts: 5), logger: logger,
                // Long enough that a receiver starved by the rest of the suite still answers within one attempt
                // (a timed-out attempt would be retried, correctly, but would change the counts asserted below).
                requestTimeout: 30, idleInterval: 0.05)
            let run = Task { try await dispatcher.run() }
            let settled = try await waitUntil(timeout: 90) {
                try await store.deliveries(taskId: t.id).allSatisfy { $0.status != .pending }
            }
            run.cancel()
            #expect(settled)
        }
        let hits = await receiver.hits
        #expect(hits.filter { $0.deliveryId == "a" }.map(\.attempt) == ["1", "2", "3", "4"])
        #expect(hits.filter { $0.deliveryId == "b" }.count == 4)
        for h in hits {
            let sig = try #require(h.signature)
            #expect(WebhookHeaders.verify(sig, body: h.body, secret: secret))
            #expect(!WebhookHeaders.verify(sig, body: h.body + Data(" ".utf8), secret: secret))
            #expect(!WebhookHeaders.verify(sig, body: h.body, secret: "other"))
        }
        let unique = await receiver.unique
        #expect(Set(unique.keys) == ["a", "b"])
        #expect(unique["a"]?.event == "conversion" && unique["b"]?.event == "cover")
        #expect(unique["a"]?.body == Data(#"{"n":1}"#.utf8))
        let stored = try await store.deliveries(taskId: "task-1")
        let byId = Dictionary(uniqueKeysWithValues: stored.map { ($0.deliveryId, $0) })
        #expect(byId["a"]?.status == .delivered)
        #expect(byId["a"]?.history.map(\.httpStatus) == [500, 500, 500, 200])
        // The gaps grow: exponential back-off.
        let times = byId["a"]?.history.map(\.at.timeIntervalSince1970) ?? []
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.count == 3 && gaps[0] >= 0.05 && gaps[1] >= 0.1 && gaps[2] >= 0.2, "\(gaps)")
    }

    /// Nothing listens on port 9 of loopback: every attempt records a connection error; after maxAttempts the
    /// delivery is dead, its history kept.
    @Test func unreachableReceiverIsRetriedThenAbandoned() async throws {
        let store = try await StoreTests.openStore(ServerFixtures.temporaryDirectory("dead"))
        _ = try await store.enqueue(StoreTests.newTask(1), queueLimit: 10)
        let t = try #require(try await store.claimNext(now: Date()))
        let hook = NewWebhook(deliveryId: "c", kind: "lyrics", url: "http://127.0.0.1:9/hook", payload: Data("{}".utf8))
        #expect(try await store.complete(taskId: t.id, attempt: t.attempts, manifest: StoreTests.manifest(for: t),
                                         webhooks: [hook], now: Date()))
        var logger = Logger(label: "dispatcher")
        logger.logLevel = .critical
        let dispatcher = WebhookDispatcher(
            store: store, transport: HTTPClientWebhookTransport(), secret: nil,
            schedule: RetrySchedule(initial: 0.05, factor: 2, cap: 0.2, maxAttempts: 3), logger: logger,
            requestTimeout: 0.3, idleInterval: 0.05)
        let run = Task { try await dispatcher.run() }
        let settled = try await waitUntil(timeout: 90) {
            try await store.deliveries(taskId: t.id).allSatisfy { $0.status != .pending }
        }
        run.cancel()
        #expect(settled)
        let d = try #require(try await store.deliveries(taskId: t.id).first)
        #expect(d.status == .dead)
        #expect(d.attempts == 3)
        #expect(d.history.count == 3)
        #expect(d.history.allSatisfy { $0.httpStatus == nil && $0.error != nil })
    }

    /// Finding 6, end to end: a receiver answers 200 and then trickles its body (a byte a second, 8 s). The
    /// delivery is recorded delivered on its first attempt, with no retry (it used to fail at the timeout and be
    /// sent again).
    @Test func aReceiverThatAnswers200ThenTricklesIsDeliveredOnce() async throws {
        let origin = try TrickleOrigin(interval: 1)
        defer { origin.stop() }
        let store = try await StoreTests.openStore(ServerFixtures.temporaryDirectory("trickle"))
        _ = try await store.enqueue(StoreTests.newTask(1), queueLimit: 10)
        let t = try #require(try await store.claimNext(now: Date()))
        let hook = NewWebhook(deliveryId: "t", kind: "lyrics", url: "http://127.0.0.1:\(origin.port)/hook",
                              payload: Data("{}".utf8))
        #expect(try await store.complete(taskId: t.id, attempt: t.attempts, manifest: StoreTests.manifest(for: t),
                                         webhooks: [hook], now: Date()))
        var logger = Logger(label: "dispatcher")
        logger.logLevel = .critical
        let dispatcher = WebhookDispatcher(
            store: store, transport: SafeWebhookTransport(allowPrivateNetworks: true), secret: nil,
            schedule: RetrySchedule(initial: 0.05, factor: 2, cap: 0.2, maxAttempts: 3), logger: logger,
            requestTimeout: 3, idleInterval: 0.05)
        let run = Task { try await dispatcher.run() }
        let settled = try await waitUntil(timeout: 30) {
            try await store.deliveries(taskId: t.id).allSatisfy { $0.status != .pending }
        }
        run.cancel()
        #expect(settled)
        let d = try #require(try await store.deliveries(taskId: t.id).first)
        #expect(d.status == .delivered)
        #expect(d.history.map(\.httpStatus) == [200])
    }

    /// Finding 6, the leak: a send that outlives its timeout (a transport that ignores cancellation) keeps its
    /// in-flight slot until it really ends. With one slot, the second delivery waits for the first send to end,
    /// though the first was recorded as failed at its timeout.
    @Test func aSendPastItsTimeoutKeepsItsSlot() async throws {
        let store = try await StoreTests.openStore(ServerFixtures.temporaryDirectory("slots"))
        _ = try await store.enqueue(StoreTests.newTask(1), queueLimit: 10)
        let t = try #require(try await store.claimNext(now: Date()))
        let hooks = ["first", "second"].map {
            NewWebhook(deliveryId: $0, kind: "lyrics", url: "http://receiver.test/\($0)", payload: Data("{}".utf8))
        }
        #expect(try await store.complete(taskId: t.id, attempt: t.attempts, manifest: StoreTests.manifest(for: t),
                                         webhooks: hooks, now: Date()))
        let transport = StubbornTransport(holdSeconds: 2.5)
        var logger = Logger(label: "dispatcher")
        logger.logLevel = .critical
        let dispatcher = WebhookDispatcher(
            store: store, transport: transport, secret: nil,
            schedule: RetrySchedule(initial: 30, factor: 2, cap: 30, maxAttempts: 2), logger: logger,
            requestTimeout: 0.2, idleInterval: 0.05, batch: 1)
        let run = Task { try await dispatcher.run() }
        let bothStarted = try await waitUntil(timeout: 30) { transport.starts.value.count >= 2 }
        run.cancel()
        #expect(bothStarted)
        let starts = transport.starts.value
        if starts.count >= 2 {
            let gap = starts[1] - starts[0]
            #expect(gap >= .seconds(2.3), "the second send started \(gap) after the first, inside its hold")
        }
        let first = try await store.deliveries(taskId: t.id).first { $0.history.count >= 1 && $0.history[0].error != nil }
        #expect(first != nil, "the held send was recorded as timed out")
    }

    @Test func signatureFormat() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        #expect(WebhookHeaders.sign(Data("what do ya want for nothing?".utf8), secret: "Jefe")
                == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}

/// Contract §4 / issue 5: a receiver that answers 500 three times and is then unreachable for a while still gets
/// every webhook; de-duplicated by delivery id it holds exactly the expected set, every signature valid. The gap is
/// 3 s by default, the issue's 10 s with CHROMASONG_SLOW_TESTS=1.
@Suite struct WebhookOutageTests {
    @Test func failingThenUnreachableReceiverGetsEverything() async throws {
        let gap = ProcessInfo.processInfo.environment["CHROMASONG_SLOW_TESTS"] == "1" ? 10.0 : 3.0
        let secret = "outage-secret"
        let receiver = HookReceiver(failures: 0)
        await receiver.setAlwaysFail(true)
        let router = Router()
        router.get("ping") { _, _ in "pong" }
        router.post("hook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            return Response(status: await receiver.take(request, body: Data(buffer.readableBytesView)))
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        // The receiver on `port`, up once its ping answers. A bind can fail (the port taken meanwhile, or not yet
        // released after the outage): the run then ends, and the receiver is started again, for up to a minute.
        func startReceiver(port: Int) async throws -> Task<Void, Error>? {
            let end = Date().addingTimeInterval(60)
            while Date() < end {
                let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                                      logger: logger)
                let ended = Shared(false)
                let run = Task {
                    defer { ended.update { $0 = true } }
                    try await app.runService(gracefulShutdownSignals: [])
                }
                let up = try await waitUntil(timeout: 10) {
                    if ended.value { return true }
                    return (try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/ping"),
                                                                timeout: .seconds(1)).status.code) == 200
                }
                if up && !ended.value { return run }
                run.cancel()
                _ = await run.result
                try await Task.sleep(for: .milliseconds(200))
            }
            return nil
        }
        let port = try ServerFixtures.freeLoopbackPort()
        var running = try #require(try await startReceiver(port: port), "the receiver listens on \(port)")
        let url = "http://127.0.0.1:\(port)/hook"

        let store = try await StoreTests.openStore(ServerFixtures.temporaryDirectory("outage"))
        _ = try await store.enqueue(StoreTests.newTask(1), queueLimit: 10)
        let t = try #require(try await store.claimNext(now: Date()))
        var done = t
        done.status = .completed
        let manifest = StoreTests.manifest(for: t)
        let hooks = Payloads(baseURL: "http://files.test").completionWebhooks(t, manifest: manifest, url: url)
        #expect(hooks.map(\.kind) == ["conversion", "conversion", "lyrics", "lyrics", "cover"])
        #expect(try await store.complete(taskId: t.id, attempt: t.attempts, manifest: manifest, webhooks: hooks, now: Date()))
        let dispatcher = WebhookDispatcher(
            store: store, transport: HTTPClientWebhookTransport(), secret: secret,
            schedule: RetrySchedule(initial: 0.1, factor: 2, cap: 1, maxAttempts: 40), logger: logger,
            requestTimeout: 1, idleInterval: 0.05)
        let run = Task { try await dispatcher.run() }
        // Every delivery is refused 3 times (500); then the receiver goes away.
        #expect(try await waitUntil(timeout: 60) {
            let hits = await receiver.hits
            return Set(hits.map(\.deliveryId)).count == 5
                && Dictionary(grouping: hits, by: \.deliveryId).values.allSatisfy { $0.count >= 3 }
        })
        running.cancel()
        _ = await running.result
        await receiver.setAlwaysFail(false)
        // Away for `gap` seconds, and at least until the dispatcher has met the closed port (a starved machine
        // may need longer than the gap for its first try).
        let outageStart = Date()
        #expect(try await waitUntil(timeout: 60) {
            try await store.deliveries(taskId: t.id).contains { $0.history.contains { $0.httpStatus == nil } }
        }, "connection failures recorded")
        let remaining = gap - Date().timeIntervalSince(outageStart)
        if remaining > 0 { try await Task.sleep(for: .seconds(remaining)) }
        let duringOutage = try await store.deliveries(taskId: t.id)
        #expect(duringOutage.allSatisfy { $0.status == .pending }, "nothing delivered or abandoned while it was away")
        running = try #require(try await startReceiver(port: port), "the receiver listens again on \(port)")
        let settled = try await waitUntil(timeout: 90) {
            try await store.deliveries(taskId: t.id).allSatisfy { $0.status == .delivered }
        }
        run.cancel()
        running.cancel()
        #expect(settled)
        let unique = await receiver.unique
        #expect(Set(unique.keys) == Set(hooks.map(\.deliveryId)))
        let delivered = await receiver.hits.filter { _ in true }
        let kinds = Dictionary(grouping: delivered, by: \.deliveryId).mapValues { $0.last!.event }
        #expect(kinds.values.sorted() == ["conversion", "conversion", "cover", "lyrics", "lyrics"])
        for hit in delivered {
            #expect(WebhookHeaders.verify(hit.signature ?? "", body: hit.body, secret: secret))
            #expect(hit.body == hooks.first { $0.deliveryId == hit.deliveryId }?.payload, "the same body on every try")
        }
    }
}

@Suite struct EtaTests {
    @Test func etaFollowsQueueAndMeasuredSpeed() {
        let speed = RenderSpeed()
        // Before any render: the starting guess, 0.25 s per audio second per version.
        #expect(speed.eta(ahead: 0, workers: 2, duration: 20, versions: 2) == 10)
        speed.record(wallSeconds: 10, audioSeconds: 100)  // 0.1 s/s measured
        #expect(speed.eta(ahead: 0, workers: 2, duration: 20, versions: 2) == 4)
        // Four tasks ahead over two workers: two default songs (180 s x 2 versions x 0.1) each, then ours.
        #expect(speed.eta(ahead: 4, workers: 2, duration: 20, versions: 2) == 2 * 36 + 4)
        #expect(speed.eta(ahead: 4, workers: 4, duration: 20, versions: 2) < speed.eta(ahead: 4, workers: 2, duration: 20, versions: 2))
        // A slower machine raises the estimate.
        for _ in 0..<10 { speed.record(wallSeconds: 50, audioSeconds: 100) }
        #expect(speed.eta(ahead: 0, workers: 2, duration: 20, versions: 2) > 15)
    }
}
