import Foundation
import Logging
import Testing
@testable import ChromasongServer

/// Issue 9: Standard Webhooks headers beside ours, and the attempt number carried across a restart (finding 12:
/// a webhook re-sent after a crash said attempt 1).
@Suite struct WebhookHeaderTests {
    /// Records every POST's headers and answers 200.
    final class RecordingTransport: WebhookTransport, @unchecked Sendable {
        let lock = NSLock()
        var sent: [[String: String]] = []
        func post(url: String, headers: [(String, String)], body: Data, timeout: Double) async throws -> Int {
            lock.withLock { sent.append(Dictionary(headers, uniquingKeysWith: { a, _ in a })) }
            return 200
        }
    }

    @Test func standardWebhooksKnownVector() {
        // The Standard Webhooks specification's own test vector.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let body = Data(#"{"test": 2432232314}"#.utf8)
        let sig = WebhookHeaders.signStandard(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body,
                                              secret: secret)
        #expect(sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        let then = Date(timeIntervalSince1970: 1_614_265_330 + 10)
        #expect(WebhookHeaders.verifyStandard("v1,bogus " + sig, id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                              timestamp: "1614265330", body: body, secret: secret, now: then))
        #expect(!WebhookHeaders.verifyStandard(sig, id: "msg_other", timestamp: "1614265330", body: body, secret: secret,
                                               now: then))
        #expect(!WebhookHeaders.verifyStandard(sig, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
                                               body: body, secret: secret, now: then.addingTimeInterval(3600)),
                "an old timestamp is a replay")
    }

    @Test func attemptNumberSurvivesARestartMidSend() async throws {
        let dir = ServerFixtures.temporaryDirectory("webhook-restart")
        var store = try await StoreTests.openStore(dir)
        _ = try await store.enqueue(StoreTests.newTask(3), queueLimit: 10)
        let t = try #require(try await store.claimNext(now: Date()))
        let hook = NewWebhook(kind: "cover", url: "http://hooks.test/x", payload: Data(#"{"a":1}"#.utf8))
        #expect(try await store.complete(taskId: t.id, attempt: t.attempts, manifest: StoreTests.manifest(for: t),
                                         webhooks: [hook], now: Date()))
        // The first send is leased and the process dies before any answer is recorded.
        let first = try #require(try await store.leaseDueDeliveries(now: Date(), lease: 0.01, limit: 4).first)
        #expect(first.attempts == 1)
        store = try await StoreTests.openStore(dir)
        try await Task.sleep(for: .milliseconds(20))
        let again = try #require(try await store.leaseDueDeliveries(now: Date(), lease: 60, limit: 4).first)
        #expect(again.attempts == 2)
        // The retry says so, with the Standard Webhooks headers beside ours.
        let transport = RecordingTransport()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let dispatcher = WebhookDispatcher(store: store, transport: transport, secret: "s3cret",
                                           schedule: RetrySchedule(), logger: logger)
        await dispatcher.deliver(again)
        let h = try #require(transport.sent.first)
        #expect(h[WebhookHeaders.attempt] == "2")
        #expect(h["webhook-id"] == hook.deliveryId)
        let ts = try #require(h["webhook-timestamp"])
        #expect(WebhookHeaders.verifyStandard(h["webhook-signature"] ?? "", id: hook.deliveryId, timestamp: ts,
                                              body: hook.payload, secret: "s3cret"))
        let stored = try #require(try await store.deliveries(taskId: t.id).first)
        #expect(stored.status == .delivered && stored.attempts == 2)
    }
}
