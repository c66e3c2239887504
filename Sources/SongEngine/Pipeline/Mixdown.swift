import Foundation

/// One version's mixdown: the accompaniment rendered and ducked under the vocal, the vocal balanced against it, and
/// the stems that go with the mix. Mastering, encoding and the files come after, in `ChromasongEngine.renderVersion`.
struct Mixdown {
    /// The whole mix, not yet mastered, parked on disk (mastering passes over it there: `SpillFile`).
    var mix: SpilledBuffer
    /// The accompaniment alone, when a vocal was mixed over it, parked on disk until the stems are written; nil when
    /// the mix is one part (then the stem is the mix itself).
    var instrumental: SpilledBuffer?
    /// The vocal as balanced in the mix, when it was mixed over an accompaniment, parked likewise; nil otherwise.
    var vocals: SpilledBuffer?

    /// `vocalOnly` with a vocal: the a-cappella vocal is the mix and nothing of the accompaniment is rendered.
    /// Otherwise the accompaniment is rendered, and a vocal, when there is one, ducks it (its envelope) and is
    /// scaled to sit at the style's balance over it in the sung spans.
    ///
    /// No song-length buffer is in memory (issue 14, docs/speed.md): the mix goes to disk as it is made. An
    /// instrumental mix is written window by window as the renderer makes it, its low end made mono on the way
    /// (`SpilledMix`). With a vocal, the vocal's stem comes parked on disk (`sungStem`; `vocal` carries its lyrics
    /// and timings), and the accompaniment goes there too as the renderer makes it: each window is ducked under
    /// the vocal's envelope and written (`DuckedAccompaniment`). Then both are read back a few seconds at a time:
    /// their levels in each sung line (the balance gain), then piece by piece the mono low end of each, each stem
    /// written as it goes, and their sum written to the mix. Every sample is the same as with whole buffers:
    /// windows and pieces are whole render and envelope blocks, and the filters keep their state.
    /// `spill` names the file a buffer waits in, in the render's staging folder. `preview`, when given, hears the
    /// mix window by window as it is made (`PreviewStream`); the delivered samples are the same with it or without.
    static func make(score: Score, vocal: VocalRender?, sungStem: SpilledBuffer?, vocalOnly: Bool, style: StylePreset,
                     instruments: InstrumentLibrary, sampleRate: Int, clock: TimingRecorder, version: Int,
                     preview: PreviewStream? = nil, spill: (String) throws -> URL) throws -> Mixdown {
        if vocalOnly, let sungStem {
            if let preview {
                preview.begin(frames: sungStem.frames)
                try sungStem.forEachPiece(Renderer.windowFrames) { piece, _ in preview.add(piece, frames: 0..<piece.frames) }
                preview.finish()
            }
            return Mixdown(mix: sungStem, instrumental: nil, vocals: nil)
        }
        let musicSeconds = score.durationSeconds
        guard let sung = vocal, let sungStem else {
            let spilled = SpilledMix(at: try spill("mix"), preview: preview)
            let rendered = try Renderer.render(score: score, style: style, instruments: instruments,
                                               sampleRate: sampleRate, parallel: true, sink: spilled)
            clock.record("synthesis", version: version, seconds: rendered.synthesisSeconds, audio: musicSeconds)
            clock.record("effects+mix", version: version, seconds: rendered.effectsSeconds, audio: musicSeconds)
            // The mono low end (LowEnd), in the sink; the section ride comes in mastering.
            clock.record("low end", version: version, seconds: rendered.sinkSeconds, audio: musicSeconds)
            return Mixdown(mix: try spilled.finish(), instrumental: nil, vocals: nil)
        }
        let ducked = try clock.measure("vocal mix", version: version, audio: sung.sungSeconds) {
            try DuckedAccompaniment(at: try spill("accompaniment"), envelope: try VocalMix.duckEnvelope(sungStem),
                                    sampleRate: sampleRate,
                                    preview: try preview.map { try VocalPreview(preview: $0, vocal: sungStem, lines: sung) })
        }
        let rendered = try Renderer.render(score: score, style: style, instruments: instruments, sampleRate: sampleRate,
                                           parallel: true, sink: ducked)
        clock.record("synthesis", version: version, seconds: rendered.synthesisSeconds, audio: musicSeconds)
        clock.record("effects+mix", version: version, seconds: rendered.effectsSeconds, audio: musicSeconds)
        clock.record("vocal mix", version: version, seconds: rendered.sinkSeconds, audio: sung.sungSeconds)
        return try clock.measure("vocal mix", version: version, audio: sung.sungSeconds) {
            let accompaniment = try ducked.finish()
            defer { accompaniment.remove() }
            let gain = try VocalMix.balanceGain(vocal: sungStem, instrumental: accompaniment, spans: sung.sungSpans)
            // The balance is set; the low end goes mono (the section ride comes in mastering, on mix and stems).
            // The two stems are read back side by side, piece by piece, and their sum is the mix.
            let frames = accompaniment.frames
            let mix = try SpillWriter(at: try spill("mix"), frames: frames, sampleRate: sampleRate)
            let instrumental = try SpillWriter(at: try spill("instrumental"), frames: frames, sampleRate: sampleRate)
            let vocals = try SpillWriter(at: try spill("vocals"), frames: sungStem.frames, sampleRate: sampleRate)
            let bandLowEnd = try LowEnd.MonoBass(sampleRate: sampleRate)
            let voiceLowEnd = try LowEnd.MonoBass(sampleRate: sampleRate)
            for start in stride(from: 0, to: max(frames, sungStem.frames), by: VocalMix.pieceFrames) {
                let range = start..<start + VocalMix.pieceFrames
                var sum: StereoBuffer?
                if start < frames {
                    var band = try accompaniment.read(range)
                    bandLowEnd.process(&band)
                    try instrumental.write(band, at: start)
                    sum = band
                }
                if start < sungStem.frames {
                    var voice = try sungStem.read(range)
                    Samples.scale(&voice.left, gain)
                    Samples.scale(&voice.right, gain)
                    voiceLowEnd.process(&voice)
                    try vocals.write(voice, at: start)
                    if let frames = sum?.frames {
                        addStereo(voice.left, voice.right, count: min(voice.frames, frames), gain: 1, into: &sum!, at: 0)
                    }
                }
                if let sum { try mix.write(sum, at: start) }
            }
            sungStem.remove()
            return Mixdown(mix: try mix.finish(), instrumental: try instrumental.finish(), vocals: try vocals.finish())
        }
    }
}

/// The sung accompaniment as the renderer makes it: each window ducked under the vocal's envelope and written to
/// disk, so it is never a whole-song buffer in memory (issue 14); with a preview, each window also goes to it
/// with the vocal over it.
private final class DuckedAccompaniment: MixSink {
    private let url: URL
    private let ducker: VocalMix.Ducker
    private let preview: VocalPreview?
    private var writer: SpillWriter?

    init(at url: URL, envelope: [Float], sampleRate: Int, preview: VocalPreview?) throws {
        self.url = url
        self.preview = preview
        ducker = try VocalMix.Ducker(envelope: envelope, sampleRate: sampleRate)
    }

    func begin(frames: Int, sampleRate: Int) throws {
        writer = try SpillWriter(at: url, frames: frames, sampleRate: sampleRate)
        preview?.preview.begin(frames: frames)
    }

    func take(_ window: inout StereoBuffer, at start: Int, count: Int) throws {
        ducker.process(&window, at: start, count: count)
        try writer!.write(window, at: start)
        try preview?.add(window, at: start, count: count)
    }

    /// The ducked accompaniment, parked.
    func finish() throws -> SpilledBuffer {
        guard let writer else { preconditionFailure("the render did not begin") }
        preview?.preview.finish()
        return try writer.finish()
    }
}

/// The preview of a sung version: the vocal over each ducked window at the balance measured so far (the delivered
/// balance is measured over every sung line once the accompaniment is whole).
private final class VocalPreview {
    let preview: PreviewStream
    private let vocal: SpilledBuffer
    private let spans: [Range<Int>]
    private let vocalDB: Double?
    private var sumSquares = 0.0
    private var counted = 0

    init(preview: PreviewStream, vocal: SpilledBuffer, lines: VocalRender) throws {
        self.preview = preview
        self.vocal = vocal
        let spans = lines.sungSpans
        vocalDB = try VocalMix.rmsDB(vocal, over: spans)
        let sr = Double(vocal.sampleRate)
        self.spans = spans.map { Int($0.start * sr)..<max(Int($0.start * sr), Int($0.end * sr)) }
    }

    func add(_ window: StereoBuffer, at start: Int, count: Int) throws {
        // Heard ahead of the render (`PreviewIntro`: whole windows, before the first sung note).
        if start + count <= preview.heardAhead { return }
        var mix = StereoBuffer(left: Array(window.left.prefix(count)), right: Array(window.right.prefix(count)),
                               sampleRate: window.sampleRate)
        // The accompaniment's level in the sung spans so far, or everywhere so far before the first line.
        let frames = start..<start + count
        var sungSquares = 0.0, sung = 0
        for span in spans where span.overlaps(frames) {
            let part = span.clamped(to: frames)
            for i in part { sungSquares += Double(mix.left[i - start] * mix.left[i - start] + mix.right[i - start] * mix.right[i - start]) }
            sung += 2 * part.count
        }
        if sung > 0 || counted > 0 {
            sumSquares += sungSquares
            counted += sung
        }
        var gain: Float = 1
        if let vocalDB, counted > 0, sumSquares > 0 {
            let accompanimentDB = 10 * log10(sumSquares / Double(counted))
            gain = Float(pow(10, (accompanimentDB + VocalMix.vocalOverInstrumentalDB - vocalDB) / 20))
        }
        if start < vocal.frames {
            let voice = try vocal.read(frames)
            addStereo(voice.left, voice.right, count: min(voice.frames, count), gain: gain, into: &mix, at: 0)
        }
        preview.add(mix, frames: 0..<count)
    }
}

/// The instrumental mix written to disk window by window as the renderer makes it, its low end made mono
/// (`LowEnd.MonoBass`: windows are whole render blocks); a preview hears each window first, as rendered.
private final class SpilledMix: MixSink {
    private let url: URL
    private let preview: PreviewStream?
    private var writer: SpillWriter?
    private var lowEnd: LowEnd.MonoBass?

    init(at url: URL, preview: PreviewStream?) {
        self.url = url
        self.preview = preview
    }

    func begin(frames: Int, sampleRate: Int) throws {
        writer = try SpillWriter(at: url, frames: frames, sampleRate: sampleRate)
        lowEnd = try LowEnd.MonoBass(sampleRate: sampleRate)
        preview?.begin(frames: frames)
    }

    func take(_ window: inout StereoBuffer, at start: Int, count: Int) throws {
        if let preview, start + count > preview.heardAhead { preview.add(window, frames: 0..<count) }
        var piece = count == window.frames ? window : StereoBuffer(left: Array(window.left.prefix(count)),
                                                                   right: Array(window.right.prefix(count)),
                                                                   sampleRate: window.sampleRate)
        lowEnd!.process(&piece)
        try writer!.write(piece, at: start)
    }

    /// The mix, parked; the preview is finished.
    func finish() throws -> SpilledBuffer {
        guard let writer else { preconditionFailure("the render did not begin") }
        preview?.finish()
        return try writer.finish()
    }
}
