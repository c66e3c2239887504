import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ChromasongServer
@testable import SongEngine

/// Issue 13: the database setting, roles, /metrics, and an API node and a worker node sharing one PostgreSQL
/// database and one data folder. The many-node, kill -9 run is `Benchmarks/scale_check.py`.
@Suite struct ScaleOutTests {
    typealias F = ServerFixtures

    @Test func databaseURLRules() throws {
        let ok = try DatabaseURL("postgres://song%40s:p%3Ass@db.example:6543/chroma?schema=tenant_1&sslmode=require")
        #expect(ok.user == "song@s" && ok.password == "p:ss" && ok.host == "db.example" && ok.port == 6543)
        #expect(ok.database == "chroma" && ok.schema == "tenant_1" && ok.requireTLS)
        #expect(ok.description == "postgres://song@s@db.example:6543/chroma?schema=tenant_1", "no password in logs")
        #expect(try DatabaseURL("postgresql://u@h/d").port == 5432)
        let bad: [(String, String)] = [
            ("mysql://u@h/d", "scheme"), ("postgres://h/d", "user"), ("postgres://u@h", "database name"),
            ("postgres://u@h/d?schema=Bad-Name", "schema"), ("postgres://u@h/d?schema=1abc", "schema"),
            ("postgres://u@h/d?sslmode=maybe", "sslmode"), ("postgres://u@h/d?pool=3", "unknown parameter"),
            ("not a url", "URL"),
        ]
        for (text, rule) in bad {
            #expect {
                _ = try DatabaseURL(text)
            } throws: { error in
                let message = "\(error)"
                return message.contains("database") && message.contains(rule)
            }
        }
    }

    /// A database that cannot be used stops the start-up with one line that says why: nothing listens there, or
    /// (when the suite has PostgreSQL) the server refuses the login in its own words.
    @Test func anUnusableDatabaseIsNamedWithItsReason() async throws {
        await #expect {
            _ = try await PostgresTaskStore(url: "postgres://u@127.0.0.1:1/d", logger: F.quietLogger)
        } throws: { "\($0)".contains("cannot use the database postgres://u@127.0.0.1:1/d: could not connect") }
        guard let base = F.testDatabase, let url = URLComponents(string: base), let host = url.host, let port = url.port
        else { return }
        await #expect {
            _ = try await PostgresTaskStore(url: "postgres://nobody@\(host):\(port)/chromasong", logger: F.quietLogger)
        } throws: { "\($0)".contains(#"role "nobody" does not exist"#) }
    }

    @Test func splitRolesNeedASharedDatabase() throws {
        var c = ServerConfiguration()
        c.role = .worker
        #expect { try c.checkTenancy() } throws: { "\($0)".contains("shared database") }
        c.database = "postgres://u@127.0.0.1/d"
        try c.checkTenancy()
        let env = try ServerConfiguration.fromEnvironment([
            "CHROMASONG_ROLE": "api", "CHROMASONG_DATABASE": "postgres://u@h/d", "CHROMASONG_LEASE_SECONDS": "12",
            "CHROMASONG_NODE": "api-1",
        ])
        #expect(env.role == .api && env.database == "postgres://u@h/d" && env.leaseSeconds == 12 && env.nodeName == "api-1")
        #expect(throws: (any Error).self) { try ServerConfiguration.fromEnvironment(["CHROMASONG_ROLE": "both"]) }
        #expect(throws: (any Error).self) { try ServerConfiguration.fromEnvironment(["CHROMASONG_LEASE_SECONDS": "0"]) }
    }

    @Test func jsonLogLinesCarryTheTaskAndNode() throws {
        var handler = JSONLogHandler(label: "chromasong.server", node: "worker-2")
        handler[metadataKey: "task_id"] = "abc"
        let data = try #require(handler.line(level: .warning, message: "render failed \"quoted\"\nnext",
                                             metadata: ["attempt": "2"], at: Date(timeIntervalSince1970: 0)))
        #expect(data.last == 0x0A && data.dropLast().firstIndex(of: 0x0A) == nil, "one line")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        #expect(object == ["ts": "1970-01-01T00:00:00.000Z", "level": "warning", "label": "chromasong.server",
                           "msg": "render failed \"quoted\"\nnext", "node": "worker-2", "task_id": "abc", "attempt": "2"])
    }

    /// An API node that dies between writing an upload and its task row leaves a file no task names: the
    /// retention sweep removes it once an hour old, keeps uploads that have a task and young ones (a submission in
    /// flight), and looks at each file once.
    @Test func orphanUploadsAreSweptOnceAnHourOld() async throws {
        let config = F.configuration("orphans")
        let store = try await F.store(config)
        let uploads = config.dataDirectory.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        var task = StoreTests.newTask(1)
        task.imagePath = uploads.appendingPathComponent("task-1.img").path
        _ = try await store.enqueue(task, queueLimit: 10)
        let old = Date().addingTimeInterval(-2 * 3600)
        for (name, date) in [("task-1.img", old), ("orphan.img", old), (".task-9.img.tmp", old), ("young.img", Date())] {
            let url = uploads.appendingPathComponent(name)
            try Data(repeating: 7, count: 1000).write(to: url)
            try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: url.path)
        }
        let retention = Retention(store: store, dataDirectory: config.dataDirectory, retention: 0, logger: F.quietLogger)
        let swept = try await retention.sweep()
        #expect(swept.orphanUploads == 2 && swept.bytesFreed == 2000)
        let left = try FileManager.default.contentsOfDirectory(atPath: uploads.path).sorted()
        #expect(left == ["task-1.img", "young.img"])
        // The next sweep looks only at files newer than what it saw; the young one, an hour later, is an orphan.
        #expect(try await retention.sweep().orphanUploads == 0)
        #expect(try await retention.sweep(now: Date().addingTimeInterval(3700)).orphanUploads == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: uploads.path) == ["task-1.img"])
    }

    /// The value of the sample `series` (name with its labels, as printed) in a Prometheus text body.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    @Test func metricsReportTheQueue() async throws {
        let config = F.configuration("metrics")  // no workers: the task waits
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart([("make_instrumental", "true")], image: F.photoBytes)) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: r.body)
                #expect(Self.sample(text, "chromasong_queue_depth") == 1, "\(text)")
                #expect(Self.sample(text, #"chromasong_tasks{state="IN_QUEUE"}"#) == 1)
                #expect(Self.sample(text, #"chromasong_tasks{state="COMPLETED"}"#) == 0)
                #expect(text.contains("# TYPE chromasong_render_seconds histogram"))
                #expect(text.contains(#"chromasong_webhook_attempts_total{result="delivered"}"#))
            }
        }
    }

    /// An API node renders nothing; a worker node answers only /health and /metrics; together, on one database and
    /// one data folder, they complete a task that the API node then serves.
    @Test(.enabled(if: ServerFixtures.testDatabase != nil, "needs PostgreSQL (scripts/with-postgres.sh)"))
    func anAPINodeAndAWorkerNodeShareOneDatabase() async throws {
        var api = F.configuration("roles-api")
        api.role = .api
        var worker = api
        worker.role = .worker
        worker.workers = 1
        worker.nodeName = "roles-worker"
        let apiConfiguration = api
        let apiApp = try await buildApplication(configuration: api, logger: F.quietLogger)
        let workerApp = try await buildApplication(configuration: worker, logger: F.quietLogger)
        try await apiApp.test(.router) { client in
            let (id, conversion) = try await client.execute(
                uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                body: F.multipart([("make_instrumental", "true"), ("duration", "20"), ("versions", "1")], image: F.photoBytes)
            ) { r in
                #expect(r.status == .ok)
                return (F.json(r.body)["task_id"] as? String ?? "", F.json(r.body)["conversion_id_1"] as? String ?? "")
            }
            let status: @Sendable () async throws -> String = {
                try await client.execute(uri: "/api/public/v1/byId?task_id=\(id)", method: .get) { r in
                    (F.json(r.body)["conversion"] as? [String: Any])?["status"] as? String ?? "?"
                }
            }
            try await client.execute(uri: "/health", method: .get) { r in
                let health = F.json(r.body)
                #expect(health["role"] as? String == "api" && health["workers"] as? Int == 0)
            }
            // Nothing renders on the API node.
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await status() == "IN_QUEUE")
            // The stream, asked of the API node before any worker runs: it waits, then reads what the worker node
            // writes into the shared folder while it renders.
            async let streamed = client.execute(uri: "/api/public/v1/stream?conversion_id=\(conversion)", method: .get) { r in
                (r.status, Data(r.body.readableBytesView))
            }
            try await workerApp.test(.router) { workerClient in
                try await workerClient.execute(uri: "/api/public/v1/byId?task_id=\(id)", method: .get) { r in
                    #expect(r.status == .notFound, "a worker node serves no API")
                }
                let end = Date().addingTimeInterval(240)
                var last = ""
                while Date() < end {
                    last = try await status()
                    if last == "COMPLETED" || last == "FAILED" { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(last == "COMPLETED")
                try await workerClient.execute(uri: "/metrics", method: .get) { r in
                    let text = String(buffer: r.body)
                    #expect(Self.sample(text, #"chromasong_tasks{state="COMPLETED"}"#) == 1)
                    #expect(Self.sample(text, #"chromasong_render_attempts_total{outcome="completed"}"#) == 1)
                }
            }
            // The API node serves the worker's files from the shared folder, with Range.
            let wav = try await client.execute(uri: "/api/public/v1/byId?task_id=\(id)", method: .get) { r in
                (F.json(r.body)["conversion"] as? [String: Any])?["conversion_path_wav_1"] as? String ?? ""
            }
            #expect(wav.hasPrefix("http://files.test/files/\(id)/"))
            try await client.execute(uri: String(wav.dropFirst("http://files.test".count)), method: .get,
                                     headers: [.range: "bytes=0-3"]) { r in
                #expect(r.status == .partialContent)
                #expect(Data(r.body.readableBytesView) == Data("RIFF".utf8))
            }
            let stored = try #require(try await F.store(apiConfiguration).task(id: id))
            #expect(stored.attempts == 1 && stored.failureLog.isEmpty)
            let (streamStatus, stream) = try await streamed
            #expect(streamStatus == .ok)
            #expect([stream] == (try await PreviewStreamTests.enginePreviews(stored)), "the worker node's render, streamed by the API node")
        }
    }
}
