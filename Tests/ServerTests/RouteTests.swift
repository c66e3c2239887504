import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ChromasongServer
@testable import SongEngine

/// Every endpoint and every validation rule of contract §1/§4/§6, through the router (no socket).
@Suite struct RouteTests {
    typealias F = ServerFixtures

    @Test func healthAndOpenAPI() async throws {
        let app = try await buildApplication(configuration: F.configuration("health"), logger: F.quietLogger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { r in
                #expect(r.status == .ok)
                #expect(F.json(r.body)["status"] as? String == "ok")
            }
            try await client.execute(uri: "/api/public/v1/openapi.json", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
                let paths = F.json(r.body)["paths"] as? [String: Any] ?? [:]
                for p in ["/api/public/v1/image_to_song", "/api/public/v1/byId", "/api/public/v1/stream", "/api/public/v1/getAllVoices",
                          "/api/public/v1/searchVoices", "/files/{task_id}/{path}", "/health"] {
                    #expect(paths[p] != nil, "openapi lacks \(p)")
                }
            }
            try await client.execute(uri: "/no/such/thing", method: .get) { r in
                #expect(r.status == .notFound)
                let body = F.json(r.body)
                #expect(body["success"] as? Bool == false)
                #expect(body["error"] as? String == "No such endpoint or resource.")
            }
        }
    }

    @Test func authWithKeys() async throws {
        let config = F.configuration("auth", keys: ["k-123", "k-456"])
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/public/v1/getAllVoices", method: .get) { r in
                #expect(r.status == .unauthorized)
                let body = F.json(r.body)
                #expect(body["success"] as? Bool == false)
                #expect(body["error"] as? String == "An API key is required in the Authorization header.")
                #expect((body["detail"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/api/public/v1/getAllVoices", method: .get,
                                     headers: [.authorization: "wrong"]) { r in
                #expect(r.status == .unauthorized)
                #expect(F.json(r.body)["error"] as? String == "The API key is not valid.")
            }
            // An unauthorised submission is refused before its body is read: nothing is stored.
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart([], image: F.photoBytes)) { r in
                #expect(r.status == .unauthorized)
            }
            for header in ["k-123", "Bearer k-456", "bearer k-123"] {
                try await client.execute(uri: "/api/public/v1/getAllVoices", method: .get,
                                         headers: [.authorization: header]) { r in
                    #expect(r.status == .ok, "\(header)")
                }
            }
            // Health stays open; result files need a signed URL, not a key (audio players cannot send headers).
            try await client.execute(uri: "/health", method: .get) { r in #expect(r.status == .ok) }
        }
        #expect(try await F.rowCount(config) == 0)
        #expect(config.effectiveHost == "127.0.0.1")
        var open = config
        open.host = "0.0.0.0"
        #expect(open.effectiveHost == "0.0.0.0")
        open.apiKeys = []
        #expect(open.effectiveHost == "127.0.0.1", "no key: loopback only")
    }

    @Test func voices() async throws {
        let app = try await buildApplication(configuration: F.configuration("voices"), logger: F.quietLogger)
        let catalog = try ChromasongEngine().voices.voices
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/public/v1/getAllVoices", method: .get) { r in
                #expect(r.status == .ok)
                let body = F.json(r.body)
                #expect(body["success"] as? Bool == true)
                #expect(body["limit"] as? Int == 20)
                #expect(body["page"] as? Int == 0)
                #expect(body["total"] as? Int == catalog.count)
                let voices = body["voices"] as? [[String: Any]] ?? []
                #expect(voices.count == min(20, catalog.count))
                #expect(voices.first?["voice_id"] as? String == catalog.first?.id)
                #expect(voices.first?["voice_name"] as? String == catalog.first?.name)
            }
            try await client.execute(uri: "/api/public/v1/getAllVoices?limit=1&page=1", method: .get) { r in
                let voices = F.json(r.body)["voices"] as? [[String: Any]] ?? []
                #expect(voices.count == (catalog.count > 1 ? 1 : 0))
                if catalog.count > 1 { #expect(voices[0]["voice_id"] as? String == catalog[1].id) }
            }
            for (query, field) in [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("page=-1", "page"), ("page=1000001", "page")] {
                try await client.execute(uri: "/api/public/v1/getAllVoices?\(query)", method: .get) { r in
                    #expect(r.status == .unprocessableContent)
                    let detail = F.json(r.body)["detail"] as? [[String: String]] ?? []
                    #expect(detail.first?["field"] == field)
                }
            }
            let target = try #require(catalog.first)
            let word = target.name.split(separator: " ").first.map(String.init) ?? target.id
            try await client.execute(uri: "/api/public/v1/searchVoices?query=\(word.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", method: .get) { r in
                #expect(r.status == .ok)
                let body = F.json(r.body)
                let ids = (body["voices"] as? [[String: Any]] ?? []).compactMap { $0["voice_id"] as? String }
                #expect(ids.contains(target.id))
                #expect(body["total"] as? Int == ids.count)
            }
            try await client.execute(uri: "/api/public/v1/searchVoices?query=zzzqqqnothing", method: .get) { r in
                #expect(F.json(r.body)["total"] as? Int == 0)
            }
        }
    }

    /// One case per rule: the fields sent, the field named, and the status.
    struct Rule: Sendable, CustomStringConvertible {
        var fields: [(String, String)]
        var image: Data?
        var field: String
        var status: HTTPResponse.Status = .unprocessableContent
        var description: String { "\(field): \(fields.map { "\($0.0)=\($0.1.prefix(20))" })" }
    }

    static let photo = ServerFixtures.photoBytes
    static let rules: [Rule] = [
        Rule(fields: [("prompt", "no image")], image: nil, field: "image_file"),
        Rule(fields: [("image_url", "https://images.test/flower.jpg")], image: photo, field: "image_url"),
        Rule(fields: [("image_url", "ftp://images.test/flower.jpg")], image: nil, field: "image_url"),
        Rule(fields: [("image_url", "https://images.test/missing.jpg")], image: nil, field: "image_url"),
        Rule(fields: [("prompt", String(repeating: "a", count: 301))], image: photo, field: "prompt"),
        Rule(fields: [("lyrics", String(repeating: "la ", count: 1001))], image: photo, field: "lyrics"),
        Rule(fields: [("negative_tags", String(repeating: "x", count: 301))], image: photo, field: "negative_tags"),
        Rule(fields: [("make_instrumental", "maybe")], image: photo, field: "make_instrumental"),
        Rule(fields: [("vocal_only", "2")], image: photo, field: "vocal_only"),
        Rule(fields: [("make_instrumental", "true"), ("vocal_only", "YES")], image: photo, field: "make_instrumental"),
        Rule(fields: [("key", "H major")], image: photo, field: "key"),
        Rule(fields: [("bpm", "500")], image: photo, field: "bpm"),
        Rule(fields: [("bpm", "39")], image: photo, field: "bpm"),
        Rule(fields: [("bpm", "fast")], image: photo, field: "bpm"),
        Rule(fields: [("webhook_url", "ftp://hooks.test/x")], image: photo, field: "webhook_url"),
        Rule(fields: [("webhook_url", "not a url")], image: photo, field: "webhook_url"),
        Rule(fields: [("voice_id", "no-such-voice")], image: photo, field: "voice_id"),
        Rule(fields: [("seed", "-1")], image: photo, field: "seed"),
        Rule(fields: [("duration", "5")], image: photo, field: "duration"),
        Rule(fields: [("duration", "601")], image: photo, field: "duration"),
        Rule(fields: [("versions", "0")], image: photo, field: "versions"),
        Rule(fields: [("versions", "5")], image: photo, field: "versions"),
        Rule(fields: [("formats", "mp3,aac")], image: photo, field: "formats"),
        Rule(fields: [], image: Data("this is not an image at all".utf8), field: "image_file"),
        Rule(fields: [], image: Data([0x49, 0x49, 0x2A, 0x00, 1, 2, 3, 4]), field: "image_file"),
        Rule(fields: [], image: photo.prefix(2000), field: "image_file"),
        Rule(fields: [], image: ServerFixtures.pngHeader(width: 8000, height: 6000), field: "image_file"),
    ]

    @Test(arguments: rules) func validationRule(_ rule: Rule) async throws {
        let config = F.configuration("rule")
        let app = try await buildApplication(configuration: config, hooks: ServerHooks(imageFetcher: FakeImageFetcher()),
                                             logger: F.quietLogger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart(rule.fields, image: rule.image)) { r in
                #expect(r.status == rule.status)
                let body = F.json(r.body)
                #expect(body["success"] as? Bool == false)
                let error = body["error"] as? String ?? ""
                #expect(error.hasPrefix("\(rule.field): "), "error names the field: \(error)")
                #expect(error.hasSuffix("."))
                let detail = body["detail"] as? [[String: String]] ?? []
                #expect(detail.first?["field"] == rule.field)
                let message = detail.first?["message"] ?? ""
                #expect(!message.isEmpty)
            }
        }
        #expect(try await F.rowCount(config) == 0, "a rejected request leaves no task row")
        #expect(F.uploadCount(config) == 0, "and no file")
    }

    @Test func voiceIdWithVocalOnlyAndMessages() async throws {
        let voice = try #require(try ChromasongEngine().voices.voices.first)
        let app = try await buildApplication(configuration: F.configuration("vo"), logger: F.quietLogger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart([("vocal_only", "true"), ("voice_id", voice.id)], image: F.photoBytes)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(F.json(r.body)["error"] as? String == "voice_id: cannot be used with vocal_only.")
            }
            // Several broken fields are all listed; the sentence names the first.
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart([("bpm", "x"), ("seed", "y")], image: F.photoBytes)) { r in
                let detail = F.json(r.body)["detail"] as? [[String: String]] ?? []
                #expect(Set(detail.compactMap { $0["field"] }) == ["bpm", "seed"])
            }
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart([("key", "Q minor")], image: F.photoBytes)) { r in
                let error = F.json(r.body)["error"] as? String ?? ""
                #expect(error.contains("accepted"), "the key message lists the accepted forms: \(error)")
            }
        }
    }

    @Test func bodyErrors() async throws {
        let config = F.configuration("body")
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        try await app.test(.router) { client in
            // 413: a 25 MiB upload, refused from its declared length before the body is read.
            let big = Data(count: 25 * 1024 * 1024)
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart([], image: big)) { r in
                #expect(r.status == .contentTooLarge)
                let body = F.json(r.body)
                #expect((body["detail"] as? [[String: String]])?.first?["field"] == "image_file")
                #expect((body["error"] as? String)?.hasPrefix("image_file: ") == true)
            }
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post,
                                     headers: [.contentType: "text/plain"], body: ByteBuffer(string: "hello")) { r in
                #expect(r.status == .unsupportedMediaType)
                #expect(F.json(r.body)["success"] as? Bool == false)
            }
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post,
                                     headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\"prompt\": ")) { r in
                #expect(r.status == .badRequest)
                #expect(F.json(r.body)["error"] as? String == "The JSON body is malformed or not an object.")
            }
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post,
                                     headers: [.contentType: "multipart/form-data"], body: ByteBuffer(string: "x")) { r in
                #expect(r.status == .badRequest)
            }
        }
        #expect(try await F.rowCount(config) == 0)
    }

    /// The limit holds while the body streams in, without a declared length: the parser stops at the first chunk
    /// past the limit (a small limit here so the debug-build parser stays fast).
    @Test func multipartLimitWhileStreaming() async throws {
        let limit = 64 * 1024
        let image = Data(repeating: 7, count: limit * 4)
        let whole = F.multipart([("prompt", "x")], image: image)
        // Delivered in 8 KiB chunks, as a socket would.
        let chunks = stride(from: 0, to: whole.readableBytes, by: 8192).map {
            whole.getSlice(at: $0, length: min(8192, whole.readableBytes - $0))!
        }
        let counter = Counter()
        let stream = AsyncStream<ByteBuffer> { continuation in
            for c in chunks { continuation.yield(c) }
            continuation.finish()
        }.map { chunk -> ByteBuffer in
            counter.add(chunk.readableBytes)
            return chunk
        }
        do {
            _ = try await RawSubmission.readMultipart(RequestBody(asyncSequence: stream), boundary: "XbOuNdArY42",
                                                      imageLimit: limit)
            Issue.record("an image over the limit was accepted")
        } catch let error as APIError {
            #expect(error.status == .contentTooLarge)
            #expect(error.detail.first?.field == "image_file")
        }
        #expect(counter.value < limit + 3 * 8192, "stopped reading soon after the limit (\(counter.value) bytes read)")
        #expect(counter.value < whole.readableBytes)
        // Just under the limit passes, with the image bytes intact.
        let ok = Data(repeating: 9, count: limit)
        let parsed = try await RawSubmission.readMultipart(
            RequestBody(buffer: F.multipart([("prompt", "hi")], image: ok)), boundary: "XbOuNdArY42", imageLimit: limit)
        #expect(parsed.image == ok)
        #expect(parsed.fields["prompt"] == "hi")
    }

    @Test func acceptedShapesAndById() async throws {
        let config = F.configuration("accept")
        let app = try await buildApplication(configuration: config, hooks: ServerHooks(imageFetcher: FakeImageFetcher()),
                                             logger: F.quietLogger)
        try await app.test(.router) { client in
            var ids: [String] = []
            // multipart upload
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart([("prompt", "calm piano"), ("unknown_field", "ignored")],
                                                       image: F.photoBytes)) { r in
                #expect(r.status == .ok)
                let b = F.json(r.body)
                #expect(b["success"] as? Bool == true)
                #expect(b["message"] as? String == "Message Published To Queue")
                #expect(b["credit_estimate"] as? Int == 0)
                #expect((b["eta"] as? Int ?? 0) > 0)
                let c1 = try #require(b["conversion_id_1"] as? String)
                let c2 = try #require(b["conversion_id_2"] as? String)
                #expect(c1 != c2)
                ids.append(try #require(b["task_id"] as? String))
            }
            // JSON body with image_url, booleans and numbers as JSON values
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post,
                                     headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"image_url": "https://images.test/flower.jpg", "make_instrumental": true, "bpm": 96, "versions": 1, "seed": null}"#)) { r in
                #expect(r.status == .ok)
                let b = F.json(r.body)
                #expect(b["conversion_id_1"] is String)
                #expect(b["conversion_id_2"] == nil, "one version asked, one id")
                ids.append(try #require(b["task_id"] as? String))
            }
            // form-urlencoded with image_url
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "image_url=https%3A%2F%2Fimages.test%2Fflower.jpg&prompt=slow+jazz&key=c%23m")) { r in
                #expect(r.status == .ok)
                ids.append(try #require(F.json(r.body)["task_id"] as? String))
            }
            let store = try await ServerFixtures.store(config)
            let third = try #require(try await store.task(id: ids[2]))
            #expect(third.request.prompt == "slow jazz")
            #expect(third.request.key == "c#m")
            let second = try #require(try await store.task(id: ids[1]))
            #expect(second.request.makeInstrumental && second.request.bpm == 96 && second.request.versions == 1)
            #expect(FileManager.default.contents(atPath: second.imagePath) == F.photoBytes)

            try await client.execute(uri: "/api/public/v1/byId?conversionType=IMAGE_TO_SONG&task_id=\(ids[0])", method: .get) { r in
                #expect(r.status == .ok)
                let b = F.json(r.body)
                #expect(b["success"] as? Bool == true)
                let c = b["conversion"] as? [String: Any] ?? [:]
                #expect(c["status"] as? String == "IN_QUEUE")
                #expect(c["task_id"] as? String == ids[0])
                for key in ["conversion_id_1", "conversion_id_2", "status_msg", "createdAt", "updatedAt"] {
                    #expect(c[key] is String, "\(key)")
                }
                for key in ["title", "music_style", "key", "bpm", "conversion_path_1", "conversion_path_2",
                            "conversion_path_wav_1", "conversion_path_wav_2", "conversion_duration_1",
                            "conversion_duration_2", "lyrics_1", "lyrics_2", "lyrics_timestamped_1",
                            "lyrics_timestamped_2", "album_cover_path", "album_cover_thumbnail"] {
                    #expect(c.keys.contains(key) && c[key] is NSNull, "\(key) present and null while queued")
                }
            }
            let task = try #require(try await store.task(id: ids[0]))
            try await client.execute(uri: "/api/public/v1/byId?conversion_id=\(task.conversionIds[1])", method: .get) { r in
                #expect((F.json(r.body)["conversion"] as? [String: Any])?["task_id"] as? String == ids[0])
            }
            try await client.execute(uri: "/api/public/v1/byId?task_id=nope", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(F.json(r.body)["error"] as? String == "No task with task_id nope.")
            }
            try await client.execute(uri: "/api/public/v1/byId?conversion_id=nope", method: .get) { r in
                #expect(r.status == .notFound)
            }
            try await client.execute(uri: "/api/public/v1/byId", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                #expect(F.json(r.body)["error"] as? String == "task_id: task_id or conversion_id is required.")
            }
            try await client.execute(uri: "/api/public/v1/byId?conversionType=TEXT_TO_SONG&task_id=\(ids[0])", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                #expect((F.json(r.body)["detail"] as? [[String: String]])?.first?["field"] == "conversionType")
            }
            // Files need a signed URL (403 without), and a task that is not finished has none to serve (404).
            try await client.execute(uri: "/files/\(ids[0])/v1/mix.wav", method: .get) { r in
                #expect(r.status == .forbidden)
            }
            let signer = FileSigner(secret: try FileSigner.loadSecret(configured: nil, dataDirectory: config.dataDirectory))
            let query = signer.query(taskId: ids[0], path: "v1/mix.wav", expires: Int(Date().timeIntervalSince1970) + 60)
            try await client.execute(uri: "/files/\(ids[0])/v1/mix.wav?\(query)", method: .get) { r in
                #expect(r.status == .notFound)
            }
        }
    }

    @Test func gateCountsSubmissionsInFlight() {
        // Limit 3 with 1 task waiting: two submissions may be read at once, the third is refused unparsed.
        let gate = SubmissionGate()
        #expect(gate.reserve(queued: 1, limit: 3))
        #expect(gate.reserve(queued: 1, limit: 3))
        #expect(!gate.reserve(queued: 1, limit: 3))
        #expect(gate.count == 2)
        gate.release()
        #expect(gate.reserve(queued: 1, limit: 3), "a finished submission frees its slot")
        #expect(!gate.reserve(queued: 3, limit: 3), "a full store refuses whatever is in flight")
        gate.release()
        gate.release()
        #expect(gate.count == 0)
    }

    @Test func queueFullGets429() async throws {
        let config = F.configuration("full", queueLimit: 2)
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        try await app.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 {
                try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                         body: F.multipart([], image: F.photoBytes)) { r in
                    statuses.append(r.status)
                    if r.status == .tooManyRequests {
                        #expect(F.json(r.body)["error"] as? String == "The queue is full (2 tasks waiting); try again later.")
                        #expect(r.headers[.retryAfter] == "30")
                    }
                }
            }
            #expect(statuses == [.ok, .ok, .tooManyRequests, .tooManyRequests])
            // Load shedding: with the queue full, a request is refused before its body is parsed, so even a
            // malformed one gets the 429 (not its 422 or 400): refusals cost no parsing under a burst.
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart([("bpm", "999")], image: F.photoBytes)) { r in
                #expect(r.status == .tooManyRequests)
            }
            var broken = F.multipartHeaders
            broken[.contentType] = "multipart/form-data"
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: broken,
                                     body: ByteBuffer(string: "not multipart")) { r in
                #expect(r.status == .tooManyRequests)
            }
        }
        #expect(try await F.rowCount(config) == 2)
        #expect(F.uploadCount(config) == 2, "refused submissions leave no upload behind")
    }
}
