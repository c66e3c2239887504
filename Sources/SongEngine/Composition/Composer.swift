/// What a sung song adds to the plan: lyrics aligned to `plan.form` (`lyrics.sections[i]` over `plan.form[i]`,
/// empty for instrumental sections; see `LyricForm.fit`), their pronunciations [section][line], and the singer.
public struct VocalInput: Sendable {
    public var lyrics: Lyrics
    public var pronounced: [[PronouncedLine]]
    public var base: VoiceBase
    /// Where the melody sits: the base singer's own register, or the catalog's reference when a catalog voice
    /// converts the vocal afterwards.
    public var register: VocalRegister

    public init(lyrics: Lyrics, pronounced: [[PronouncedLine]], base: VoiceBase, register: VocalRegister? = nil) {
        self.lyrics = lyrics
        self.pronounced = pronounced
        self.base = base
        self.register = register ?? base.register
    }
}

/// Composition and arrangement: from a MusicPlan and a style to a Score. Form from the plan, harmony from
/// corpus-weighted progressions with cadences, voice-led chords, a motif-based lead whose chorus hook returns
/// identically, style-patterned accompaniment and drums, parts entering by section energy, KTH-style humanising.
/// With lyrics, a sung `vocals` track (VocalWriter) replaces the lead in the sections that have sung lines.
public enum Composer {
    /// Instrument id and General MIDI program ("Voice Oohs") of the vocals track.
    public static let vocalInstrument = "voice"
    static let vocalProgram = 53

    public static func compose(plan: MusicPlan, style: StylePreset, seed: UInt64, vocal: VocalInput? = nil) -> Score {
        let root = SeededGenerator(seed: seed)
        let key = plan.key
        var spans: [SectionSpan] = []
        var beat = 0.0
        for s in plan.form {
            let beats = Double(max(0, s.bars) * 4)
            spans.append(SectionSpan(name: s.name, startBeat: beat, beats: beats, energy: min(1, max(0, s.energy))))
            beat += beats
        }
        let harmony = Harmony.song(plan: plan, style: style, root: root)
        let roles = Role.allCases.filter { $0 != .vocals && plan.instruments[$0] != nil }
        var active = arrangement(harmony: harmony, spans: spans, present: Set(roles))
        if let vocal {
            // The singer carries the tune where there are words: the lead plays only in instrumental sections.
            for i in active.indices where i < vocal.lyrics.sections.count && !vocal.lyrics.sections[i].lines.isEmpty {
                active[i].remove(.lead)
            }
        }

        let swing = style[.swing]
        let timingSD = style[.humanizeTiming]
        let velocitySD = style[.humanizeVelocity]
        var tracks: [Track] = []
        var nextChannel = 0
        for role in roles {
            let rng = root.fork(role.rawValue)
            var notes: [Note] = []
            let lead = leadMaterial(plan: plan, style: style, harmony: harmony, rng: rng)
            for (i, h) in harmony.enumerated() where active[i].contains(role) && h.bars > 0 {
                let span = spans[i]
                // Section-kind streams: every chorus is performed alike (the hook returns); a second verse (or
                // pre-chorus, bridge) gets its own stream, so its groove, voicing rhythm and lead differ.
                var sectionRng = rng.fork(SectionHarmony.streamLabel(harmony, at: i))
                var local = partNotes(role, h: h, index: i, harmony: harmony, spans: spans, active: active,
                                      plan: plan, style: style, lead: lead, rng: &sectionRng)
                local = Humanize.apply(local, phrases: h.phrases, swing: swing, timingSD: timingSD,
                                       velocitySD: role == .drums ? velocitySD * 0.5 : velocitySD,
                                       accents: role != .drums, rng: &sectionRng)
                notes += local.map { n in
                    var m = n
                    m.start += span.startBeat
                    return m
                }
            }
            notes = notes.filter { $0.duration > 0 }.map { n in
                var m = n
                m.pitch = min(127, max(0, m.pitch))
                m.velocity = min(127, max(1, m.velocity))
                return m
            }
            if role == .drums, let substitutes = style.drumSubstitutes, !substitutes.isEmpty {
                notes = notes.map { n in
                    var m = n
                    m.pitch = substitutes[String(n.pitch)] ?? n.pitch
                    return m
                }
            }
            if let range = plan.instruments[role].flatMap({ InstrumentCatalog.entry($0)?.range }) {
                notes = fitToRange(notes, range)
            }
            notes.sort { ($0.start, $0.pitch) < ($1.start, $1.pitch) }
            if role == .lead { notes = monophonic(notes) }
            let channel: Int
            if role == .drums { channel = 9 } else {
                if nextChannel == 9 { nextChannel += 1 }
                channel = min(15, nextChannel)
                nextChannel += 1
            }
            let instrument = plan.instruments[role] ?? ""
            tracks.append(Track(name: role.rawValue, role: role, instrument: instrument, channel: channel,
                                program: role == .drums ? 0 : (InstrumentCatalog.entry(instrument)?.gmProgram ?? 0),
                                notes: notes))
        }
        var score = Score(bpm: Double(plan.bpm), key: key, beatsPerBar: 4, sections: spans, tracks: tracks,
                          lengthBeats: beat)
        if let vocal {
            let writer = VocalWriter(key: key, register: vocal.register, bpm: plan.bpm)
            let sung = writer.write(harmony: harmony, spans: spans, lyrics: vocal.lyrics, pronounced: vocal.pronounced,
                                    rng: root.fork("vocals"))
            if nextChannel == 9 { nextChannel += 1 }
            score.tracks.append(Track(name: Role.vocals.rawValue, role: .vocals, instrument: vocalInstrument,
                                      channel: min(15, nextChannel), program: vocalProgram, notes: sung.notes))
            let starts = vocal.lyrics.sections.indices.map { i in
                i < spans.count ? spans[i].startBeat : beat
            }
            score.vocal = VocalScore(lyrics: vocal.lyrics, base: vocal.base, speaker: vocal.register.speaker,
                                     formantSemitones: vocal.register.formantSemitones, pronounced: vocal.pronounced,
                                     lines: sung.lines, sectionStartBeats: starts)
        }
        return score
    }

    /// A part kept in its instrument's sounding range: moved by whole octaves by the shift (0, +-12, +-24) that
    /// leaves the most notes inside (none when at least 90% already are; the smaller shift on a tie), then any note
    /// still outside folded by octaves to the nearest octave inside. Why: every lead sat in E3-C#5 whatever played
    /// it, so the flute (C4-C7) played a third of its notes below its lowest, and strummed guitar chords reached
    /// C7 (issue 11: "each instrument kept in its real range").
    static func fitToRange(_ notes: [Note], _ range: ClosedRange<Int>) -> [Note] {
        guard notes.contains(where: { !range.contains($0.pitch) }) else { return notes }
        func inside(_ shift: Int) -> Int { notes.filter { range.contains($0.pitch + shift) }.count }
        var shift = 0
        if Double(inside(0)) < 0.9 * Double(notes.count) {
            for k in [12, -12, 24, -24] where inside(k) > inside(shift) { shift = k }
        }
        return notes.map { n in
            var m = n
            m.pitch += shift
            while m.pitch < range.lowerBound { m.pitch += 12 }
            while m.pitch > range.upperBound { m.pitch -= 12 }
            return m
        }
    }

    /// Which roles play in each section, by section kind and energy: a thin intro, verses add bass and drums,
    /// choruses everything, the outro keeps the groove with a sparse lead.
    static func arrangement(harmony: [SectionHarmony], spans: [SectionSpan], present: Set<Role>) -> [Set<Role>] {
        harmony.enumerated().map { i, h in
            let e = spans[i].energy
            var set: Set<Role> = [.chords, .pad]
            switch h.kind {
            case .intro:
                if e >= 0.3 { set.insert(.arp) }
                if e >= 0.6 { set.formUnion([.bass, .drums]) }
            case .outro:
                if e >= 0.3 { set.insert(.arp) }
                // The groove carries on into the outro (its drums stop two bars before the end, see partNotes):
                // an outro of held chords alone had no beat, and beat trackers read the song's end at double time.
                set.formUnion([.bass, .drums])
                set.insert(.lead)  // sparse: only the final phrase, ending on the tonic
            case .verse, .preChorus:
                set.formUnion([.bass, .drums, .lead])
                // A later verse builds on the first: the arpeggio enters if it was not there yet.
                let later = harmony[..<i].contains { $0.kind == h.kind }
                if e >= 0.55 || later { set.insert(.arp) }
            case .chorus:
                set.formUnion([.bass, .drums, .lead, .arp])
            case .bridge:
                set.formUnion([.bass, .lead])
                if e >= 0.35 { set.insert(.drums) }
                if e >= 0.55 { set.insert(.arp) }
            case .breakdown:
                if e >= 0.4 { set.insert(.lead) }
                if e >= 0.5 { set.formUnion([.bass, .drums]) }
                set.insert(.arp)
            }
            set.formIntersection(present)
            if set.isDisjoint(with: [.chords, .pad, .arp, .bass]),
                let r = [Role.chords, .pad, .arp, .bass].first(where: present.contains)
            {
                set.insert(r)
            }
            return set
        }
    }

    struct LeadMaterial {
        var writer: MelodyWriter
        var motifs: [SectionKind: Motif]
    }

    static func leadMaterial(plan: MusicPlan, style: StylePreset, harmony: [SectionHarmony], rng: SeededGenerator)
        -> LeadMaterial
    {
        let range = style[.melodyRange]
        let register = min(108, max(36, plan.register))
        let density = min(1, max(0.05, style[.melodyDensity] * (0.5 + plan.density)))
        let writer = MelodyWriter(key: plan.key, low: register - Int((range / 2).rounded(.down)),
                                  high: register + Int((range / 2).rounded(.down)), density: density,
                                  syncopation: style[.syncopation], contour: plan.contour)
        var motifs: [SectionKind: Motif] = [:]
        for kind in [SectionKind.verse, .preChorus, .chorus, .bridge, .outro] {
            var r = rng.fork("motif-\(kind.rawValue)")
            var w = writer
            if kind == .chorus { w.density = min(1, density * 1.15) }
            if kind == .bridge { w.density = density * 0.85 }
            motifs[kind] = w.makeMotif(rng: &r)
        }
        return LeadMaterial(writer: writer, motifs: motifs)
    }

    /// Energy to MIDI velocity. The span is modest (about 4 dB between an intro and a full chorus through the
    /// voices' velocity^1.5 level curve): the arrangement itself (parts entering) carries most of the build.
    static func velocity(_ energy: Double, _ offset: Int) -> Int { Int(70 + 36 * energy) + offset }

    static func partNotes(_ role: Role, h: SectionHarmony, index i: Int, harmony: [SectionHarmony],
                          spans: [SectionSpan], active: [Set<Role>], plan: MusicPlan, style: StylePreset,
                          lead: LeadMaterial, rng: inout SeededGenerator) -> [Note] {
        let key = plan.key
        let energy = spans[i].energy
        let chordCenter = 12 * (Int(style[.chordOctave].rounded()) + 1) + 6
        let slow = plan.bpm < Drums.slowTempo
        switch role {
        case .chords:
            let notes = Parts.chords(h, key: key, pattern: style.chordPattern, center: chordCenter,
                                     velocity: velocity(energy, -6), slow: slow, rng: &rng)
            return h.kind == .chorus ? Parts.doubledTopVoice(notes) : notes
        case .pad:
            return Parts.pad(h, key: key, center: chordCenter + 12, velocity: velocity(energy, -14))
        case .bass:
            let base = 12 * (Int(style[.bassOctave].rounded()) + 1)
            return Parts.bass(h, key: key, pattern: style.bassPattern, base: base, velocity: velocity(energy, 2),
                              syncopation: style[.syncopation], slow: slow, rng: &rng)
        case .arp:
            // Below 80 bpm even eighths read as the beat: the arpeggio moves in quarters there.
            let fast = plan.bpm >= Drums.fastTempo
            let step = plan.bpm < 80 ? 1.0 : ((plan.density > 0.6 || energy > 0.8) && !slow && !fast ? 0.25 : 0.5)
            return Parts.arp(h, key: key, center: chordCenter + 12, step: step, velocity: velocity(energy, -16),
                             rng: &rng)
        case .drums:
            // A section opens on a crash, except the intro and, in styles that build (`build`), a pre-chorus: a
            // build starts low (its filter closed, Renderer.Build) and rises into the chorus's crash.
            let crash = i > 0 && h.kind != .intro && !(h.kind == .preChorus && style[.build] > 0)
            var notes = Drums.section(h, pattern: style.drumPattern, energy: energy, density: plan.density,
                                      bpm: plan.bpm, crashAtStart: crash, fillAtEnd: i + 1 < harmony.count, rng: &rng)
            // The first verse holds back, and every other one after it; of the full verses between, every second
            // one from the fourth verse on is a drop (Drums.verseFeel): no two neighbouring verses share a groove.
            if h.kind == .verse {
                switch Drums.verseFeel(occurrence: harmony[..<i].filter({ $0.kind == .verse }).count) {
                case .heldBack: notes = Drums.sideStick(notes, before: Double(max(1, h.bars - 1) * 4), bpm: plan.bpm)
                case .drop: notes = Drums.drop(notes, beats: Double(h.bars * 4), velocity: velocity(energy, 0))
                case .full: break
                }
            }
            guard h.kind == .outro && h.bars >= 4 else { return notes }
            // An outro's groove stops two bars before the end, where a kick and a crash close the song.
            let stop = Double((h.bars - 2) * 4)
            return notes.filter { $0.start < stop - 1e-9 }
                + [Note(start: stop, duration: 1, pitch: Drums.kick, velocity: velocity(energy, 0)),
                   Note(start: stop, duration: 1, pitch: Drums.crash, velocity: velocity(energy, -4))]
        case .lead:
            let family: SectionKind = h.kind == .breakdown ? .bridge : (h.kind == .intro ? .verse : h.kind)
            guard let motif = lead.motifs[family] ?? lead.motifs[.verse] else { return [] }
            var writer = lead.writer
            let lift: Int
            switch h.kind {
            case .chorus: lift = 2; writer.density = min(1, writer.density * 1.15)
            case .verse: lift = -1
            case .outro: lift = 0; writer.density = writer.density * 0.3
            default: lift = 0
            }
            let notes = writer.realize(h, motif: motif, lift: lift, finalOnly: h.kind == .outro, rng: &rng)
            return notes.map { n in
                var m = n
                m.velocity = velocity(energy, 8)
                return m
            }
        case .vocals:
            return []
        }
    }

    /// Trims overlaps so the lead is one line (after humanising moved onsets a little).
    static func monophonic(_ notes: [Note]) -> [Note] {
        var out = notes
        for i in out.indices.dropLast() where out[i].start + out[i].duration > out[i + 1].start - 0.01 {
            out[i].duration = max(0.05, out[i + 1].start - 0.01 - out[i].start)
        }
        return out
    }
}
