import Testing
@testable import SongEngine

/// Melody from motifs (issue 11): a cell moved by whole semitones to fit other chords, the lead's later phrases
/// opening as the first did, and sung lines taking an earlier line's opening rhythm and cell when their words fit it.
@Suite struct MotifTests {
    /// The first recurring four-note pattern (three intervals and three inter-onset times, to a sixteenth) in the
    /// first 48 notes of a line, the way Benchmarks/arrange_check.py looks for a motif; nil if none recurs.
    static func recurringPattern(_ notes: [Note]) -> [Double]? {
        var byStart: [Double: Int] = [:]
        for n in notes { byStart[n.start] = max(byStart[n.start] ?? 0, n.pitch) }
        let line = byStart.sorted { $0.key < $1.key }.prefix(48).map { ($0.key, $0.value) }
        guard line.count >= 8 else { return nil }
        var seen: [[Double]: Int] = [:]
        for k in 0..<(line.count - 3) {
            let w = Array(line[k..<(k + 4)])
            let key = (0..<3).map { Double(w[$0 + 1].1 - w[$0].1) }
                + (0..<3).map { ((w[$0 + 1].0 - w[$0].0) * 4).rounded() / 4 }
            if let first = seen[key], k >= first + 4 { return key }
            if seen[key] == nil { seen[key] = k }
        }
        return nil
    }

    @Test func cellMovesBySemitonesAndRelaxesOnlyWhenAsked() {
        let key = Key(tonic: 0, mode: .major)
        let I = Chord(degree: 0, mode: .major), V = Chord(degree: 4, mode: .major)
        // C E G C over I, restated over V: up a fifth (G B D G) or down a fourth fits strictly.
        let cell = [60, 64, 67, 72]
        let strong = [true, false, true, false]
        let overV = strong.map { MotifFit.Place(chord: V, strong: $0) }
        let moved = MotifFit.transpose(cell, near: 67, places: overV, key: key, range: 48...84)
        #expect(moved == [67, 71, 74, 79])
        // C D E F over I with its first two notes strong: no shift puts both on chord tones (a whole step apart).
        let steps = [60, 62, 64, 65]
        let twoStrong = [true, true, false, false].map { MotifFit.Place(chord: I, strong: $0) }
        #expect(MotifFit.transpose(steps, near: 60, places: twoStrong, key: key, range: 48...84) == nil)
        // Relaxed: D on the strong beat leans on E, a chord tone a step away (an appoggiatura).
        #expect(MotifFit.transpose(steps, near: 60, places: twoStrong, key: key, range: 48...84, relaxed: true)
                == [60, 62, 64, 65])
        // Every note strong: D resolves to E, but F, the last, resolves nowhere; nil even relaxed.
        let allStrong = steps.map { _ in MotifFit.Place(chord: I, strong: true) }
        #expect(MotifFit.transpose(steps, near: 60, places: allStrong, key: key, range: 48...84, relaxed: true) == nil)
        // Out of range: nil even relaxed.
        #expect(MotifFit.transpose(cell, near: 67, places: overV, key: key, range: 60...70, relaxed: true) == nil)
    }

    /// A cell rising a fourth onto a downbeat, restated where the downbeat's chord is V instead of IV: no shift
    /// puts both strong notes on chord tones, and relaxed, its last note may lean only when the note after the
    /// cell resolves it (a chord tone a step away), which the caller then sings.
    @Test func aCellsLastNoteLeansOnlyWithAResolution() {
        let key = Key(tonic: 7, mode: .major)  // G major: the tune set's miss (piano ballad, seed 13)
        let I = Chord(degree: 0, mode: .major), V = Chord(degree: 4, mode: .major)
        let cell = [54, 55, 59, 60]  // F# G B C, stated over G and C
        let places = [MotifFit.Place(chord: I, strong: false), MotifFit.Place(chord: I, strong: true),
                      MotifFit.Place(chord: I, strong: false), MotifFit.Place(chord: V, strong: true)]
        #expect(MotifFit.transpose(cell, near: 54, places: places, key: key, range: 45...76, relaxed: true) == nil)
        let after = MotifFit.Place(chord: V, strong: true)
        let moved = MotifFit.transpose(cell, near: 54, places: places, key: key, range: 45...76, relaxed: true,
                                       resolution: after)
        #expect(moved == cell)
        if let moved {
            // C leans over the D chord and rises a step to D (B, a step down, is not a tone of D).
            #expect(MotifFit.resolving(moved[3], at: after, key: key, range: 45...76) == 62)
        }
        // Not relaxed: the resolution is not used.
        #expect(MotifFit.transpose(cell, near: 54, places: places, key: key, range: 45...76, resolution: after) == nil)
    }

    /// Every instrumental verse's lead carries a recurring four-note motif, at sparse and busy densities.
    @Test func leadMelodyHasARecurringMotif() {
        for density in [0.1, 0.5, 0.9] {
            for seed in UInt64(1)...6 {
                let plan = CompositionFixtures.plan(density: density)
                let score = Composer.compose(plan: plan, style: CompositionFixtures.style(), seed: seed)
                let verse = score.sections.first { $0.name == "verse" }!
                let lead = score.track(.lead)!.notes.filter {
                    $0.start >= verse.startBeat && $0.start < verse.startBeat + verse.beats
                }
                #expect(MotifTests.recurringPattern(lead) != nil, "density \(density) seed \(seed): \(lead.count) notes")
            }
        }
    }

    @Test func linesTakeAnOpeningOnlyWhereTheirStressesFit() {
        let p = VocalFixtures.pronounce
        // "Under" "river": stressed first syllables on beats 1 and 3 fit; "again" (a-GAIN) puts an unstressed
        // syllable of a longer word on the downbeat and does not.
        let onsets = [0.0, 0.5, 2.0, 2.5]
        #expect(VocalWriter.fitsOpening(p("under river waters flowing"), onsets: onsets))
        #expect(VocalWriter.fitsOpening(p("take me to the golden tree"), onsets: onsets))
        let again = PronouncedLine(words: [
            PronouncedWord(text: "again", syllables: [PronouncedSyllable(phones: ["ah"], nucleus: 0, stress: 0),
                                                      PronouncedSyllable(phones: ["eh"], nucleus: 0, stress: 1)]),
        ] + p("the river flows").words)
        #expect(!VocalWriter.fitsOpening(again, onsets: onsets))
        // Four syllables only: no opening (the line is its own motif).
        #expect(!VocalWriter.fitsOpening(p("under river"), onsets: onsets))
    }

    /// A line offered an earlier opening takes it whenever the rest of the line still fits, even where its own
    /// rhythm would rather go elsewhere: as a pull of 3 a syllable, the DP sang the last of these openings as
    /// 0, 1, 3, 3.5 (its fourth note on the half beat before the bar), and the cell could not return. An opening
    /// the line cannot take still leaves a placement.
    @Test func aLineTakesTheOpeningItIsOffered() {
        let writer = VocalWriter(key: Key(tonic: 1, mode: .minor), register: VoiceBase.female.register, bpm: 86)
        let line = VocalFixtures.pronounce("I wait by the clouds for the dream")
        let alone = writer.placeSyllables(line, start: 0, beats: 8, lateStart: false)
        for opening in [[0.5, 1.0, 2.0, 3.0], [0.0, 1.5, 2.0, 2.5], [0.0, 1.0, 3.0, 4.0]] {
            let taken = writer.placeSyllables(line, start: 0, beats: 8, lateStart: false, opening: opening)
            #expect(taken.prefix(4).map(\.onset) == opening, "\(taken.map(\.onset))")
            #expect(alone.prefix(4).map(\.onset) != opening, "the line would take \(opening) alone: no test")
            #expect(taken.count == alone.count)
        }
        // Onsets past the end of the line's span cannot be taken: the placement is made without them.
        let beyond = writer.placeSyllables(line, start: 0, beats: 8, lateStart: false, opening: [0, 7, 7.5, 8])
        #expect(beyond.count == alone.count && beyond.last!.onset + beyond.last!.length <= 8)
    }

    /// A sung verse whose lines fit each other's openings carries a recurring four-note motif.
    @Test func sungVerseRestatesItsOpeningCell() {
        let lyrics = Lyrics(sections: [
            VocalFixtures.section("verse", "[Verse]", ["Walking down the river road tonight", "Golden are the fields we left behind",
                                                       "Shadows on the water in the light", "Leaving all the colours of the night"]),
            VocalFixtures.section("chorus", "[Chorus]", ["Carry me home", "Over the sea", "Carry me home to the light",
                                                         "Singing to me"]),
        ])
        var found = 0
        for seed in UInt64(1)...6 {
            let score = VocalFixtures.compose(lyrics, seed: seed).score
            if MotifTests.recurringPattern(score.track(.vocals)!.notes) != nil { found += 1 }
        }
        #expect(found == 6, "\(found)/6 seeds")
    }

    /// A line whose words fit an earlier opening only moved in the bar is offered the moved one, and takes it:
    /// "Down in the ..." sung on .5 1.5 2.5 4 (a verse's first line, beginning off the beat) cannot give its
    /// rhythm to "As the river runs" unmoved (ri- would fall off the beat), but half a beat earlier it can, and
    /// the four-note rhythm recurs. Unmoved fits still come first.
    @Test func aMovedOpeningIsOfferedWhenTheWordsFitOnlyThere() {
        let writer = VocalWriter(key: Key(tonic: 9, mode: .minor), register: VoiceBase.female.register, bpm: 100)
        let line = VocalFixtures.pronounce("As the river runs across the sky")
        let first = [0.5, 1.5, 2.5, 4.0]
        #expect(!VocalWriter.fitsOpening(line, onsets: first.map { 8 + $0 }))
        let offered = VocalWriter.offeredOpenings(line, start: 8, beats: 8, earlier: [first])
        #expect(offered.first == [0.0, 1.0, 2.0, 3.5], "\(offered)")
        let slots = writer.placeSyllables(line, start: 8, beats: 8, lateStart: false, openings: offered)
        let iois = (1..<4).map { slots[$0].onset - slots[$0 - 1].onset }
        #expect(iois == [1, 1, 1.5], "\(slots.map(\.onset))")
        // A line that fits the opening unmoved is offered it first.
        let fits = VocalFixtures.pronounce("Down in the garden we belong")
        #expect(VocalWriter.offeredOpenings(fits, start: 8, beats: 8, earlier: [first]).first == first)
    }

    /// Passing and neighbour tones go on weak beats only: a weak note between notes a third apart becomes the step
    /// between them; a repeated weak note whose next note returns becomes a neighbour (some of the time); strong
    /// notes, notes across a rest, and everything else keep their degrees.
    @Test func passingAndNeighbourTonesOnWeakBeats() {
        let writer = MelodyWriter(key: Key(tonic: 0, mode: .major), low: 60, high: 79, density: 0.5,
                                  syncopation: 0, contour: [])
        let I = Chord(degree: 0, mode: .major)
        typealias N = (start: Double, length: Double, degree: Int, chord: Chord, strong: Bool)
        func n(_ start: Double, _ degree: Int, _ strong: Bool) -> N { (start, 0.9, degree, I, strong) }
        // 7 -> (weak 11) -> 9: passing 8; strong 9 -> 7 -> 9 stays; across a 3-beat gap nothing changes
        var notes = [n(0, 7, true), n(1, 11, false), n(2, 9, true), n(3, 7, true), n(4, 9, true),
                     n(8, 7, false), n(9, 9, true)]
        var rng = SeededGenerator(seed: 1)
        writer.placeNonChordTones(&notes, rng: &rng)
        #expect(notes.map(\.degree) == [7, 8, 9, 7, 9, 7, 9])
        // repeated weak notes between equal neighbours: some become neighbours (+-1), none move further
        var moved = 0
        for seed in UInt64(1)...40 {
            var line = [n(0, 9, true), n(1, 9, false), n(2, 9, true)]
            var r = SeededGenerator(seed: seed)
            writer.placeNonChordTones(&line, rng: &r)
            #expect(abs(line[1].degree - 9) <= 1 && line[0].degree == 9 && line[2].degree == 9)
            if line[1].degree != 9 { moved += 1 }
        }
        #expect(moved > 10 && moved < 30, "\(moved)/40 neighbours")
    }
}
