import Foundation
import Testing
@testable import ChromasongServer
@testable import SongEngine

/// The task store (SQLite, or PostgreSQL when the suite runs with `CHROMASONG_TEST_DATABASE`): atomic claims,
/// recovery at start-up, the claim token, leases, the queue limit, the outbox schedule.
@Suite struct StoreTests {
    /// The store of a folder: SQLite inside it, or a PostgreSQL schema named after it; opening the same folder
    /// again is the same store and the same node (a restart).
    static func openStore(_ dir: URL, leaseSeconds: Double = 30, node: String? = nil) async throws -> any TaskStore {
        var c = ServerConfiguration(dataDirectory: dir)
        let name = dir.lastPathComponent
        c.database = ServerFixtures.database(schema: "s_" + name)
        c.leaseSeconds = leaseSeconds
        c.nodeName = node ?? "node-\(name)"
        return try await ServerFixtures.store(c)
    }

    static func newTask(_ i: Int, versions: Int = 2) -> NewTask {
        let request = SongRequest(image: .bytes(Data([1])), prompt: "task \(i)", versions: versions)
        return NewTask(id: "task-\(i)", conversionIds: (0..<versions).map { "conv-\(i)-\($0)" },
                       request: TaskRequest(request, imageURL: nil, webhookURL: "http://hooks.test/x"),
                       imagePath: "/tmp/none-\(i)")
    }

    @Test func claimsAreAtomicAndInOrder() async throws {
        let store = try await Self.openStore(ServerFixtures.temporaryDirectory("claim"))
        for i in 0..<40 { _ = try await store.enqueue(Self.newTask(i), queueLimit: 1000) }
        // 8 claimers race until the queue is empty: every task is claimed exactly once.
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [String] = []
                    while let t = try await store.claimNext(now: Date()) { mine.append(t.id) }
                    return mine
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(claimed.count == 40)
        #expect(Set(claimed).count == 40)
        let counts = try await store.queueCounts()
        #expect(counts.queued == 0 && counts.running == 40)
        // Oldest first: a lone claimer sees the submission order.
        let other = try await Self.openStore(ServerFixtures.temporaryDirectory("order"))
        for i in 0..<5 { _ = try await other.enqueue(Self.newTask(i), queueLimit: 10) }
        var order: [String] = []
        while let t = try await other.claimNext(now: Date()) { order.append(t.id) }
        #expect(order == (0..<5).map { "task-\($0)" })
    }

    @Test func requeueAtStartupAndClaimToken() async throws {
        let dir = ServerFixtures.temporaryDirectory("requeue")
        var store = try await Self.openStore(dir)
        _ = try await store.enqueue(Self.newTask(1), queueLimit: 10)
        let first = try #require(try await store.claimNext(now: Date()))
        #expect(first.attempts == 1 && first.status == .inProgress)
        #expect(first.conversionIds == ["conv-1-0", "conv-1-1"])
        #expect(first.request.prompt == "task 1")
        // The process dies; a new one opens the same file and recovers.
        store = try await Self.openStore(dir)
        let recovered = try await store.recoverInterrupted(now: Date(), maxAttempts: 3) { _ in ("unused", []) }
        #expect(recovered.requeued == 1 && recovered.failed == 0)
        let again = try #require(try await store.task(id: "task-1"))
        #expect(again.status == .inQueue)
        let second = try #require(try await store.claimNext(now: Date()))
        #expect(second.attempts == 2)
        // The first claim is stale: it can no longer finish the task.
        let manifest = Self.manifest(for: second)
        #expect(try await store.complete(taskId: "task-1", attempt: 1, manifest: manifest, webhooks: [], now: Date()) == false)
        #expect(try await store.fail(taskId: "task-1", attempt: 1, message: "x", webhooks: [], now: Date()) == false)
        let hook = NewWebhook(kind: "cover", url: "http://hooks.test/x", payload: Data("{}".utf8))
        #expect(try await store.complete(taskId: "task-1", attempt: 2, manifest: manifest, webhooks: [hook], now: Date()))
        // Finished once: a second completion (even with the right token) changes nothing.
        #expect(try await store.complete(taskId: "task-1", attempt: 2, manifest: manifest, webhooks: [hook], now: Date()) == false)
        let done = try #require(try await store.task(conversionId: "conv-1-1"))
        #expect(done.status == .completed)
        #expect(done.manifest?.title == "Test")
        #expect(try await store.deliveries(taskId: "task-1").count == 1)
        // Shutdown hands a claimed task back.
        _ = try await store.enqueue(Self.newTask(2), queueLimit: 10)
        let third = try #require(try await store.claimNext(now: Date()))
        try await store.requeue(taskId: third.id, attempt: third.attempts, now: Date())
        #expect(try await store.task(id: third.id)?.status == .inQueue)
    }

    @Test func queueLimitIsEnforcedAtomically() async throws {
        let store = try await Self.openStore(ServerFixtures.temporaryDirectory("limit"))
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<12 {
                group.addTask { (try? await store.enqueue(Self.newTask(i), queueLimit: 5)) != nil }
            }
            var accepted = 0
            for await ok in group where ok { accepted += 1 }
            return accepted
        }
        #expect(outcomes == 5)
        await #expect(throws: StoreError.queueFull(limit: 5)) {
            try await store.enqueue(Self.newTask(99), queueLimit: 5)
        }
        // A running task no longer counts against the waiting limit.
        _ = try await store.claimNext(now: Date())
        #expect(try await store.enqueue(Self.newTask(100), queueLimit: 5) == 5)
    }

    @Test func outboxScheduleLeaseAndHistory() async throws {
        let schedule = RetrySchedule(initial: 2, factor: 2, cap: 60, maxAttempts: 4)
        #expect((1...8).map { schedule.delay(afterAttempt: $0) } == [2, 4, 8, 16, 32, 60, 60, 60])

        let store = try await Self.openStore(ServerFixtures.temporaryDirectory("outbox"))
        _ = try await store.enqueue(Self.newTask(1), queueLimit: 10)
        let t = try #require(try await store.claimNext(now: Date()))
        let hook = NewWebhook(deliveryId: "d-1", kind: "conversion", url: "http://hooks.test/x", payload: Data("{\"a\":1}".utf8))
        #expect(try await store.complete(taskId: t.id, attempt: t.attempts, manifest: Self.manifest(for: t),
                                         webhooks: [hook], now: Date()))
        let t0 = Date()
        let leased = try await store.leaseDueDeliveries(now: t0, lease: 60, limit: 10)
        #expect(leased.map(\.deliveryId) == ["d-1"])
        #expect(leased[0].payload == Data("{\"a\":1}".utf8))
        // Leased: not handed out again until the lease runs out (a crash mid-send means a retry then).
        #expect(try await store.leaseDueDeliveries(now: t0.addingTimeInterval(1), lease: 60, limit: 10).isEmpty)
        #expect(try await store.leaseDueDeliveries(now: t0.addingTimeInterval(61), lease: 60, limit: 10).count == 1)

        // Three failures on the schedule, then success.
        var now = t0
        for attempt in 1...3 {
            let next = now.addingTimeInterval(schedule.delay(afterAttempt: attempt))
            try await store.recordAttempt(deliveryId: "d-1", attempt: DeliveryAttempt(at: now, httpStatus: 500, error: nil),
                                          delivered: false, nextAttemptAt: next)
            #expect(try await store.leaseDueDeliveries(now: next.addingTimeInterval(-0.5), lease: 60, limit: 10).isEmpty)
            #expect(try await store.nextDeliveryDue()?.timeIntervalSince1970 ?? 0 == next.timeIntervalSince1970)
            #expect(try await store.leaseDueDeliveries(now: next, lease: 60, limit: 10).count == 1)
            now = next
        }
        try await store.recordAttempt(deliveryId: "d-1", attempt: DeliveryAttempt(at: now, httpStatus: 204, error: nil),
                                      delivered: true, nextAttemptAt: nil)
        let d = try #require(try await store.deliveries(taskId: t.id).first)
        #expect(d.status == .delivered)
        // Five leases, four answers: every lease is an attempt, so the send the lease at t0 + 61 s replaced (never
        // answered: a crash mid-send) counts too (issue 9, finding 12).
        #expect(d.attempts == 5)
        #expect(d.history.map(\.httpStatus) == [500, 500, 500, 204])
        #expect(try await store.nextDeliveryDue() == nil)
    }

    /// Issue 13: a claim holds for its lease; renewed, it holds on; not renewed (its worker was killed), the lease
    /// sweep takes the task back, counting a `leaseExpired` attempt, and the dead worker's claim can no longer finish.
    @Test func leasesRenewExpireAndCount() async throws {
        let dir = ServerFixtures.temporaryDirectory("lease")
        let store = try await Self.openStore(dir, leaseSeconds: 10)
        let final: @Sendable (StoredTask) -> (message: String, webhooks: [NewWebhook]) = { task in
            (AttemptFailure.finalMessage(task.failureLog), [])
        }
        _ = try await store.enqueue(Self.newTask(1), queueLimit: 10)
        let t0 = Date()
        let first = try #require(try await store.claimNext(now: t0))
        // Within the lease nothing is taken back; a renewal at 8 s carries it to 18 s.
        #expect(try await store.recoverExpiredLeases(now: t0.addingTimeInterval(9), maxAttempts: 3, final: final) == (0, 0))
        #expect(try await store.renewLease(taskId: first.id, attempt: first.attempts, now: t0.addingTimeInterval(8)))
        #expect(try await store.recoverExpiredLeases(now: t0.addingTimeInterval(17), maxAttempts: 3, final: final) == (0, 0))
        // The worker dies: no renewal. After 18 s the task goes back, its failure logged.
        #expect(try await store.recoverExpiredLeases(now: t0.addingTimeInterval(19), maxAttempts: 3, final: final) == (1, 0))
        let back = try #require(try await store.task(id: first.id))
        #expect(back.status == .inQueue)
        #expect(back.failureLog == [AttemptFailure(.leaseExpired)])
        #expect(back.statusMessage == TakeBack.expiredMessage)
        // The dead claim can neither renew nor finish.
        #expect(try await store.renewLease(taskId: first.id, attempt: first.attempts, now: t0.addingTimeInterval(20)) == false)
        #expect(try await store.complete(taskId: first.id, attempt: first.attempts, manifest: Self.manifest(for: first),
                                         webhooks: [], now: Date()) == false)
        // Three lost workers use up the attempts: FAILED with the reason, once.
        for n in 2...3 {
            let claim = try #require(try await store.claimNext(now: t0.addingTimeInterval(Double(n) * 100)))
            #expect(claim.attempts == n)
            _ = try await store.recoverExpiredLeases(now: t0.addingTimeInterval(Double(n) * 100 + 11), maxAttempts: 3,
                                                     final: final)
        }
        let failed = try #require(try await store.task(id: first.id))
        #expect(failed.status == .failed)
        #expect(failed.statusMessage.contains("lost its worker 3 times"), "\(failed.statusMessage)")
        let counts = try await store.statusCounts()
        #expect(counts.tasks[.failed] == 1 && counts.tasks[.inQueue] == nil)
    }

    /// Issue 13: separate store instances (separate nodes, separate connection pools) racing for claims and for
    /// webhook deliveries: each task and each delivery goes to exactly one of them.
    @Test func separateNodesClaimAndLeaseExactlyOnce() async throws {
        let dir = ServerFixtures.temporaryDirectory("nodes")
        // With SQLite, "nodes" are connections to one file (one machine); with PostgreSQL, real pools.
        var nodes: [any TaskStore] = []
        for i in 0..<3 { nodes.append(try await Self.openStore(dir, node: "node-\(i)")) }
        for i in 0..<60 { _ = try await nodes[i % 3].enqueue(Self.newTask(i), queueLimit: 1000) }
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for node in nodes {
                for _ in 0..<3 {
                    group.addTask {
                        var mine: [String] = []
                        while let t = try await node.claimNext(now: Date()) {
                            mine.append(t.id)
                            let hook = NewWebhook(deliveryId: "d-\(t.id)", kind: "conversion", url: "http://hooks.test/x",
                                                  payload: Data("{}".utf8))
                            #expect(try await node.complete(taskId: t.id, attempt: t.attempts, manifest: Self.manifest(for: t),
                                                            webhooks: [hook], now: Date()))
                        }
                        return mine
                    }
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(claimed.count == 60 && Set(claimed).count == 60)
        let leased = try await withThrowingTaskGroup(of: [String].self) { group in
            for node in nodes {
                group.addTask {
                    var mine: [String] = []
                    while true {
                        let batch = try await node.leaseDueDeliveries(now: Date(), lease: 600, limit: 4)
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.deliveryId)
                    }
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(leased.count == 60 && Set(leased).count == 60, "\(leased.count) leases")
        let counts = try await nodes[0].statusCounts()
        #expect(counts.tasks[.completed] == 60 && counts.deliveries[.pending] == 60)
    }

    static func manifest(for task: StoredTask) -> Manifest {
        Manifest(taskId: task.id, title: "Test", cover: "cover.png", coverThumbnail: "cover_thumb.png",
                 analysis: Manifest.Analysis(features: ImageFeatures(
                     width: 1, height: 1, meanLightness: 50, lightnessContrast: 0, meanSaturation: 0, colourfulness: 0,
                     warmth: 0, edgeDensity: 0, angularity: 0, palette: [], dominantHue: 0, verticalProfile: []), decisions: [:], decisionOrder: []),
                 versions: task.conversionIds.map { cid in
                     Manifest.Version(conversionId: cid, seed: 1, key: "A minor", bpm: 90, style: "lofi", duration: 10,
                                      sampleRate: 44100, files: Manifest.Files(mix: ["wav": "v1/mix.wav"], instrumental: nil,
                                                                               vocals: nil, midi: "v1/song.mid"),
                                      lyrics: nil, lyricsTimestamped: nil,
                                      loudness: Manifest.Loudness(integratedLUFS: -14, truePeakDBTP: -1.5))
                 }, notes: [])
    }
}
