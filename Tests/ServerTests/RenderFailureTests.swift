import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ChromasongServer
@testable import SongEngine

/// Issue 9, finding 9: a full disk mid-render gave a permanent FAILED whose message and webhook leaked a server
/// path and did not say the disk was full. Now the task goes back to the queue (the attempt counts, the workers
/// pause), fails only after the attempt cap with "the server's disk is full", and no failure text holds a path.
@Suite(.serialized) struct RenderFailureTests {
    typealias F = ServerFixtures

    struct WriteFailed: Error, CustomStringConvertible {
        let path: String
        var description: String { "cannot write audio file \(path) (status -5)" }
    }

    func waitForStatus(_ store: any TaskStore, _ id: String, _ status: TaskStatus) async throws -> StoredTask? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let t = try await store.task(id: id), t.status == status { return t }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await store.task(id: id)
    }

    @Test func fullDiskIsRetriedThenFailsSayingSo() async throws {
        var config = F.configuration("disk-full", workers: 1)
        config.diskFullPause = 0.05
        let results = config.dataDirectory.appendingPathComponent("results").path
        let dataPath = config.dataDirectory.path
        let tries = Counter()
        var hooks = ServerHooks()
        hooks.freeDiskBytes = { _ in 4096 }  // a full volume
        hooks.beforeRender = {
            tries.add(1)
            throw WriteFailed(path: results + "/abc/v1/mix.wav")
        }
        let store = try await ServerFixtures.store(config)
        let app = try await buildApplication(configuration: config, hooks: hooks, store: store, logger: F.quietLogger)
        try await app.test(.router) { client in
            let id = try await client.execute(uri: "/api/public/v1/image_to_song", method: .post,
                                              headers: F.multipartHeaders,
                                              body: F.multipart([("webhook_url", "http://127.0.0.1:9/hook")],
                                                                image: F.photoBytes)) { r in
                F.json(r.body)["task_id"] as? String ?? ""
            }
            let task = try #require(try await waitForStatus(store, id, .failed))
            #expect(task.status == .failed)
            #expect(task.attempts == 3, "tried until the cap, not failed at once")
            #expect(tries.value == 3)
            #expect(task.statusMessage == "the server's disk is full (tried 3 times)")
            let hooks = try await store.deliveries(taskId: id).filter { $0.kind == "failure" }
            #expect(hooks.count == 2)
            for h in hooks {
                let text = String(decoding: h.payload, as: UTF8.self)
                #expect(text.contains("disk is full") && !text.contains(dataPath), "\(text)")
            }
        }
    }

    @Test func failureReasonsHoldNoServerPath() async throws {
        let config = F.configuration("no-path", workers: 1)
        let upload = config.dataDirectory.appendingPathComponent("uploads/gone.img").path
        let dataPath = config.dataDirectory.path
        var hooks = ServerHooks()
        hooks.freeDiskBytes = { _ in 1 << 40 }
        hooks.beforeRender = { throw RequestError(field: "image_file", message: "no file at \(upload)") }
        let store = try await ServerFixtures.store(config)
        let app = try await buildApplication(configuration: config, hooks: hooks, store: store, logger: F.quietLogger)
        try await app.test(.router) { client in
            let id = try await client.execute(uri: "/api/public/v1/image_to_song", method: .post,
                                              headers: F.multipartHeaders, body: F.multipart([], image: F.photoBytes)) { r in
                F.json(r.body)["task_id"] as? String ?? ""
            }
            let task = try #require(try await waitForStatus(store, id, .failed))
            #expect(task.attempts == 1, "a request error is final")
            #expect(!task.statusMessage.contains(dataPath), "\(task.statusMessage)")
            #expect(task.statusMessage.contains("image_file"))
        }
    }
}
