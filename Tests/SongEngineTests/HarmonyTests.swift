import Foundation
import Testing
@testable import SongEngine

/// Issue 11's harmony per style: chords spelled right (sevenths, secondary dominants, borrowed chords), each
/// style's vocabulary reaching the score, second verses reharmonised while the chorus returns.
@Suite struct HarmonyTests {
    typealias F = CompositionFixtures

    @Test func chromaticChordsAreSpelledOnTheirDegree() {
        let c = 0, a = 9
        #expect(Chord.secondaryDominant(of: 4, mode: .major).pitchClasses(tonic: c) == [2, 6, 9, 0])  // D7 -> G
        #expect(Chord.secondaryDominant(of: 4, mode: .minor).pitchClasses(tonic: a) == [11, 3, 6, 9])  // B7 -> E
        #expect(Chord.secondaryDominant(of: 1, mode: .major).pitchClasses(tonic: c) == [9, 1, 4, 7])  // A7 -> Dm
        #expect(Chord.secondaryDominant(of: 5, mode: .major).pitchClasses(tonic: c) == [4, 8, 11, 2])  // E7 -> Am
        #expect(Chord.secondaryDominant(of: 3, mode: .minor).pitchClasses(tonic: a) == [9, 1, 4, 7])  // A7 -> Dm
        #expect(Chord.fromCode(7, mode: .major).pitchClasses(tonic: c) == [10, 2, 5])  // bVII
        #expect(Chord.fromCode(8, mode: .major).pitchClasses(tonic: c) == [8, 0, 3])  // bVI
        #expect(Chord.fromCode(9, mode: .major).pitchClasses(tonic: c) == [5, 8, 0])  // iv
        #expect(Chord.fromCode(9, mode: .minor).pitchClasses(tonic: a) == [2, 6, 9])  // IV (dorian)
        // Diatonic sevenths: Imaj7, ii7, V7; the minor dominant keeps its raised leading tone with the seventh.
        #expect(Chord(degree: 0, mode: .major, seventh: true).pitchClasses(tonic: c) == [0, 4, 7, 11])
        #expect(Chord(degree: 1, mode: .major, seventh: true).pitchClasses(tonic: c) == [2, 5, 9, 0])
        #expect(Chord(degree: 4, mode: .minor, seventh: true).pitchClasses(tonic: a) == [4, 8, 11, 2])
        // A melody over V7/V sings the raised fourth degree.
        #expect(Chord.secondaryDominant(of: 4, mode: .major).semitone(ofDegree: 3) == 6)
        // A seventh chord is voiced with each tone once, close, near its centre.
        let v = Harmony.voice([2, 6, 9, 0], previous: nil, center: 64, count: 4)
        #expect(v.count == 4 && Set(v.map { $0 % 12 }) == [2, 6, 9, 0] && v.last! - v.first! < 12)
    }

    static func chords(_ score: Score) -> [Set<Int>] {
        var groups: [Double: Set<Int>] = [:]
        for n in score.track(.chords)!.notes { groups[(n.start * 8).rounded() / 8, default: []].insert(n.pitch % 12) }
        return groups.sorted { $0.key < $1.key }.map(\.value)
    }

    /// The shipped styles: jazz plays sevenths on every chord and its cadences come from ii; a style without
    /// sevenths plays none; every style reaches at least 6 distinct chords in 8 keys and seeds, 7 on average.
    @Test func stylesHaveTheirOwnVocabulary() throws {
        let library = try StyleLibrary.load(from: #require(StyleLibrary.defaultDirectory()))
        var distinctTotal = 0, songs = 0
        for style in library.styles where style.instruments["chords"] != nil {
            for (i, key) in [Key(tonic: 0, mode: .major), Key(tonic: 9, mode: .minor), Key(tonic: 7, mode: .major),
                             Key(tonic: 4, mode: .minor)].enumerated() {
                var instruments = F.allRoles
                instruments[.chords] = style.instruments["chords"]!
                let plan = F.plan(key: key, instruments: instruments)
                let harmony = Harmony.song(plan: plan, style: style, root: SeededGenerator(seed: UInt64(40 + i)))
                let slots = harmony.flatMap(\.slots)
                let distinct = Set(slots.map { $0.chord.pitchClasses(tonic: key.tonic) }).count
                distinctTotal += distinct
                songs += 1
                #expect(distinct >= 4, "\(style.id) in \(key): \(distinct) distinct chords")
                // Diatonic sevenths follow the style's share (a secondary dominant is a seventh chord anyway).
                let diatonic = slots.filter { $0.chord.isDiatonic }
                let sevenths = diatonic.filter(\.chord.seventh).count
                if style[.seventhChords] == 0 {
                    #expect(sevenths == 0, "\(style.id)")
                } else if style[.seventhChords] >= 1 {
                    #expect(sevenths == diatonic.count, "\(style.id): every chord a seventh")
                }
                if style.harmony == .jazz {
                    // Cadences approach V from ii (or its secondary dominant), never from IV.
                    for h in harmony {
                        for (a, b) in zip(h.slots, h.slots.dropFirst()) where b.chord.isDominant {
                            #expect(!(a.chord.isDiatonic && a.chord.degree == 3), "\(style.id): IV before V")
                        }
                    }
                    #expect(zip(slots, slots.dropFirst()).contains { $0.chord.degree == 1 && $1.chord.isDominant },
                            "\(style.id) in \(key): a ii-V")
                }
            }
        }
        #expect(Double(distinctTotal) / Double(songs) >= 7, "mean distinct chords \(Double(distinctTotal) / Double(songs))")
    }

    /// With chromatic colour, secondary dominants sit on the second half of the chord before their target; without,
    /// every chord is diatonic.
    @Test func secondaryDominantsResolveToTheirTarget() {
        var found = 0
        for seed in UInt64(1)...12 {
            let harmony = Harmony.song(plan: F.plan(), style: F.style(parameters: ["chromaticChords": 1]),
                                       root: SeededGenerator(seed: seed))
            for h in harmony {
                for (a, b) in zip(h.slots, h.slots.dropFirst()) where !a.chord.isDiatonic && a.chord.seventh {
                    #expect(Chord.secondaryDominant(of: b.chord.degree, mode: .major) == a.chord)
                    #expect(a.beats == 2 && a.start.truncatingRemainder(dividingBy: 4) == 2)
                    found += 1
                }
            }
            let plain = Harmony.song(plan: F.plan(), style: F.style(), root: SeededGenerator(seed: seed))
            #expect(plain.flatMap(\.slots).allSatisfy { $0.chord.isDiatonic })
        }
        #expect(found >= 12)
    }

    /// The second verse is reharmonised (at least one chord changed in each phrase, its first and last two kept); every chorus
    /// plays the same chords.
    @Test func secondVerseIsReharmonisedAndChorusReturns() {
        for seed in UInt64(1)...8 {
            for key in [Key(tonic: 2, mode: .major), Key(tonic: 11, mode: .minor)] {
                let harmony = Harmony.song(plan: F.plan(key: key), style: F.style(), root: SeededGenerator(seed: seed))
                let verses = harmony.filter { $0.kind == .verse }
                let choruses = harmony.filter { $0.kind == .chorus }
                #expect(verses[0].slots.map(\.chord) != verses[1].slots.map(\.chord), "seed \(seed) \(key)")
                // Every phrase of the second verse changes at least one of its planned chords (bar by bar, by degree).
                for p in verses[1].phrases {
                    let bars = stride(from: p.start, to: p.start + p.beats, by: 4)
                    #expect(bars.contains { verses[0].chord(at: $0).degree != verses[1].chord(at: $0).degree },
                            "seed \(seed) \(key): phrase at beat \(p.start)")
                }
                #expect(verses[0].slots.first!.chord == verses[1].slots.first!.chord)
                #expect(Array(verses[0].slots.suffix(2)).map(\.chord) == Array(verses[1].slots.suffix(2)).map(\.chord))
                #expect(choruses.allSatisfy { $0.slots == choruses[0].slots })
            }
        }
    }

    /// A repeated verse's bass walks by step: a chord goes to first inversion only where its root would leap more
    /// than a whole tone from the previous bass note and its third lies within one; the section's first chord and
    /// each phrase's cadence (its last two chords) stay in root position; first verses and choruses never invert.
    /// Its chords add their ninth where it is a whole tone (not over iii, ii dim or minor's V).
    @Test func secondVerseBassMovesByStepAndChordsAddTheirNinth() {
        func distance(_ a: Int, _ b: Int) -> Int { min((a - b + 12) % 12, (b - a + 12) % 12) }
        var inverted = 0
        for seed in UInt64(1)...8 {
            for key in [Key(tonic: 2, mode: .major), Key(tonic: 11, mode: .minor)] {
                let harmony = Harmony.song(plan: F.plan(key: key), style: F.style(), root: SeededGenerator(seed: seed))
                for (i, h) in harmony.enumerated() {
                    guard SectionHarmony.isRepeat(harmony, at: i) else {
                        #expect(!h.slots.contains { $0.bass != .root || $0.addNinth }, "seed \(seed) \(key) \(h.kind) \(i)")
                        continue
                    }
                    // Its chord parts add the ninth exactly where the scale has a whole tone above the root.
                    for slot in h.slots {
                        let pcs = slot.chord.pitchClasses(tonic: key.tonic)
                        let scale = Set(Chord.naturalScale(key.mode).map { ($0 + key.tonic) % 12 })
                        let wholeTone = slot.chord.isDiatonic && scale.contains((pcs[0] + 2) % 12)
                            && !(key.mode == .minor && slot.chord.degree == 4)
                        #expect(slot.addNinth == wholeTone, "seed \(seed) \(key): \(slot.chord)")
                        #expect(slot.voicedPitchClasses(tonic: key.tonic).count == pcs.count + (wholeTone ? 1 : 0))
                    }
                    #expect(h.slots[0].bass == .root)
                    for k in h.slots.indices.dropFirst() where h.slots[k].bass == .third {
                        inverted += 1
                        let slot = h.slots[k]
                        let previous = h.slots[k - 1].bassPitchClass(tonic: key.tonic)
                        let pcs = slot.chord.pitchClasses(tonic: key.tonic)
                        #expect(slot.chord.isDiatonic)
                        #expect(distance(previous, pcs[0]) > 2 && distance(previous, pcs[1]) <= 2,
                                "seed \(seed) \(key): \(previous) -> \(pcs)")
                        let phrase = h.phrase(at: slot.start)!
                        let later = h.slots[(k + 1)...].filter { $0.start < phrase.start + phrase.beats - 1e-9 }
                        #expect(later.count >= 2, "an inverted cadence chord, seed \(seed) \(key)")
                    }
                }
            }
        }
        // The rule is not idle: over 16 songs, second verses take inversions.
        #expect(inverted >= 8)
    }

    /// Later verses cycle through three treatments, so that no two are alike: the second verse walks by step with
    /// added ninths, the third holds a tonic pedal under chords with their sevenths, the fourth a pedal with added
    /// ninths; the pedal is released for each phrase's cadence (its last two chords).
    @Test func laterVersesCycleTheirTreatments() {
        let form = (0..<4).flatMap { _ in
            [SectionPlan(name: "verse", bars: 8, energy: 0.5), SectionPlan(name: "chorus", bars: 8, energy: 0.85)]
        }
        for seed in UInt64(1)...4 {
            for key in [Key(tonic: 2, mode: .major), Key(tonic: 11, mode: .minor)] {
                let harmony = Harmony.song(plan: F.plan(key: key, form: form), style: F.style(),
                                           root: SeededGenerator(seed: seed))
                let verses = harmony.filter { $0.kind == .verse }
                #expect(verses.count == 4)
                #expect(!verses[1].slots.contains { $0.bass == .pedal } && verses[1].slots.contains { $0.addNinth })
                for v in verses[2...] {
                    for (k, slot) in v.slots.enumerated() {
                        let phrase = v.phrase(at: slot.start)!
                        let later = v.slots[(k + 1)...].filter { $0.start < phrase.start + phrase.beats - 1e-9 }.count
                        #expect((slot.bass == .pedal) == (later >= 2), "seed \(seed) \(key): slot \(k)")
                        if slot.bass == .pedal { #expect(slot.bassPitchClass(tonic: key.tonic) == key.tonic) }
                    }
                }
                #expect(verses[2].slots.allSatisfy { !$0.chord.isDiatonic || $0.chord.seventh })
                #expect(!verses[2].slots.contains { $0.addNinth } && verses[3].slots.contains { $0.addNinth })
                // The score: the bass plays the pedal, and the drums alternate held-back and full verses.
                let score = Composer.compose(plan: F.plan(key: key, form: form), style: F.style(drums: .backbeat),
                                             seed: seed)
                let spans = score.sections.filter { $0.name == "verse" }
                for (n, span) in spans.enumerated() {
                    let drums = CompositionFixtures.notes(score, in: span, role: .drums)
                        .filter { $0.start < span.beats - 4 - 0.1 }
                    #expect(drums.contains { $0.pitch == Drums.snare } == (n % 2 == 1), "verse \(n + 1) snare")
                }
                let bass = CompositionFixtures.notes(score, in: spans[2], role: .bass)
                #expect(bass.first { $0.start < 0.1 }.map { $0.pitch % 12 } == key.tonic)
            }
        }
    }
}
