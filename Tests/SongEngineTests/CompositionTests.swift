import Testing
@testable import SongEngine

/// Test fixtures: plans and styles built directly.
enum CompositionFixtures {
    static let form: [SectionPlan] = [
        SectionPlan(name: "intro", bars: 4, energy: 0.25), SectionPlan(name: "verse", bars: 8, energy: 0.5),
        SectionPlan(name: "chorus", bars: 8, energy: 0.85), SectionPlan(name: "verse", bars: 8, energy: 0.55),
        SectionPlan(name: "chorus", bars: 8, energy: 0.9), SectionPlan(name: "bridge", bars: 8, energy: 0.45),
        SectionPlan(name: "chorus", bars: 8, energy: 0.95), SectionPlan(name: "outro", bars: 4, energy: 0.3),
    ]
    static let allRoles: [Role: String] = [.drums: "acoustic_kit", .bass: "electric_bass", .chords: "piano",
                                           .pad: "warm_pad", .arp: "pluck_synth", .lead: "soft_lead"]

    static func plan(key: Key = Key(tonic: 0, mode: .major), bpm: Int = 100, instruments: [Role: String] = allRoles,
                     form: [SectionPlan] = form, density: Double = 0.5) -> MusicPlan {
        MusicPlan(key: key, bpm: bpm, style: "test", valence: 0.2, arousal: 0.3, density: density, register: 72,
                  brightness: 0.5, form: form, instruments: instruments, contour: [0.3, 0.6, 0.8, 0.5, 0.2],
                  decisions: [])
    }

    static func style(drums: StylePreset.DrumPattern = .backbeat, chords: StylePreset.ChordPattern = .sustain,
                      bass: StylePreset.BassPattern = .roots, parameters: [String: Double] = ["swing": 0.15]) -> StylePreset {
        StylePreset(id: "test", name: "Test", description: "", keywords: [], valence: 0, arousal: 0, tempoMin: 80,
                    tempoMax: 120, form: form.map(\.name), sectionBars: [:], instruments: [:], drumPattern: drums,
                    chordPattern: chords, bassPattern: bass, parameters: parameters, mix: [:])
    }

    /// Krumhansl-Schmuckler key finding with the Krumhansl-Kessler profiles over duration-weighted pitch classes.
    static func detectKey(_ notes: [Note]) -> Key {
        let major = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
        let minor = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]
        var hist = [Double](repeating: 0, count: 12)
        for n in notes { hist[n.pitch % 12] += n.duration }
        func corr(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / 12, mb = b.reduce(0, +) / 12
            var num = 0.0, da = 0.0, db = 0.0
            for i in 0..<12 {
                num += (a[i] - ma) * (b[i] - mb)
                da += (a[i] - ma) * (a[i] - ma)
                db += (b[i] - mb) * (b[i] - mb)
            }
            return num / (da * db).squareRoot()
        }
        var best = Key(tonic: 0, mode: .major)
        var bestR = -2.0
        for key in Key.all {
            let profile = key.mode == .major ? major : minor
            let rotated = (0..<12).map { profile[((($0 - key.tonic) % 12) + 12) % 12] }
            let r = corr(hist, rotated)
            if r > bestR { bestR = r; best = key }
        }
        return best
    }

    static func notes(_ score: Score, in span: SectionSpan, role: Role) -> [Note] {
        (score.track(role)?.notes ?? []).filter { $0.start >= span.startBeat - 0.2 && $0.start < span.startBeat + span.beats - 0.2 }
            .map { var n = $0; n.start -= span.startBeat; return n }
    }
}

@Suite struct CompositionTests {
    typealias F = CompositionFixtures

    @Test func keyDetectorFindsThePlannedKeyForAll24KeysAndThreeSeeds() {
        var misses: [String] = []
        for key in Key.all {
            for seed: UInt64 in [1, 2, 3] {
                let score = Composer.compose(plan: F.plan(key: key), style: F.style(), seed: seed)
                let pitched = score.tracks.filter { $0.role != .drums }.flatMap(\.notes)
                let found = F.detectKey(pitched)
                if found != key { misses.append("\(key) seed \(seed) -> \(found)") }
            }
        }
        #expect(misses.isEmpty, "\(misses)")
    }

    @Test(arguments: [Key(tonic: 9, mode: .minor), Key(tonic: 7, mode: .major)])
    func everyChorusRepeatsChordsAndHook(key: Key) {
        for seed: UInt64 in [7, 8] {
            let score = Composer.compose(plan: F.plan(key: key), style: F.style(chords: .stabs), seed: seed)
            let choruses = score.sections.filter { $0.name == "chorus" }
            #expect(choruses.count == 3)
            for role in [Role.chords, .lead] {
                let first = F.notes(score, in: choruses[0], role: role)
                #expect(first.count > 8)
                for other in choruses.dropFirst() {
                    let notes = F.notes(score, in: other, role: role)
                    #expect(notes.map(\.pitch) == first.map(\.pitch), "\(role)")
                    #expect(zip(notes, first).allSatisfy { abs($0.start - $1.start) < 1e-9 }, "\(role)")
                }
            }
        }
    }

    @Test func sameSeedGivesIdenticalScore() throws {
        let a = Composer.compose(plan: F.plan(), style: F.style(), seed: 42)
        let b = Composer.compose(plan: F.plan(), style: F.style(), seed: 42)
        #expect(a.tracks.map(\.notes) == b.tracks.map(\.notes))
        #expect(MIDIFile.encode(a, title: "t") == MIDIFile.encode(b, title: "t"))
    }

    @Test func differentSeedsShareKeyTempoAndFormButNotTheMelody() {
        let plan = F.plan(key: Key(tonic: 2, mode: .minor), bpm: 92)
        let a = Composer.compose(plan: plan, style: F.style(), seed: 1)
        let b = Composer.compose(plan: plan, style: F.style(), seed: 2)
        #expect(a.key == b.key && a.bpm == b.bpm && a.bpm == 92)
        #expect(a.sections == b.sections)
        #expect(a.track(.lead)!.notes.map(\.pitch) != b.track(.lead)!.notes.map(\.pitch))
    }

    @Test func rolesFollowThePlanAndTracksAreWellFormed() {
        var instruments = F.allRoles
        instruments[.drums] = nil
        let score = Composer.compose(plan: F.plan(instruments: instruments), style: F.style(), seed: 5)
        #expect(score.track(.drums) == nil)
        #expect(score.tracks.map(\.name) == ["bass", "chords", "pad", "arp", "lead"])
        #expect(score.track(.chords)?.program == 0 && score.track(.lead)?.program == 80)
        let full = Composer.compose(plan: F.plan(), style: F.style(), seed: 5)
        #expect(full.track(.drums)?.channel == 9)
        #expect(Set(full.tracks.map(\.channel)).count == full.tracks.count)
        for t in full.tracks {
            #expect(zip(t.notes, t.notes.dropFirst()).allSatisfy { $0.start <= $1.start })
            #expect(t.notes.allSatisfy { (0...127).contains($0.pitch) && (1...127).contains($0.velocity) && $0.duration > 0 })
        }
        // Adding a part does not change another part.
        #expect(score.track(.lead)!.notes == full.track(.lead)!.notes)
        #expect(score.track(.bass)!.notes == full.track(.bass)!.notes)
    }

    @Test(arguments: StylePreset.DrumPattern.allCases)
    func everyDrumPatternPlays(pattern: StylePreset.DrumPattern) {
        let score = Composer.compose(plan: F.plan(), style: F.style(drums: pattern), seed: 3)
        let drums = score.track(.drums)!.notes
        let chorus = score.sections[2]
        let inChorus = drums.filter { $0.start >= chorus.startBeat - 0.1 && $0.start < chorus.startBeat + chorus.beats }
        #expect(inChorus.count >= 8 * 4, "at least a hit per beat in the chorus")
        #expect(Set(drums.map(\.pitch)).isSubset(of: [36, 37, 38, 39, 41, 42, 45, 46, 48, 49, 51, 70]))
        if pattern != .none && pattern != .ambientPulse {
            // crash on the first chorus downbeat, backbeat or pulse kick present
            #expect(inChorus.contains { $0.pitch == 49 && abs($0.start - chorus.startBeat) < 0.1 })
        }
        #expect(drums.allSatisfy { $0.start >= score.sections[1].startBeat - 0.1 }, "intro has no drums")
    }

    @Test(arguments: StylePreset.ChordPattern.allCases)
    func everyChordPatternPlaysVoiceLedChords(pattern: StylePreset.ChordPattern) {
        let score = Composer.compose(plan: F.plan(), style: F.style(chords: pattern), seed: 4)
        let notes = score.track(.chords)!.notes
        #expect(notes.count >= score.sections.reduce(0) { $0 + Int($1.beats / 4) } * 3)
        let center = 12 * 5 + 6
        let mean = Double(notes.map(\.pitch).reduce(0, +)) / Double(notes.count)
        #expect(abs(mean - Double(center)) < 7)
    }

    @Test(arguments: StylePreset.BassPattern.allCases)
    func everyBassPatternPlaysItsChordsBassNoteOnDownbeats(pattern: StylePreset.BassPattern) {
        let key = Key(tonic: 9, mode: .minor)
        let score = Composer.compose(plan: F.plan(key: key), style: F.style(bass: pattern), seed: 9)
        let bass = score.track(.bass)!.notes
        #expect(bass.count >= 16)
        #expect(bass.allSatisfy { (24...60).contains($0.pitch) })
        // Every chord's first downbeat carries the chord's root (tonic-heavy bass in minor), or its third where a
        // repeated verse takes the chord in first inversion (Harmony.stepwiseBass).
        let harmony = Harmony.song(plan: F.plan(key: key), style: F.style(bass: pattern), root: SeededGenerator(seed: 9))
        var checked = 0
        for (h, span) in zip(harmony, score.sections) {
            for slot in h.slots {
                let t = span.startBeat + slot.start
                guard let n = bass.first(where: { abs($0.start - t) < 0.1 }) else { continue }
                #expect(n.pitch % 12 == slot.bassPitchClass(tonic: key.tonic))
                checked += 1
            }
        }
        #expect(checked >= 40)
    }

    @Test func minorDominantsCarryTheRaisedLeadingTone() {
        for key in Key.all where key.mode == .minor {
            let v = Chord(degree: 4, mode: .minor)
            #expect(v.pitchClasses(tonic: key.tonic).contains((key.tonic + 11) % 12))
            let score = Composer.compose(plan: F.plan(key: key), style: F.style(), seed: 11)
            // In the sounding chords, the subtonic (natural 7th) never sounds with the dominant's root and third.
            let chords = score.track(.chords)!.notes
            let raised = chords.filter { $0.pitch % 12 == (key.tonic + 11) % 12 }.count
            #expect(raised > 0)
        }
    }

    @Test(arguments: [Key(tonic: 4, mode: .minor), Key(tonic: 10, mode: .major)], [UInt64(1), 2])
    func leadIsASingableMelodyInRange(key: Key, seed: UInt64) {
        let style = F.style(parameters: ["melodyRange": 12])
        let score = Composer.compose(plan: F.plan(key: key), style: style, seed: seed)
        let lead = score.track(.lead)!.notes
        // Inside the register (72 +- 6), except a restated motif group that fits its chords only a whole tone
        // outside it (MelodyWriter.restatementRange): those few notes, never more than a tenth.
        #expect(lead.allSatisfy { (64...80).contains($0.pitch) })
        let inside = Double(lead.filter { (66...78).contains($0.pitch) }.count) / Double(lead.count)
        #expect(inside >= 0.9, "inside the register: \(inside)")
        #expect(lead.last!.pitch % 12 == key.tonic, "the song's last melody note is the tonic")
        #expect(lead.allSatisfy { $0.start >= score.sections[1].startBeat - 0.1 }, "no lead in the intro")
        let intervals = zip(lead, lead.dropFirst()).map { abs($1.pitch - $0.pitch) }
        let stepwise = Double(intervals.filter { $0 <= 4 }.count) / Double(intervals.count)
        #expect(stepwise > 0.7, "mostly steps: \(stepwise)")
        #expect(intervals.max()! <= 12)
        // Chord tones on strong beats (beats 1 and 3): the lead's pitch class sounds in the pad's held chord.
        let pad = score.track(.pad)!.notes
        let strong = lead.filter { abs($0.start - $0.start.rounded()) < 0.06 && Int($0.start.rounded()) % 2 == 0 }
        let chordTones = strong.filter { note in
            pad.contains { $0.start <= note.start + 0.06 && $0.start + $0.duration > note.start && $0.pitch % 12 == note.pitch % 12 }
        }
        // The rest are appoggiaturas (MotifFit's relaxed restatement: one strong non-chord tone per restated group,
        // resolving by step to the next note, itself sounding in the chord). A chorus restated three times carries
        // its one three times, so they are counted apart: chord tones >= 90%, with appoggiaturas >= 95%.
        func sounds(_ pitch: Int, at t: Double) -> Bool {
            pad.contains { $0.start <= t + 0.06 && $0.start + $0.duration > t && $0.pitch % 12 == pitch % 12 }
        }
        let leaning = strong.filter { note in
            guard !sounds(note.pitch, at: note.start), let i = lead.firstIndex(where: { $0.start == note.start }),
                  i + 1 < lead.count else { return false }
            let next = lead[i + 1]
            return abs(next.pitch - note.pitch) <= 2 && sounds(next.pitch, at: next.start)
        }
        #expect(strong.count > 20 && chordTones.count * 100 >= strong.count * 90, "\(chordTones.count)/\(strong.count)")
        #expect((chordTones.count + leaning.count) * 100 >= strong.count * 95,
                "\(chordTones.count) + \(leaning.count) appoggiaturas of \(strong.count)")
        // Rests between phrases: every 4-bar phrase's last beat is silent.
        let phraseEnds = stride(from: 0.0, to: score.lengthBeats, by: 16).map { $0 + 15 }
        for end in phraseEnds {
            #expect(!lead.contains { $0.start < end + 0.9 && $0.start + $0.duration > end + 0.1 })
        }
    }

    @Test func velocityFollowsEnergyAndTempoIsConstant() {
        let score = Composer.compose(plan: F.plan(), style: F.style(), seed: 6)
        func meanVelocity(_ span: SectionSpan) -> Double {
            let n = score.tracks.filter { $0.role == .chords }.flatMap(\.notes)
                .filter { $0.start >= span.startBeat && $0.start < span.startBeat + span.beats }
            return Double(n.map(\.velocity).reduce(0, +)) / Double(n.count)
        }
        #expect(meanVelocity(score.sections[2]) > meanVelocity(score.sections[0]) + 10)
        // Kicks and snares stay within a few hundredths of a beat of the grid (swing only moves off-beats).
        let drums = score.track(.drums)!.notes.filter { [36, 38].contains($0.pitch) }
        let onBeat = drums.filter { abs($0.start - $0.start.rounded()) < 0.06 }
        #expect(Double(onBeat.count) / Double(drums.count) > 0.6)
    }
}

