import Foundation
internal import CDSP
internal import DSP

/// The vocal's processing from dry sung lines to the `vocals` stem: per line a high-pass at 90 Hz (rumble and
/// plosive thumps out), a small cut of boxiness near 350 Hz and a presence lift near 3 kHz (the singer's formant
/// region, Saitou et al. 2007); lines placed in time (a doubled copy of chorus lines, sung again with another
/// fluctuation seed, 15 ms later and panned off centre); a soft breath before phrases that follow a rest; then for
/// the whole stem a level set from the sung RMS, gentle compression and a reverb send whose return is ducked by
/// the dry voice, so the room blooms in the rests and stays out of the words (a reverb under the words and a loud
/// double took pocketsphinx's WER on the stem from 54% dry to 88%; see `reverbDuckDB`).
struct VocalChain {
    var sampleRate: Int
    /// RMS over the sounding spans the dry vocal is brought to before compression, dBFS.
    var targetRMS: Double = -20
    var doubleDelay = 0.015
    /// The chorus double's level under the main take. At -5 dB its 15 ms comb and pitch beating blurred the
    /// words (WER +4 points at -12 dB already); it thickens, it does not compete.
    var doubleGainDB: Float = -14
    var doublePan: Float = 0.45
    /// The reverb send. Even ducked, the room cost words: at -13 dB the sung stems of 3 lyric files x 3 seeds
    /// read 46.0% WER (female) / 27.0% (male), at -20 dB 41.0% / 24.1%, with no reverb 40.7% (female).
    var reverbSendDB: Float = -20
    /// The reverb return is compressed by the dry stem as key: above this level (dBFS) with `reverbDuckRatio`,
    /// 5 ms attack, 0.4 s release, so while the voice sings (about -20 dBFS) the return sits ~18 dB lower.
    var reverbDuckDB: Float = -40
    var reverbDuckRatio: Float = 10
    var breathDB: Float = -34

    /// One line to place: the main take, an optional double, and where breathing may go.
    struct Placed {
        var main: Singer.Phrase
        var double: Singer.Phrase?
        var seed: UInt64
        /// The takes' samples when they wait on disk (`TakeFile`; then the phrases' `samples` are empty).
        var mainTake: TakeFile.Take? = nil
        var doubleTake: TakeFile.Take? = nil
    }

    /// Per-line EQ, in place (mono, at the chain's rate).
    func equalise(_ samples: inout [Float]) throws {
        guard !samples.isEmpty else { return }
        let sr = Float(sampleRate)
        try Biquad(sampleRate: sr, kind: CDSP_EQ_HIGHPASS, frequency: 90, q: 0.707, gainDB: 0).process(&samples)
        try Biquad(sampleRate: sr, kind: CDSP_EQ_PEAK, frequency: 350, q: 1.0, gainDB: -2).process(&samples)
        try Biquad(sampleRate: sr, kind: CDSP_EQ_PEAK, frequency: 3000, q: 0.9, gainDB: 3.5).process(&samples)
    }

    /// Builds the stem of `frames` frames from the placed lines.
    func mix(_ lines: [Placed], frames: Int) throws -> StereoBuffer {
        var stem = StereoBuffer(frames: frames, sampleRate: sampleRate)
        try mix(lines, frames: frames) { piece, start in
            stem.left.replaceSubrange(start..<start + piece.frames, with: piece.left)
            stem.right.replaceSubrange(start..<start + piece.frames, with: piece.right)
        }
        return stem
    }

    /// Builds the stem of `frames` frames a piece at a time and hands each piece, in order, to `sink` with its
    /// first frame (issue 14: the stem goes to disk as it is made, and a song-length vocal never sits in memory).
    /// The same samples as the whole stem: every line, double and breath is added to each piece it reaches, in
    /// the same order, and the compressor, the reverb and its ducker keep their state from piece to piece.
    func mix(_ lines: [Placed], frames: Int, sink: (StereoBuffer, Int) throws -> Void) throws {
        let sr = Double(sampleRate)
        // Level: the main takes' RMS over their sounding spans.
        var energy = 0.0, count = 0
        for line in lines {
            let main = try line.mainTake?.read(0..<line.mainTake!.count) ?? line.main.samples
            for span in line.main.spans {
                let a = max(0, Int((span.lowerBound - line.main.start) * sr))
                let b = min(main.count, Int((span.upperBound - line.main.start) * sr))
                guard a < b else { continue }
                let rms = main.withUnsafeBufferPointer { Double(cdsp_rms($0.baseAddress! + a, b - a)) }
                energy += rms * rms * Double(b - a)
                count += b - a
            }
        }
        guard count > 0, energy > 0 else {
            var start = 0
            while start < frames {
                try sink(StereoBuffer(frames: min(VocalMix.pieceFrames, frames - start), sampleRate: sampleRate), start)
                start += VocalMix.pieceFrames
            }
            return
        }
        let rms = (energy / Double(count)).squareRoot()
        let gain = Float(pow(10, targetRMS / 20) / rms)

        // Every sound to add, in the order the whole-stem path added them: per line (by start) its main take, its
        // double, then the breath before it.
        struct Sound {
            var samples: [Float]
            var offset: Int
            var gain: Float
            var pan: Float
            var take: TakeFile.Take? = nil
        }
        var sounds: [Sound] = []
        func offset(_ time: Double) -> Int { Int((time * sr).rounded()) }
        var previousEnd = -Double.infinity
        for line in lines.sorted(by: { $0.main.start < $1.main.start }) {
            sounds.append(Sound(samples: line.main.samples, offset: offset(line.main.start), gain: gain, pan: 0,
                                take: line.mainTake))
            if let d = line.double {
                sounds.append(Sound(samples: d.samples, offset: offset(d.start + doubleDelay),
                                    gain: gain * cdsp_db_to_gain(doubleGainDB), pan: doublePan, take: line.doubleTake))
            }
            // A breath in the rest before a phrase: 0.25 s of band-limited noise, swelling and fading, ending 40 ms
            // before the first consonant.
            if let first = line.main.spans.first?.lowerBound, first - previousEnd > 0.7 {
                sounds.append(Sound(samples: try breath(seed: line.seed), offset: offset(first - 0.04 - 0.25), gain: 1,
                                    pan: 0))
            }
            previousEnd = max(previousEnd, line.main.spans.last?.upperBound ?? previousEnd)
        }

        let compressor = try Compressor(sampleRate: Float(sr), thresholdDB: -22, ratio: 3, attack: 0.005, release: 0.09,
                                        kneeDB: 6)
        // Reverb send, 100% wet, ducked under the dry voice (its key) and added back, one block at a time.
        let reverb = try Reverb(sampleRate: Float(sr), size: 0.45, damping: 0.55, width: 0.9, predelay: 0.03)
        let ducker = try Compressor(sampleRate: Float(sr), thresholdDB: reverbDuckDB, ratio: reverbDuckRatio,
                                    attack: 0.005, release: 0.4, kneeDB: 6)
        let send = cdsp_db_to_gain(reverbSendDB)
        var sendL = [Float](repeating: 0, count: renderBlock), sendR = [Float](repeating: 0, count: renderBlock)
        var wetL = [Float](repeating: 0, count: renderBlock), wetR = [Float](repeating: 0, count: renderBlock)
        var pieceStart = 0
        while pieceStart < frames {
            let length = min(VocalMix.pieceFrames, frames - pieceStart)
            var left = [Float](repeating: 0, count: length), right = left
            for sound in sounds {
                let at = sound.offset - pieceStart
                if let take = sound.take {
                    // Only the part of a parked take that falls in this piece is read.
                    let from = max(0, -at), to = min(take.count, length - at)
                    guard from < to else { continue }
                    add(try take.read(from..<to), at: at + from, gain: sound.gain, pan: sound.pan, into: &left, &right)
                } else {
                    add(sound.samples, at: at, gain: sound.gain, pan: sound.pan, into: &left, &right)
                }
            }
            compressor.process(left: &left, right: &right)
            left.withUnsafeMutableBufferPointer { l in
                right.withUnsafeMutableBufferPointer { r in
                    sendL.withUnsafeMutableBufferPointer { sl in
                        sendR.withUnsafeMutableBufferPointer { sr in
                            wetL.withUnsafeMutableBufferPointer { wl in
                                wetR.withUnsafeMutableBufferPointer { wr in
                                    forEachBlock(length) { start, count in
                                        let dryL = l.baseAddress! + start, dryR = r.baseAddress! + start
                                        sl.baseAddress!.update(from: dryL, count: count)
                                        sr.baseAddress!.update(from: dryR, count: count)
                                        cdsp_gain(sl.baseAddress!, count, send)
                                        cdsp_gain(sr.baseAddress!, count, send)
                                        reverb.process(inLeft: sl.baseAddress!, inRight: sr.baseAddress!,
                                                       outLeft: wl.baseAddress!, outRight: wr.baseAddress!, frames: count)
                                        cdsp_compressor_process(ducker.handle, wl.baseAddress!, wr.baseAddress!, dryL,
                                                                dryR, count)
                                        cdsp_mix_add_stereo(wl.baseAddress!, wr.baseAddress!, count, 1, dryL, dryR)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            try sink(StereoBuffer(left: left, right: right, sampleRate: sampleRate), pieceStart)
            pieceStart += length
        }
    }

    /// `samples` added at frame `offset` of `left`/`right` (the part that falls inside them), panned.
    private func add(_ samples: [Float], at offset: Int, gain: Float, pan: Float, into left: inout [Float],
                     _ right: inout [Float]) {
        let from = max(0, -offset), to = min(samples.count, left.count - offset)
        guard from < to else { return }
        let count = to - from
        samples.withUnsafeBufferPointer { s in
            left.withUnsafeMutableBufferPointer { l in
                right.withUnsafeMutableBufferPointer { r in
                    cdsp_mix_add_panned(s.baseAddress! + from, count, gain, pan, l.baseAddress! + offset + from,
                                        r.baseAddress! + offset + from)
                }
            }
        }
    }

    /// A breath: 0.25 s of pink noise, band-passed, at `breathDB` under the vocal's target level, swelling over
    /// 70% and fading over the last 30%.
    private func breath(seed: UInt64) throws -> [Float] {
        let sr = Double(sampleRate)
        let length = Int(0.25 * sr)
        let noise = try Noise(color: CDSP_NOISE_PINK, seed: seed ^ 0xB4EA_7000)
        var b = [Float](repeating: 0, count: length)
        b.withUnsafeMutableBufferPointer { noise.process($0.baseAddress!, count: length) }
        try Biquad(sampleRate: Float(sr), kind: CDSP_EQ_BANDPASS, frequency: 1800, q: 0.8, gainDB: 0).process(&b)
        try Biquad(sampleRate: Float(sr), kind: CDSP_EQ_HIGHPASS, frequency: 400, q: 0.707, gainDB: 0).process(&b)
        let rms = max(1e-9, cdsp_rms(b, length))
        let level = cdsp_db_to_gain(breathDB) * Float(pow(10, targetRMS / 20)) / rms
        for i in 0..<length {
            let u = Double(i) / Double(length)
            let env = u < 0.7 ? sin(0.5 * Double.pi * u / 0.7) : cos(0.5 * Double.pi * (u - 0.7) / 0.3)
            b[i] *= level * Float(env * env)
        }
        return b
    }
}
