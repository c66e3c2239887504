import Foundation
internal import CDSP
internal import DSP

/// A version's mix as a WAV stream while it renders (issue 14, docs/speed.md "Streaming preview"), for
/// `RenderOptions.preview` (the first version: the CLI's `--stream`) and `RenderOptions.previews` (every version:
/// the server's stream per conversion): a listener hears the song start while the rest is still being made.
///
/// The preview goes through a **provisional master**, not the delivered one. The delivered master's gain comes from
/// the song's integrated loudness, which BS.1770 gates over the whole programme, so no file at the final gain can
/// start before the whole song is measured. The preview instead:
/// - levels the mix by its RMS so far (`targetRMSDB`), the gain moving smoothly across each window;
/// - in a sung version, puts the vocal over the ducked accompaniment with the balance gain measured so far
///   (the delivered balance is measured over every sung line);
/// - true-peak limits at `ceilingDBTP` (the mastering limiter, its look-ahead compensated, so the stream has
///   exactly the song's length).
///
/// It has no EQ, compressor or section ride. Its bytes are deterministic but are not the delivered files, and a
/// render with a preview delivers the same bytes as one without (a test checks both).
///
/// Stream: a 44-byte WAV header giving the exact length (16-bit stereo PCM at the song's rate), then the samples
/// in order. `send` is called on the version's render thread with each piece and must return quickly (queue the
/// bytes); the render does not wait for a listener.
final class PreviewStream {
    /// The provisional level: about the delivered master's -14 LUFS for a full mix.
    static let targetRMSDB: Float = -16
    /// At most this much gain (a quiet intro is not raised without bound).
    static let maximumGainDB: Float = 24
    static let ceilingDBTP: Float = -1

    private let send: @Sendable (Data) -> Void
    private let sampleRate: Int
    private let limiter: Limiter
    private var frames = 0
    private var written = 0
    /// Song frames already heard ahead of the render (`PreviewIntro`): the render's own windows up to here are
    /// skipped.
    private(set) var heardAhead = 0
    /// Output frames of the limiter still to drop (its look-ahead).
    private var toDrop: Int
    private var sumSquares = 0.0
    private var counted = 0
    private var gain: Float = 1

    init(sampleRate: Int, send: @escaping @Sendable (Data) -> Void) throws(DSPError) {
        self.send = send
        self.sampleRate = sampleRate
        limiter = try Limiter(sampleRate: Float(sampleRate), lookahead: Mastering.lookahead, ceilingDBTP: Self.ceilingDBTP,
                              release: Mastering.limiterRelease)
        toDrop = limiter.latency
    }

    /// The song is `frames` long: the header, sent with the first samples. (Called again by the render after an
    /// intro heard ahead: the same length.)
    func begin(frames: Int) {
        self.frames = frames
    }

    /// The intro was heard ahead of the render, through song frame `frames`.
    func heardAhead(through frames: Int) { heardAhead = frames }

    /// The song's next `frames.count` frames, held in `buffer`'s `frames`.
    func add(_ buffer: StereoBuffer, frames: Range<Int>) {
        let count = frames.count
        guard count > 0 else { return }
        var l = Array(buffer.left[frames]), r = Array(buffer.right[frames])
        for i in 0..<count { sumSquares += Double(l[i] * l[i] + r[i] * r[i]) }
        counted += 2 * count
        let rms = sqrt(sumSquares / Double(max(1, counted)))
        var next = gain
        if rms > 1e-6 {
            let wanted = Self.targetRMSDB - 20 * log10(Float(rms))
            next = cdsp_db_to_gain(min(Self.maximumGainDB, wanted))
        }
        // The gain ramps from the last window's to this one's, so a change is not a click.
        for i in 0..<count {
            let g = gain + (next - gain) * Float(i + 1) / Float(count)
            l[i] *= g
            r[i] *= g
        }
        gain = next
        limit(&l, &r)
    }

    /// The end of the song: the limiter's look-ahead is flushed.
    func finish() {
        var tailL = [Float](repeating: 0, count: limiter.latency), tailR = tailL
        limit(&tailL, &tailR)
    }

    private func limit(_ l: inout [Float], _ r: inout [Float]) {
        let n = l.count
        limiter.process(left: &l, right: &r)
        let drop = min(toDrop, n)
        toDrop -= drop
        let keep = min(n - drop, frames - written)
        guard keep > 0 else { return }
        // The header goes with the first samples.
        var bytes = written == 0 ? Self.header(frames: frames, sampleRate: sampleRate) : Data()
        var pcm = [Int16](repeating: 0, count: 2 * keep)
        for i in 0..<keep {
            pcm[2 * i] = Self.sample(l[drop + i])
            pcm[2 * i + 1] = Self.sample(r[drop + i])
        }
        pcm.withUnsafeBytes { raw in
            // WAV is little-endian; so is every platform Swift runs this on, which the header's own writes assume too.
            bytes.append(contentsOf: raw)
        }
        written += keep
        send(bytes)
    }

    private static func sample(_ x: Float) -> Int16 {
        Int16((max(-1, min(1, x)) * 32767).rounded())
    }

    /// The 44-byte header of a 16-bit stereo PCM WAV file of `frames` frames.
    static func header(frames: Int, sampleRate: Int) -> Data {
        var d = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
        let dataBytes = frames * 4
        d.append(contentsOf: Array("RIFF".utf8)); u32(36 + dataBytes)
        d.append(contentsOf: Array("WAVE".utf8))
        d.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(2); u32(sampleRate); u32(sampleRate * 4); u16(4); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(dataBytes)
        return d
    }
}

/// The intro of a sung version, heard before its vocal is made (issue 14, time to first audio).
///
/// A sung version makes its whole vocal first (the accompaniment is ducked under it, with a threshold from the
/// loudest vocal block), so its own windows reach the preview only after the singing stage, over a second in. The
/// intro before the first sung note needs no vocal: it is rendered ahead, from the same score with the same
/// renderer, into the preview alone, and the render's own windows of it are skipped there. The delivered files
/// are untouched (this render's samples go nowhere else). The cost is the intro rendered twice (a few seconds of
/// audio), only when a preview is asked for.
enum PreviewIntro {
    /// The vocal may start this long before its first note (consonants sit before the beat; breath).
    static let vocalLead = 1.0
    /// At most this much is heard ahead: the render's own windows take over long before a listener gets there.
    static let maximumSeconds = 20.0

    /// Song frames that can be heard without the vocal: whole windows before the first sung note, less the lead.
    static func frames(_ score: Score, sampleRate: Int) -> Int {
        // The first note a syllable sings (the vocals track may hold notes no line sings).
        guard let vocal = score.vocal, let track = score.tracks.first(where: { $0.role == .vocals }),
              let first = vocal.lines.flatMap(\.syllables).flatMap(\.notes)
                  .compactMap({ track.notes.indices.contains($0) ? track.notes[$0].start : nil }).min()
        else { return 0 }
        let seconds = min(maximumSeconds, first * score.secondsPerBeat - vocalLead)
        guard seconds > 0 else { return 0 }
        return Int(seconds * Double(sampleRate)) / Renderer.windowFrames * Renderer.windowFrames
    }

    /// Renders the first `frames(score)` frames of the accompaniment into `preview`; returns the frames heard.
    static func play(score: Score, style: StylePreset, instruments: InstrumentLibrary, sampleRate: Int,
                     preview: PreviewStream) throws -> Int {
        let through = frames(score, sampleRate: sampleRate)
        guard through > 0 else { return 0 }
        let sink = Sink(preview: preview, through: through)
        do {
            _ = try Renderer.render(score: score, style: style, instruments: instruments, sampleRate: sampleRate,
                                    parallel: true, sink: sink)
        } catch Sink.Enough.reached {}
        preview.heardAhead(through: sink.heard)
        return sink.heard
    }

    private final class Sink: MixSink {
        enum Enough: Error { case reached }
        let preview: PreviewStream
        let through: Int
        var heard = 0

        init(preview: PreviewStream, through: Int) {
            self.preview = preview
            self.through = through
        }

        func begin(frames: Int, sampleRate: Int) throws { preview.begin(frames: frames) }

        func take(_ window: inout StereoBuffer, at start: Int, count: Int) throws {
            let n = min(count, through - start)
            if n > 0 {
                preview.add(window, frames: 0..<n)
                heard = start + n
            }
            if start + count >= through { throw Enough.reached }
        }
    }
}
