import Foundation
import Testing
@testable import SongEngine

/// The melodic note cache: identical notes are rendered once and are identical sounds; velocity inside a bucket
/// follows the voice's level law; the cache stays inside its budget and does not change the output's determinism.
@Suite struct RenderNoteCacheTests {
    static func plainStyle() -> StylePreset {
        var style = RenderFixtures.style(reverb: 0)
        style.parameters["drumDrive"] = 1
        return style
    }

    static func render(_ score: Score, statistics: RenderStatistics? = nil, parallel: Bool = false) throws -> StereoBuffer {
        try Renderer.render(score: score, style: plainStyle(), instruments: RenderFixtures.library, sampleRate: 44100,
                            parallel: parallel, statistics: statistics).mix
    }

    /// A 16-bar band repeats its 4-bar progression: of 16 * 3 chord notes, 32 bass notes and 64 lead notes, only
    /// the distinct ones are synthesised: 8 chord pitches (C, Am, F and G share notes of one length and velocity),
    /// 4 bass roots at 2 velocities, and 4 lead pitches each gliding from its predecessor plus the very first
    /// note (soft_lead glides); the cache never holds more than its budget.
    @Test func repeatedNotesAreSynthesisedOnce() throws {
        let statistics = RenderStatistics()
        _ = try Self.render(RenderFixtures.band(bars: 16, drums: false, lead: "soft_lead"), statistics: statistics)
        #expect(statistics.notesPlayed == 16 * 3 + 16 * 2 + 16 * 4)
        #expect(statistics.notesSynthesised == 8 + 4 * 2 + 5, "\(statistics.notesSynthesised) synthesised")
        #expect(statistics.noteCacheBytes > 0 && statistics.noteCacheBytes <= Renderer.noteCacheBudget)
    }

    /// Two identical piano notes far apart come out sample for sample the same (the seed follows the note, not
    /// its index); a different pitch is a different sound.
    @Test func identicalNotesAreIdenticalSounds() throws {
        let notes = [Note(start: 0, duration: 1, pitch: 60, velocity: 90), Note(start: 8, duration: 1, pitch: 64, velocity: 90),
                     Note(start: 16, duration: 1, pitch: 60, velocity: 90)]
        let mix = try Self.render(RenderFixtures.score([RenderFixtures.track(.chords, "piano", notes)], beats: 20))
        let a = mix.left[0..<44100], b = mix.left[8 * 22050..<8 * 22050 + 44100], c = mix.left[16 * 22050..<16 * 22050 + 44100]
        #expect(RenderFixtures.rms(a) > 0.01)
        #expect(Array(a) == Array(c))
        #expect(Array(a) != Array(b))
    }

    /// Velocity: within one bucket (97 and 102 of 127) the level moves by the voice's law exactly,
    /// 30 log10(102 / 97) = 0.65 dB (amplitude ~ velocity^1.5). Across a bucket edge (95 | 96) the tone jumps by
    /// one bucket's brightness: the measured step stays within 0.3 dB of the law's 0.14 dB, for an FM voice whose
    /// index and a subtractive voice whose cutoff follow velocity.
    @Test(arguments: ["electric_piano", "synth_bass"])
    func velocityFollowsTheLevelLaw(instrument: String) throws {
        func level(_ velocity: Int) throws -> Double {
            let track = RenderFixtures.track(.chords, instrument, [Note(start: 0, duration: 1, pitch: 48, velocity: velocity)])
            let mix = try Self.render(RenderFixtures.score([track], beats: 2))
            return 20 * log10(RenderFixtures.rms(mix.left[0..<22050]))
        }
        let a = try level(97), b = try level(102)
        #expect(abs((b - a) - 30 * log10(102.0 / 97)) < 0.01, "\(b - a) dB")
        let below = try level(95), above = try level(96)
        #expect(abs((above - below) - 30 * log10(96.0 / 95)) < 0.3, "\(above - below) dB")
    }

    /// The cache does not change the output: serial and parallel renders of a band that reuses notes are
    /// identical, and so are two renders.
    @Test func cachedRendersAreDeterministic() throws {
        let score = RenderFixtures.band(bars: 8)
        let serial = try Self.render(score)
        let parallel = try Self.render(score, parallel: true)
        #expect(serial.left == parallel.left && serial.right == parallel.right)
        #expect(try Self.render(score).left == serial.left)
    }

    /// What the caches keep does not change the output: a band rendered with no cache room, with room for about
    /// one drum hit, and with the standard budgets is the same samples. With no room every note and hit is
    /// rendered where it is played; with little room the kit renders more hits than with the standard room and
    /// never holds more than its budget.
    @Test func cacheBudgetsDoNotChangeTheOutput() throws {
        let score = RenderFixtures.band(bars: 16)
        func render(_ budgets: Renderer.CacheBudgets) throws -> (mix: StereoBuffer, statistics: RenderStatistics) {
            let statistics = RenderStatistics()
            let mix = try Renderer.render(score: score, style: Self.plainStyle(), instruments: RenderFixtures.library,
                                          sampleRate: 44100, parallel: false, statistics: statistics,
                                          cacheBudgets: budgets).mix
            return (mix, statistics)
        }
        let standard = try render(.standard)
        let none = try render(Renderer.CacheBudgets(notes: 0, hits: 0))
        let tight = try render(Renderer.CacheBudgets(notes: 1 << 20, hits: 200_000))
        #expect(none.mix.left == standard.mix.left && none.mix.right == standard.mix.right)
        #expect(tight.mix.left == standard.mix.left && tight.mix.right == standard.mix.right)
        #expect(none.statistics.drumHitsSynthesised == none.statistics.drumHitsPlayed)
        #expect(none.statistics.notesSynthesised == none.statistics.notesPlayed)
        #expect(none.statistics.hitCacheBytes == 0 && none.statistics.noteCacheBytes == 0)
        #expect(standard.statistics.hitCacheBytes > 200_000, "the kit's hits fit in 200 kB: the test shows nothing")
        #expect(tight.statistics.hitCacheBytes > 0 && tight.statistics.hitCacheBytes <= 200_000)
        #expect(tight.statistics.drumHitsSynthesised > standard.statistics.drumHitsSynthesised)
        #expect(tight.statistics.drumHitsPlayed == standard.statistics.drumHitsPlayed)
    }
}
