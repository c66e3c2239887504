import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import ChromasongServer
@testable import SongEngine

/// `GET /api/public/v1/stream`: each conversion's audio while it renders (issue 14, docs/server.md "Preview stream").
/// Time to first audio is measured on the real binary by `Benchmarks/ttfa_check.py --server`, not here.
@Suite(.serialized) struct PreviewStreamTests {
    typealias F = ServerFixtures

    /// A WAV header declaring `dataBytes` bytes of 16-bit stereo audio at 44.1 kHz.
    static func header(dataBytes: Int) -> Data {
        var h = Data("RIFF".utf8)
        func le32(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)] }
        h.append(contentsOf: le32(36 + dataBytes))
        h.append(contentsOf: Array("WAVEfmt ".utf8) + le32(16) + [1, 0, 2, 0] + le32(44100) + le32(44100 * 4) + [4, 0, 16, 0])
        h.append(contentsOf: Array("data".utf8) + le32(dataBytes))
        return h
    }

    final class Collected: Sendable {
        let bytes = Mutex(Data())
        func add(_ b: ByteBuffer) { bytes.withLock { $0.append(contentsOf: b.readableBytesView) } }
        var value: Data { bytes.withLock { $0 } }
    }

    @Test func theTailFollowsAGrowingFileToItsDeclaredLength() async throws {
        let dir = F.temporaryDirectory("tail-grow")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("s.wav")
        let audio = Data((0..<40_000).map { UInt8($0 % 251) })
        let whole = Self.header(dataBytes: audio.count) + audio
        try whole.prefix(30).write(to: url)  // not even the whole header yet
        let got = Collected()
        let reader = Task { try await PreviewTail().stream(url, alive: { true }, send: { got.add($0) }) }
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        var offset = 30
        while offset < whole.count {
            try await Task.sleep(for: .milliseconds(15))
            let next = min(whole.count, offset + 7000)
            handle.write(whole[offset..<next])
            offset = next
            // The reader keeps up with the writer: it never runs ahead of what is on disk.
            #expect(got.value.count <= offset)
        }
        try handle.close()
        try await reader.value
        #expect(got.value == whole)
    }

    @Test func theTailEndsShortWhenItsWriterIsGone() async throws {
        let dir = F.temporaryDirectory("tail-gone")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("s.wav")
        let partial = Self.header(dataBytes: 10_000) + Data(repeating: 7, count: 1000)
        try partial.write(to: url)
        let got = Collected()
        var tail = PreviewTail()
        tail.aliveInterval = 0.05
        await #expect(throws: PreviewTail.Ending.abandoned) {
            try await tail.stream(url, alive: { false }, send: { got.add($0) })
        }
        #expect(got.value == partial, "what was written is sent before the stream is cut")
        // A file that is not a WAV stream is refused from its header.
        #expect(throws: PreviewTail.Ending.malformed) { _ = try PreviewTail.declaredLength(Data(repeating: 0, count: 44)) }
        #expect(try PreviewTail.declaredLength(Data(repeating: 0, count: 43)) == nil)
    }

    @Test func theRetentionSweepDeletesOnlyStaleStreams() throws {
        let data = F.temporaryDirectory("stream-sweep")
        let files = PreviewFiles(dataDirectory: data)
        let old = files.url(taskId: "t1", conversionId: "c1", claim: 1)
        let fresh = files.url(taskId: "t2", conversionId: "c2", claim: 1)
        for url in [old, fresh] {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(repeating: 1, count: 100).write(to: url)
        }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-PreviewFiles.lifetime - 60)],
                                              ofItemAtPath: old.path)
        let swept = files.sweep()
        #expect(swept.files == 1 && swept.bytes == 100)
        #expect(!FileManager.default.fileExists(atPath: files.folder(taskId: "t1").path), "its empty folder too")
        #expect(FileManager.default.fileExists(atPath: fresh.path))
    }

    /// The engine's own preview of a stored task's render, every version, in memory.
    static func enginePreviews(_ task: StoredTask) async throws -> [Data] {
        let got = Mutex([Data](repeating: Data(), count: task.conversionIds.count))
        let engine = try ChromasongEngine()
        _ = try await engine.render(task.request.songRequest(imagePath: task.imagePath),
                                    to: F.temporaryDirectory("stream-ref").appendingPathComponent(task.id),
                                    options: RenderOptions(taskId: task.id, conversionIds: task.conversionIds,
                                                           previews: { v, bytes in got.withLock { $0[v].append(bytes) } }))
        return got.withLock { $0 }
    }

    /// Submits, then asks for each conversion's stream at once (it waits for the render to start), and checks it
    /// against the engine's own preview of the same request: the same bytes, in process or in a worker child.
    func streamsMatchTheEngine(_ config: ServerConfiguration) async throws {
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        try await app.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer key-1"]
            var headers = F.multipartHeaders
            headers[.authorization] = "key-1"
            let accepted = try await client.execute(
                uri: "/api/public/v1/image_to_song", method: .post, headers: headers,
                body: F.multipart([("duration", "10"), ("make_instrumental", "true"), ("seed", "4"), ("formats", "wav")],
                                  image: F.photoBytes)) { F.json($0.body) }
            let ids = [accepted["conversion_id_1"] as? String ?? "", accepted["conversion_id_2"] as? String ?? ""]
            // The signed URL an <audio> element can play (no key): asked for first, it waits for the render too.
            let signed = try #require(accepted["stream_url_2"] as? String)
            #expect(signed.hasPrefix("http://files.test/streams/"), "\(signed)")
            let signedPath = String(signed.dropFirst("http://files.test".count))
            let viaSignature = try await client.execute(uri: signedPath, method: .get) { r in
                #expect(r.status == .ok && r.headers[.contentType] == "audio/wav")
                return Data(r.body.readableBytesView)
            }
            let tampered = signedPath.replacingOccurrences(of: ids[1], with: ids[0])
            try await client.execute(uri: tampered, method: .get) { r in #expect(r.status == .forbidden) }
            var streams: [Data] = []
            for id in ids {
                try await client.execute(uri: "/api/public/v1/stream?conversion_id=\(id)", method: .get, headers: auth) { r in
                    #expect(r.status == .ok)
                    #expect(r.headers[.contentType] == "audio/wav")
                    #expect(r.headers[.cacheControl] == "no-store")
                    streams.append(Data(r.body.readableBytesView))
                }
            }
            // The streams end when the songs are rendered; mastering and encoding come after.
            let store = try await F.store(config)
            var task = try #require(try await store.task(conversionId: ids[0]))
            let end = Date().addingTimeInterval(120)
            while task.status != .completed && task.status != .failed && Date() < end {
                try await Task.sleep(for: .milliseconds(50))
                task = try #require(try await store.task(conversionId: ids[0]))
            }
            #expect(task.status == .completed)
            // The stream is the whole song: its header's length, the manifest's duration.
            for (i, s) in streams.enumerated() {
                #expect(try PreviewTail.declaredLength(s) == s.count, "version \(i + 1): \(s.count) bytes")
                let seconds = Double(s.count - 44) / 4 / 44100
                let delivered = task.manifest?.versions[i].duration ?? 0
                #expect(abs(seconds - delivered) <= 0.051, "\(seconds) s streamed, \(delivered) s delivered (to 0.1 s)")
                // Audible: 16-bit samples well above silence.
                let rms = s.dropFirst(44).withUnsafeBytes { raw -> Double in
                    let v = raw.bindMemory(to: Int16.self)
                    return (v.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, v.count))).squareRoot() / 32768
                }
                #expect(rms > 0.03, "version \(i + 1) RMS \(rms)")
            }
            #expect(streams[0] != streams[1], "each conversion has its own stream")
            #expect(viaSignature == streams[1], "the signed URL streams the same bytes")
            let reference = try await Self.enginePreviews(task)
            #expect(streams == reference, "the server streams the engine's preview, byte for byte")

            // Finished: the stream is still served from its file; once swept, the delivered audio instead.
            try await client.execute(uri: "/api/public/v1/stream?conversion_id=\(ids[1])", method: .get, headers: auth) { r in
                #expect(r.status == .ok && Data(r.body.readableBytesView) == streams[1])
            }
            try FileManager.default.removeItem(at: PreviewFiles(dataDirectory: config.dataDirectory).folder(taskId: task.id))
            for uri in ["/api/public/v1/stream?conversion_id=\(ids[1])", signedPath] {
                try await client.execute(uri: uri, method: .get, headers: auth) { r in
                    #expect(r.status == .temporaryRedirect)
                    #expect(r.headers[.location]?.contains("/files/\(task.id)/") == true, "\(r.headers[.location] ?? "")")
                }
            }
            // byId hands the stream URLs out too.
            let conversion = try await client.execute(uri: "/api/public/v1/byId?task_id=\(task.id)", method: .get,
                                                      headers: auth) { F.json($0.body)["conversion"] as? [String: Any] ?? [:] }
            #expect((conversion["stream_url_1"] as? String)?.contains("/streams/\(task.id)/\(ids[0]).wav?expires=") == true)
        }
    }

    // The same from a worker child: `IsolationTests.aStreamPerConversionFromAWorkerProcess` (that suite runs alone,
    // since it counts the test process's render-worker children).

    @Test func aStreamPerConversionInProcess() async throws {
        try await streamsMatchTheEngine(F.configuration("stream-inproc", workers: 1, keys: ["key-1"]))
    }

    @Test func refusalsNameTheFieldOrTheState() async throws {
        var config = F.configuration("stream-refusals", workers: 1, keys: ["key-1", "key-2"])
        config.renderLimits.retry = RetrySchedule(initial: 0.05, factor: 2, cap: 1, maxAttempts: 1)
        var hooks = ServerHooks()
        hooks.beforeRender = { throw RequestError(field: "image_file", message: "shows nothing to sing about") }
        let app = try await buildApplication(configuration: config, hooks: hooks, logger: F.quietLogger)
        try await app.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer key-1"]
            try await client.execute(uri: "/api/public/v1/stream", method: .get, headers: auth) { r in
                #expect(r.status == .unprocessableContent)
                #expect((F.json(r.body)["error"] as? String)?.contains("conversion_id") == true)
            }
            try await client.execute(uri: "/api/public/v1/stream?conversion_id=nope", method: .get, headers: auth) { r in
                #expect(r.status == .notFound)
            }
            var headers = F.multipartHeaders
            headers[.authorization] = "key-1"
            let id = try await client.execute(
                uri: "/api/public/v1/image_to_song", method: .post, headers: headers,
                body: F.multipart([("duration", "10")], image: F.photoBytes)) { F.json($0.body)["conversion_id_1"] as? String ?? "" }
            // Another tenant's conversion answers as an unknown one.
            try await client.execute(uri: "/api/public/v1/stream?conversion_id=\(id)", method: .get,
                                     headers: [.authorization: "Bearer key-2"]) { r in #expect(r.status == .notFound) }
            // The render is refused: the stream says the conversion failed, with the reason.
            try await client.execute(uri: "/api/public/v1/stream?conversion_id=\(id)", method: .get, headers: auth) { r in
                #expect(r.status == .conflict)
                #expect((F.json(r.body)["error"] as? String)?.contains("shows nothing to sing about") == true,
                        "\(F.json(r.body))")
            }
        }
    }
}
