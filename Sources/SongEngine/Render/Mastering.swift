import Foundation
internal import CDSP
internal import DSP

/// Loudness of a delivered buffer, by CDSP's BS.1770-4 meter. Silence reports the floors -70 LUFS (the absolute
/// gate) and -150 dBTP, so the report always encodes as JSON.
public struct LoudnessReport: Codable, Sendable, Hashable {
    public var integratedLUFS: Double
    public var truePeakDBTP: Double

    /// The manifest's names (`"loudness": {"integrated_lufs": -14.0, "true_peak_dbtp": -1.3}`).
    enum CodingKeys: String, CodingKey {
        case integratedLUFS = "integrated_lufs"
        case truePeakDBTP = "true_peak_dbtp"
    }

    public init(integratedLUFS: Double, truePeakDBTP: Double) {
        self.integratedLUFS = integratedLUFS
        self.truePeakDBTP = truePeakDBTP
    }

    static let silenceLUFS = -70.0
    static let silenceDBTP = -150.0
}

/// Mastering of the instrumental (or full) mix to the streaming norm: -14 LUFS integrated, at most -1 dBTP.
public enum Mastering {
    /// Safety margin between the limiter's ceiling and the delivered true-peak ceiling (the limiter's peak
    /// estimate and the meter's differ slightly).
    static let limiterMargin = 0.3
    static let lookahead: Float = 0.005
    static let limiterRelease: Float = 0.12
    /// Loudness at which the glue compressor works, whatever the input level, so its settings mean the same
    /// thing for quiet and loud mixes.
    static let compressorLevel = -20.0
    /// Target tolerance of the gain passes (the contract allows +-0.2 LU).
    static let tolerance = 0.1

    /// DC block, tilt EQ (`brightness` 0 dark ... 0.5 neutral ... 1 bright), glue compression (`compression`
    /// 0...1), gain to `targetLUFS`, true-peak limiting with latency compensation, then up to three measured
    /// correction passes: all in place on `mix`, block by block, so mastering holds no second copy of the song.
    /// Returns the measured loudness and the overall gain of the chain (output over input integrated loudness,
    /// linear) for stems to use with `applyMasterGain`.
    ///
    /// A correction pass works on the already limited signal: too quiet, it is limited again with the missing
    /// gain; too loud, it is scaled down; over the ceiling, it is limited again at a lower ceiling.
    ///
    /// `sectionRide`: (seconds, dB) breakpoints of a fader ride (`SectionDynamics`) applied after the glue
    /// compressor, which would otherwise take back about half of it. The returned gain then excludes the ride's
    /// average: stems get the same ride and that gain (`applyMasterGain(_:gain:sectionRide:)`).
    @discardableResult
    public static func master(_ mix: inout StereoBuffer, targetLUFS: Double = -14, ceilingDBTP: Double = -1,
                              brightness: Double = 0.5, compression: Double = 0.5,
                              sectionRide: [(time: Double, db: Double)] = []) throws -> (LoudnessReport, gain: Float) {
        let m = try master(&mix, targetLUFS: targetLUFS, ceilingDBTP: ceilingDBTP, brightness: brightness,
                           compression: compression, sectionRide: sectionRide, spectrumTarget: nil)
        return (m.loudness, m.gain)
    }

    /// What `master` measured and did: the loudness, the chain's gain for the stems, and the match EQ (when the
    /// style states a target spectrum) that the stems get too.
    public struct Mastered: Sendable {
        public var loudness: LoudnessReport
        public var gain: Float
        /// The match EQ's passes, each a list of peaking-filter gains (dB) at `SpectrumMatch.filters`: the match
        /// before the limiter, and the correction after it when one was needed; empty without a target.
        public var eqStages: [[Float]] = []
        /// Third-octave band levels (dB) before the EQ and the target placed at the mix's level, at
        /// `SpectrumMatch.bands`; empty without a target.
        public var bandsBefore: [Double] = []
        public var bandsTarget: [Double] = []
    }

    /// As `master` above, with the style's target spectrum (`SpectrumMatch`): when given, the match EQ replaces the
    /// tilt EQ (the tilt moves the target instead) and runs after the glue compressor and the section ride, before
    /// the limiter.
    public static func master(_ mix: inout StereoBuffer, targetLUFS: Double = -14, ceilingDBTP: Double = -1,
                              brightness: Double = 0.5, compression: Double = 0.5,
                              sectionRide: [(time: Double, db: Double)] = [],
                              spectrumTarget: SpectrumTarget?) throws -> Mastered {
        try master(samples: &mix, targetLUFS: targetLUFS, ceilingDBTP: ceilingDBTP, brightness: brightness,
                   compression: compression, sectionRide: sectionRide, spectrumTarget: spectrumTarget)
    }

    /// The chain over any `SongSamples`: the engine masters the mix parked on disk (`SpillFile`), so no song-length
    /// buffer is in memory. Each step is a pass over the pieces in order, and the measures ride on the pass that
    /// makes the signal they read: five to seven passes where the whole-buffer form ran about twenty whole-song loops
    /// (each filter and meter its own); the same samples.
    static func master<S: SongSamples>(samples mix: inout S, targetLUFS: Double = -14, ceilingDBTP: Double = -1,
                                       brightness: Double = 0.5, compression: Double = 0.5,
                                       sectionRide: [(time: Double, db: Double)] = [],
                                       spectrumTarget: SpectrumTarget?) throws -> Mastered {
        let sr = mix.sampleRate
        guard let inputLUFS = try loudness(of: mix) else {
            // Silence (or nothing above the gate): nothing to level; still remove DC and respect the ceiling.
            try applyMasterGain(samples: &mix, gain: 1, ceilingDBTP: ceilingDBTP)
            return Mastered(loudness: try report(of: mix), gain: 1)
        }

        // Pass 1: DC block; tilt EQ around ~1 kHz (a low shelf and a high shelf moving in opposite directions)
        // when there is no target spectrum; glue compression at a fixed working level; the section ride after the
        // compressor, which would otherwise take back about half of it. Measured after the compressor, after the
        // ride, and the match EQ's bands at the end.
        let tilt = Float(SpectrumMatch.tiltAmount(brightness: brightness))
        let tiltFilters: [[Biquad]] = abs(tilt) > 0.01 && spectrumTarget == nil
            ? try (0..<2).map { _ in
                [try Biquad(sampleRate: Float(sr), kind: CDSP_EQ_LOWSHELF, frequency: 250, q: 0.7, gainDB: -2 * tilt),
                 try Biquad(sampleRate: Float(sr), kind: CDSP_EQ_HIGHSHELF, frequency: 3500, q: 0.7, gainDB: 3 * tilt)]
            }
            : []
        let amount = max(0, min(1, compression))
        // The input's loudness is close enough for the working level (the tilt moves it by a fraction of a dB).
        let pre = Float(pow(10, (compressorLevel - inputLUFS) / 20))
        let compressor = amount > 0.01
            ? try Compressor(sampleRate: Float(sr), thresholdDB: Float(compressorLevel + 6 - 10 * amount),
                             ratio: Float(1 + 3 * amount), attack: 0.02, release: 0.2, kneeDB: 6)
            : nil
        let compressed = try LoudnessMeter(sampleRate: sr)
        let ridden = sectionRide.isEmpty ? nil : try LoudnessMeter(sampleRate: sr)
        let target = spectrumTarget?.tilted(brightness: brightness)
        let bands = target == nil ? nil : try BandMeter(sampleRate: sr)
        var dcLeft = DCBlocker(sampleRate: sr), dcRight = DCBlocker(sampleRate: sr)
        try mix.update { piece, start in
            dcLeft.process(&piece.left, count: piece.frames)
            dcRight.process(&piece.right, count: piece.frames)
            if tiltFilters.count == 2 {
                for f in tiltFilters[0] { f.process(&piece.left) }
                for f in tiltFilters[1] { f.process(&piece.right) }
            }
            if let compressor {
                Samples.scale(&piece.left, pre)
                Samples.scale(&piece.right, pre)
                compressor.process(left: &piece.left, right: &piece.right)
            }
            compressed.add(piece)
            if let ridden {
                SectionDynamics.apply(left: &piece.left, right: &piece.right, sampleRate: sr, breakpoints: sectionRide,
                                      offset: start)
                ridden.add(piece)
            }
            bands?.add(piece)
        }
        var preLUFS = compressed.integrated ?? inputLUFS
        // The ride's effect on the integrated loudness is kept out of the gain the stems get (they get the ride).
        var rideDB = 0.0
        if let ridden {
            let riddenLUFS = ridden.integrated ?? preLUFS
            rideDB = riddenLUFS - preLUFS
            preLUFS = riddenLUFS
        }
        // Pass 2: the match EQ toward the style's target spectrum (linear, so the stems get the same filters).
        var matched: SpectrumMatch.Design? = nil
        if let target, let bands {
            matched = try SpectrumMatch.design(measured: bands.finish(edges: SpectrumMatch.edges), sampleRate: sr,
                                               target: target)
            if let m = matched, let cascade = try SpectrumMatch.Cascade(m.gains, sampleRate: sr) {
                let equalised = try LoudnessMeter(sampleRate: sr)
                try mix.update { piece, _ in
                    cascade.process(&piece)
                    equalised.add(piece)
                }
                let equalisedLUFS = equalised.integrated ?? preLUFS
                rideDB += equalisedLUFS - preLUFS
                preLUFS = equalisedLUFS
            }
        }

        // Gain to the target, limit (measured as it goes), correct.
        var limiterCeiling = ceilingDBTP - limiterMargin
        var measured = try limit(&mix, gainDB: targetLUFS - preLUFS, ceiling: limiterCeiling)
        func correct() throws {
            for _ in 0..<3 {
                let loudOK = abs(measured.integratedLUFS - targetLUFS) <= tolerance
                let peakOK = measured.truePeakDBTP <= ceilingDBTP
                if loudOK && peakOK { break }
                let correction = targetLUFS - measured.integratedLUFS
                if peakOK && correction < 0 {
                    // Too loud and under the ceiling: a plain gain keeps it under.
                    measured = try scale(&mix, by: Float(pow(10, correction / 20)))
                } else {
                    if !peakOK { limiterCeiling -= measured.truePeakDBTP - ceilingDBTP + 0.05 }
                    measured = try limit(&mix, gainDB: correction, ceiling: limiterCeiling)
                }
            }
        }
        try correct()
        // A second match after the limiter: limiting a bass-heavy mix takes 1-5 dB out of its 63-125 Hz octaves
        // (tune set, predicted against measured), so the limited master is measured again and a correction
        // (at most 6 dB a band) applied when some band is more than 1 dB off, then levelled and limited again.
        var stages: [[Float]] = matched.map { [$0.gains] } ?? []
        if let target, matched != nil {
            let limitedBands = try BandMeter(sampleRate: sr)
            try mix.scan { piece, _ in limitedBands.add(piece) }
            if let second = try SpectrumMatch.design(measured: limitedBands.finish(edges: SpectrumMatch.edges),
                                                     sampleRate: sr, target: target, maxCorrection: 6),
               second.gains.contains(where: { abs($0) > 1 }) {
                let levelBefore = measured.integratedLUFS
                let meters = try LoudnessMeters(sampleRate: sr)
                let cascade = try SpectrumMatch.Cascade(second.gains, sampleRate: sr)
                try mix.update { piece, _ in
                    cascade?.process(&piece)
                    meters.add(piece)
                }
                measured = meters.report()
                rideDB += measured.integratedLUFS - levelBefore
                // The EQ moved the peaks: limited again from the limiter's own ceiling (a lowered one was for its
                // overshoot on the signal it limited before), then corrected as the first time.
                limiterCeiling = ceilingDBTP - limiterMargin
                measured = try limit(&mix, gainDB: targetLUFS - measured.integratedLUFS, ceiling: limiterCeiling)
                try correct()
                stages.append(second.gains)
            }
        }
        if measured.truePeakDBTP > ceilingDBTP {
            // Last resort: the limiter could not hold the ceiling by the meter's reading; scale down.
            measured = try scale(&mix, by: Float(pow(10, (ceilingDBTP - measured.truePeakDBTP - 0.02) / 20)))
        }
        let gain = Float(pow(10, (measured.integratedLUFS - inputLUFS - rideDB) / 20))
        return Mastered(loudness: measured, gain: gain, eqStages: stages,
                        bandsBefore: matched?.before ?? [], bandsTarget: matched?.target ?? [])
    }

    /// The value form of `master(_:inout ...)`. It copies the song when the caller still holds `mix`: prefer
    /// the in-place form for whole songs.
    public static func master(_ mix: StereoBuffer, targetLUFS: Double = -14, ceilingDBTP: Double = -1,
                              brightness: Double = 0.5,
                              compression: Double = 0.5) throws -> (StereoBuffer, LoudnessReport, gain: Float) {
        var out = mix
        let (report, gain) = try master(&out, targetLUFS: targetLUFS, ceilingDBTP: ceilingDBTP, brightness: brightness,
                                    compression: compression)
        return (out, report, gain)
    }

    /// Scales a stem by the master's `gain` (see `master`), removes DC, and limits it at the ceiling (minus the
    /// limiter margin) so it never clips; below the ceiling the stem is only scaled. In place.
    /// `sectionRide`: the ride the mix got in `master`; `eqStages`: its match EQ (`Mastered.eqStages`), run as one
    /// merged stage when one follows them within half a dB anywhere from 20 Hz up (`SpectrumMatch.merged`).
    public static func applyMasterGain(_ stem: inout StereoBuffer, gain: Float, ceilingDBTP: Double = -1,
                                       sectionRide: [(time: Double, db: Double)] = [], eqStages: [[Float]] = []) throws {
        try applyMasterGain(samples: &stem, gain: gain, ceilingDBTP: ceilingDBTP, sectionRide: sectionRide,
                            eqStages: eqStages)
    }

    /// The same over any `SongSamples` (the engine's stems parked on disk): DC block, ride and EQ feed the limiter
    /// in one pass, which measures the true peak as it goes; a second pass scales down only when the meter reads
    /// the ceiling passed.
    static func applyMasterGain<S: SongSamples>(samples stem: inout S, gain: Float, ceilingDBTP: Double = -1,
                                                sectionRide: [(time: Double, db: Double)] = [],
                                                eqStages: [[Float]] = []) throws {
        guard stem.frames > 0 else { return }
        let sr = stem.sampleRate
        var dcLeft = DCBlocker(sampleRate: sr), dcRight = DCBlocker(sampleRate: sr)
        let stages = try stemStages(eqStages, sampleRate: sr)
        let cascades = try stages.compactMap { try SpectrumMatch.Cascade($0, sampleRate: sr) }
        let peak = try TruePeakMeter()
        try limit(&stem, gainDB: 20 * log10(Double(max(gain, 1e-9))), ceiling: ceilingDBTP - limiterMargin,
                  prepare: { piece, start in
                      dcLeft.process(&piece.left, count: piece.frames)
                      dcRight.process(&piece.right, count: piece.frames)
                      SectionDynamics.apply(left: &piece.left, right: &piece.right, sampleRate: sr,
                                            breakpoints: sectionRide, offset: start)
                      for cascade in cascades { cascade.process(&piece) }
                  },
                  heard: { piece, count in peak.add(piece, count: count) })
        let dbtp = peak.finish()
        if dbtp > ceilingDBTP {
            let down = Float(pow(10, (ceilingDBTP - dbtp - 0.02) / 20))
            try stem.update { piece, _ in
                Samples.scale(&piece.left, down)
                Samples.scale(&piece.right, down)
            }
        }
    }

    /// The match EQ a stem runs: both stages of the master's (`Mastered.eqStages`) as one set of filters when one set
    /// follows them within half a dB (`SpectrumMatch.merged`), else the stages as they are. The stems are not limited
    /// with the master, so they need its EQ, not its bytes. Stages already merged come back unchanged (a pair that could not be
    /// merged is tried again), so a caller with several stems merges once and passes the result to each
    /// `applyMasterGain`.
    static func stemStages(_ eqStages: [[Float]], sampleRate: Int) throws -> [[Float]] {
        try SpectrumMatch.merged(eqStages, sampleRate: sampleRate).map { [$0] } ?? eqStages
    }

    /// The value form of `applyMasterGain(_:inout ...)`.
    public static func applyMasterGain(_ stem: StereoBuffer, gain: Float, ceilingDBTP: Double = -1) throws -> StereoBuffer {
        var out = stem
        try applyMasterGain(&out, gain: gain, ceilingDBTP: ceilingDBTP)
        return out
    }

    // MARK: Helpers

    /// True-peak limits `gain * signal` in place, piece by piece, aligned with the input. A piece is read, changed
    /// by `prepare` (steps before the limiter, in the same pass), gained and limited; `heard` gets the output in
    /// order, `count` frames of each piece.
    static func limit<S: SongSamples>(_ samples: inout S, gainDB: Double, ceiling: Double,
                                      prepare: ((inout StereoBuffer, Int) -> Void)? = nil,
                                      heard: (StereoBuffer, Int) -> Void) throws {
        try limitPass(&samples, gainDB: gainDB, ceiling: ceiling, prepare: prepare) { samples, out, count, at in
            try samples.write(out, count: count, at: at)
            heard(out, count)
        }
    }

    /// The limiter over the pieces of `samples`, its look-ahead compensated: its output lags its input by its
    /// latency, so output frame j of the piece read at `start` is song frame start + j - latency (a frame already
    /// read, so writing it back in place is safe), and `latency` frames of silence after the end bring out the
    /// last. `output(samples, piece, count, at)` gets each output piece: its first `count` frames are song frames
    /// `at..<at + count`.
    static func limitPass<S: SongSamples>(_ samples: inout S, gainDB: Double, ceiling: Double,
                                          prepare: ((inout StereoBuffer, Int) -> Void)? = nil,
                                          output: (inout S, StereoBuffer, Int, Int) throws -> Void) throws {
        let limiter = try Limiter(sampleRate: Float(samples.sampleRate), lookahead: lookahead,
                                  ceilingDBTP: Float(ceiling), release: limiterRelease)
        let gain = Float(pow(10, gainDB / 20))
        let n = samples.frames, latency = limiter.latency
        var start = 0
        while start < n + latency {
            var piece: StereoBuffer
            if start < n {
                piece = try samples.read(start..<min(n, start + S.pieceFrames))
                prepare?(&piece, start)
                Samples.scale(&piece.left, gain)
                Samples.scale(&piece.right, gain)
            } else {
                piece = StereoBuffer(frames: latency, sampleRate: samples.sampleRate)
            }
            let count = piece.frames
            limiter.process(left: &piece.left, right: &piece.right)
            let skip = max(0, latency - start)
            if skip < count {
                let to = start + skip - latency
                let copy = min(count - skip, n - to)
                if copy > 0 {
                    let out = skip == 0 ? piece : StereoBuffer(left: Array(piece.left[skip..<skip + copy]),
                                                               right: Array(piece.right[skip..<skip + copy]),
                                                               sampleRate: piece.sampleRate)
                    try output(&samples, out, copy, to)
                }
            }
            start += count
        }
    }

    /// A finished master limited again under `ceilingDBTP` (less the limiter's margin), brought back to
    /// `loudnessLUFS` through the same limiter, and written to `url`: the master itself is not changed. Up to three
    /// measured trials, each from the master (the limiter's release after every held peak takes some level off
    /// what follows), then the last trial's gain is limited once more into the file. For a delivered file whose
    /// encoder overshoots (`ChromasongEngine.writeWithinCeiling`).
    static func writeLimited<S: SongSamples>(_ mix: S, ceilingDBTP: Double, loudnessLUFS target: Double, to url: URL,
                                             format: AudioFormat) throws {
        var source = mix  // read only: a class, or a buffer shared and never written
        var gain = 0.0, tried = 0.0
        for _ in 0..<3 {
            tried = gain
            let meter = try LoudnessMeter(sampleRate: mix.sampleRate)
            try limitPass(&source, gainDB: gain, ceiling: ceilingDBTP - limiterMargin) { _, out, count, _ in
                meter.add(out, count: count)
            }
            guard let lufs = meter.integrated else { throw ConfigurationError("loudness of a silent buffer") }
            let short = target - lufs
            if abs(short) <= 0.05 { break }
            gain += short
        }
        let writer = try AudioFile.Writer(url: url, format: format, sampleRate: mix.sampleRate)
        try limitPass(&source, gainDB: tried, ceiling: ceilingDBTP - limiterMargin) { _, out, count, _ in
            try writer.write(out, count: count)
        }
        try writer.close()
    }

    /// `limit` measured: the report of its output.
    static func limit<S: SongSamples>(_ samples: inout S, gainDB: Double, ceiling: Double) throws -> LoudnessReport {
        let meters = try LoudnessMeters(sampleRate: samples.sampleRate)
        try limit(&samples, gainDB: gainDB, ceiling: ceiling) { meters.add($0, count: $1) }
        return meters.report()
    }

    /// Scales in place, measured.
    static func scale<S: SongSamples>(_ samples: inout S, by gain: Float) throws -> LoudnessReport {
        let meters = try LoudnessMeters(sampleRate: samples.sampleRate)
        try samples.update { piece, _ in
            Samples.scale(&piece.left, gain)
            Samples.scale(&piece.right, gain)
            meters.add(piece)
        }
        return meters.report()
    }

    /// The loudness and true peak of `samples`, read in pieces.
    static func report<S: SongSamples>(of samples: S) throws -> LoudnessReport {
        let meters = try LoudnessMeters(sampleRate: samples.sampleRate)
        try samples.scan { piece, _ in meters.add(piece) }
        return meters.report()
    }

    /// The integrated loudness of `samples`, read in pieces; nil for silence.
    static func loudness<S: SongSamples>(of samples: S) throws -> Double? {
        let meter = try LoudnessMeter(sampleRate: samples.sampleRate)
        try samples.scan { piece, _ in meter.add(piece) }
        return meter.integrated
    }

    static func report(_ buffer: StereoBuffer, ceiling: Double) -> LoudnessReport {
        let lufs = measureLoudness(left: buffer.left, right: buffer.right, sampleRate: buffer.sampleRate)
        let peak = measureTruePeak(left: buffer.left, right: buffer.right, sampleRate: buffer.sampleRate)
        return LoudnessReport(integratedLUFS: lufs ?? LoudnessReport.silenceLUFS,
                              truePeakDBTP: peak.isFinite ? peak : LoudnessReport.silenceDBTP)
    }
}
