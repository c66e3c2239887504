import Foundation
internal import CDSP

extension Renderer {
    /// The build into a chorus (issue 11: "the pre-chorus builds: risers, rising density, filter opening"), for
    /// styles whose `build` parameter is above 0 (EDM and pop in the bundled presets), over every pre-chorus:
    /// - the chords, pad, arpeggio and lead pass through a low-pass that opens from `fromHz(build)` (400 Hz at
    ///   build 1, 1.2 kHz at 0.6) to 16 kHz across the section, exponentially, so the chorus lands fully open;
    /// - a noise riser (two seeded band-passed noises, one per channel, their centre rising 300 Hz -> 9 kHz and
    ///   their level rising 24 dB in a straight line) swells over the section's last four bars (all of it when shorter) into the chorus's
    ///   downbeat. It plays where a kit plays and belongs to the drums stem.
    /// Drums, bass and the vocal are left alone: the snare build (Drums.snareBuild) and the low end carry the beat,
    /// and a muffled vocal is lost words.
    enum Build {
        static let openingRoles: Set<Role> = [.chords, .pad, .arp, .lead]
        static let openTo: Float = 16_000
        static let riserFrom: Float = 300
        static let riserTo: Float = 9_000
        /// Riser level at the end of its swell, times `build` (noise amplitude before the band-pass; its level in
        /// the mix was set by ear and measured: see docs/architecture.md).
        static let riserPeak: Float = 0.45
        static let riserBars = 4.0

        /// The cutoff the low-pass opens from: 400 Hz x 2^(4 (1 - build)).
        static func fromHz(build: Double) -> Float {
            Float(400 * pow(2, 4 * (1 - max(0, min(1, build)))))
        }

        /// The pre-choruses' frame spans, when the style builds.
        static func spans(score: Score, build: Double, framesPerBeat: Double) -> [(start: Int, end: Int)] {
            guard build > 0 else { return [] }
            return score.sections.filter { SectionKind(name: $0.name) == .preChorus && $0.beats > 0 }.map { s in
                (Int((s.startBeat * framesPerBeat).rounded()), Int(((s.startBeat + s.beats) * framesPerBeat).rounded()))
            }
        }

        /// Adds the risers over the spans' last `riserBars` bars into `mix` and, when present, the drums stem.
        static func addRisers(spans: [(start: Int, end: Int)], build: Double, framesPerBar: Double, sampleRate: Int,
                              mix: inout StereoBuffer, drumsStem: inout StereoBuffer?) {
            for (k, span) in spans.enumerated() {
                let length = min(span.end - span.start, Int((riserBars * framesPerBar).rounded()))
                let start = span.end - length
                guard length > 0, start >= 0, span.end <= mix.left.count else { continue }
                let seed = stableHash(Array("riser:\(k)".utf8))
                func add(_ buffer: inout StereoBuffer) {
                    buffer.left.withUnsafeMutableBufferPointer { l in
                        buffer.right.withUnsafeMutableBufferPointer { r in
                            _ = cdsp_riser_add(l.baseAddress! + start, r.baseAddress! + start, length, Float(sampleRate),
                                               riserFrom, riserTo, riserPeak * Float(build), seed)
                        }
                    }
                }
                add(&mix)
                if drumsStem != nil { add(&drumsStem!) }
            }
        }
    }
}
