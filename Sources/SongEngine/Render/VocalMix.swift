internal import CDSP
internal import DSP
import Foundation

/// Puts the sung vocal over the accompaniment: the instrumental is ducked where the voice sings (a wide dip in
/// the band the voice lives in, plus a little broadband), and the vocal is levelled against the instrumental over
/// the sung spans, so the voice sits a fixed, measured amount above the band in every song.
enum VocalMix {
    /// Vocal level over the instrumental in sung spans (RMS, dB). Issue 3 asks for -2...+6; +2 sits in the middle
    /// and keeps the words clear without the voice sounding pasted on.
    static let vocalOverInstrumentalDB = 2.0
    /// The dip in the voice's band when it sings, and the broadband duck on top of it.
    static let bandDuckDB: Float = -4.5
    static let broadDuckDB: Float = -1.5
    static let bandCentreHz: Float = 1800
    static let bandQ: Float = 0.7
    /// Control block for the ducking envelope (5.8 ms at 44.1 kHz).
    static let block = 256

    /// Sung spans in seconds: [start, end) of every sung line.
    typealias Span = (start: Double, end: Double)

    /// RMS (dB, both channels) of a buffer parked on disk over `spans`, each span read back alone (a line, a few
    /// seconds); nil when the spans hold no samples or only silence.
    static func rmsDB(_ spilled: SpilledBuffer, over spans: [Span]) throws -> Double? {
        try rmsDB(frames: spilled.frames, sampleRate: spilled.sampleRate, over: spans) { a, b in
            let piece = try spilled.read(a..<b)
            return (cdsp_rms(piece.left, piece.frames), cdsp_rms(piece.right, piece.frames))
        }
    }

    /// The span arithmetic: `segment(a, b)` is the RMS of each channel over frames a..<b.
    private static func rmsDB(frames: Int, sampleRate: Int, over spans: [Span],
                              segment: (Int, Int) throws -> (Float, Float)) rethrows -> Double? {
        var sum = 0.0
        var count = 0
        let sr = Double(sampleRate)
        for s in spans {
            let a = max(0, min(frames, Int(s.start * sr)))
            let b = max(a, min(frames, Int(s.end * sr)))
            guard b > a else { continue }
            let (l, r) = try segment(a, b)
            let rl = Double(l), rr = Double(r)
            sum += Double(b - a) * (rl * rl + rr * rr)
            count += 2 * (b - a)
        }
        guard count > 0, sum > 0 else { return nil }
        return 10 * log10(sum / Double(count))
    }

    /// Per-block ducking amount 0...1 from the level of a vocal parked on disk (read back `pieceFrames` at a
    /// time): 1 while the voice sings (above its loudest block minus 30 dB), with a 20 ms attack and a 250 ms release.
    static func duckEnvelope(_ spilled: SpilledBuffer) throws -> [Float] {
        var levels = [Float](repeating: -200, count: (spilled.frames + block - 1) / block)
        try spilled.forEachPiece(pieceFrames) { piece, start in blockLevels(piece, into: &levels, from: start / block) }
        return duckEnvelope(levels: levels, sampleRate: spilled.sampleRate)
    }

    /// Frames of a parked vocal made (`VocalChain.mix(_:frames:sink:)`) and read back here at a time: whole
    /// envelope blocks and whole render blocks (so block boundaries, and with them every sample, are those of the
    /// whole-buffer path), about 3 s.
    static let pieceFrames = 32 * renderBlock

    /// The level (dB, -200 for silence) of each envelope block of `piece`, whose first frame starts block
    /// `first`.
    private static func blockLevels(_ piece: StereoBuffer, into levels: inout [Float], from first: Int) {
        let blocks = (piece.frames + block - 1) / block
        piece.left.withUnsafeBufferPointer { l in
            piece.right.withUnsafeBufferPointer { r in
                for b in 0..<blocks where first + b < levels.count {
                    let a = b * block, n = min(block, piece.frames - a)
                    let rms = 0.5 * (cdsp_rms(l.baseAddress! + a, n) + cdsp_rms(r.baseAddress! + a, n))
                    levels[first + b] = rms > 1e-9 ? 20 * log10(rms) : -200
                }
            }
        }
    }

    private static func duckEnvelope(levels: [Float], sampleRate: Int) -> [Float] {
        let blocks = levels.count
        let loudest = levels.max() ?? -200
        let threshold = loudest - 30
        let blockSeconds = Float(block) / Float(sampleRate)
        let attack = 1 - exp(-blockSeconds / 0.02)
        let release = 1 - exp(-blockSeconds / 0.25)
        var env = [Float](repeating: 0, count: blocks)
        var y: Float = 0
        for b in 0..<blocks {
            let target: Float = levels[b] > threshold ? 1 : 0
            y += (target - y) * (target > y ? attack : release)
            env[b] = y
        }
        return env
    }

    /// Ducks the instrumental following `envelope` (from `duckEnvelope`), a window at a time as the renderer makes
    /// it (issue 14: the sung accompaniment is never a whole-song buffer): the band filter of each channel keeps its
    /// state from window to window, and its setting changes at the same envelope blocks as over the whole song.
    final class Ducker {
        private let envelope: [Float]
        private let filters: [Biquad]

        init(envelope: [Float], sampleRate: Int) throws(DSPError) {
            self.envelope = envelope
            let sr = Float(sampleRate)
            filters = [try Biquad(sampleRate: sr, kind: CDSP_EQ_PEAK, frequency: bandCentreHz, q: bandQ, gainDB: 0),
                       try Biquad(sampleRate: sr, kind: CDSP_EQ_PEAK, frequency: bandCentreHz, q: bandQ, gainDB: 0)]
        }

        /// Ducks frames `start..<start + count` of the song, held in `buffer`'s first `count` frames. Windows come in
        /// order, each starting on an envelope block (`start` a multiple of `block`).
        func process(_ buffer: inout StereoBuffer, at start: Int, count: Int) {
            precondition(start % block == 0 && count <= buffer.frames, "a window starts on an envelope block")
            func run(_ x: inout [Float], _ eq: Biquad) {
                x.withUnsafeMutableBufferPointer { p in
                    var a = start
                    while a < start + count {
                        let b = a / block, n = min(block, start + count - a)
                        let amount = b < envelope.count ? envelope[b] : 0
                        eq.set(kind: CDSP_EQ_PEAK, frequency: bandCentreHz, q: bandQ, gainDB: bandDuckDB * amount)
                        eq.process(p.baseAddress! + (a - start), count: n)
                        cdsp_gain(p.baseAddress! + (a - start), n, cdsp_db_to_gain(broadDuckDB * amount))
                        a += block
                    }
                }
            }
            run(&buffer.left, filters[0])
            run(&buffer.right, filters[1])
        }
    }

    /// The gain that puts the vocal `vocalOverInstrumentalDB` over the (ducked) instrumental across `spans`, both
    /// parked on disk.
    static func balanceGain(vocal: SpilledBuffer, instrumental: SpilledBuffer, spans: [Span]) throws -> Float {
        balanceGain(vocalDB: try rmsDB(vocal, over: spans), instrumentalDB: try rmsDB(instrumental, over: spans))
    }

    private static func balanceGain(vocalDB: Double?, instrumentalDB: Double?) -> Float {
        guard let v = vocalDB, let i = instrumentalDB else { return 1 }
        return Float(pow(10, (i + vocalOverInstrumentalDB - v) / 20))
    }
}
