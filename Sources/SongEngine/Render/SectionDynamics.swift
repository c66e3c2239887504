import Foundation

/// The fader ride by section (issue 11): a mixing engineer brings verses down and lets the chorus hit. Each
/// section's level follows its planned energy relative to the song's most energetic section (9 dB per unit of
/// energy, at most 6 dB down; a verse at least 5 dB under the quietest chorus); a pre-chorus rises over its length from the level of the section before it to 1 dB under the section after it; a 30 ms
/// ramp joins sections. Mastering applies it after its glue compressor (which would otherwise take back about
/// half of it) and before the limiter; the stems get the same ride, so voice and band keep the balance `VocalMix`
/// set in every section.
///
/// Why a ride as well as the arrangement: parts entering in the chorus and velocities from energy gave a chorus
/// only 0.3-1.1 dB louder than its verse after the master's compression; listeners and loudness meters hear a
/// chorus lift of a few LU in produced pop.
enum SectionDynamics {
    static let dBPerEnergy = 9.0
    static let floorDB = -6.0
    static let joinSeconds = 0.03
    /// A pre-chorus ends this far under the section it leads into.
    static let buildEndDB = -1.0

    /// A verse sits at least this far under the song's choruses (the limiter takes back a little of it). 5 since
    /// the master's match EQ: boosting a mix's low end before the limiter (and again after it) took 0.5 LU of the
    /// chorus lift back on the tune set (loud styles' mean +4.24 -> +3.75 LU, three renders near 3).
    static let verseUnderChorusDB = 5.0

    /// Level (dB) of each section, 0 for the most energetic.
    static func levels(_ sections: [SectionSpan]) -> [Double] {
        let top = sections.map(\.energy).max() ?? 0
        var level = sections.map { max(floorDB, -dBPerEnergy * (top - $0.energy)) }
        let choruses = sections.indices.filter { sections[$0].name == "chorus" }.map { level[$0] }
        if let chorus = choruses.min() {
            for i in sections.indices where sections[i].name == "verse" {
                level[i] = max(floorDB, min(level[i], chorus - verseUnderChorusDB))
            }
        }
        return level
    }

    /// (seconds, dB) breakpoints of the ride, linear between them; the level holds before the first and after the
    /// last.
    static func breakpoints(sections: [SectionSpan], secondsPerBeat: Double) -> [(time: Double, db: Double)] {
        let level = levels(sections)
        var points: [(time: Double, db: Double)] = []
        for (i, s) in sections.enumerated() where s.beats > 0 {
            let start = s.startBeat * secondsPerBeat, end = (s.startBeat + s.beats) * secondsPerBeat
            let next = i + 1 < sections.count ? level[i + 1] : level[i]
            var startLevel = level[i], endLevel = level[i]
            if s.name == "pre_chorus" && next > level[i] {
                // A build: from the level of the section before (when lower) up to just under the next one.
                startLevel = i > 0 ? min(level[i], level[i - 1]) : level[i]
                endLevel = max(startLevel, next + buildEndDB)
            }
            points.append((start + (i == 0 ? 0 : joinSeconds / 2), startLevel))
            points.append((max(start, end - joinSeconds / 2), endLevel))
        }
        return points
    }

    /// Multiplies `buffer` in place by the ride.
    static func apply(_ buffer: inout StereoBuffer, breakpoints: [(time: Double, db: Double)]) {
        apply(left: &buffer.left, right: &buffer.right, sampleRate: buffer.sampleRate, breakpoints: breakpoints)
    }

    /// `offset`: the song frame of `left[0]` (a piece of the song, `SongSamples`).
    static func apply(left: inout [Float], right: inout [Float], sampleRate: Int,
                      breakpoints: [(time: Double, db: Double)], offset: Int = 0) {
        guard let first = breakpoints.first else { return }
        let sr = Double(sampleRate)
        let n = min(left.count, right.count)
        let frames = breakpoints.map { Int(($0.time * sr).rounded()) }
        let gains = breakpoints.map { Float(pow(10, $0.db / 20)) }
        left.withUnsafeMutableBufferPointer { l in
            right.withUnsafeMutableBufferPointer { r in
                var k = 0
                var g0 = Float(pow(10, first.db / 20))
                for i in 0..<n {
                    let at = offset + i
                    while k < frames.count && frames[k] <= at { g0 = gains[k]; k += 1 }
                    var g = g0
                    if k > 0 && k < frames.count && frames[k] > frames[k - 1] {
                        let t = Float(at - frames[k - 1]) / Float(frames[k] - frames[k - 1])
                        g = gains[k - 1] + (gains[k] - gains[k - 1]) * t
                    }
                    if g != 1 {
                        l[i] *= g
                        r[i] *= g
                    }
                }
            }
        }
    }

    static func breakpoints(_ score: Score) -> [(time: Double, db: Double)] {
        breakpoints(sections: score.sections, secondsPerBeat: score.secondsPerBeat)
    }
}
