import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ChromasongServer
@testable import SongEngine
#if canImport(Glibc)
import Glibc
#endif

/// Graceful shutdown (in process) and crash safety (the real binary, kill -9, restart).
@Suite(.serialized) struct ShutdownTests {
    typealias F = ServerFixtures

    static func submit(_ client: some TestClientProtocol, fields: [(String, String)]) async throws -> String {
        try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                 body: F.multipart(fields, image: F.photoBytes)) { r in
            F.json(r.body)["task_id"] as? String ?? ""
        }
    }

    static func status(_ client: some TestClientProtocol, _ id: String) async throws -> String {
        try await client.execute(uri: "/api/public/v1/byId?task_id=\(id)", method: .get) { r in
            (F.json(r.body)["conversion"] as? [String: Any])?["status"] as? String ?? "?"
        }
    }

    @Test func shutdownReturnsRunningRenderToQueueAndRestartCompletesIt() async throws {
        var config = F.configuration("shutdown", workers: 1)
        config.shutdownGrace = 0
        // The claimed task is held just before the engine starts, until the shutdown cancels it: on a machine
        // saturated by the rest of the suite a real render could otherwise finish before the shutdown begins.
        var hooks = ServerHooks()
        hooks.beforeRender = { while true { try await Task.sleep(for: .milliseconds(20)) } }
        let app = try await buildApplication(configuration: config, hooks: hooks, logger: F.quietLogger)
        let id = try await app.test(.router) { client in
            let id = try await Self.submit(client, fields: [("duration", "40"), ("versions", "1"), ("formats", "wav"),
                                                            ("make_instrumental", "true")])
            #expect(try await waitUntil(timeout: 60) { try await Self.status(client, id) == "IN_PROGRESS" })
            return id
        }  // leaving the test shuts the app down gracefully, mid-render
        let store = try await ServerFixtures.store(config)
        let stopped = try #require(try await store.task(id: id))
        #expect(stopped.status == .inQueue, "\(stopped.status) \(stopped.statusMessage)")
        #expect(stopped.attempts == 0, "a graceful shutdown's requeue is not an attempt (AttemptCapTests)")
        let results = config.dataDirectory.appendingPathComponent("results")
        #expect(try FileManager.default.contentsOfDirectory(atPath: results.path).isEmpty, "no partial result left")

        let again = try await buildApplication(configuration: config, logger: F.quietLogger)
        let completed = try await again.test(.router) { client in
            try await waitUntil(timeout: 180) { try await Self.status(client, id) == "COMPLETED" }
        }
        #expect(completed)
        #expect(try await store.task(id: id)?.attempts == 1)
    }

    @Test func graceLetsRunningRenderFinish() async throws {
        var config = F.configuration("grace", workers: 1)
        config.shutdownGrace = 60
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        let id = try await app.test(.router) { client in
            let id = try await Self.submit(client, fields: [("duration", "12"), ("versions", "1"), ("formats", "wav"),
                                                            ("make_instrumental", "true")])
            #expect(try await waitUntil(timeout: 60) { try await Self.status(client, id) == "IN_PROGRESS" })
            return id
        }
        let store = try await ServerFixtures.store(config)
        #expect(try await store.task(id: id)?.status == .completed, "shutdown waited for the running render")
    }

    // MARK: the real binary

    static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [beside, beside.deletingLastPathComponent(), F.root.appendingPathComponent(".build/debug")] {
            let candidate = dir.appendingPathComponent("chromasong")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return beside.appendingPathComponent("chromasong")
    }

    /// The server as a process: its store is SQLite in `data`, or `database` when the suite runs against
    /// PostgreSQL, under the stable node name `node` (a restart is the same node and takes its claims back).
    static func startServer(port: Int, data: URL, log: URL, database: String? = nil, node: String = "crash-node")
        throws -> Process
    {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["serve", "--port", String(port), "--data-dir", data.path, "--workers", "1",
                       "--webhook-secret", "crash-secret", "--allow-private-networks", "--shutdown-grace", "5"]
            + (database.map { ["--database", $0] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        environment["CHROMASONG_NODE"] = node
        p.environment = environment
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    /// The server on `port`, once `/health` answers 200; started again when it exits first (its bind failed: the
    /// port taken meanwhile), for up to a minute. nil: it never came up.
    static func startServerUntilHealthy(port: Int, data: URL, log: URL, database: String? = nil) async throws -> Process? {
        let end = Date().addingTimeInterval(60)
        while Date() < end {
            let server = try startServer(port: port, data: data, log: log, database: database)
            let up = try await waitUntil(timeout: max(1, end.timeIntervalSinceNow)) {
                if !server.isRunning { return true }
                return (try? await get("http://127.0.0.1:\(port)/health").0) == 200
            }
            if up && server.isRunning { return server }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    static func get(_ url: String) async throws -> (Int, Data) {
        let r = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await r.body.collect(upTo: 50 << 20)
        return (Int(r.status.code), Data(body.readableBytesView))
    }

    @Test func killDashNineMidRenderThenRestart() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("build the chromasong executable first (swift build)")
            return
        }
        let data = F.temporaryDirectory("crash")
        let database = F.freshDatabase("crash")
        let log = data.appendingPathComponent("server.log")
        let port = try F.freeLoopbackPort()
        let base = "http://127.0.0.1:\(port)"
        let receiver = HookReceiver(failures: 0)
        try await HookReceiver.serve(receiver) { hookURL in
            var server = try #require(try await Self.startServerUntilHealthy(port: port, data: data, log: log,
                                                                               database: database))
            var request = HTTPClientRequest(url: "\(base)/api/public/v1/image_to_song")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=XbOuNdArY42")
            // 120 s: long enough that the kill lands mid-render on an idle machine (30 s could finish within the poll).
            request.body = .bytes(F.multipart([("duration", "120"), ("versions", "2"), ("webhook_url", hookURL)],
                                              image: F.photoBytes))
            let submitted = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(submitted.status.code == 200)
            let accepted = F.json(try await submitted.body.collect(upTo: 1 << 20))
            let id = try #require(accepted["task_id"] as? String)
            let status: @Sendable () async throws -> String = {
                let (_, body) = try await Self.get("\(base)/api/public/v1/byId?task_id=\(id)")
                return (F.json(ByteBuffer(bytes: body))["conversion"] as? [String: Any])?["status"] as? String ?? "?"
            }
            #expect(try await waitUntil(timeout: 60) { try await status() == "IN_PROGRESS" })
            try await Task.sleep(for: .milliseconds(300))
            kill(server.processIdentifier, SIGKILL)
            while server.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            #expect(server.terminationReason == .uncaughtSignal)
            #expect(await receiver.hits.isEmpty, "nothing was sent before the crash")

            server = try #require(try await Self.startServerUntilHealthy(port: port, data: data, log: log,
                                                                           database: database))
            #expect(try await waitUntil(timeout: 180) { try await status() == "COMPLETED" })
            #expect(try await waitUntil(timeout: 60) { await receiver.unique.count >= 5 })
            try await Task.sleep(for: .milliseconds(300))
            let hits = await receiver.hits
            #expect(hits.map(\.event).sorted() == ["conversion", "conversion", "cover", "lyrics", "lyrics"])
            #expect(hits.allSatisfy { WebhookHeaders.verify($0.signature ?? "", body: $0.body, secret: "crash-secret") })
            // The result through the signed URL byId hands out (the bare path is refused).
            let (_, byId) = try await Self.get("\(base)/api/public/v1/byId?task_id=\(id)")
            let wavURL = (F.json(ByteBuffer(bytes: byId))["conversion"] as? [String: Any])?["conversion_path_wav_1"] as? String ?? ""
            #expect(wavURL.hasPrefix("\(base)/files/\(id)/v1/mix.wav?expires="))
            let (code, wav) = try await Self.get(wavURL)
            #expect(code == 200 && wav.prefix(4) == Data("RIFF".utf8))
            #expect(try await Self.get("\(base)/files/\(id)/v1/mix.wav").0 == 403)
            // SIGTERM: a graceful stop with status 0.
            server.terminate()
            while server.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            #expect(server.terminationStatus == 0)
            var check = ServerConfiguration(dataDirectory: data)
            check.database = database
            let store = try await F.store(check)
            let task = try #require(try await store.task(id: id))
            #expect(task.attempts == 2, "claimed before the crash and once after")
            let results = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("results").path)
            #expect(results == [id], "one result folder, no staging left: \(results)")
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(text.contains("put 1 interrupted task(s) back in the queue"))
            // Every line about the task names it.
            let taskLines = text.split(separator: "\n").filter { $0.contains("render ") || $0.contains("webhook delivered") || $0.contains("task queued") }
            #expect(taskLines.count >= 8)
            #expect(taskLines.allSatisfy { $0.contains("task_id=\(id)") })
        }
    }
}
