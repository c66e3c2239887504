import Foundation
import Testing
@testable import SongEngine

/// Lyric form and vocal melody, measured on the composed score: syllable-to-note mapping, range, chord tones on
/// strong beats, breaths between lines, note lengths, repetition of the hook, determinism.
enum VocalFixtures {
    static let functionWords: Set<String> = ["the", "a", "an", "and", "of", "to", "in", "on", "my", "your", "i",
                                             "you", "we", "it", "is", "at", "for", "with", "but", "or", "as", "me"]

    /// A hand pronouncer for unit tests: syllables by vowel groups, primary stress on a word's first syllable
    /// (none on function words). Phones are placeholders: the melody needs counts and stresses only.
    static func pronounce(_ line: String) -> PronouncedLine {
        let words = line.split(whereSeparator: { $0 == " " }).map { $0.filter { $0.isLetter || $0 == "'" } }
            .filter { !$0.isEmpty }
        return PronouncedLine(words: words.map { w in
            var groups = 0
            var inVowel = false
            for c in w.lowercased() {
                let v = "aeiouy".contains(c)
                if v && !inVowel { groups += 1 }
                inVowel = v
            }
            if w.lowercased().hasSuffix("e") && groups > 1 && !w.lowercased().hasSuffix("le") { groups -= 1 }
            let count = max(1, groups)
            let function = functionWords.contains(w.lowercased())
            return PronouncedWord(text: w, syllables: (0..<count).map { i in
                PronouncedSyllable(phones: ["k", "aa"], nucleus: 1, stress: i == 0 && !function ? 1 : 0)
            })
        })
    }

    static func section(_ kind: String, _ tag: String, _ lines: [String]) -> LyricSection {
        LyricSection(kind: kind, tag: tag, lines: lines)
    }

    static let chorus = section("chorus", "[Chorus]", [
        "Gold on the water, fire in the sky", "Hold me a little longer", "Gold on the water, never say goodbye",
        "Stay till the night is over",
    ])

    /// A song with every tag kind, the chorus three times.
    static let tagged = Lyrics(sections: [
        section("intro", "[Intro]", ["Oh, oh, oh"]),
        section("verse", "[Verse 1]", ["Morning light is breaking on the harbour wall", "Every boat is leaving and I hear them call",
                                      "Somewhere past the lighthouse there's a song for me", "Carried on the salt wind rolling off the sea"]),
        section("pre_chorus", "[Pre-Chorus]", ["And I will follow", "Into tomorrow"]),
        chorus,
        section("verse", "[Verse 2]", ["Paper lanterns floating where the river bends", "Every story ending where another starts",
                                      "I keep all the colours that the evening sends", "Written in the margins of our open hearts"]),
        section("pre_chorus", "[Pre-Chorus]", ["And I will follow", "Into tomorrow"]),
        chorus,
        section("bridge", "[Bridge]", ["Slow", "Slow down the river", "Let the current carry us home"]),
        chorus,
        section("outro", "[Outro]", ["Gold on the water", "Gold"]),
    ])

    static func pronounced(_ lyrics: Lyrics) -> [[PronouncedLine]] {
        lyrics.sections.map { $0.lines.map(pronounce) }
    }

    static let style = CompositionFixtures.style()

    /// Form, plan and score for lyrics at a tempo, the way the Planner and the engine will chain them.
    static func compose(_ lyrics: Lyrics, bpm: Int = 96, key: Key = Key(tonic: 9, mode: .minor),
                        base: VoiceBase = .female, register: VocalRegister? = nil, seed: UInt64 = 7)
        -> (score: Score, plan: MusicPlan, harmony: [SectionHarmony])
    {
        let fitted = LyricForm.fit(lyrics: lyrics, pronounced: pronounced(lyrics), bpm: bpm, style: style)
        let form = fitted.names.map { SectionPlan(name: $0.0, bars: $0.1, energy: $0.0 == "chorus" ? 0.85 : 0.5) }
        let plan = CompositionFixtures.plan(key: key, bpm: bpm, form: form)
        let score = Composer.compose(plan: plan, style: style, seed: seed,
                                     vocal: VocalInput(lyrics: fitted.lyrics, pronounced: fitted.pronounced, base: base,
                                                       register: register))
        var rng = SeededGenerator(seed: seed).fork("harmony")
        let harmony = Harmony.plan(form: form, key: key, harmonicRhythm: style[.harmonicRhythm], rng: &rng)
        return (score, plan, harmony)
    }

    static func words(_ count: Int) -> String {
        let pool = ["silver", "morning", "river", "light", "over", "the", "hills", "we", "carry", "golden", "songs",
                    "into", "evening", "and", "wander", "far", "beyond", "horizon", "lines", "of", "colour"]
        var out: [String] = []
        var total = 0
        var i = 0
        while total < count {
            let w = pool[(i * 7 + i / 3) % pool.count]
            out.append(w)
            total += w.count + 1
            i += 1
        }
        return out.joined(separator: " ")
    }

    /// Lyrics of about `characters` characters as sung text (tags included): 4-line verses of 6-8 words, the
    /// chorus after every second verse.
    static func lyrics(characters: Int) -> Lyrics {
        let all = words(characters * 2).split(separator: " ").map(String.init)
        var sections: [LyricSection] = []
        var i = 0
        var verse = 1
        while Lyrics(sections: sections).text.count < characters - 40 && i < all.count {
            var lines: [String] = []
            while lines.count < 4 && i < all.count {
                let n = 6 + (lines.count % 3)
                lines.append(all[i..<min(all.count, i + n)].joined(separator: " "))
                i += n
            }
            sections.append(section("verse", "[Verse \(verse)]", lines))
            if verse % 2 == 1 { sections.append(chorus) }
            verse += 1
        }
        while Lyrics(sections: sections).text.count > characters, var last = sections.popLast() {
            // Trim the last section's lines to stay within the limit (the hosted API's 3000 characters).
            if last.lines.count > 1 { last.lines.removeLast(); sections.append(last) }
        }
        return Lyrics(sections: sections)
    }
}

@Suite struct VocalWriterTests {
    @Test func taggedFormKeepsOrderAndRepetition() {
        let lyrics = VocalFixtures.tagged
        let fitted = LyricForm.fit(lyrics: lyrics, pronounced: VocalFixtures.pronounced(lyrics), bpm: 96,
                                   style: VocalFixtures.style)
        #expect(fitted.names.map(\.0) == ["intro", "verse", "pre_chorus", "chorus", "verse", "pre_chorus", "chorus",
                                          "bridge", "chorus", "outro"])
        #expect(fitted.lyrics.sections.map(\.tag) == lyrics.sections.map(\.tag))
        let chorusBars = fitted.names.filter { $0.0 == "chorus" }.map(\.1)
        #expect(Set(chorusBars).count == 1 && chorusBars[0] >= 8)
        #expect(fitted.names.allSatisfy { $0.1 % 4 == 0 && $0.1 >= 4 })

        // Without sung intro/outro: instrumental ones are added, and the lyrics stay aligned with the form.
        let plain = Lyrics(sections: Array(lyrics.sections[1...8]))
        let fitted2 = LyricForm.fit(lyrics: plain, pronounced: VocalFixtures.pronounced(plain), bpm: 96,
                                    style: VocalFixtures.style)
        #expect(fitted2.names.first?.0 == "intro" && fitted2.names.last?.0 == "outro")
        #expect(fitted2.lyrics.sections.count == fitted2.names.count)
        #expect(fitted2.pronounced.count == fitted2.names.count)
        #expect(fitted2.lyrics.sections.first?.lines.isEmpty == true && fitted2.lyrics.sections.last?.lines.isEmpty == true)
        #expect(Array(fitted2.lyrics.sections[1...8]) == plain.sections)
        #expect(fitted2.lyrics.text == plain.text)
    }

    @Test func longLinesAndFastTemposGetMoreBars() {
        let short = VocalFixtures.pronounce("Gold on the water")
        let long = VocalFixtures.pronounce("Every single colour that the evening ever gave me on the water")
        for bpm in [60, 96, 140, 200] {
            let r = VocalRhythm(bpm: bpm)
            #expect(r.lineBars(syllables: short.syllableCount) == 2)
            // Syllables per beat and note length as sung: at most 2 a beat, each grid note >= 0.18 s.
            #expect(r.unit * 60 / Double(bpm) >= 0.18)
            let bars = r.lineBars(syllables: long.syllableCount)
            #expect(r.capacity(bars: bars) >= long.syllableCount)
            if bpm >= 140 { #expect(bars >= 4) }
        }
    }

    @Test func melodyMeasuredOnTheScore() throws {
        let (score, _, harmony) = VocalFixtures.compose(VocalFixtures.tagged)
        let vocal = try #require(score.vocal)
        let track = try #require(score.track(.vocals))
        #expect(track.program == 53 && track.instrument == "voice" && track.channel != 9)
        #expect(Set(score.tracks.map(\.channel)).count == score.tracks.count)
        let notes = track.notes
        let spb = score.secondsPerBeat

        // Every syllable has >= 1 note, every note is used exactly once, in time order.
        var used: [Int] = []
        var sungLines = 0
        for line in vocal.lines {
            let said = vocal.pronounced[line.section][line.line]
            #expect(line.syllables.count == said.syllableCount)
            #expect(line.syllables.allSatisfy { !$0.notes.isEmpty && $0.notes.count <= 3 })
            used += line.syllables.flatMap(\.notes)
            sungLines += 1
        }
        #expect(sungLines == vocal.lyrics.sections.reduce(0) { $0 + $1.lines.count })
        #expect(used == Array(notes.indices))
        for i in notes.indices.dropLast() {
            #expect(notes[i].start + notes[i].duration <= notes[i + 1].start + 1e-9)
        }

        // Range, and near the melody's centre (the register's centre, A3 for the female singer) most of the
        // time; no note shorter than 0.15 s.
        let register = VoiceBase.female.register
        let range = register.range
        #expect(notes.allSatisfy { range.contains($0.pitch) })
        let span = Double(range.upperBound - range.lowerBound)
        let centre = Double(register.centre)
        let middle = notes.filter { abs(Double($0.pitch) - centre) <= 0.3 * span }
        #expect(Double(middle.count) >= 0.7 * Double(notes.count))
        let medianPitch = notes.map(\.pitch).sorted()[notes.count / 2]
        #expect(medianPitch <= register.centre + 3, "median note \(medianPitch)")
        #expect(notes.allSatisfy { $0.duration * spb >= 0.15 })

        // Chord tones on strong beats (beats 1 and 3 of a bar).
        var strong = 0
        var tones = 0
        for n in notes {
            let b = n.start.truncatingRemainder(dividingBy: 4)
            guard abs(b) < 1e-6 || abs(b - 2) < 1e-6 else { continue }
            let i = score.sections.lastIndex { $0.startBeat <= n.start + 1e-9 }!
            let chord = harmony[i].chord(at: n.start - score.sections[i].startBeat + 1e-6)
            strong += 1
            if chord.pitchClasses(tonic: score.key.tonic).contains(n.pitch % 12) { tones += 1 }
        }
        let toneShare = Double(tones) / Double(strong)
        #expect(strong >= 40)
        #expect(toneShare >= 0.6, "chord tones on strong beats: \(tones)/\(strong)")

        // Mostly steps: the median interval within a line is at most 2 semitones; some leaps exist.
        var intervals: [Int] = []
        for line in vocal.lines {
            let idx = line.syllables.flatMap(\.notes)
            for k in idx.indices.dropFirst() { intervals.append(abs(notes[idx[k]].pitch - notes[idx[k - 1]].pitch)) }
        }
        intervals.sort()
        #expect(intervals[intervals.count / 2] <= 2)
        #expect(intervals.contains { $0 >= 4 })

        // Each line ends before the next one starts with a breath of >= 1/2 beat and >= 250 ms; its last note is
        // held (>= 1 beat).
        let lineNotes = vocal.lines.map { $0.syllables.flatMap(\.notes) }.filter { !$0.isEmpty }
        for k in lineNotes.indices {
            let last = notes[lineNotes[k].last!]
            #expect(last.duration >= 1 - 1e-9)
            guard k + 1 < lineNotes.count else { continue }
            let gap = notes[lineNotes[k + 1].first!].start - (last.start + last.duration)
            #expect(gap >= 0.5 - 1e-9 && gap * spb >= 0.25 - 1e-9)
        }

        // Stressed syllables of words of 2+ syllables land on beats.
        var stressed = 0
        var onBeat = 0
        for line in vocal.lines {
            var s = 0
            for w in vocal.pronounced[line.section][line.line].words {
                for (k, syl) in w.syllables.enumerated() {
                    if w.syllables.count > 1 && k == 0 && syl.stress == 1 {
                        stressed += 1
                        let t = notes[line.syllables[s].notes[0]].start
                        if abs(t - t.rounded()) < 1e-6 { onBeat += 1 }
                    }
                    s += 1
                }
            }
        }
        #expect(Double(onBeat) >= 0.8 * Double(stressed), "stressed on beats: \(onBeat)/\(stressed)")

        // Melismas exist (sparse lines such as "Slow" and "Gold"), mostly on the line's last stressed syllable.
        var melismas = 0
        var onLastStressed = 0
        for line in vocal.lines {
            let stresses = vocal.pronounced[line.section][line.line].stresses
            let lastStressed = stresses.lastIndex { $0 > 0 } ?? stresses.count - 1
            for (k, syl) in line.syllables.enumerated() where syl.notes.count > 1 {
                melismas += 1
                if k == lastStressed { onLastStressed += 1 }
            }
        }
        #expect(melismas >= 3)
        #expect(Double(onLastStressed) >= 0.6 * Double(melismas))
        print("vocal melody: \(notes.count) notes, chord tones on strong beats \(tones)/\(strong), "
            + "stressed on beats \(onBeat)/\(stressed), melismas \(melismas) (\(onLastStressed) on the last stress), "
            + "median interval \(intervals[intervals.count / 2]), middle share \(middle.count)/\(notes.count)")
    }

    @Test func repeatedChorusesAreIdentical() throws {
        let (score, _, _) = VocalFixtures.compose(VocalFixtures.tagged)
        let notes = try #require(score.track(.vocals)).notes
        let choruses = score.sections.enumerated().filter { $0.element.name == "chorus" }.map(\.element)
        #expect(choruses.count == 3)
        let local = choruses.map { span in
            notes.filter { $0.start >= span.startBeat && $0.start < span.startBeat + span.beats }
                .map { Note(start: $0.start - span.startBeat, duration: $0.duration, pitch: $0.pitch, velocity: $0.velocity) }
        }
        #expect(!local[0].isEmpty)
        #expect(local[0] == local[1] && local[1] == local[2])
        // The verses have different words, so a different tune.
        let verses = score.sections.filter { $0.name == "verse" }
        let v = verses.map { span in
            notes.filter { $0.start >= span.startBeat && $0.start < span.startBeat + span.beats }
                .map { [$0.start - span.startBeat, Double($0.pitch)] }
        }
        #expect(v[0] != v[1])
    }

    @Test func leadStepsAsideAndOtherPartsAreUnchanged() throws {
        let (score, plan, _) = VocalFixtures.compose(VocalFixtures.tagged)
        let plain = Composer.compose(plan: plan, style: VocalFixtures.style, seed: 7)
        let vocal = try #require(score.vocal)
        #expect(plain.vocal == nil && plain.track(.vocals) == nil)
        for role in [Role.drums, .bass, .chords, .pad, .arp] {
            #expect(score.track(role)?.notes == plain.track(role)?.notes)
        }
        let lead = score.track(.lead)?.notes ?? []
        for (i, span) in score.sections.enumerated() where !vocal.lyrics.sections[i].lines.isEmpty {
            #expect(!lead.contains { $0.start >= span.startBeat - 0.2 && $0.start < span.startBeat + span.beats - 0.2 })
        }
        #expect(vocal.sectionStartBeats == score.sections.map(\.startBeat))
    }

    /// Lines of the same rhythm two apart form a parallel period (A B A' C): the third line sings the first one's
    /// tune, fitted to its chords, in most seeds.
    @Test func parallelLinesRepeatTheirTune() throws {
        let verse = Lyrics(sections: [VocalFixtures.section("verse", "[Verse]", [
            "Silver morning on the river", "Carry me across the water", "Golden morning on the water",
            "Take me to the other side",
        ])])
        var similar = 0
        for seed in UInt64(1)...12 {
            let (score, _, _) = VocalFixtures.compose(verse, seed: seed)
            let vocal = try #require(score.vocal)
            let notes = try #require(score.track(.vocals)).notes
            let a = vocal.lines[0].syllables.flatMap(\.notes).map { notes[$0].pitch }
            let b = vocal.lines[2].syllables.flatMap(\.notes).map { notes[$0].pitch }
            guard a.count == b.count else { continue }
            let same = zip(a, b).filter { $0 == $1 }.count
            if Double(same) >= 0.75 * Double(a.count) { similar += 1 }
        }
        #expect(similar >= 6, "parallel lines in \(similar) of 12 seeds")
        print("parallel period: line 3 repeats line 1's tune (75% of notes the same pitch) in \(similar) of 12 seeds")
    }

    /// The tagged song as flite pronounces it (real syllables and lexical stress): every syllable sung, stressed
    /// syllables of polysyllabic words on beats, breaths between lines.
    @Test func withRealPronunciation() throws {
        let lyrics = VocalFixtures.tagged
        let said = lyrics.sections.map { $0.lines.map { Speech.shared.pronounce(line: $0) } }
        #expect(said[1][0].syllableCount >= 10)
        let fitted = LyricForm.fit(lyrics: lyrics, pronounced: said, bpm: 104, style: VocalFixtures.style)
        let form = fitted.names.map { SectionPlan(name: $0.0, bars: $0.1, energy: 0.6) }
        let plan = CompositionFixtures.plan(key: Key(tonic: 7, mode: .major), bpm: 104, form: form)
        let score = Composer.compose(plan: plan, style: VocalFixtures.style, seed: 5,
                                     vocal: VocalInput(lyrics: fitted.lyrics, pronounced: fitted.pronounced, base: .male))
        let vocal = try #require(score.vocal)
        let notes = try #require(score.track(.vocals)).notes
        var used: [Int] = []
        var stressed = 0
        var onBeat = 0
        var (functionWords, functionStrong, contentWords, contentStrong) = (0, 0, 0, 0)
        for line in vocal.lines {
            let p = vocal.pronounced[line.section][line.line]
            #expect(line.syllables.count == p.syllableCount)
            used += line.syllables.flatMap(\.notes)
            var s = 0
            for w in p.words {
                for syl in w.syllables {
                    let t = notes[line.syllables[s].notes[0]].start
                    let bar = t.truncatingRemainder(dividingBy: 4)
                    let strongBeat = abs(bar) < 1e-6 || abs(bar - 2) < 1e-6
                    if w.syllables.count > 1 && syl.stress == 1 {
                        stressed += 1
                        if abs(t - t.rounded()) < 1e-6 { onBeat += 1 }
                    }
                    if w.syllables.count == 1 {
                        let function = VocalWriter.functionWords.contains(w.text.lowercased())
                        if function { functionWords += 1; functionStrong += strongBeat ? 1 : 0 }
                        else { contentWords += 1; contentStrong += strongBeat ? 1 : 0 }
                    }
                    s += 1
                }
            }
        }
        #expect(used == Array(notes.indices))
        #expect(notes.allSatisfy { VoiceBase.male.register.range.contains($0.pitch) && $0.duration * score.secondsPerBeat >= 0.15 })
        #expect(Double(onBeat) >= 0.75 * Double(stressed), "stressed on beats: \(onBeat)/\(stressed)")
        // One-syllable function words ("the", "is") land on beats 1 and 3 much less often than content words.
        let functionShare = Double(functionStrong) / Double(max(1, functionWords))
        let contentShare = Double(contentStrong) / Double(max(1, contentWords))
        #expect(functionWords >= 20 && contentWords >= 20)
        #expect(functionShare < 0.6 * contentShare)
        print("flite stresses: \(onBeat) of \(stressed) primary-stressed syllables of polysyllabic words on a beat; "
            + "on beats 1/3: function words \(functionStrong)/\(functionWords), content words \(contentStrong)/\(contentWords)")
    }

    /// Lyrics written for a plan's own form (the lyric writer's case, no LyricForm): dense lines in 8-bar sections
    /// at 180 bpm still sing every syllable with notes >= 0.15 s and a breath after every line.
    @Test func lyricsWrittenForAFixedForm() throws {
        let verse = ["Every single colour of the evening on the water", "Carry me along the river till the morning comes",
                     "Silver in the shadows and the lanterns on the harbour", "Hold me in the golden light beyond the hills"]
        let sections = CompositionFixtures.form.map { s in
            VocalFixtures.section(s.name, "[\(s.name)]", s.name == "intro" || s.name == "outro" ? [] : verse)
        }
        let lyrics = Lyrics(sections: sections, written: true)
        let plan = CompositionFixtures.plan(bpm: 180)
        let score = Composer.compose(plan: plan, style: VocalFixtures.style, seed: 9,
                                     vocal: VocalInput(lyrics: lyrics, pronounced: VocalFixtures.pronounced(lyrics),
                                                       base: .female))
        let vocal = try #require(score.vocal)
        let notes = try #require(score.track(.vocals)).notes
        #expect(vocal.lines.count == 6 * 4)
        #expect(vocal.lines.flatMap { $0.syllables.flatMap(\.notes) } == Array(notes.indices))
        #expect(notes.allSatisfy { $0.duration * score.secondsPerBeat >= 0.15 - 1e-9 })
        let lines = vocal.lines.map { $0.syllables.flatMap(\.notes) }
        for k in lines.indices.dropLast() {
            let last = notes[lines[k].last!]
            let gap = notes[lines[k + 1].first!].start - (last.start + last.duration)
            #expect(gap >= 0.5 - 1e-9 && gap * score.secondsPerBeat >= 0.25 - 1e-9)
        }
    }

    /// The melody sits in the register it is given: the female singer's own (alto, centred on A3) when the vocal
    /// is delivered as sung, the catalog's reference (centred on D4) when a catalog voice converts it.
    @Test func melodySitsInItsRegister() throws {
        var medians: [Int] = []
        for register in [VoiceBase.female.register, VocalRegister.catalogReference, VoiceBase.male.register] {
            let score = VocalFixtures.compose(VocalFixtures.tagged, bpm: 120, register: register, seed: 5).score
            let pitches = try #require(score.track(.vocals)).notes.map(\.pitch).sorted()
            #expect(pitches.allSatisfy { register.range.contains($0) })
            let median = pitches[pitches.count / 2]
            #expect(abs(median - register.centre) <= 3, "median \(median), centre \(register.centre)")
            medians.append(median)
        }
        #expect(medians[1] - medians[0] >= 3, "the catalog reference sits higher than the alto: \(medians)")
    }

    @Test func deterministicPerSeed() throws {
        let a = VocalFixtures.compose(VocalFixtures.tagged, seed: 11).score
        let b = VocalFixtures.compose(VocalFixtures.tagged, seed: 11).score
        let c = VocalFixtures.compose(VocalFixtures.tagged, seed: 12).score
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(a) == encoder.encode(b))
        #expect(a.track(.vocals)?.notes != c.track(.vocals)?.notes)
    }

    @Test(arguments: [(60, VoiceBase.male), (132, VoiceBase.female), (190, VoiceBase.male)])
    func temposAndVoices(bpm: Int, base: VoiceBase) throws {
        let (score, _, _) = VocalFixtures.compose(VocalFixtures.tagged, bpm: bpm, key: Key(tonic: 2, mode: .major),
                                                  base: base, seed: 3)
        let notes = try #require(score.track(.vocals)).notes
        #expect(notes.allSatisfy { base.register.range.contains($0.pitch) })
        #expect(notes.allSatisfy { $0.duration * score.secondsPerBeat >= 0.15 })
        #expect(score.vocal?.lines.allSatisfy { $0.syllables.allSatisfy { !$0.notes.isEmpty } } == true)
    }

    /// A ballad's short lines (60 bpm, 3-7 syllables in 2 bars): mid-line syllables keep near a sung syllable's
    /// length instead of each being held over a second, and stressed ones are held longer than unstressed ones.
    @Test func slowLinesKeepASungPace() throws {
        let ballad = Lyrics(sections: [VocalFixtures.section("verse", "[Verse]", [
            "Slowly the evening falls", "Over the hills so blue", "Softly the old bell calls", "Calling me back to you",
        ])])
        let (score, _, _) = VocalFixtures.compose(ballad, bpm: 60, seed: 5)
        let vocal = try #require(score.vocal)
        let notes = try #require(score.track(.vocals)).notes
        let spb = score.secondsPerBeat
        var stressed: [Double] = [], unstressed: [Double] = []
        for line in vocal.lines {
            let said = vocal.pronounced[line.section][line.line]
            let stresses = VocalWriter.sungStresses(said)
            for k in 0..<(line.syllables.count - 1) {  // the held last syllable aside
                let length = (notes[line.syllables[k + 1].notes[0]].start - notes[line.syllables[k].notes[0]].start) * spb
                if stresses[k] > 0 { stressed.append(length) } else { unstressed.append(length) }
            }
        }
        let all = (stressed + unstressed).sorted()
        let mean = { (x: [Double]) in x.reduce(0, +) / Double(max(1, x.count)) }
        #expect(stressed.count >= 5 && unstressed.count >= 5)
        #expect(all[all.count / 2] <= 0.8, "median mid-line syllable \(all[all.count / 2]) s")
        #expect(all.allSatisfy { $0 <= 2.0 })
        #expect(mean(stressed) > mean(unstressed), "stressed \(mean(stressed)) s, unstressed \(mean(unstressed)) s")
    }

    @Test func longerLyricsMakeALongerSong() {
        func bars(_ characters: Int) -> (Int, Int) {
            let lyrics = VocalFixtures.lyrics(characters: characters)
            let fitted = LyricForm.fit(lyrics: lyrics, pronounced: VocalFixtures.pronounced(lyrics), bpm: 100,
                                       style: VocalFixtures.style)
            return (fitted.names.reduce(0) { $0 + $1.1 }, fitted.names.count)
        }
        #expect(VocalFixtures.lyrics(characters: 3000).text.count <= 3000)
        #expect(VocalFixtures.lyrics(characters: 3000).text.count >= 2800)
        let short = bars(500)
        let long = bars(3000)
        #expect(long.0 > 3 * short.0)
        #expect(long.1 > short.1)
        // 3000 characters at 100 bpm: a full song of several minutes.
        #expect(Double(long.0) * 240 / 100 > 300)
        print("lyric form at 100 bpm: 500 characters \(short.0) bars in \(short.1) sections (\(short.0 * 240 / 100) s), "
            + "3000 characters \(long.0) bars in \(long.1) sections (\(long.0 * 240 / 100) s)")
    }

    /// Prose pasted as one 3000-character line, and lines with nothing to pronounce: still sung within the limits,
    /// and fast (the rhythm search is linear in a line's length).
    @Test func proseAndUnpronounceableLines() throws {
        let prose = VocalFixtures.words(3000)
        let lyrics = Lyrics(sections: [VocalFixtures.section("verse", "[Verse]", [prose, "🌊🌊", "Gold on the water"])])
        let clock = ContinuousClock()
        let started = clock.now
        let (score, _, _) = VocalFixtures.compose(lyrics, bpm: 120)
        // A guard against a search that grows faster than linearly (minutes for this line), not a speed test.
        #expect(clock.now - started < .seconds(30))
        let vocal = try #require(score.vocal)
        let notes = try #require(score.track(.vocals)).notes
        #expect(vocal.lines.count == 3)
        #expect(vocal.lines[1].syllables.isEmpty)
        #expect(vocal.lines[0].syllables.count == VocalFixtures.pronounce(prose).syllableCount)
        #expect(vocal.lines[0].syllables.allSatisfy { !$0.notes.isEmpty })
        #expect(notes.allSatisfy { $0.duration * score.secondsPerBeat >= 0.15 })
        #expect(notes.allSatisfy { VoiceBase.female.register.range.contains($0.pitch) })
    }
}
