import Foundation
import Synchronization
import Testing
@testable import SongEngine

/// Issue 14: the renderer's windows go to a sink instead of a whole-song mix, and the first version plays while it
/// renders (`RenderOptions.preview`, `chromasong render --stream -`).
@Suite struct StreamTests {
    let engine = TestSupport.engine

    /// Collects the windows a sink is given into a whole song.
    final class Gather: MixSink {
        var song = StereoBuffer(frames: 0, sampleRate: 44100)
        var windows = 0
        func begin(frames: Int, sampleRate: Int) throws { song = StereoBuffer(frames: frames, sampleRate: sampleRate) }
        func take(_ window: inout StereoBuffer, at start: Int, count: Int) throws {
            #expect(start % 4096 == 0)
            song.left.replaceSubrange(start..<start + count, with: window.left.prefix(count))
            song.right.replaceSubrange(start..<start + count, with: window.right.prefix(count))
            windows += 1
        }
    }

    /// The windows are the whole-song mix, bit for bit: an EDM song (its pre-chorus riser crosses windows) and the
    /// faded end.
    @Test func windowsAreTheWholeMixBitForBit() throws {
        let features = ImageAnalyzer.analyze(try ImageLoader.decode(try Data(contentsOf: TestSupport.example)))
        let plan = try Planner.plan(features: features, steering: Steering(prompt: "energetic edm dance track"),
                                    styles: engine.styles, seed: 3)
        let style = try #require(engine.styles.style(id: plan.style))
        #expect(style[.build] > 0)
        let score = Composer.compose(plan: plan, style: style, seed: 3)
        #expect(score.sections.contains { SectionKind(name: $0.name) == .preChorus }, "\(score.sections.map(\.name))")
        // At 22.05 kHz: the same code at half the cost (the whole song is rendered twice, beside the rest of the suite).
        let whole = try Renderer.render(score: score, style: style, instruments: engine.instruments, sampleRate: 22050)
        let gather = Gather()
        let streamed = try Renderer.render(score: score, style: style, instruments: engine.instruments, sampleRate: 22050,
                                           parallel: true, sink: gather)
        #expect(streamed.mix.frames == 0)
        #expect(gather.windows > 10)
        #expect(gather.song.frames == whole.mix.frames)
        #expect(gather.song.left == whole.mix.left && gather.song.right == whole.mix.right)
        #expect(whole.mix.left.last == 0)
    }

    /// A render with a preview delivers the same bytes as one without, and the preview is the first version's
    /// song: a WAV of exactly its length, levelled and under the ceiling, following the delivered master.
    @Test(arguments: [true, false])
    func previewPlaysTheFirstVersionAndChangesNoDeliveredByte(sung: Bool) async throws {
        let request = SongRequest(image: .file(TestSupport.example.path), prompt: sung ? "" : "calm piano",
                                  lyrics: sung ? "[Verse]\nWe walk along the river light\nAnd sing into the open night\n" : "",
                                  makeInstrumental: !sung, seed: 21, duration: 20, versions: 2, formats: [.wav])
        let plain = TestSupport.temporaryDirectory("preview-plain")
        let streamed = TestSupport.temporaryDirectory("preview-streamed")
        defer {
            try? FileManager.default.removeItem(at: plain)
            try? FileManager.default.removeItem(at: streamed)
        }
        _ = try await engine.render(request, to: plain)
        let bytes = Mutex(Data())
        let pieces = Mutex(0)
        let result = try await engine.render(request, to: streamed, options: RenderOptions(preview: { data in
            bytes.withLock { $0.append(data) }
            pieces.withLock { $0 += 1 }
        }))
        for folder in ["v1", "v2"] {
            for file in ["mix.wav", "instrumental.wav"] + (sung ? ["vocals.wav"] : []) {
                let a = try Data(contentsOf: plain.appendingPathComponent("\(folder)/\(file)"))
                let b = try Data(contentsOf: streamed.appendingPathComponent("\(folder)/\(file)"))
                #expect(a == b, "\(folder)/\(file) changed with a preview")
            }
        }
        let stream = bytes.withLock { $0 }
        #expect(pieces.withLock { $0 } > 5, "the preview came in pieces, as it rendered")
        #expect(stream.prefix(4) == Data("RIFF".utf8) && stream.dropFirst(8).prefix(4) == Data("WAVE".utf8))
        let declared = stream.dropFirst(40).prefix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        #expect(Int(declared) == stream.count - 44)
        let delivered = try AudioFile.read(streamed.appendingPathComponent("v1/mix.wav"))
        #expect(stream.count - 44 == delivered.frames * 4, "the preview is as long as the song")
        #expect(result.manifest.versions.count == 2)

        let samples = stream.dropFirst(44).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        var peak: Float = 0, squares = 0.0, dot = 0.0, pp = 0.0, dd = 0.0
        for i in 0..<delivered.frames {
            let l = Float(samples[2 * i]) / 32768, r = Float(samples[2 * i + 1]) / 32768
            peak = max(peak, abs(l), abs(r))
            squares += Double(l * l + r * r)
            let p = Double(l + r), d = Double(delivered.left[i] + delivered.right[i])
            dot += p * d; pp += p * p; dd += d * d
        }
        let rmsDB = 10 * log10(squares / Double(2 * delivered.frames))
        let correlation = dot / (pp * dd).squareRoot()
        #expect(20 * log10(peak) <= PreviewStream.ceilingDBTP + 0.1, "peak \(20 * log10(peak)) dBFS")
        #expect(abs(rmsDB - Double(PreviewStream.targetRMSDB)) < 5, "preview RMS \(rmsDB) dB")
        #expect(correlation > 0.6, "preview against the delivered master: correlation \(correlation)")
    }

    /// A sung version's intro is heard ahead of its vocal (`PreviewIntro`): the first preview bytes come before the
    /// singing stage starts, and what is heard ahead ends before the first sung line (it has no vocal in it).
    /// At the default length (the form opens with an instrumental intro; a short song may start on its first line,
    /// and then nothing can be heard ahead).
    @Test(arguments: [UInt64(1), 7])
    func aSungPreviewStartsBeforeItsVocalIsMade(seed: UInt64) async throws {
        let request = SongRequest(image: .file(TestSupport.example.path), seed: seed, versions: 1, formats: [.wav])
        // Before the first sung line: the score's vocal, sung as the render sings it.
        let plan = try await engine.analyze(request).plan
        let style = try #require(engine.styles.style(id: plan.style))
        let (versionPlan, versionStyle) = plan.forVersion(seed: seed, style: style)
        let input = VocalInput(lyrics: try #require(versionPlan.lyrics), pronounced: try #require(versionPlan.pronounced),
                               base: versionPlan.voice ?? .female)
        let score = Composer.compose(plan: versionPlan, style: versionStyle, seed: seed, vocal: input)
        let ahead = PreviewIntro.frames(score, sampleRate: 44100)
        let firstLine = try #require(try VocalRenderer.render(score: score, speech: Speech.shared, sampleRate: 44100)
            .sungSpans.map(\.start).min())
        #expect(ahead > 0, "seed \(seed): the song has an intro (first line at \(firstLine) s)")
        #expect(Double(ahead) / 44100 <= firstLine, "seed \(seed): heard ahead to \(Double(ahead) / 44100) s, sung from \(firstLine) s")

        // The order of events in the render: the first preview bytes, then the singing stage.
        let events = Mutex([String]())
        let dir = TestSupport.temporaryDirectory("preview-intro")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = Mutex(Data())
        _ = try await engine.render(request, to: dir, options: RenderOptions(preview: { data in
            bytes.withLock { $0.append(data) }
            events.withLock { if $0.last != "audio" { $0.append("audio") } }
        })) { progress in events.withLock { $0.append(progress.stage) } }
        let order = events.withLock { $0 }
        let firstAudio = try #require(order.firstIndex(of: "audio"))
        let singing = try #require(order.firstIndex { $0.hasSuffix(" singing") }, "\(order)")
        #expect(firstAudio < singing, "seed \(seed): \(order.prefix(8))")
        let stream = bytes.withLock { $0 }
        let delivered = try AudioFile.read(dir.appendingPathComponent("v1/mix.wav"))
        #expect(stream.count - 44 == delivered.frames * 4, "the intro is heard once: the stream is the song's length")
        if seed == 1 {
            // Rendering the intro ahead leaves the delivered files as they are without a preview.
            let plain = TestSupport.temporaryDirectory("preview-intro-plain")
            defer { try? FileManager.default.removeItem(at: plain) }
            _ = try await engine.render(request, to: plain)
            for file in ["mix.wav", "instrumental.wav", "vocals.wav"] {
                #expect(try Data(contentsOf: plain.appendingPathComponent("v1/\(file)"))
                        == Data(contentsOf: dir.appendingPathComponent("v1/\(file)")), "v1/\(file)")
            }
        }
    }

    /// The CLI: `--stream -` writes the preview to standard output and the summary to standard error; any other
    /// value is refused in one line naming the option, before anything is written.
    @Test func cliStreamsToStandardOutput() throws {
        let dir = TestSupport.temporaryDirectory("cli-stream")
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = TestSupport.cli
        process.arguments = ["render", TestSupport.example.path, "--instrumental", "--duration", "15", "--versions", "1",
                             "--formats", "wav", "--seed", "4", "--out", dir.appendingPathComponent("out").path,
                             "--stream", "-"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stream = out.fileHandleForReading.readDataToEndOfFile()
        let messages = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        while process.isRunning { usleep(10_000) }
        #expect(process.terminationStatus == 0)
        #expect(stream.prefix(4) == Data("RIFF".utf8))
        let declared = stream.dropFirst(40).prefix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        #expect(Int(declared) == stream.count - 44 && stream.count > 44 + 15 * 44100 * 4)
        #expect(messages.contains("LUFS"), "the summary goes to standard error")
        let mix = try AudioFile.read(dir.appendingPathComponent("out/v1/mix.wav"))
        #expect(stream.count - 44 == mix.frames * 4)

        let refused = try TestSupport.run(TestSupport.cli, ["render", TestSupport.example.path, "--stream", "song.wav",
                                                            "--out", dir.appendingPathComponent("refused").path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--stream") && refused.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("refused").path))
    }
}
