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

        /// The risers over the spans' last `riserBars` bars of a song of `frames` frames.
        static func risers(spans: [(start: Int, end: Int)], build: Double, framesPerBar: Double,
                           frames: Int) -> [Riser] {
            spans.enumerated().compactMap { k, span in
                let length = min(span.end - span.start, Int((riserBars * framesPerBar).rounded()))
                let start = span.end - length
                guard length > 0, start >= 0, span.end <= frames else { return nil }
                return Riser(start: start, length: length, peak: riserPeak * Float(build),
                             seed: stableHash(Array("riser:\(k)".utf8)))
            }
        }

        /// One riser: added to a whole song at once, or a window at a time (then made whole on its first window,
        /// a few seconds, and dropped after its last). Both add the same samples.
        final class Riser {
            let start: Int
            let length: Int
            let peak: Float
            let seed: UInt64
            private var made: StereoBuffer?

            init(start: Int, length: Int, peak: Float, seed: UInt64) {
                self.start = start
                self.length = length
                self.peak = peak
                self.seed = seed
            }

            /// Adds the riser into `buffer` (a whole song) at its place.
            func addWhole(into buffer: inout StereoBuffer, sampleRate: Int) {
                add(into: &buffer, at: start, sampleRate: sampleRate)
            }

            private func add(into buffer: inout StereoBuffer, at offset: Int, sampleRate: Int) {
                buffer.left.withUnsafeMutableBufferPointer { l in
                    buffer.right.withUnsafeMutableBufferPointer { r in
                        _ = cdsp_riser_add(l.baseAddress! + offset, r.baseAddress! + offset, length, Float(sampleRate),
                                           riserFrom, riserTo, peak, seed)
                    }
                }
            }

            /// Adds the part of the riser in song frames `windowStart..<windowStart + count` into `window`'s first
            /// `count` frames.
            func add(into window: inout StereoBuffer, windowStart: Int, count: Int, sampleRate: Int) {
                let from = max(start, windowStart), to = min(start + length, windowStart + count)
                guard from < to else { return }
                if made == nil {
                    var riser = StereoBuffer(frames: length, sampleRate: sampleRate)
                    add(into: &riser, at: 0, sampleRate: sampleRate)
                    made = riser
                }
                // x + (0 + r) is x + r: the same sums as adding the riser into the whole song.
                addStereo(Array(made!.left[(from - start)..<(to - start)]), Array(made!.right[(from - start)..<(to - start)]),
                          count: to - from, gain: 1, into: &window, at: from - windowStart)
                if to == start + length { made = nil }
            }
        }
    }
}
