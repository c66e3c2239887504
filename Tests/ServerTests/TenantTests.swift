import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ChromasongServer
@testable import SongEngine

/// Issue 9's multi-tenant basics: owners, signed file URLs, per-key rate limits, retention with disk use,
/// Idempotency-Key.
@Suite struct TenantTests {
    typealias F = ServerFixtures

    static func store(_ config: ServerConfiguration) async throws -> any TaskStore {
        try await ServerFixtures.store(config)
    }

    static func submit(_ client: some TestClientProtocol, key: String, fields: [(String, String)] = [],
                       boundary: String = "XbOuNdArY42", headers extra: HTTPFields = [:]) async throws
        -> (HTTPResponse.Status, [String: Any], HTTPFields)
    {
        var headers: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)", .authorization: key]
        headers.append(contentsOf: extra)
        return try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: headers,
                                        body: F.multipart(fields, image: F.photoBytes, boundary: boundary)) { r in
            (r.status, F.json(r.body), r.headers)
        }
    }

    /// A COMPLETED task owned by `owner` with real files on disk (no render): results/<id>/v1/mix.wav (1000
    /// bytes), cover.png, cover_thumb.png, and its upload.
    static func completedTask(_ store: any TaskStore, _ config: ServerConfiguration, owner: String) async throws
        -> StoredTask
    {
        let id = UUID().uuidString.lowercased()
        let uploads = config.dataDirectory.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        let upload = uploads.appendingPathComponent("\(id).img")
        try F.photoBytes.write(to: upload)
        var task = NewTask(id: id, conversionIds: [id + "-c1"],
                           request: TaskRequest(SongRequest(image: .bytes(Data([1])), prompt: "p", versions: 1,
                                                            formats: [.wav]), imageURL: nil, webhookURL: nil),
                           imagePath: upload.path)
        task.owner = owner
        task.uploadBytes = F.photoBytes.count
        _ = try await store.enqueue(task, queueLimit: 100)
        let claimed = try #require(try await store.claimNext(now: Date()))
        let dir = config.dataDirectory.appendingPathComponent("results/\(id)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("v1"), withIntermediateDirectories: true)
        try Data((0..<1000).map { UInt8($0 % 251) }).write(to: dir.appendingPathComponent("v1/mix.wav"))
        try Data(repeating: 7, count: 300).write(to: dir.appendingPathComponent("cover.png"))
        try Data(repeating: 8, count: 100).write(to: dir.appendingPathComponent("cover_thumb.png"))
        #expect(try await store.complete(taskId: id, attempt: claimed.attempts, manifest: StoreTests.manifest(for: claimed),
                                         webhooks: [], now: Date()))
        return try #require(try await store.task(id: id))
    }

    static func byId(_ client: some TestClientProtocol, key: String, _ query: String) async throws
        -> (HTTPResponse.Status, [String: Any])
    {
        try await client.execute(uri: "/api/public/v1/byId?\(query)", method: .get, headers: [.authorization: key]) { r in
            (r.status, F.json(r.body))
        }
    }

    /// The path and query of an absolute URL the server handed out.
    static func local(_ url: String) -> String { String(url.dropFirst("http://files.test".count)) }

    // MARK: ownership

    @Test func anotherKeysTaskIsNotFound() async throws {
        let config = F.configuration("owner", keys: ["alice-key", "bob-key"])
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        try await app.test(.router) { client in
            let (status, accepted, _) = try await Self.submit(client, key: "alice-key")
            #expect(status == .ok)
            let id = try #require(accepted["task_id"] as? String)
            let cid = try #require(accepted["conversion_id_1"] as? String)
            let (mine, body) = try await Self.byId(client, key: "Bearer alice-key", "task_id=\(id)")
            #expect(mine == .ok)
            #expect((body["conversion"] as? [String: Any])?["task_id"] as? String == id)
            // Bob gets exactly what an unknown id gets.
            let (theirs, refused) = try await Self.byId(client, key: "bob-key", "task_id=\(id)")
            #expect(theirs == .notFound)
            #expect(refused["error"] as? String == "No task with task_id \(id).")
            let (_, unknown) = try await Self.byId(client, key: "bob-key", "task_id=nope")
            #expect(NSDictionary(dictionary: refused.filter { $0.key != "error" }) == NSDictionary(dictionary: unknown.filter { $0.key != "error" }))
            let (byConversion, _) = try await Self.byId(client, key: "bob-key", "conversion_id=\(cid)")
            #expect(byConversion == .notFound)
            let (aliceConversion, _) = try await Self.byId(client, key: "alice-key", "conversion_id=\(cid)")
            #expect(aliceConversion == .ok)
        }
        // The store keeps the key's SHA-256, never the key.
        let task = try #require(try await Self.store(config).task(id: try await ServerFixtures.taskIds(Self.store(config)).first!))
        #expect(task.owner == Tenant.hash("alice-key"))
        #expect(task.owner == "72ee9d4355ccb9d3a4c9dbf37382e38e75c1b1a225b5bd1f729ee91bbda30c20", "sha256sum of alice-key")
        for name in try FileManager.default.contentsOfDirectory(atPath: config.dataDirectory.path) where name.hasPrefix("chromasong.sqlite") {
            let bytes = try Data(contentsOf: config.dataDirectory.appendingPathComponent(name))
            #expect(bytes.range(of: Data("alice-key".utf8)) == nil, "\(name) holds the raw key")
        }
    }

    @Test func withoutKeysEverythingIsTheAnonymousTenant() async throws {
        let config = F.configuration("anon")
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        try await app.test(.router) { client in
            let (status, accepted, _) = try await Self.submit(client, key: "whatever")
            #expect(status == .ok)
            let id = try #require(accepted["task_id"] as? String)
            for key in ["", "other", "Bearer x"] {
                #expect(try await Self.byId(client, key: key, "task_id=\(id)").0 == .ok, "\(key)")
            }
        }
        let ids = try await ServerFixtures.taskIds(Self.store(config))
        #expect(try await Self.store(config).task(id: ids[0])?.owner == Tenant.anonymous)
    }

    // MARK: signed file URLs

    @Test func fileURLsAreSignedAndExpire() async throws {
        var config = F.configuration("signed", keys: ["k"])
        config.fileSigningSecret = "test-signing-secret"
        config.retention = 86_400
        let store = try await Self.store(config)
        let app = try await buildApplication(configuration: config, store: store, logger: F.quietLogger)
        let task = try await Self.completedTask(store, config, owner: Tenant.hash("k"))
        let wav = Data((0..<1000).map { UInt8($0 % 251) })
        try await app.test(.router) { client in
            let (status, body) = try await Self.byId(client, key: "k", "task_id=\(task.id)")
            #expect(status == .ok)
            let c = body["conversion"] as? [String: Any] ?? [:]
            let url = try #require(c["conversion_path_wav_1"] as? String)
            #expect(url.hasPrefix("http://files.test/files/\(task.id)/v1/mix.wav?expires="))
            let query = URLComponents(string: url)?.queryItems ?? []
            let expires = try #require(query.first { $0.name == "expires" }?.value.flatMap(Int.init))
            let sig = try #require(query.first { $0.name == "sig" }?.value)
            // Never valid past the retention (1 day), though the validity is 7 days.
            let finished = try #require(task.finishedAt).timeIntervalSince1970
            #expect(abs(Double(expires) - (finished + 86_400)) <= 1)
            let path = Self.local(url)
            try await client.execute(uri: path, method: .get) { r in
                #expect(r.status == .ok)
                #expect(Data(r.body.readableBytesView) == wav)
            }
            try await client.execute(uri: path, method: .get, headers: [.range: "bytes=10-109"]) { r in
                #expect(r.status == .partialContent)
                #expect(r.headers[.contentRange] == "bytes 10-109/1000")
                #expect(Data(r.body.readableBytesView) == wav[10..<110])
            }
            // Unsigned, tampered, another file's signature, a later expiry, an expired signature: 403.
            let plain = "/files/\(task.id)/v1/mix.wav"
            let flipped = String(sig.prefix(5)) + (sig.dropFirst(5).first == "A" ? "B" : "A") + String(sig.dropFirst(6))
            let signer = FileSigner(secret: Data("test-signing-secret".utf8))
            let past = Int(Date().timeIntervalSince1970) - 10
            let refused: [(String, String)] = [
                (plain, "no signature"),
                ("\(plain)?expires=\(expires)&sig=\(flipped)", "not valid"),
                ("/files/\(task.id)/cover.png?expires=\(expires)&sig=\(sig)", "not valid"),
                ("\(plain)?expires=\(expires + 3600)&sig=\(sig)", "not valid"),
                ("\(plain)?\(signer.query(taskId: task.id, path: "v1/mix.wav", expires: past))", "expired"),
                ("\(plain)?expires=\(expires)&sig=\(FileSigner(secret: Data("other".utf8)).signature(taskId: task.id, path: "v1/mix.wav", expires: expires))", "not valid"),
            ]
            for (uri, why) in refused {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .forbidden, "\(uri)")
                    #expect((F.json(r.body)["error"] as? String)?.contains(why) == true, "\(uri)")
                }
            }
            // A valid signature for a task that does not exist: 404.
            let ghost = "00000000-0000-0000-0000-000000000000"
            try await client.execute(uri: "/files/\(ghost)/v1/mix.wav?\(signer.query(taskId: ghost, path: "v1/mix.wav", expires: expires))",
                                     method: .get) { r in #expect(r.status == .notFound) }
        }
    }

    @Test func generatedSigningSecretIsPrivateAndSurvivesRestarts() async throws {
        let config = F.configuration("secret")
        _ = try await buildApplication(configuration: config, logger: F.quietLogger)
        let file = config.dataDirectory.appendingPathComponent("file-signing.key")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)
        #expect(mode.intValue & 0o777 == 0o600)
        let first = try FileSigner.loadSecret(configured: nil, dataDirectory: config.dataDirectory)
        #expect(first.count == 32)
        _ = try await buildApplication(configuration: config, logger: F.quietLogger)
        #expect(try FileSigner.loadSecret(configured: nil, dataDirectory: config.dataDirectory) == first)
        #expect(try FileSigner.loadSecret(configured: nil, dataDirectory: F.temporaryDirectory("secret2")) != first)
    }

    // MARK: rate limits

    @Test func rateLimitAnswers429WithHeadersAndRecovers() async throws {
        var config = F.configuration("rate", keys: ["k1", "k2"])
        // One token every 20 s, three at once: slow enough that a loaded machine does not refill one mid-test (refill
        // over time is `tokenBucketRefillsOverTime`, on an injected clock).
        config.readRate = RatePolicy(perMinute: 3, burst: 3)
        config.submitRate = RatePolicy(perMinute: 6, burst: 1)
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        try await app.test(.router) { client in
            func voices(_ key: String) async throws -> (HTTPResponse.Status, HTTPFields, [String: Any]) {
                try await client.execute(uri: "/api/public/v1/getAllVoices", method: .get, headers: [.authorization: key]) {
                    ($0.status, $0.headers, F.json($0.body))
                }
            }
            let policy = HeaderName("RateLimit-Policy")!, state = HeaderName("RateLimit")!
            for left in [2, 1, 0] {
                let (s, h, _) = try await voices("k1")
                #expect(s == .ok)
                #expect(h[policy] == "\"read\";q=3;w=60")
                #expect(h[state]?.hasPrefix("\"read\";r=\(left);t=") == true, "\(h[state] ?? "none")")
            }
            let (s, h, body) = try await voices("k1")
            #expect(s == .tooManyRequests)
            #expect((15...20).contains(Int(h[.retryAfter] ?? "") ?? 0), "\(h[.retryAfter] ?? "none")")
            #expect(h[policy] == "\"read\";q=3;w=60")
            #expect(h[state]?.hasPrefix("\"read\";r=0;t=") == true)
            #expect((body["error"] as? String)?.hasPrefix("Rate limit exceeded") == true)
            // Another key has its own bucket.
            #expect(try await voices("k2").0 == .ok)

            // Submissions have their own, tighter bucket; the refused one stores nothing.
            let (first, _, firstHeaders) = try await Self.submit(client, key: "k1")
            #expect(first == .ok)
            #expect(firstHeaders[policy] == "\"submit\";q=1;w=10")
            #expect(firstHeaders[state] == "\"submit\";r=0;t=10")
            let (second, secondBody, secondHeaders) = try await Self.submit(client, key: "k1")
            #expect(second == .tooManyRequests)
            // 10 s for the next token, less what elapsed since the first submission.
            #expect((1...10).contains(Int(secondHeaders[.retryAfter] ?? "") ?? 0), "\(secondHeaders[.retryAfter] ?? "none")")
            #expect((secondBody["error"] as? String)?.contains("submissions") == true)
            // An error answer carries the headers too.
            let (invalid, _, invalidHeaders) = try await Self.submit(client, key: "k2", fields: [("bpm", "999")])
            #expect(invalid == .unprocessableContent)
            #expect(invalidHeaders[state] == "\"submit\";r=0;t=10")
        }
        #expect(try await F.rowCount(config) == 1)
    }

    @Test func tokenBucketRefillsOverTime() {
        let limiter = RateLimiter()
        let p = RatePolicy(perMinute: 10, burst: 2)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        #expect(limiter.take(p, name: "s", tenant: "a", now: t0) == .init(allowed: true, remaining: 1, reset: 6, retryAfter: 0))
        #expect(limiter.take(p, name: "s", tenant: "a", now: t0).allowed)
        let refused = limiter.take(p, name: "s", tenant: "a", now: t0.addingTimeInterval(3))
        #expect(!refused.allowed && refused.retryAfter == 3 && refused.remaining == 0)
        #expect(limiter.take(p, name: "s", tenant: "b", now: t0).allowed, "buckets are per tenant")
        #expect(limiter.take(p, name: "s", tenant: "a", now: t0.addingTimeInterval(6)).allowed)
        #expect(!limiter.take(p, name: "s", tenant: "a", now: t0.addingTimeInterval(6)).allowed)
        // Never more than the burst, however long the pause.
        let later = t0.addingTimeInterval(3600)
        #expect(limiter.take(p, name: "s", tenant: "a", now: later).remaining == 1)
    }

    // MARK: retention

    @Test func retentionDeletesOldFilesAndReportsBytes() async throws {
        var config = F.configuration("retention", keys: ["k"])
        config.retention = 3600
        let store = try await Self.store(config)
        let app = try await buildApplication(configuration: config, store: store, logger: F.quietLogger)
        let task = try await Self.completedTask(store, config, owner: Tenant.hash("k"))
        let fm = FileManager.default
        let results = config.dataDirectory.appendingPathComponent("results/\(task.id)")
        let resultBytes = 1000 + 300 + 100
        let oldURL = try await app.test(.router) { client in
            let (_, body) = try await Self.byId(client, key: "k", "task_id=\(task.id)")
            let c = body["conversion"] as? [String: Any] ?? [:]
            let storage = c["storage"] as? [String: Any] ?? [:]
            #expect(storage["upload_bytes"] as? Int == F.photoBytes.count)
            #expect(storage["result_bytes"] as? Int == resultBytes)
            #expect(storage["files_expired"] as? Bool == false)
            #expect(storage["files_expire_at"] is String)
            return try #require(c["conversion_path_wav_1"] as? String)
        }
        let retention = Retention(store: store, dataDirectory: config.dataDirectory, retention: config.retention,
                                  logger: F.quietLogger)
        let early = try await retention.sweep(now: Date().addingTimeInterval(1800))
        #expect(early.expiredTasks == 0 && fm.fileExists(atPath: results.path))
        #expect(early.storedBytes == F.photoBytes.count + resultBytes)
        let sweep = try await retention.sweep(now: Date().addingTimeInterval(3700))
        #expect(sweep.expiredTasks == 1)
        #expect(sweep.bytesFreed == F.photoBytes.count + resultBytes)
        #expect(sweep.storedBytes == 0)
        #expect(!fm.fileExists(atPath: results.path))
        #expect(!fm.fileExists(atPath: task.imagePath))
        #expect(try await retention.sweep(now: Date().addingTimeInterval(7200)).expiredTasks == 0, "once")
        try await app.test(.router) { client in
            let (status, body) = try await Self.byId(client, key: "k", "task_id=\(task.id)")
            #expect(status == .ok)
            let c = body["conversion"] as? [String: Any] ?? [:]
            #expect(c["status"] as? String == "COMPLETED")
            #expect((c["status_msg"] as? String)?.contains("files were deleted") == true)
            #expect(c["title"] as? String == "Test", "metadata stays")
            for key in ["conversion_path_1", "conversion_path_wav_1", "album_cover_path", "album_cover_thumbnail"] {
                #expect(c[key] is NSNull, "\(key)")
            }
            let storage = c["storage"] as? [String: Any] ?? [:]
            #expect(storage["files_expired"] as? Bool == true)
            #expect(storage["result_bytes"] as? Int == resultBytes)
            try await client.execute(uri: Self.local(oldURL), method: .get) { r in #expect(r.status == .notFound) }
        }
    }

    // MARK: idempotency

    @Test func idempotencyKeyReplaysTheOriginalTask() async throws {
        let config = F.configuration("idem", keys: ["k1", "k2"])
        let store = try await Self.store(config)
        let app = try await buildApplication(configuration: config, store: store, logger: F.quietLogger)
        let idem = HeaderName("Idempotency-Key")!
        let fields = [("prompt", "calm piano"), ("versions", "1")]
        try await app.test(.router) { client in
            let (s1, a1, h1) = try await Self.submit(client, key: "k1", fields: fields, headers: [idem: "order-42"])
            #expect(s1 == .ok && h1[HeaderName("Idempotent-Replayed")!] == nil)
            // The same request (another multipart boundary, as a retrying client may send) answers the same task.
            let (s2, a2, h2) = try await Self.submit(client, key: "k1", fields: fields, boundary: "OtherBoundary7",
                                                     headers: [idem: "order-42"])
            #expect(s2 == .ok)
            #expect(a2["task_id"] as? String == a1["task_id"] as? String)
            #expect(a2["conversion_id_1"] as? String == a1["conversion_id_1"] as? String)
            #expect(h2[HeaderName("Idempotent-Replayed")!] == "true")
            #expect(try await F.rowCount(config) == 1 && F.uploadCount(config) == 1)
            // The same key with another request: 422 naming the header, nothing stored.
            let (s3, b3, _) = try await Self.submit(client, key: "k1", fields: [("prompt", "loud drums"), ("versions", "1")],
                                                    headers: [idem: "order-42"])
            #expect(s3 == .unprocessableContent)
            #expect((b3["detail"] as? [[String: String]])?.first?["field"] == "Idempotency-Key")
            #expect((b3["error"] as? String)?.hasPrefix("Idempotency-Key: was already used") == true)
            // Keys are per tenant.
            let (s4, a4, _) = try await Self.submit(client, key: "k2", fields: fields, headers: [idem: "order-42"])
            #expect(s4 == .ok && a4["task_id"] as? String != a1["task_id"] as? String)
            // A bad key is named.
            let (s5, b5, _) = try await Self.submit(client, key: "k1", fields: fields,
                                                    headers: [idem: String(repeating: "x", count: 300)])
            #expect(s5 == .unprocessableContent)
            #expect((b5["detail"] as? [[String: String]])?.first?["field"] == "Idempotency-Key")
            #expect(try await F.rowCount(config) == 2)
            // After 24 h the key is forgotten (the retention sweep purges it) and makes a new task.
            let swept = try await Retention(store: store, dataDirectory: config.dataDirectory, retention: 0,
                                            logger: F.quietLogger).sweep(now: Date().addingTimeInterval(25 * 3600))
            #expect(swept.keysForgotten == 2)
            let (s6, a6, _) = try await Self.submit(client, key: "k1", fields: fields, headers: [idem: "order-42"])
            #expect(s6 == .ok && a6["task_id"] as? String != a1["task_id"] as? String)
        }
        #expect(try await F.rowCount(config) == 3)
    }
}
