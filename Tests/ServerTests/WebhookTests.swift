import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import ChromasongServer
@testable import SongEngine

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

    init(failures: Int) { self.failures = failures }

    func take(_ request: Request, body: Data) -> HTTPResponse.Status {
        func header(_ name: String) -> String? {
            request.headers.first { $0.name.canonicalName == name.lowercased() }?.value
        }
        let id = header(WebhookHeaders.deliveryId) ?? ""
        hits.append(Hit(deliveryId: id, event: header(WebhookHeaders.event) ?? "",
                        attempt: header(WebhookHeaders.attempt) ?? "", signature: header(WebhookHeaders.signature),
                        body: body))
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
        let store = try StoreTests.openStore(ServerFixtures.temporaryDirectory("hooks"))
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
                requestTimeout: 5, idleInterval: 0.05)
            let run = Task { try await dispatcher.run() }
            let settled = try await waitUntil(timeout: 20) {
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
        let times = byId["a"]!.history.map(\.at.timeIntervalSince1970)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps[0] >= 0.05 && gaps[1] >= 0.1 && gaps[2] >= 0.2, "\(gaps)")
    }

    /// Nothing listens on port 9 of loopback: every attempt records a connection error; after maxAttempts the
    /// delivery is dead, its history kept.
    @Test func unreachableReceiverIsRetriedThenAbandoned() async throws {
        let store = try StoreTests.openStore(ServerFixtures.temporaryDirectory("dead"))
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
        let settled = try await waitUntil(timeout: 15) {
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

    @Test func signatureFormat() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        #expect(WebhookHeaders.sign(Data("what do ya want for nothing?".utf8), secret: "Jefe")
                == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
