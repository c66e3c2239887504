import Foundation
import Testing
@testable import ChromasongServer

/// Issue 9, finding 10: a task whose render takes the process down was claimed again at every start-up, forever.
/// Now each claim counts, and at start-up a task left IN_PROGRESS after its third claim is FAILED with a reason and
/// one failure webhook per version; a graceful shutdown's requeue does not count.
@Suite struct AttemptCapTests {
    typealias F = ServerFixtures

    func store(_ config: ServerConfiguration) async throws -> any TaskStore {
        try await ServerFixtures.store(config)
    }

    @Test func aTaskThatKillsTheProcessFailsAfterThreeClaims() async throws {
        let config = F.configuration("attempt-cap")  // workers 0: start-up recovery only, nothing renders
        try FileManager.default.createDirectory(at: config.dataDirectory, withIntermediateDirectories: true)
        _ = try await store(config).enqueue(StoreTests.newTask(7), queueLimit: 10)
        for crash in 1...3 {
            // A server starts, recovers, claims the task, and dies mid-render (no outcome is recorded).
            let s = try await store(config)
            _ = try await buildApplication(configuration: config, store: s, logger: F.quietLogger)
            let before = try #require(try await s.task(id: "task-7"))
            #expect(before.status == .inQueue, "after \(crash - 1) crash(es) the task is still retried")
            let claimed = try #require(try await s.claimNext(now: Date()))
            #expect(claimed.attempts == crash)
        }
        // The next start-up does not hand it out again.
        let s = try await store(config)
        _ = try await buildApplication(configuration: config, store: s, logger: F.quietLogger)
        let task = try #require(try await s.task(id: "task-7"))
        #expect(task.status == .failed)
        #expect(task.statusMessage.contains("3 times"), "\(task.statusMessage)")
        #expect(!task.statusMessage.contains("/"), "no server path in the reason")
        #expect(try await s.claimNext(now: Date()) == nil)
        let hooks = try await s.deliveries(taskId: "task-7")
        #expect(hooks.count == 2 && hooks.allSatisfy { $0.kind == "failure" })
        let body = try #require(hooks.first.flatMap { try JSONSerialization.jsonObject(with: $0.payload) as? [String: Any] })
        #expect(body["status"] as? String == "FAILED")
        #expect((body["reason"] as? String)?.contains("not tried again") == true)
    }

    @Test func gracefulShutdownRequeueIsNotAnAttempt() async throws {
        let config = F.configuration("attempt-shutdown")
        try FileManager.default.createDirectory(at: config.dataDirectory, withIntermediateDirectories: true)
        let s = try await store(config)
        _ = try await s.enqueue(StoreTests.newTask(8), queueLimit: 10)
        for _ in 1...5 {
            let claimed = try #require(try await s.claimNext(now: Date()))
            #expect(claimed.attempts == 1)
            try await s.requeue(taskId: claimed.id, attempt: claimed.attempts, now: Date())
        }
        _ = try await buildApplication(configuration: config, store: s, logger: F.quietLogger)
        #expect(try await s.task(id: "task-8")?.status == .inQueue)
    }
}
