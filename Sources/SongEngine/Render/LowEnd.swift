import Foundation
internal import CDSP
internal import DSP

/// The low end of the mix (issue 11): a kick tuned to the key with a decay that fits the tempo, the bass (and in
/// four-on-the-floor styles the pad and chords) ducked by the kick, and everything below about 150 Hz in mono.
///
/// Why: an untuned kick (43-48 Hz in every key, its tail into the next kick) read as a drone on a note outside the
/// key in a chromagram, and reverb and panned parts left stereo energy below 150 Hz, which folds badly on mono
/// playback and vinyl-style cutting. Producers tune the kick to the root or fifth, shorten it with the tempo,
/// sidechain the bass under it, and keep the bass mono; this does the same, deterministically, from the score.
enum LowEnd {
    /// The kick's resting pitch and decay for one song.
    struct KickTuning: Equatable {
        /// Semitones relative to the synthesised kick's natural 48 Hz (the C core's `tune`).
        var tune: Double
        /// Multiplier of the kick's natural decay (the C core's `decay`).
        var decay: Double
        /// The key note's frequency in Hz, where the body is heard (it rests a little lower, see heardOverRest).
        var frequency: Double
        /// MIDI note of that frequency.
        var midi: Int
    }

    /// The synthesised kick's natural resting pitch (drums.c).
    static let kickNaturalHz = 48.0
    /// Its natural amplitude time constant in seconds (drums.c), times the preset's decay.
    static let kickTau = 0.12
    /// MIDI notes a kick may rest on: E1 (41 Hz) ... C2 (65 Hz). Every key has at least 4 of its notes in it.
    static let kickRange = 28...36
    /// The kick falls 30 dB within this share of a beat, so its tail does not run into the next beat.
    static let kickTailShareOfBeat = 0.8

    /// A note of the key between E1 and C2 near the kit's own kick pitch: the tonic when one is within 3.5
    /// semitones of it, else the fifth, else the nearest scale note; and the kit's decay shortened until the kick falls 30 dB within 0.8 beats.
    static func kickTuning(key: Key, bpm: Double, kitTune: Double, kitDecay: Double, kitTone: Double = 0.5) -> KickTuning {
        let natural = kickNaturalHz * pow(2, kitTune / 12)
        let naturalMidi = 69 + 12 * log2(natural / 440)
        // Kick range: E1 (41 Hz) to C2 (65 Hz); the notes of the key in it.
        let tonic = key.tonic
        let inKey = kickRange.filter { m in key.scale.contains(((m - tonic) % 12 + 12) % 12) }
        func near(_ degree: Int) -> Int? {
            inKey.filter { ((($0 - tonic) % 12 + 12) % 12) == degree && abs(Double($0) - naturalMidi) <= 3.5 }
                .min { abs(Double($0) - naturalMidi) < abs(Double($1) - naturalMidi) }
        }
        let chosen = near(0) ?? near(7)
            ?? inKey.min { abs(Double($0) - naturalMidi) < abs(Double($1) - naturalMidi) }!
        let frequency = 440 * pow(2, Double(chosen - 69) / 12)
        let beat = 60 / max(1, bpm)
        let maximumDecay = kickTailShareOfBeat * beat / (log(pow(10, 30.0 / 20)) * kickTau)
        let decay = max(0.25, min(kitDecay, maximumDecay))
        // The body is heard a little above the resting pitch (the sweep is still settling): rest lower by that much.
        let rest = frequency / heardOverRest(tone: kitTone, decay: decay, rest: frequency)
        return KickTuning(tune: 12 * log2(rest / kickNaturalHz), decay: decay, frequency: frequency, midi: chosen)
    }

    /// The kick's pitch sweep in drums.c: from (2.6 + 2 tone) times its resting pitch, settling with this time
    /// constant.
    static let kickSweepTau = 0.024

    /// How far above its resting pitch the kick's body is heard: the spectral peak of the kick from 40 to 200 ms
    /// after the hit (after the click and the fast part of the sweep; what a tuner shows), Hann-windowed, over the
    /// resting pitch, from the same sweep and decay as drums.c. About 1.03-1.04 for the kits' settings. `tone` as the kit sets it
    /// (a typical velocity adds 0.025); `rest` the resting pitch in Hz (the sweep's time constant is absolute).
    static func heardOverRest(tone: Double, decay: Double, rest: Double = 50) -> Double {
        let ratio = 1.6 + 2 * min(1, max(0, tone + 0.025))
        let tau = kickTau * decay
        let rate = 4000.0
        var phase = 0.0
        var samples: [(t: Double, x: Double)] = []
        for i in 0..<Int(0.2 * rate) {
            let t = Double(i) / rate
            if t >= 0.04 { samples.append((t, exp(-t / tau) * sin(2 * .pi * phase))) }
            phase += rest * (1 + ratio * exp(-t / kickSweepTau)) / rate
        }
        // A Hann window over the body, as a spectral peak is read.
        let count = samples.count
        let windowed = samples.enumerated().map { i, s in
            (t: s.t, x: s.x * (0.5 - 0.5 * cos(2 * .pi * Double(i) / Double(max(1, count - 1)))))
        }
        var best = 1.0, bestPower = -1.0
        for step in 0...400 {
            let r = 0.95 + Double(step) * 0.0005
            var re = 0.0, im = 0.0
            for (t, x) in windowed {
                re += x * cos(2 * .pi * rest * r * t)
                im -= x * sin(2 * .pi * rest * r * t)
            }
            let power = re * re + im * im
            if power > bestPower { bestPower = power; best = r }
        }
        return best
    }

    /// A copy of `kit` with every kick entry tuned and its decay fitted to the tempo.
    static func tuned(_ kit: [Int: InstrumentLibrary.Drum], key: Key, bpm: Double) -> [Int: InstrumentLibrary.Drum] {
        var out = kit
        let tuneIndex = Int(cdsp_drum_param.tune.rawValue), decayIndex = Int(cdsp_drum_param.decay.rawValue)
        for number in [35, 36] {
            // 36 is played from the standard drum when the kit does not define it (DrumMap); 35 falls back to 36.
            guard var drum = kit[number] ?? (number == 36 ? InstrumentLibrary.Drum.standard : nil) else { continue }
            let t = kickTuning(key: key, bpm: bpm, kitTune: drum[.tune], kitDecay: drum[.decay], kitTone: drum[.tone])
            drum.values[tuneIndex] = t.tune
            drum.values[decayIndex] = t.decay
            out[number] = drum
        }
        return out
    }

    /// Sidechain ducking of one part by the kick: at every kick the part's gain drops to `depth` over `attack`
    /// frames and recovers over `release` frames (a raised cosine), like a compressor keyed by the kick. Where
    /// two kicks' dips overlap the deeper one counts.
    struct Duck: Sendable {
        /// Sorted kick start frames.
        let kicks: [Int]
        let attack: Int
        let release: Int
        /// Gain at offsets -attack ..< release from a kick (computed once).
        let curve: [Float]

        init(kicks: [Int], depth: Float, attack: Int, release: Int) {
            self.kicks = kicks
            self.attack = max(1, attack)
            self.release = max(1, release)
            var curve = [Float](repeating: 1, count: self.attack + self.release)
            for i in curve.indices {
                let t = i - self.attack
                let shape = t < 0 ? Float(-t) / Float(self.attack)
                    : 0.5 - 0.5 * cos(Float.pi * Float(t) / Float(self.release))
                curve[i] = depth + (1 - depth) * shape
            }
            self.curve = curve
        }

        /// Applies the dips to `count` frames of a stereo window that starts at frame `start`.
        func apply(left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>, start: Int, count: Int) {
            guard !kicks.isEmpty, count > 0 else { return }
            // First kick whose dip can reach this window.
            var lo = 0, hi = kicks.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if kicks[mid] + release <= start { lo = mid + 1 } else { hi = mid }
            }
            var gain = [Float](repeating: 1, count: count)
            var touched = false
            var k = lo
            while k < kicks.count && kicks[k] - attack < start + count {
                let from = max(start, kicks[k] - attack), to = min(start + count, kicks[k] + release)
                if from < to {
                    touched = true
                    let offset = from - (kicks[k] - attack)
                    for f in from..<to { gain[f - start] = min(gain[f - start], curve[offset + f - from]) }
                }
                k += 1
            }
            guard touched else { return }
            for i in 0..<count {
                left[i] *= gain[i]
                right[i] *= gain[i]
            }
        }
    }

    /// How deep and how long each role ducks under the kick in a style with `pattern`: the bass a little in every
    /// style (the kick's attack through), and the pad and chords pumping in four-on-the-floor styles.
    static func duckSettings(role: Role, pattern: StylePreset.DrumPattern, bpm: Double) -> (depthDB: Double, release: Double)? {
        let beat = 60 / max(1, bpm)
        switch role {
        case .bass: return pattern == .fourOnFloor ? (-8, 0.45 * beat) : (-4, 0.22 * beat)
        case .pad, .chords: return pattern == .fourOnFloor ? (-6, 0.6 * beat) : nil
        default: return nil
        }
    }

    /// Frequency below which the mix is mono.
    static let monoBelowHz: Float = 150
    /// The side signal's high-pass corner, above `monoBelowHz`: a 4th-order Butterworth is only 3 dB down at its
    /// corner, and with the corner at 150 Hz a wide cinematic mix kept enough side at 100-150 Hz for its channels
    /// to correlate 0.948 there (fresh set); at 220 Hz the side is 13 dB down at 150 Hz and 21 dB at 120 Hz.
    static let sideHighPassHz: Float = 220

    /// Removes the side signal below `monoBelowHz` in place: side = (L - R) / 2 through a 4th-order Butterworth
    /// high-pass at `sideHighPassHz` (two 2nd-order sections), mid untouched, then L = M + S, R = M - S. Block by
    /// block, no copy.
    static func monoBass(_ buffer: inout StereoBuffer) throws {
        try MonoBass(sampleRate: buffer.sampleRate).process(&buffer)
    }

    /// `monoBass` as a stream: pieces in order, each a whole number of render blocks except the last, give the
    /// same samples as the whole buffer at once (the filters keep their state; blocks start where they would).
    final class MonoBass {
        private let stages: [Biquad]
        private var side = [Float](repeating: 0, count: renderBlock)

        init(sampleRate: Int) throws {
            let sr = Float(sampleRate)
            // Butterworth 4th order: Q of its two sections 0.5412 and 1.3066.
            stages = [try Biquad(sampleRate: sr, kind: CDSP_EQ_HIGHPASS, frequency: sideHighPassHz, q: 0.5412, gainDB: 0),
                      try Biquad(sampleRate: sr, kind: CDSP_EQ_HIGHPASS, frequency: sideHighPassHz, q: 1.3066, gainDB: 0)]
        }

        /// The next piece, in place.
        func process(_ buffer: inout StereoBuffer) {
            let n = buffer.left.count
            let stages = stages
            buffer.left.withUnsafeMutableBufferPointer { l in
                buffer.right.withUnsafeMutableBufferPointer { r in
                    side.withUnsafeMutableBufferPointer { s in
                        var start = 0
                        while start < n {
                            let count = min(renderBlock, n - start)
                            for i in 0..<count { s[i] = 0.5 * (l[start + i] - r[start + i]) }
                            for stage in stages { stage.process(s.baseAddress!, count: count) }
                            for i in 0..<count {
                                let mid = 0.5 * (l[start + i] + r[start + i])
                                l[start + i] = mid + s[i]
                                r[start + i] = mid - s[i]
                            }
                            start += count
                        }
                    }
                }
            }
        }
    }
}
