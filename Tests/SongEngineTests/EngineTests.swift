import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LoopbackSupport
import Testing
@testable import SongEngine

/// End-to-end renders through the public API (issue 2, must-shows 2, 6, 7, 8).
@Suite(.serialized) struct EngineTests {
    let engine = TestSupport.engine

    /// Must-show 2: every shared photo (all five formats) renders everything §2 lists for an instrumental.
    @Test func everySharedPhotoRenders() async throws {
        let photos = TestSupport.photos
        try #require(photos.count >= 12, "the shared photos are expected at \(TestSupport.sharedImages.path)")
        #expect(Set(photos.map { $0.pathExtension.lowercased() }) == ["jpg", "png", "gif", "bmp", "webp"])
        for photo in photos {
            let out = TestSupport.temporaryDirectory("photo")
            defer { try? FileManager.default.removeItem(at: out) }
            let request = SongRequest(image: .file(photo.path), makeInstrumental: true, duration: 12)
            let result = try await engine.render(request, to: out.appendingPathComponent("song"))
            try checkDelivery(result, versions: 2, formats: ["mp3", "wav"])
        }
    }

    /// Must-show 2: an http URL served from loopback.
    @Test func rendersFromLoopbackURL() async throws {
        let photos = TestSupport.photos
        try #require(!photos.isEmpty)
        let server = try LoopbackFileServer(directory: TestSupport.sharedImages)
        defer { server.stop() }
        let out = TestSupport.temporaryDirectory("url")
        defer { try? FileManager.default.removeItem(at: out) }
        let url = "http://127.0.0.1:\(server.port)/\(photos[0].lastPathComponent)"
        let request = SongRequest(image: .url(url), makeInstrumental: true, duration: 12)
        let result = try await engine.render(request, to: out.appendingPathComponent("song"))
        try checkDelivery(result, versions: 2, formats: ["mp3", "wav"])
    }

    /// Must-show 7: same request and seed, same bytes; the versions share key and tempo and differ in notes.
    @Test func deterministicAndVersionsDiffer() async throws {
        let out = TestSupport.temporaryDirectory("det")
        defer { try? FileManager.default.removeItem(at: out) }
        let request = SongRequest(image: .file(TestSupport.example.path), makeInstrumental: true, seed: 1234,
                                  duration: 20, formats: [.wav])
        let a = try await engine.render(request, to: out.appendingPathComponent("a"))
        let b = try await engine.render(request, to: out.appendingPathComponent("b"))
        for v in 0..<2 {
            for file in [a.manifest.versions[v].files.mix["wav"]!, a.manifest.versions[v].files.midi] {
                let da = try Data(contentsOf: a.directory.appendingPathComponent(file))
                let db = try Data(contentsOf: b.directory.appendingPathComponent(file))
                #expect(da == db, "\(file) differs between identical requests")
            }
        }
        let v1 = a.manifest.versions[0], v2 = a.manifest.versions[1]
        #expect(v1.key == v2.key && v1.bpm == v2.bpm && v1.style == v2.style)
        #expect(v1.seed != v2.seed)
        #expect(v1.seed & 1 != v2.seed & 1, "consecutive versions alternate the seed's parity (and so the sound)")
        let m1 = try Data(contentsOf: a.directory.appendingPathComponent(v1.files.midi))
        let m2 = try Data(contentsOf: a.directory.appendingPathComponent(v2.files.midi))
        #expect(m1 != m2, "the two versions should differ in their notes")
        // Rendering with a version's own seed reproduces that version.
        var single = request
        single.seed = v2.seed
        single.versions = 1
        let c = try await engine.render(single, to: out.appendingPathComponent("c"))
        let m2again = try Data(contentsOf: c.directory.appendingPathComponent(c.manifest.versions[0].files.midi))
        #expect(m2again == m2)
    }

    /// Must-show 6: the 12 shared photos yield at least 4 distinct styles and a tempo spread of at least 40 bpm.
    @Test func photosSpreadOverStylesAndTempi() async throws {
        let photos = TestSupport.photos
        try #require(photos.count >= 12)
        var styles = Set<String>()
        var tempi: [Int] = []
        for photo in photos {
            let analysis = try await engine.analyze(SongRequest(image: .file(photo.path), makeInstrumental: true))
            styles.insert(analysis.plan.style)
            tempi.append(analysis.plan.bpm)
        }
        #expect(styles.count >= 4, "styles: \(styles)")
        #expect(tempi.max()! - tempi.min()! >= 40, "tempi: \(tempi)")
    }

    /// Must-show 8 on audio: "no drums" leaves the drum part silent (no drum track, silent drum stem), while the
    /// same request without it has an audible drum stem.
    @Test func negativeTagsSilenceTheDrums() async throws {
        let bytes = try Data(contentsOf: TestSupport.example)
        let image = try ImageLoader.decode(bytes)
        let features = ImageAnalyzer.analyze(image)
        for (tags, wantDrums) in [("", true), ("no drums", false)] {
            let plan = try Planner.plan(features: features, steering: Steering(prompt: "upbeat pop", negativeTags: tags,
                                                                                duration: 15),
                                        styles: engine.styles, seed: 9)
            let style = try #require(engine.styles.style(id: plan.style))
            let score = Composer.compose(plan: plan, style: style, seed: 9)
            let rendered = try Renderer.render(score: score, style: style, instruments: engine.instruments, stems: [.drums])
            let drumTrack = score.track(.drums)
            let drumStem = rendered.stems[.drums]
            let drumPeak = drumStem.map { max($0.left.map(abs).max() ?? 0, $0.right.map(abs).max() ?? 0) } ?? 0
            if wantDrums {
                #expect(drumTrack != nil && !(drumTrack!.notes.isEmpty))
                #expect(drumPeak > 0.01)
            } else {
                #expect(drumTrack == nil || drumTrack!.notes.isEmpty)
                #expect(drumPeak == 0)
            }
        }
    }

    /// Must-show 8: "relaxing acoustic track" is calmer, slower and acoustic compared with an energetic prompt.
    @Test func promptSteersMoodAndInstruments() async throws {
        let bytes = try Data(contentsOf: TestSupport.example)
        let features = ImageAnalyzer.analyze(try ImageLoader.decode(bytes))
        let relaxed = try Planner.plan(features: features, steering: Steering(prompt: "Generate a relaxing acoustic track inspired by this scene."),
                                       styles: engine.styles, seed: 3)
        let energetic = try Planner.plan(features: features, steering: Steering(prompt: "energetic driving dance track"),
                                         styles: engine.styles, seed: 3)
        #expect(relaxed.bpm < energetic.bpm)
        #expect(relaxed.arousal < energetic.arousal)
        let melodic = relaxed.instruments.filter { $0.key != .drums }.values
        let acoustic = melodic.filter { InstrumentCatalog.entry($0)?.acoustic == true }
        #expect(acoustic.count * 2 >= melodic.count, "relaxed acoustic plan uses \(relaxed.instruments)")
    }

    /// Cancelling the calling task stops the render and leaves nothing at the destination.
    @Test func cancellationLeavesNothing() async throws {
        let out = TestSupport.temporaryDirectory("cancel")
        defer { try? FileManager.default.removeItem(at: out) }
        let destination = out.appendingPathComponent("song")
        let request = SongRequest(image: .file(TestSupport.example.path), makeInstrumental: true, duration: 120)
        let engine = self.engine
        let task = Task { try await engine.render(request, to: destination) }
        try await Task.sleep(nanoseconds: 50_000_000)
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        let left = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        #expect(left.isEmpty, "staging left behind: \(left)")
    }

    /// What every instrumental delivery holds (contract §2-§3).
    func checkDelivery(_ result: RenderResult, versions: Int, formats: [String]) throws {
        let m = result.manifest
        #expect(m.versions.count == versions)
        #expect(!m.title.isEmpty)
        #expect(TestSupport.pngSize(result.directory.appendingPathComponent(m.cover)).map { $0 == (1024, 1024) } == true)
        #expect(TestSupport.pngSize(result.directory.appendingPathComponent(m.coverThumbnail)).map { $0 == (256, 256) } == true)
        #expect(FileManager.default.fileExists(atPath: result.directory.appendingPathComponent("manifest.json").path))
        for v in m.versions {
            #expect(Set(v.files.mix.keys) == Set(formats))
            for path in v.files.mix.values {
                let size = (try FileManager.default.attributesOfItem(atPath: result.directory.appendingPathComponent(path).path)[.size] as? Int) ?? 0
                #expect(size > 10_000, "\(path) is only \(size) bytes")
            }
            #expect(v.files.instrumental?["wav"] != nil)
            #expect(v.files.vocals == nil)
            let midi = try Data(contentsOf: result.directory.appendingPathComponent(v.files.midi))
            #expect(midi.starts(with: Array("MThd".utf8)))
            #expect(abs(v.loudness.integratedLUFS + 14) <= 0.5)
            #expect(v.loudness.truePeakDBTP <= -1.0)
            let wav = try AudioFile.read(result.directory.appendingPathComponent(v.files.mix["wav"]!))
            #expect(abs(wav.duration - v.duration) < 0.2)
        }
    }
}

/// A minimal HTTP/1.0 file server on a free loopback port (GET only), for URL tests: a real server on a real
/// socket, so the engine's fetch path is exercised end to end.
final class LoopbackFileServer: @unchecked Sendable {
    let port: Int
    private let listener: LoopbackListener
    private let thread: Thread

    init(directory: URL) throws {
        listener = try LoopbackListener()
        port = listener.port
        let fd = listener.descriptor
        thread = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                LoopbackFileServer.serve(client: client, root: directory)
                close(client)
            }
        }
        thread.start()
    }

    static func serve(client: Int32, root: URL) {
        var request = [UInt8](repeating: 0, count: 4096)
        let n = read(client, &request, request.count)
        guard n > 0 else { return }
        let line = String(decoding: request[0..<n], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        let name = parts.count > 1 ? String(parts[1].dropFirst()) : ""
        let body = FileManager.default.contents(atPath: root.appendingPathComponent(name).path)
        let head = body == nil ? "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
            : "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body!.count)\r\n\r\n"
        var payload = Array(head.utf8)
        if let body { payload += body }
        var sent = 0
        while sent < payload.count {
            let w = payload[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if w <= 0 { return }
            sent += w
        }
    }

    func stop() { listener.close() }
}
