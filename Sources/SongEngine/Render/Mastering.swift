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
        let sr = mix.sampleRate
        guard let inputLUFS = measureLoudness(left: mix.left, right: mix.right, sampleRate: sr) else {
            // Silence (or nothing above the gate): nothing to level; still remove DC and respect the ceiling.
            try applyMasterGain(&mix, gain: 1, ceilingDBTP: ceilingDBTP)
            return Mastered(loudness: report(mix, ceiling: ceilingDBTP), gain: 1)
        }
        // Take the channels out of the struct (a move, not a copy) so each can be processed in place.
        var left: [Float] = [], right: [Float] = []
        swap(&left, &mix.left)
        swap(&right, &mix.right)
        defer {
            swap(&left, &mix.left)
            swap(&right, &mix.right)
        }
        dcBlock(&left, &right, sampleRate: sr)

        // Tilt EQ around ~1 kHz: a low shelf and a high shelf moving in opposite directions.
        let tilt = Float(SpectrumMatch.tiltAmount(brightness: brightness))
        if abs(tilt) > 0.01 && spectrumTarget == nil {
            for channel in 0..<2 {
                let low = try Biquad(sampleRate: Float(sr), kind: CDSP_EQ_LOWSHELF, frequency: 250, q: 0.7,
                                 gainDB: -2 * tilt)
                let high = try Biquad(sampleRate: Float(sr), kind: CDSP_EQ_HIGHSHELF, frequency: 3500, q: 0.7,
                                  gainDB: 3 * tilt)
                if channel == 0 {
                    low.process(&left)
                    high.process(&left)
                } else {
                    low.process(&right)
                    high.process(&right)
                }
            }
        }

        // Glue compression at a fixed working level.
        let amount = max(0, min(1, compression))
        if amount > 0.01 {
            // The input's loudness is close enough for the working level (the tilt moves it by a fraction of a dB).
            let pre = Float(pow(10, (compressorLevel - inputLUFS) / 20))
            Samples.scale(&left, pre)
            Samples.scale(&right, pre)
            let compressor = try Compressor(sampleRate: Float(sr), thresholdDB: Float(compressorLevel + 6 - 10 * amount),
                                        ratio: Float(1 + 3 * amount), attack: 0.02, release: 0.2, kneeDB: 6)
            compressor.process(left: &left, right: &right)
        }
        var preLUFS = measureLoudness(left: left, right: right, sampleRate: sr) ?? inputLUFS
        // The section ride, after the compressor; its effect on the integrated loudness is kept out of the gain
        // the stems get (they get the ride itself).
        var rideDB = 0.0
        if !sectionRide.isEmpty {
            SectionDynamics.apply(left: &left, right: &right, sampleRate: sr, breakpoints: sectionRide)
            let ridden = measureLoudness(left: left, right: right, sampleRate: sr) ?? preLUFS
            rideDB = ridden - preLUFS
            preLUFS = ridden
        }
        // The match EQ toward the style's target spectrum (linear, so the stems get the same filters).
        var matched: SpectrumMatch.Design? = nil
        let target = spectrumTarget?.tilted(brightness: brightness)
        if let target {
            matched = try SpectrumMatch.design(left: left, right: right, sampleRate: sr, target: target)
            if let m = matched {
                try SpectrumMatch.apply(m.gains, left: &left, right: &right, sampleRate: sr)
                let equalised = measureLoudness(left: left, right: right, sampleRate: sr) ?? preLUFS
                rideDB += equalised - preLUFS
                preLUFS = equalised
            }
        }

        // Gain to the target, limit, measure, correct.
        var limiterCeiling = ceilingDBTP - limiterMargin
        try limit(&left, &right, sampleRate: sr, gainDB: targetLUFS - preLUFS, ceiling: limiterCeiling)
        var measured = report(left, right, sampleRate: sr, ceiling: ceilingDBTP)
        func correct() throws {
            for _ in 0..<3 {
                let loudOK = abs(measured.integratedLUFS - targetLUFS) <= tolerance
                let peakOK = measured.truePeakDBTP <= ceilingDBTP
                if loudOK && peakOK { break }
                let correction = targetLUFS - measured.integratedLUFS
                if peakOK && correction < 0 {
                    // Too loud and under the ceiling: a plain gain keeps it under.
                    let down = Float(pow(10, correction / 20))
                    Samples.scale(&left, down)
                    Samples.scale(&right, down)
                } else {
                    if !peakOK { limiterCeiling -= measured.truePeakDBTP - ceilingDBTP + 0.05 }
                    try limit(&left, &right, sampleRate: sr, gainDB: correction, ceiling: limiterCeiling)
                }
                measured = report(left, right, sampleRate: sr, ceiling: ceilingDBTP)
            }
        }
        try correct()
        // A second match after the limiter: limiting a bass-heavy mix takes 1-5 dB out of its 63-125 Hz octaves
        // (tune set, predicted against measured), so the limited master is measured again and a correction
        // (at most 6 dB a band) applied when some band is more than 1 dB off, then levelled and limited again.
        var stages: [[Float]] = matched.map { [$0.gains] } ?? []
        if let target, matched != nil,
           let second = try SpectrumMatch.design(left: left, right: right, sampleRate: sr, target: target,
                                                 maxCorrection: 6),
           second.gains.contains(where: { abs($0) > 1 }) {
            let levelBefore = measured.integratedLUFS
            try SpectrumMatch.apply(second.gains, left: &left, right: &right, sampleRate: sr)
            measured = report(left, right, sampleRate: sr, ceiling: ceilingDBTP)
            rideDB += measured.integratedLUFS - levelBefore
            // The EQ moved the peaks: limited again from the limiter's own ceiling (a lowered one was for its
            // overshoot on the signal it limited before), then corrected as the first time.
            limiterCeiling = ceilingDBTP - limiterMargin
            try limit(&left, &right, sampleRate: sr, gainDB: targetLUFS - measured.integratedLUFS,
                      ceiling: limiterCeiling)
            measured = report(left, right, sampleRate: sr, ceiling: ceilingDBTP)
            try correct()
            stages.append(second.gains)
        }
        if measured.truePeakDBTP > ceilingDBTP {
            // Last resort: the limiter could not hold the ceiling by the meter's reading; scale down.
            let down = Float(pow(10, (ceilingDBTP - measured.truePeakDBTP - 0.02) / 20))
            Samples.scale(&left, down)
            Samples.scale(&right, down)
            measured = report(left, right, sampleRate: sr, ceiling: ceilingDBTP)
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
    /// `sectionRide`: the ride the mix got in `master`; `eqStages`: its match EQ (`Mastered.eqStages`).
    public static func applyMasterGain(_ stem: inout StereoBuffer, gain: Float, ceilingDBTP: Double = -1,
                                       sectionRide: [(time: Double, db: Double)] = [], eqStages: [[Float]] = []) throws {
        guard stem.frames > 0 else { return }
        let sr = stem.sampleRate
        var left: [Float] = [], right: [Float] = []
        swap(&left, &stem.left)
        swap(&right, &stem.right)
        defer {
            swap(&left, &stem.left)
            swap(&right, &stem.right)
        }
        dcBlock(&left, &right, sampleRate: sr)
        SectionDynamics.apply(left: &left, right: &right, sampleRate: sr, breakpoints: sectionRide)
        for gains in eqStages { try SpectrumMatch.apply(gains, left: &left, right: &right, sampleRate: sr) }
        try limit(&left, &right, sampleRate: sr, gainDB: 20 * log10(Double(max(gain, 1e-9))),
              ceiling: ceilingDBTP - limiterMargin)
        let peak = measureTruePeak(left: left, right: right, sampleRate: sr)
        if peak > ceilingDBTP {
            let down = Float(pow(10, (ceilingDBTP - peak - 0.02) / 20))
            Samples.scale(&left, down)
            Samples.scale(&right, down)
        }
    }

    /// The value form of `applyMasterGain(_:inout ...)`.
    public static func applyMasterGain(_ stem: StereoBuffer, gain: Float, ceilingDBTP: Double = -1) throws -> StereoBuffer {
        var out = stem
        try applyMasterGain(&out, gain: gain, ceilingDBTP: ceilingDBTP)
        return out
    }

    // MARK: Helpers

    static func dcBlock(_ left: inout [Float], _ right: inout [Float], sampleRate: Int) {
        left.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { cdsp_dc_block(b, $0.count, Float(sampleRate)) } }
        right.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { cdsp_dc_block(b, $0.count, Float(sampleRate)) } }
    }

    /// True-peak limits `gain * signal` in place.
    static func limit(_ left: inout [Float], _ right: inout [Float], sampleRate: Int, gainDB: Double, ceiling: Double) throws {
        let limiter = try Limiter(sampleRate: Float(sampleRate), lookahead: lookahead, ceilingDBTP: Float(ceiling),
                              release: limiterRelease)
        limiter.limitInPlace(left: &left, right: &right, gain: Float(pow(10, gainDB / 20)))
    }

    /// The buffer's integrated loudness (BS.1770); throws on silence, which has none.
    static func integratedLUFS(_ buffer: StereoBuffer) throws -> Double {
        guard let lufs = measureLoudness(left: buffer.left, right: buffer.right, sampleRate: buffer.sampleRate) else {
            throw ConfigurationError("loudness of a silent buffer")
        }
        return lufs
    }

    /// A copy of a finished master limited again under `ceilingDBTP` (less the limiter's margin) and brought back
    /// to `loudnessLUFS` through the same limiter: measured, up to three passes, each from the master (the
    /// limiter's release after every held peak takes some level off what follows). For a delivered file whose
    /// encoder overshoots (`ChromasongEngine.writeWithinCeiling`); `master`'s own correction works in place.
    static func limited(_ mix: StereoBuffer, ceilingDBTP: Double, loudnessLUFS target: Double) throws -> StereoBuffer {
        var limited = mix
        var gain = 0.0
        for _ in 0..<3 {
            limited = mix
            try limit(&limited.left, &limited.right, sampleRate: mix.sampleRate, gainDB: gain,
                      ceiling: ceilingDBTP - limiterMargin)
            let short = target - (try integratedLUFS(limited))
            if abs(short) <= 0.05 { break }
            gain += short
        }
        return limited
    }

    static func report(_ buffer: StereoBuffer, ceiling: Double) -> LoudnessReport {
        report(buffer.left, buffer.right, sampleRate: buffer.sampleRate, ceiling: ceiling)
    }

    static func report(_ left: [Float], _ right: [Float], sampleRate: Int, ceiling: Double) -> LoudnessReport {
        let lufs = measureLoudness(left: left, right: right, sampleRate: sampleRate)
        let peak = measureTruePeak(left: left, right: right, sampleRate: sampleRate)
        return LoudnessReport(integratedLUFS: lufs ?? LoudnessReport.silenceLUFS,
                              truePeakDBTP: peak.isFinite ? peak : LoudnessReport.silenceDBTP)
    }
}
