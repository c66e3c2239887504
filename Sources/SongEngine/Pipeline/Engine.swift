import Foundation
import Synchronization
public import VoiceConvert

/// How far a render has got: the stage running and the share of the whole job done (0...1).
public struct RenderProgress: Sendable {
    public var stage: String
    public var fraction: Double
}

/// Wall time of one stage of one render, for engine-bench.
public struct StageTiming: Sendable, Codable {
    public var stage: String
    /// Version index (0-based), or nil for per-request stages (decode, analysis, cover).
    public var version: Int?
    public var seconds: Double
    /// Seconds of audio the stage processed (0 when it processes none).
    public var audioSeconds: Double
}

/// Options of a render that are not part of the request: ids assigned by the caller, the sample rate.
public struct RenderOptions: Sendable {
    public var taskId: String
    /// One id per version; generated when nil or too short.
    public var conversionIds: [String]?
    public var sampleRate: Int
    /// Hears the first version while it renders: a WAV file's bytes in order (the header, with the exact length,
    /// then 16-bit stereo samples), through a provisional master, not the delivered one (`PreviewStream`, issue 14).
    /// Called on the version's render thread; it must return quickly (queue the bytes), since the render does not
    /// wait for a listener. The delivered files are the same with a preview or without.
    public var preview: (@Sendable (Data) -> Void)?
    /// As `preview`, for every version: called with the version's index (0-based, the order of `conversionIds`)
    /// and its stream's next bytes, on that version's render thread (the versions render at once). The server's
    /// progressive stream per conversion is made from this (docs/server.md "Preview stream").
    public var previews: (@Sendable (_ version: Int, _ bytes: Data) -> Void)?

    public init(taskId: String = UUID().uuidString.lowercased(), conversionIds: [String]? = nil, sampleRate: Int = 44100,
                preview: (@Sendable (Data) -> Void)? = nil,
                previews: (@Sendable (_ version: Int, _ bytes: Data) -> Void)? = nil) {
        self.taskId = taskId
        self.conversionIds = conversionIds
        self.sampleRate = sampleRate
        self.preview = preview
        self.previews = previews
    }

    /// What hears version `index`'s stream: `preview` (first version) and `previews`, either or both.
    func previewSink(version index: Int) -> (@Sendable (Data) -> Void)? {
        let first = index == 0 ? preview : nil
        guard let every = previews else { return first }
        return { bytes in
            first?(bytes)
            every(index, bytes)
        }
    }
}

/// What `analyze` finds: the image's features and the plan the engine would follow.
public struct AnalysisResult: Sendable, Codable {
    public var features: ImageFeatures
    /// What the picture shows (`SceneReader`), most confident first.
    public var scene: [SceneThing]
    public var plan: MusicPlan
}

/// A finished render: where it is, what the manifest says, and how long each stage took.
public struct RenderResult: Sendable {
    public var directory: URL
    public var manifest: Manifest
    public var timings: [StageTiming]
}

/// The engine: load presets once, then render any number of requests, from any number of threads at once.
///
/// ```swift
/// let engine = try ChromasongEngine()
/// let request = SongRequest(image: .file("meadow.jpg"), prompt: "relaxing acoustic track")
/// let result = try await engine.render(request, to: URL(fileURLWithPath: "out/meadow")) { print($0.stage) }
/// print(result.manifest.title, result.manifest.versions[0].files.mix)
/// ```
public final class ChromasongEngine: Sendable {
    public let styles: StyleLibrary
    public let instruments: InstrumentLibrary
    public let voices: VoiceCatalog
    /// Pronunciation for the planner (the user's lyrics) and the lyric stage (rhymes, syllables); flite's.
    public let pronouncer: any Pronouncing = Speech.shared

    /// Loads and validates the presets from `presetsDirectory` (holding `styles/` and `instruments/`), or from the
    /// default location (see `StyleLibrary.defaultDirectory()`).
    public init(presetsDirectory: URL? = nil) throws {
        guard let root = presetsDirectory ?? StyleLibrary.defaultDirectory()?.deletingLastPathComponent() else {
            throw ConfigurationError("the presets folder was not found; set CHROMASONG_PRESETS")
        }
        styles = try StyleLibrary.load(from: root.appendingPathComponent("styles"))
        instruments = try InstrumentLibrary.load(from: root.appendingPathComponent("instruments"))
        voices = try VoiceCatalog.load(from: root.appendingPathComponent("voices"))
    }

    /// Every rule of the contract that needs no image bytes, including that `voice_id` names a voice of the catalog
    /// and that the user's lyrics fit a song of at most `SongRequest.maxSongSeconds` (see `lyricsLength`).
    public func validate(_ request: SongRequest) throws(RequestError) {
        try request.validate()
        if !request.voiceId.isEmpty && voices.voice(id: request.voiceId) == nil {
            throw RequestError(field: "voice_id", message: "unknown voice \"\(request.voiceId.prefix(60))\"; "
                + "known: \(voices.voices.map(\.id).joined(separator: ", "))")
        }
        // Last: it parses and pronounces the lyrics, so every cheaper rule has passed first.
        try checkSongLength(request)
    }

    /// Image features and the plan, without rendering.
    public func analyze(_ request: SongRequest) async throws -> AnalysisResult {
        try validate(request)
        let bytes = try await ImageLoader.bytes(of: request.image)
        let image = try ImageLoader.decode(bytes, field: imageField(request))
        let (features, scene, plan) = try prepare(request, image: image, seed: planSeed(request, imageBytes: bytes),
                                                  clock: TimingRecorder())
        return AnalysisResult(features: features, scene: scene.things, plan: plan)
    }

    /// The one path from pixels to a plan that `analyze` and `render` share: features and scene, the plan, then
    /// the lyric stage (written lyrics from the scene and the prompt's topic, when the plan is sung and has none).
    /// Times "analysis", "lyrics" and, for the user's lyrics, "vocal text" on `clock`.
    private func prepare(_ request: SongRequest, image: RGBAImage, seed: UInt64, clock: TimingRecorder) throws
        -> (features: ImageFeatures, scene: Scene, plan: MusicPlan)
    {
        let steering = steering(request)
        var textSeconds = 0.0
        let (features, scene, planned) = try clock.measure("analysis") {
            let (features, scene) = ImageAnalyzer.read(image)
            let plan = try Planner.plan(features: features, steering: steering, styles: styles, seed: seed,
                                        scene: scene, pronouncer: pronouncer, lyricsTime: { textSeconds = $0 })
            return (features, scene, plan)
        }
        let plan = clock.measure("lyrics") {
            LyricStage.run(plan: planned, features: features, scene: scene, prompt: request.prompt,
                           vocals: steering.vocals, pronouncer: pronouncer, seed: seed)
        }
        if planned.lyrics != nil {
            // The user's lyrics are parsed and pronounced inside the analysis: reported on their own as well.
            clock.record("vocal text", version: nil, seconds: textSeconds, audio: 0)
        }
        return (features, scene, plan)
    }

    /// Renders a request into `directory`. Nothing appears there unless the whole render succeeds; on failure or
    /// cancellation (of the calling task) the staged files are removed.
    public func render(_ request: SongRequest, to directory: URL, options: RenderOptions = RenderOptions(),
                       progress: @escaping @Sendable (RenderProgress) -> Void = { _ in }) async throws -> RenderResult {
        try validate(request)
        let clock = TimingRecorder()
        progress(RenderProgress(stage: "decode", fraction: 0))
        let bytes = try await ImageLoader.bytes(of: request.image)
        let image = try clock.measure("decode") { try ImageLoader.decode(bytes, field: imageField(request)) }
        try Task.checkCancellation()

        progress(RenderProgress(stage: "analysis", fraction: 0.05))
        // The plan seed hashes the image bytes (up to 20 MiB): once per render, shared by plan, title and versions.
        let requestSeed = planSeed(request, imageBytes: bytes)
        let (features, scene, plan) = try prepare(request, image: image, seed: requestSeed, clock: clock)
        guard var mixedStyle = styles.style(id: plan.style) else {
            throw ConfigurationError("the plan chose style \(plan.style), which the loaded presets do not have")
        }
        // Negative tags such as "avoid loud drums" keep a part but lower it: fold those offsets into the mix.
        for (role, offset) in plan.gainOffsets {
            mixedStyle.mix[role.rawValue, default: MixSettings()].gain += offset
        }
        let style = mixedStyle
        let baseSeed = request.seed ?? requestSeed
        let seeds = (0..<request.versions).map { versionSeed(base: baseSeed, index: $0) }
        let ids = (0..<request.versions).map { i in
            options.conversionIds.flatMap { i < $0.count ? $0[i] : nil } ?? UUID().uuidString.lowercased()
        }
        let title = plan.lyrics?.title ?? TitleMaker.title(colourNames: features.palette.map(\.name), valence: plan.valence,
                                     arousal: plan.arousal, lightness: features.meanLightness,
                                     warmth: features.warmth, style: style.name, prompt: request.prompt,
                                     seed: requestSeed)

        let staging = try StagingDirectory(destination: directory)
        do {
            let progressShare = ProgressShare(versions: request.versions, report: progress)
            // The cover needs only the picture and the plan, so it is drawn on a thread of its own beside the
            // versions (issue 14): drawn after them, it kept one core busy while the other waited.
            let palette = features.palette.compactMap { rgb(hex: $0.hex) }
            let subtitle = "\(style.name) · \(plan.key) · \(plan.bpm) bpm"
            let coverURL = try staging.url("cover.png"), thumbnailURL = try staging.url("cover_thumb.png")
            async let cover: Void = OwnThread.run { _ in
                try clock.measure("cover") {
                    try CoverMaker.make(image: image, palette: palette, title: title, subtitle: subtitle, to: coverURL,
                                        thumbnail: thumbnailURL)
                }
            }
            let versions = try await withThrowingTaskGroup(of: Manifest.Version.self) { group in
                for index in 0..<request.versions {
                    let (versionPlan, versionStyle) = plan.forVersion(seed: seeds[index], style: style)
                    group.addTask {
                        try await OwnThread.run { cancellation in
                            try self.renderVersion(index: index, seed: seeds[index], conversionId: ids[index],
                                                   plan: versionPlan, style: versionStyle, title: title, request: request, staging: staging,
                                                   sampleRate: options.sampleRate, clock: clock, progress: progressShare,
                                                   preview: options.previewSink(version: index), cancellation: cancellation)
                        }
                    }
                }
                var done: [Manifest.Version] = []
                for try await version in group { done.append(version) }
                return done.sorted { a, b in ids.firstIndex(of: a.conversionId)! < ids.firstIndex(of: b.conversionId)! }
            }
            try Task.checkCancellation()
            progress(RenderProgress(stage: "cover", fraction: 0.97))
            try await cover
            var notes: [String] = []
            if let why = request.vocalsRefused {
                notes.append("\(why): this render is instrumental, as with make_instrumental")
            }
            if request.wantsVocals && plan.lyrics == nil {
                notes.append("vocals were requested but there is nothing to sing: this render is instrumental")
            }
            let manifest = Manifest(
                taskId: options.taskId, title: title, cover: "cover.png", coverThumbnail: "cover_thumb.png",
                analysis: Manifest.Analysis(features: features, scene: scene.things,
                                            decisions: Dictionary(plan.decisions.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }),
                                            decisionOrder: plan.decisions.map(\.name)),
                versions: versions, notes: notes)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(manifest).write(to: try staging.url("manifest.json"))
            try Task.checkCancellation()
            try staging.commit()
            progress(RenderProgress(stage: "done", fraction: 1))
            return RenderResult(directory: directory, manifest: manifest, timings: clock.timings)
        } catch {
            staging.discard()
            throw error
        }
    }

    /// One version: compose, sing, render the accompaniment, mix, master, encode, MIDI, timed lyrics.
    private func renderVersion(index: Int, seed: UInt64, conversionId: String, plan: MusicPlan, style: StylePreset,
                               title: String, request: SongRequest, staging: StagingDirectory, sampleRate: Int,
                               clock: TimingRecorder, progress: ProgressShare, preview: (@Sendable (Data) -> Void)?,
                               cancellation: OwnThread.Cancellation) throws -> Manifest.Version {
        let folder = "v\(index + 1)"
        progress.report(version: index, stage: "composition", within: 0)
        let vocalInput: VocalInput? = request.wantsVocals
            ? plan.lyrics.flatMap { lyrics in
                plan.pronounced.map {
                    VocalInput(lyrics: lyrics, pronounced: $0, base: plan.voice ?? .female,
                               register: request.voiceId.isEmpty ? nil : .catalogReference)
                }
            }
            : nil
        let score = clock.measure("composition", version: index) {
            Composer.compose(plan: plan, style: style, seed: seed, vocal: vocalInput)
        }
        try cancellation.check()

        // A preview hears a sung version's intro before the vocal is made (`PreviewIntro`).
        let previewStream = try preview.map { try PreviewStream(sampleRate: sampleRate, send: $0) }
        if let previewStream, score.vocal != nil, !request.vocalOnly {
            _ = try PreviewIntro.play(score: score, style: style, instruments: instruments, sampleRate: sampleRate,
                                      preview: previewStream)
        }

        // The vocal first: its envelope ducks the accompaniment, its lines give the sung spans.
        var vocal: VocalRender?
        var sungStem: SpilledBuffer?
        if score.vocal != nil {
            progress.report(version: index, stage: "singing", within: 0.05)
            // The stem goes to disk as the vocal chain makes it and waits there while the accompaniment renders
            // (Mixdown reads it back in pieces). A catalog voice converts the whole stem in memory first.
            let stemFile = try staging.url("\(folder)/.sung.f32")
            let voice = voices.voice(id: request.voiceId)
            var sung = try VocalRenderer.render(score: score, speech: Speech.shared, sampleRate: sampleRate,
                                                stemFile: voice == nil ? stemFile : nil)
            for (stage, seconds) in sung.stageSeconds {
                clock.record("vocal \(stage)", version: index, seconds: seconds, audio: sung.sungSeconds)
            }
            if let voice {
                try clock.measure("vocal conversion", version: index, audio: sung.sungSeconds) {
                    let converted = try VoiceConverter.convert([sung.stem.left, sung.stem.right], sampleRate: sampleRate,
                                                               voice: voice, seed: seed)
                    sung.stem = StereoBuffer(left: converted[0], right: converted[1], sampleRate: sampleRate)
                }
                sung.spilled = try SpilledBuffer.park(sung.stem, at: stemFile)
                sung.stem = StereoBuffer(frames: 0, sampleRate: sampleRate)
            }
            sungStem = sung.spilled
            vocal = sung
        }
        try cancellation.check()

        if !(request.vocalOnly && vocal != nil) {
            progress.report(version: index, stage: "synthesis", within: 0.1)
        }
        // Every song-length buffer waits on disk in the staging folder (docs/speed.md): the mix, mastered there in
        // passes, then encoded from there; the stems, gained there one at a time, then written.
        let mixdown = try Mixdown.make(score: score, vocal: vocal, sungStem: sungStem, vocalOnly: request.vocalOnly,
                                       style: style, instruments: instruments, sampleRate: sampleRate, clock: clock,
                                       version: index,
                                       preview: previewStream,
                                       spill: { try staging.url("\(folder)/.\($0).f32") })
        defer { mixdown.mix.remove() }
        var mix = try SpillFile(mixdown.mix)
        let instrumentalStem = mixdown.instrumental, vocalStem = mixdown.vocals
        try cancellation.check()
        progress.report(version: index, stage: "mastering", within: 0.6)
        // Mastered in place; the stems get the master's gain and section ride so they keep their level in the mix.
        // An a-cappella vocal is not ridden (there is no band to build against).
        // Nor is it matched to the style's target spectrum, which is a whole band's.
        let aCappella = request.vocalOnly && vocal != nil
        let sectionRide = aCappella ? [] : SectionDynamics.breakpoints(score)
        let mastered = try clock.measure("mastering", version: index, audio: mix.duration) {
            try Mastering.master(samples: &mix, ceilingDBTP: Self.masterCeiling, brightness: style[.brightness],
                                 compression: style[.compression], sectionRide: sectionRide,
                                 spectrumTarget: aCappella ? nil : style.targetSpectrum.flatMap(SpectrumTarget.init(preset:)))
        }
        let loudness = mastered.loudness, masterGain = mastered.gain
        let mixDuration = mix.duration, mixSpill = mixdown.mix
        // Once the master is made, the outputs are independent of one another: each format of the mix and each stem
        // with a part of its own is written by a job of its own, side by side (issue 14), so that the cores do not
        // wait on one another's encoder when the versions end apart. Every job reads the parked master or stem
        // through its own descriptor and writes its own file; the bytes do not depend on the order.
        let mixFiles = Dictionary(uniqueKeysWithValues: request.formats.map {
            ($0.rawValue, "\(folder)/mix.\($0.rawValue)")
        })
        progress.report(version: index, stage: "encode", within: 0.7)
        let stemParts: [(name: String, spilled: SpilledBuffer?)] = request.vocalOnly ? [("vocals", nil)]
            : vocal == nil ? [("instrumental", nil)] : [("instrumental", instrumentalStem), ("vocals", vocalStem)]
        let stems = Dictionary(uniqueKeysWithValues: stemParts.map { ($0.name, "\(folder)/\($0.name).wav") })
        let ownStems = stemParts.compactMap { part in part.spilled.map { (name: part.name, spilled: $0) } }
        var jobs: [@Sendable () throws -> Void] = request.formats.map { format in
            let path = mixFiles[format.rawValue]!
            return {
                try cancellation.check()
                try clock.measure("encode \(format.rawValue)", version: index, audio: mixDuration) {
                    try Self.writeWithinCeiling(try SpillFile(mixSpill, writable: false),
                                                loudness: loudness.integratedLUFS, to: try staging.url(path),
                                                format: format)
                }
            }
        }
        // The stems' stage is timed per stem, each given its share of the version's audio, so that the stage's
        // figures sum as when the stems were written one after the other.
        let stemShare = mixDuration / Double(max(1, ownStems.count))
        // The master's match EQ merged once for every stem of the version, not once a stem.
        let stemEQ = try Mastering.stemStages(mastered.eqStages, sampleRate: mix.sampleRate)
        for (name, spilled) in ownStems {
            let path = stems[name]!
            jobs.append {
                defer { spilled.remove() }
                try cancellation.check()
                try clock.measure("encode stems", version: index, audio: stemShare) {
                    var stem = try SpillFile(spilled)
                    try Mastering.applyMasterGain(samples: &stem, gain: masterGain, ceilingDBTP: Self.masterCeiling,
                                                  sectionRide: sectionRide, eqStages: stemEQ)
                    try AudioFile.write(stem, to: try staging.url(path), format: .wav)
                }
            }
        }
        try Self.sideBySide(jobs)
        // Alone in the mix (instrumental, or vocal only), the stem is the mastered mix itself: the WAV is copied
        // when one was written rather than encoding the same samples twice.
        for (alone, spilled) in stemParts where spilled == nil {
            let path = stems[alone]!
            try clock.measure("encode stems", version: index, audio: mixDuration) {
                if let mixWav = mixFiles[AudioFormat.wav.rawValue] {
                    try FileManager.default.copyItem(at: try staging.url(mixWav), to: try staging.url(path))
                } else {
                    try AudioFile.write(mix, to: try staging.url(path), format: .wav)
                }
            }
        }
        let midiPath = "\(folder)/song.mid"
        try clock.measure("midi", version: index) {
            try Data(MIDIFile.encode(score, title: title)).write(to: try staging.url(midiPath))
        }
        var lrcPath: String?
        if let vocal {
            let path = "lyrics-v\(index + 1).lrc"
            try Data(LRCFile.encode(title: title, lines: vocal.lyrics).utf8).write(to: try staging.url(path))
            lrcPath = path
        }
        progress.report(version: index, stage: "done", within: 1)
        return Manifest.Version(
            conversionId: conversionId, seed: seed, key: plan.key.description, bpm: plan.bpm, style: plan.style,
            duration: (mixDuration * 10).rounded() / 10, sampleRate: sampleRate,
            files: Manifest.Files(mix: mixFiles, instrumental: stems["instrumental"].map { ["wav": $0] },
                                  vocals: stems["vocals"].map { ["wav": $0] }, midi: midiPath, lrc: lrcPath),
            lyrics: vocal.map { _ in score.vocal?.lyrics.text ?? "" }, lyricsTimestamped: vocal?.lyrics,
            loudness: Manifest.Loudness(integratedLUFS: (loudness.integratedLUFS * 100).rounded() / 100,
                                        truePeakDBTP: (loudness.truePeakDBTP * 100).rounded() / 100),
            spectrum: mastered.eqStages.isEmpty ? nil : Manifest.Spectrum(
                bandsHz: SpectrumMatch.bands.map { ($0 * 10).rounded() / 10 },
                targetDB: mastered.bandsTarget.map { ($0 * 100).rounded() / 100 },
                beforeDB: mastered.bandsBefore.map { ($0 * 100).rounded() / 100 },
                eqHz: SpectrumMatch.filters,
                eqDB: mastered.eqStages.map { $0.map { (Double($0) * 100).rounded() / 100 } }))
    }

    /// Runs `jobs` side by side on the pool's threads (at most as many at once as there are cores) and, once all
    /// have ended, rethrows the error of the first that failed, by its place in `jobs`.
    static func sideBySide(_ jobs: [@Sendable () throws -> Void]) throws {
        let failures = Mutex<[Int: any Error]>([:])
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            do { try jobs[i]() } catch { failures.withLock { $0[i] = error } }
        }
        if let first = failures.withLock({ f in f.keys.min().map { f[$0]! } }) { throw first }
    }

    /// "#RRGGBB" -> bytes.
    func rgb(hex: String) -> (UInt8, UInt8, UInt8)? {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let v = UInt32(digits, radix: 16) else { return nil }
        return (UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
    }

    /// The limiter's true-peak ceiling. The contract's bar is -1 dBTP in every delivered format; MP3 and Vorbis
    /// encoding add overshoot of their own, so the master leaves room for it: measured up to +0.43 dB on MP3 (by
    /// pyloudnorm with 4x oversampling) before issue 11, up to +0.88 dB after it (a tuned kick, sidechained bass and
    /// section ride: MP3s at -1.06 dBTP from a -1.94 dBTP master), hence -2.0 (was -1.6).
    static let masterCeiling = -2.0

    /// The true peak a delivered lossy file may reach: the contract's -1 dBTP, less 0.1 dB for the difference
    /// between decoders.
    static let deliveredCeiling = -1.1

    /// Writes `mix` in `format`. A lossy file (MP3, Ogg Vorbis) is decoded again, in blocks, and its true peak
    /// measured; over `deliveredCeiling`, the master is limited once more for that file alone, its ceiling
    /// lowered by the overshoot found (plus 0.1 dB), gained back to the master's loudness, and encoded again, at
    /// most twice. The encoder's own overshoot depends on the material (noise-heavy builds and bright strikes
    /// under a -2 dBTP master: up to +1.9 dB, EDM with a riser), so no fixed margin in `masterCeiling` holds for
    /// every song. The WAV, FLAC and stems are untouched. `loudness`: the master's integrated loudness, as
    /// mastering measured it (`Mastered.loudness`).
    static func writeWithinCeiling<S: SongSamples>(_ mix: S, loudness: Double, to url: URL, format: AudioFormat) throws {
        try AudioFile.write(mix, to: url, format: format)
        guard format == .mp3 || format == .ogg else { return }
        var ceiling = masterCeiling
        for _ in 0..<2 {
            let peak = try AudioFile.truePeak(url)
            guard peak > deliveredCeiling else { return }
            ceiling -= peak - deliveredCeiling + 0.1
            try Mastering.writeLimited(mix, ceilingDBTP: ceiling, loudnessLUFS: loudness, to: url, format: format)
        }
    }

    func imageField(_ request: SongRequest) -> String {
        if case .url = request.image { return "image_url" }
        return "image_file"
    }

    func steering(_ request: SongRequest) -> Steering {
        var s = Steering(prompt: request.prompt, negativeTags: request.negativeTags, key: request.parsedKey,
                         bpm: request.bpm == 0 ? nil : request.bpm, duration: request.duration)
        s.vocals = request.wantsVocals
        s.lyrics = request.wantsVocals ? request.lyrics : ""
        s.voiceId = request.voiceId
        return s
    }

    /// The seed of the shared plan: the image bytes and every parameter that steers the plan, so the same request
    /// gets the same plan whatever version seeds it asks for.
    func planSeed(_ request: SongRequest, imageBytes: Data) -> UInt64 {
        var h = stableHash(imageBytes)
        let text = [request.prompt, request.negativeTags, request.key, String(request.bpm),
                    request.duration.map { String($0) } ?? "", request.makeInstrumental ? "i" : "", request.lyrics]
            + (request.voiceId.isEmpty ? [] : [request.voiceId])
        let joined = text.joined(separator: "\u{1F}")
        h = stableHash(Array(joined.utf8), seed: h)
        return h
    }

    /// Version 1 uses the base seed itself, so rendering with `--seed <a version's seed> --versions 1` reproduces
    /// that version; later versions derive their own.
    func versionSeed(base: UInt64, index: Int) -> UInt64 {
        if index == 0 { return base }
        var rng = SeededGenerator(seed: base).fork("version-\(index)")
        // Consecutive versions alternate the seed's parity, which picks the style's alternate sound
        // (MusicPlan.forVersion): two versions always differ in sound.
        return (rng.next() & ~1) | ((base ^ UInt64(index)) & 1)
    }
}

/// Thread-safe collection of stage timings.
final class TimingRecorder: Sendable {
    private let recorded = Mutex<[StageTiming]>([])

    var timings: [StageTiming] { recorded.withLock { $0 } }

    func record(_ stage: String, version: Int?, seconds: Double, audio: Double) {
        recorded.withLock { $0.append(StageTiming(stage: stage, version: version, seconds: seconds, audioSeconds: audio)) }
    }

    func measure<T>(_ stage: String, version: Int? = nil, audio: Double = 0, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        record(stage, version: version, seconds: seconds, audio: audio)
        return value
    }
}

/// Folds per-version progress into one overall fraction (versions run at once).
final class ProgressShare: Sendable {
    private let fractions: Mutex<[Double]>
    private let report: @Sendable (RenderProgress) -> Void

    init(versions: Int, report: @escaping @Sendable (RenderProgress) -> Void) {
        fractions = Mutex(Array(repeating: 0, count: versions))
        self.report = report
    }

    func report(version: Int, stage: String, within: Double) {
        let overall = fractions.withLock { fractions -> Double in
            fractions[version] = within
            return 0.1 + 0.85 * fractions.reduce(0, +) / Double(fractions.count)
        }
        report(RenderProgress(stage: "v\(version + 1) \(stage)", fraction: overall))
    }
}
