import Foundation
import Testing
@testable import SongEngine

/// Issue 11's arrangement by section and low end, tested by what they measurably do: the kick's pitch and decay,
/// the sidechain dip, the mono low end, the section ride, second verses and the versions' alternate sound.
@Suite struct ArrangementTests {
    /// Every key, three tempi: the kick rests on a note of the key (tonic or fifth when one is within a fourth
    /// of the kit's own pitch), between E1 and C2, and falls 30 dB within 0.8 beats.
    @Test func kickIsTunedToTheKeyAndItsTailFitsTheBeat() {
        for key in Key.all {
            for bpm in [70.0, 120.0, 174.0] {
                for kitTune in [-3.0, 0, 2] {
                    let t = LowEnd.kickTuning(key: key, bpm: bpm, kitTune: kitTune, kitDecay: 1.6)
                    let pc = ((t.midi % 12) + 12) % 12
                    let degree = ((pc - key.tonic) % 12 + 12) % 12
                    #expect(key.scale.contains(degree), "\(key) kick on pitch class \(pc)")
                    #expect(t.frequency >= 41 && t.frequency <= 66, "\(key): \(t.frequency) Hz")
                    let expected = 440 * pow(2, Double(t.midi - 69) / 12)
                    let heard = 48 * pow(2, t.tune / 12) * LowEnd.heardOverRest(tone: 0.5, decay: t.decay, rest: expected)
                    #expect(abs(heard - expected) < 0.01 && abs(t.frequency - expected) < 0.01)
                    #expect(heard / (48 * pow(2, t.tune / 12)) > 1 && heard / (48 * pow(2, t.tune / 12)) < 1.15)
                    let natural = 69 + 12 * log2(48 * pow(2, kitTune / 12) / 440)
                    if LowEnd.kickRange.contains(where: { ($0 - key.tonic) % 12 == 0 && abs(Double($0) - natural) <= 3.5 }) {
                        #expect(degree == 0, "\(key): a tonic is near the kit's pitch, so the kick takes it")
                    }
                    let thirtyDB = log(pow(10, 1.5)) * LowEnd.kickTau * t.decay
                    #expect(thirtyDB <= 0.8 * 60 / bpm + 1e-9 || t.decay == 0.25)
                    #expect(t.decay <= 1.6)
                }
            }
        }
    }

    @Test func duckDipsAtTheKickAndRecovers() {
        let duck = LowEnd.Duck(kicks: [1000, 5000], depth: 0.5, attack: 100, release: 1000)
        var left = [Float](repeating: 1, count: 8000), right = left
        left.withUnsafeMutableBufferPointer { l in
            right.withUnsafeMutableBufferPointer { r in
                duck.apply(left: l.baseAddress!, right: r.baseAddress!, start: 0, count: 8000)
            }
        }
        #expect(abs(left[1000] - 0.5) < 1e-6 && abs(right[5000] - 0.5) < 1e-6)
        #expect(left[0] == 1 && left[899] == 1, "untouched before the attack")
        #expect(left[1500] > 0.5 && left[1500] < 1, "recovering")
        #expect(left[2000] == 1 && left[4000] == 1, "recovered after the release")
        // Window by window gives the same gains as one pass.
        var windowed = [Float](repeating: 1, count: 8000), other = windowed
        windowed.withUnsafeMutableBufferPointer { l in
            other.withUnsafeMutableBufferPointer { r in
                for start in stride(from: 0, to: 8000, by: 777) {
                    duck.apply(left: l.baseAddress! + start, right: r.baseAddress! + start, start: start,
                               count: min(777, 8000 - start))
                }
            }
        }
        #expect(windowed == left)
    }

    /// Opposite-phase 60 Hz (pure side) is removed, and 130 Hz by more than 15 dB (below 150 Hz means below: a
    /// corner at 150 Hz left it 6 dB down); opposite-phase 2 kHz passes; the mid is untouched.
    @Test func lowEndIsMono() throws {
        let sr = 44100, n = sr
        var buffer = StereoBuffer(frames: n, sampleRate: sr)
        for i in 0..<n {
            let t = Double(i) / Double(sr)
            let low = Float(0.3 * sin(2 * .pi * 60 * t)), high = Float(0.3 * sin(2 * .pi * 2000 * t))
            let upper = Float(0.3 * sin(2 * .pi * 130 * t))
            let mid = Float(0.2 * sin(2 * .pi * 45 * t))
            buffer.left[i] = mid + low + upper + high
            buffer.right[i] = mid - low - upper - high
        }
        try LowEnd.monoBass(&buffer)
        // After the filters settle: side at 60 Hz down by > 20 dB, side at 2 kHz within 0.5 dB.
        let range = (sr / 2)..<n
        var side60 = 0.0, side130 = 0.0, side2k = 0.0, midErr = 0.0
        for i in range {
            let t = Double(i) / Double(sr)
            let s = Double(buffer.left[i] - buffer.right[i]) / 2
            side60 += s * sin(2 * .pi * 60 * t)
            side130 += s * sin(2 * .pi * 130 * t)
            side2k += s * sin(2 * .pi * 2000 * t)
            let m = Double(buffer.left[i] + buffer.right[i]) / 2
            midErr = max(midErr, abs(m - 0.2 * sin(2 * .pi * 45 * t)))
        }
        let count = Double(range.count)
        let a60 = 2 * side60 / count, a130 = 2 * side130 / count, a2k = 2 * side2k / count
        #expect(20 * log10(abs(a60) / 0.3) < -20, "60 Hz side at \(a60)")
        #expect(20 * log10(abs(a130) / 0.3) < -15, "130 Hz side at \(a130)")
        #expect(abs(20 * log10(abs(a2k) / 0.3)) < 0.5, "2 kHz side at \(a2k)")
        #expect(midErr < 1e-5)
    }

    @Test func choruseLiftAndPreChorusBuilds() {
        let sections = [
            SectionSpan(name: "intro", startBeat: 0, beats: 16, energy: 0.25),
            SectionSpan(name: "verse", startBeat: 16, beats: 32, energy: 0.7),
            SectionSpan(name: "pre_chorus", startBeat: 48, beats: 16, energy: 0.72),
            SectionSpan(name: "chorus", startBeat: 64, beats: 32, energy: 0.8),
            SectionSpan(name: "verse", startBeat: 96, beats: 32, energy: 0.5),
            SectionSpan(name: "chorus", startBeat: 128, beats: 32, energy: 0.9),
        ]
        let levels = SectionDynamics.levels(sections)
        #expect(levels[5] == 0 && levels.allSatisfy { $0 <= 0 && $0 >= SectionDynamics.floorDB })
        let gap = SectionDynamics.verseUnderChorusDB
        #expect(gap >= 4 && levels[1] <= levels[3] - gap && levels[4] <= levels[3] - gap, "verses under the choruses")
        let points = SectionDynamics.breakpoints(sections: sections, secondsPerBeat: 0.5)
        let pre = points.filter { $0.time >= 24 && $0.time <= 32 }
        #expect(pre.count == 2 && abs(pre[0].db - levels[1]) < 1e-9 && abs(pre[1].db - (levels[3] - 1)) < 1e-9,
                "the pre-chorus rises from the verse's level to 1 dB under the chorus: \(pre), \(levels)")
        // Applied: a constant signal carries the ride.
        var buffer = StereoBuffer(left: [Float](repeating: 1, count: 80 * 100), right: [Float](repeating: 1, count: 80 * 100),
                                  sampleRate: 100)
        SectionDynamics.apply(&buffer, breakpoints: points)
        #expect(abs(20 * log10(Double(buffer.left[20 * 100])) - levels[1]) < 1e-3)  // mid first verse
        #expect(abs(20 * log10(Double(buffer.left[70 * 100])) - levels[5]) < 1e-3)  // mid last chorus
    }

    /// The drums build into a chorus: a pre-chorus's last bar is a snare roll whose rate doubles halfway and whose
    /// velocity rises, the kick keeps the beats, nothing faster than eighths from 140 bpm; a verse's last bar keeps
    /// the ordinary fill; a folk kit keeps its own.
    @Test func preChorusEndsInASnareBuild() {
        let h = SectionHarmony(kind: .preChorus, bars: 4, slots: [], phrases: [])
        for (bpm, first, second) in [(120, 0.5, 0.25), (150, 1.0, 0.5), (80, 1.0, 0.5)] {
            var rng = SeededGenerator(seed: 3)
            let notes = Drums.section(h, pattern: .backbeat, energy: 0.7, density: 0.5, bpm: bpm, crashAtStart: false,
                                      fillAtEnd: true, rng: &rng)
            let last = notes.filter { $0.start >= 12 - 1e-9 }
            let snares = last.filter { $0.pitch == Drums.snare }.sorted { $0.start < $1.start }
            let gaps = zip(snares, snares.dropFirst()).map { $1.start - $0.start }
            #expect(gaps.filter { $0 == first }.count >= 1 && gaps.filter { $0 == second }.count >= 3,
                    "\(bpm) bpm: \(gaps)")
            #expect(gaps.allSatisfy { $0 == first || $0 == second })
            #expect(snares.last!.velocity > snares.first!.velocity + 20, "\(bpm) bpm: the roll rises")
            // The kicks on the beats stay (every beat from 140 bpm, see Drums.adaptToTempo), the rest of the kit rests.
            let kicks = last.filter { $0.pitch == Drums.kick }.map(\.start)
            #expect(kicks.contains(12) && kicks.allSatisfy { $0 == $0.rounded() }, "\(bpm) bpm: kicks \(kicks)")
            if bpm >= Drums.fastTempo { #expect(kicks.sorted() == [12, 13, 14, 15]) }
            #expect(last.allSatisfy { $0.pitch == Drums.kick || $0.pitch == Drums.snare })
            var r2 = SeededGenerator(seed: 3)
            let verse = Drums.section(SectionHarmony(kind: .verse, bars: 4, slots: [], phrases: []), pattern: .backbeat,
                                      energy: 0.7, density: 0.5, bpm: bpm, crashAtStart: false, fillAtEnd: true, rng: &r2)
            #expect(verse.filter { $0.start >= 12 - 1e-9 && $0.pitch == Drums.snare }.map(\.start) != snares.map(\.start))
        }
        #expect(Drums.snareBuild(.folk, bpm: 120) == nil && Drums.snareBuild(.ambientPulse, bpm: 120) == nil)
    }

    /// The first verse is held back: side stick for snare and a softer kick until its last bar, whose fill into the
    /// chorus is played full; later verses and choruses keep the snare.
    @Test func firstVerseHoldsBackItsDrums() {
        let plan = CompositionFixtures.plan()
        let style = CompositionFixtures.style(drums: .backbeat, chords: .stabs, bass: .syncopated)
        let score = Composer.compose(plan: plan, style: style, seed: 5)
        let verses = score.sections.filter { $0.name == "verse" }
        let first = CompositionFixtures.notes(score, in: verses[0], role: .drums)
        let second = CompositionFixtures.notes(score, in: verses[1], role: .drums)
        let fillBar = verses[0].beats - 4  // notes(in:) counts beats from the section's start
        let held = first.filter { $0.start < fillBar - 0.1 }
        #expect(!held.contains { $0.pitch == Drums.snare }, "no snare before the first verse's last bar")
        #expect(held.filter { $0.pitch == Drums.rim }.count >= 8, "the backbeat on the side stick")
        #expect(first.contains { $0.pitch == Drums.snare && $0.start >= fillBar - 0.1 }, "the fill is played full")
        #expect(second.filter { $0.pitch == Drums.snare }.count >= 8, "the second verse plays the snare")
        func meanKick(_ notes: [Note]) -> Double {
            let k = notes.filter { $0.pitch == Drums.kick }
            return Double(k.map(\.velocity).reduce(0, +)) / Double(max(1, k.count))
        }
        let laterKicks = second.filter { $0.start < verses[1].beats - 4 - 0.1 }
        #expect(meanKick(held) < 0.7 * meanKick(laterKicks), "\(meanKick(held)) against \(meanKick(laterKicks))")
    }

    /// Verses' drum feels by their place: held back, full, held back, a drop (the kit out for the first half, back
    /// with a crash and a kick at the middle), held back, full; from 140 bpm a held-back verse's kick keeps beats 1
    /// and 3 while a full verse keeps one on every beat; at 120 bpm the held-back verse keeps the groove's kicks.
    @Test func versesCycleHeldBackFullAndADrop() {
        #expect((0..<8).map(Drums.verseFeel) == [.heldBack, .full, .heldBack, .drop, .heldBack, .full, .heldBack, .drop])
        let form = (0..<5).flatMap { _ in
            [SectionPlan(name: "verse", bars: 8, energy: 0.7), SectionPlan(name: "chorus", bars: 8, energy: 0.9)]
        }
        for bpm in [120, 160] {
            let plan = CompositionFixtures.plan(bpm: bpm, form: form)
            let score = Composer.compose(plan: plan, style: CompositionFixtures.style(drums: .rock), seed: 4)
            let verses = score.sections.filter { $0.name == "verse" }
            #expect(verses.count == 5)
            let drums = verses.map { CompositionFixtures.notes(score, in: $0, role: .drums) }
            // The drop: nothing in the first half, a crash and a kick at the middle, the groove after.
            let half = verses[3].beats / 2
            #expect(!drums[3].contains { $0.start < half - 0.1 }, "\(bpm) bpm: the drop's first half is empty")
            for p in [Drums.crash, Drums.kick] {
                #expect(drums[3].contains { $0.pitch == p && abs($0.start - half) < 0.1 }, "\(bpm) bpm: \(p) at the middle")
            }
            #expect(drums[3].filter { $0.pitch == Drums.snare }.count >= 6, "\(bpm) bpm: the groove comes back")
            #expect(drums[1].contains { $0.start < 4 && $0.pitch == Drums.snare }, "the second verse plays from its start")
            // Kicks before the last bar, as beats within the bar (Humanize moves notes by milliseconds).
            func kickBeats(_ notes: [Note], before end: Double) -> Set<Int> {
                Set(notes.filter { $0.pitch == Drums.kick && $0.start < end - 0.1 }
                    .map { Int(($0.start.truncatingRemainder(dividingBy: 4) * 4).rounded()) })
            }
            let heldKicks = kickBeats(drums[2], before: verses[2].beats - 4)
            let fullKicks = kickBeats(drums[1], before: verses[1].beats - 4)
            if bpm >= Drums.fastTempo {
                #expect(heldKicks.isSubset(of: [0, 8, 16]) && heldKicks.contains(0), "held at \(bpm): \(heldKicks)")
                #expect([0, 4, 8, 12].allSatisfy(fullKicks.contains), "full at \(bpm): \(fullKicks)")
            } else {
                #expect(heldKicks.isSuperset(of: [0, 6, 8]), "held at \(bpm) keeps the rock groove's kicks: \(heldKicks)")
            }
        }
    }

    /// Each part stays in its instrument's sounding range: with the lead's register where the planner puts it for
    /// most photos (around D4), a flute lead lies in C4-C7 and keeps its intervals, acoustic guitar chords under
    /// C6, an upright bass in E1-G4; a part already inside is untouched, and a part 90% inside only folds the rest.
    @Test func partsStayInTheirInstrumentsRange() throws {
        let instruments: [Role: String] = [.drums: "acoustic_kit", .bass: "upright_bass", .chords: "acoustic_guitar",
                                           .pad: "string_pad", .lead: "flute"]
        var shifted = 0
        for seed in UInt64(1)...6 {
            for key in [Key(tonic: 0, mode: .major), Key(tonic: 9, mode: .minor), Key(tonic: 6, mode: .major)] {
                var plan = CompositionFixtures.plan(key: key, instruments: instruments)
                plan.register = 62
                let score = Composer.compose(plan: plan, style: CompositionFixtures.style(chords: .strum), seed: seed)
                for track in score.tracks where track.role != .drums {
                    let range = try #require(InstrumentCatalog.entry(track.instrument)?.range)
                    let outside = track.notes.filter { !range.contains($0.pitch) }.map(\.pitch)
                    #expect(outside.isEmpty, "seed \(seed) \(key): \(track.instrument) plays \(outside)")
                }
                var unranged = plan
                unranged.instruments[.lead] = "soft_lead"
                let plain = Composer.compose(plan: unranged, style: CompositionFixtures.style(chords: .strum), seed: seed)
                let flute = score.tracks.first { $0.role == .lead }!.notes.map(\.pitch)
                let synth = plain.tracks.first { $0.role == .lead }!.notes.map(\.pitch)
                #expect(flute.count == synth.count)
                let offsets = Set(zip(flute, synth).map { $0 - $1 })
                #expect(offsets.isSubset(of: [0, 12, 24]), "the flute plays the same line by octaves: \(offsets)")
                if offsets.contains(12) { shifted += 1 }
            }
        }
        #expect(shifted >= 9, "the rule is not idle: \(shifted) of 18 flute leads moved up")
        let inside = [60, 64, 67].map { Note(start: 0, duration: 1, pitch: $0, velocity: 80) }
        #expect(Composer.fitToRange(inside, 60...96).map(\.pitch) == [60, 64, 67])
        let low = [50, 52, 55, 57, 59, 62].map { Note(start: 0, duration: 1, pitch: $0, velocity: 80) }
        #expect(Composer.fitToRange(low, 60...96).map(\.pitch) == [62, 64, 67, 69, 71, 74])
        let mostly = (60..<69).map { Note(start: 0, duration: 1, pitch: $0, velocity: 80) }
            + [Note(start: 0, duration: 1, pitch: 98, velocity: 80)]
        #expect(Composer.fitToRange(mostly, 60...96).map(\.pitch) == Array(60..<69) + [86])
    }

    /// A second verse is not a copy of the first (groove, voicing rhythm, arpeggio); choruses stay identical.
    @Test func secondVersesDifferAndChorusesReturn() {
        let plan = CompositionFixtures.plan()
        let style = CompositionFixtures.style(drums: .backbeat, chords: .stabs, bass: .syncopated)
        let score = Composer.compose(plan: plan, style: style, seed: 5)
        let verses = score.sections.filter { $0.name == "verse" }
        let choruses = score.sections.filter { $0.name == "chorus" }
        func key(_ notes: [Note]) -> [String] {
            notes.map { "\($0.pitch)@\((($0.start * 4).rounded() / 4))" }.sorted()
        }
        var differing = 0
        for role in [Role.drums, .chords, .bass, .lead] {
            let a = key(CompositionFixtures.notes(score, in: verses[0], role: role))
            let b = key(CompositionFixtures.notes(score, in: verses[1], role: role))
            if a != b { differing += 1 }
        }
        #expect(differing >= 3, "only \(differing) of 4 parts differ between the verses")
        #expect(!CompositionFixtures.notes(score, in: verses[1], role: .arp).isEmpty, "the arpeggio enters in verse 2")
        let c1 = CompositionFixtures.notes(score, in: choruses[0], role: .chords)
        let c2 = CompositionFixtures.notes(score, in: choruses[1], role: .chords)
        #expect(c1.map(\.pitch) == c2.map(\.pitch), "the chorus returns")
    }

    /// Consecutive versions get seeds of opposite parity; an odd seed plays the style's alternate; a version's own
    /// seed reproduces its sound.
    @Test func versionsAlternateTheStylesSound() throws {
        let library = try StyleLibrary.load(from: #require(StyleLibrary.defaultDirectory()))
        for style in library.styles {
            let a = try #require(style.alternate, "\(style.id) has no alternate")
            let alt = style.alternated
            #expect(alt.instruments != style.instruments || a.drumPattern != nil, "\(style.id)")
            if style.drumPattern != .none, let d = a.drumPattern {
                #expect(d != style.drumPattern, "\(style.id): the alternate groove is another groove")
            }
        }
        // Substitutes: the ride plays where the pattern has closed hats.
        var rideStyle = CompositionFixtures.style(drums: .backbeat)
        rideStyle.drumSubstitutes = ["42": 51]
        let plain = Composer.compose(plan: CompositionFixtures.plan(), style: CompositionFixtures.style(drums: .backbeat), seed: 3)
        let ridden = Composer.compose(plan: CompositionFixtures.plan(), style: rideStyle, seed: 3)
        let hats = plain.track(.drums)!.notes.filter { $0.pitch == 42 }.count
        #expect(hats > 0 && ridden.track(.drums)!.notes.filter { $0.pitch == 42 }.isEmpty)
        #expect(ridden.track(.drums)!.notes.filter { $0.pitch == 51 }.count
                == hats + plain.track(.drums)!.notes.filter { $0.pitch == 51 }.count)
        var plan = CompositionFixtures.plan()
        plan.alternateInstruments = [.chords: "electric_piano", .lead: "flute"]
        var style = CompositionFixtures.style()
        style.alternate = .init(instruments: ["chords": "electric_piano"], drumPattern: .folk)
        let even = plan.forVersion(seed: 10, style: style), odd = plan.forVersion(seed: 11, style: style)
        #expect(even.plan.instruments == plan.instruments && even.style == style)
        #expect(odd.plan.instruments[.chords] == "electric_piano" && odd.style.drumPattern == .folk)
        #expect(odd.style.mix == style.mix)
    }
}
