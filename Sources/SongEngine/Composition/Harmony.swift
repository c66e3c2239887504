/// Harmony: diatonic chords, progressions weighted after corpus frequencies, phrases with cadences, voice leading.

/// The kind of a form section, from its name ("verse", "pre_chorus", "Chorus 2" ...).
enum SectionKind: String, Sendable, Hashable {
    case intro, verse, preChorus, chorus, bridge, breakdown, outro

    init(name: String) {
        let n = name.lowercased().filter { $0.isLetter }
        if n.hasPrefix("pre") { self = .preChorus }
        else if n.contains("chorus") || n.contains("hook") || n.contains("drop") { self = .chorus }
        else if n.contains("intro") { self = .intro }
        else if n.contains("outro") || n.contains("ending") { self = .outro }
        else if n.contains("bridge") { self = .bridge }
        else if n.contains("break") { self = .breakdown }
        else { self = .verse }
    }

    /// Which progression a section plays: intro and outro borrow the chorus's, a breakdown the bridge's.
    var progressionFamily: SectionKind {
        switch self {
        case .intro, .outro: return .chorus
        case .breakdown: return .bridge
        default: return self
        }
    }
}

/// A chord on a scale degree of the key: a triad, or a seventh chord when `seventh` is set. Diatonic chords leave
/// `alter` empty (in minor the dominant then takes the raised leading tone, harmonic minor); chromatic chords
/// (secondary dominants, borrowed chords) carry a semitone alteration per scale degree, which also bends the scale a
/// melody uses over them (over V/V in C the F is sung F#).
struct Chord: Hashable, Sendable {
    /// 0 = I/i ... 6 = VII: the scale degree the root is spelled on.
    var degree: Int
    var mode: Key.Mode
    var seventh: Bool = false
    /// Empty, or 7 semitone alterations indexed by scale degree (0...6).
    var alter: [Int] = []

    static func naturalScale(_ mode: Key.Mode) -> [Int] {
        mode == .major ? [0, 2, 4, 5, 7, 9, 11] : [0, 2, 3, 5, 7, 8, 10]
    }

    /// A chord of `quality` (semitones above its root, root first: [0, 4, 7] major, [0, 3, 7] minor, [0, 4, 7, 10]
    /// dominant seventh) on scale degree `root`, the root moved by `shift` semitones (-1 spells bVII on VII).
    static func spelled(root: Int, shift: Int = 0, quality: [Int], mode: Key.Mode) -> Chord {
        let scale = naturalScale(mode)
        var alter = [Int](repeating: 0, count: 7)
        let rootSemitone = scale[root] + shift
        for (k, q) in quality.enumerated() {
            let d = root + 2 * k
            let natural = scale[d % 7] + 12 * (d / 7)
            alter[d % 7] = ((rootSemitone + q - natural + 6) % 12 + 12) % 12 - 6
        }
        return Chord(degree: root, mode: mode, seventh: quality.count > 3, alter: alter)
    }

    /// The dominant seventh of the diatonic chord on `target` (V7/ii, V7/V ...): its root a fifth above the target's.
    static func secondaryDominant(of target: Int, mode: Key.Mode) -> Chord {
        let scale = naturalScale(mode)
        let root = (target + 4) % 7
        let wanted = (scale[target] + 7) % 12
        return spelled(root: root, shift: ((wanted - scale[root] + 6) % 12 + 12) % 12 - 6, quality: [0, 4, 7, 10],
                       mode: mode)
    }

    /// A chord from a progression table's code: 0...6 the diatonic triads; the borrowed chords 7 = bVII, 8 = bVI,
    /// 9 = iv in major (IV, dorian, in minor). In minor bVII and bVI are the key's own VII and VI.
    static func fromCode(_ code: Int, mode: Key.Mode) -> Chord {
        switch (code, mode) {
        case (7, .major): return spelled(root: 6, shift: -1, quality: [0, 4, 7], mode: mode)
        case (8, .major): return spelled(root: 5, shift: -1, quality: [0, 4, 7], mode: mode)
        case (9, .major): return spelled(root: 3, quality: [0, 3, 7], mode: mode)
        case (9, .minor): return spelled(root: 3, quality: [0, 4, 7], mode: mode)
        case (7, .minor): return Chord(degree: 6, mode: mode)
        case (8, .minor): return Chord(degree: 5, mode: mode)
        default: return Chord(degree: ((code % 7) + 7) % 7, mode: mode)
        }
    }

    /// Semitones above the tonic, root first, ascending (root, third, fifth, and the seventh when present).
    var tones: [Int] {
        (seventh ? [0, 2, 4, 6] : [0, 2, 4]).map { semitone(ofDegree: degree + $0) }
    }

    /// Scale degrees (0...6) of the triad's tones: where a melody lands on strong beats.
    var degreeTones: [Int] { [degree % 7, (degree + 2) % 7, (degree + 4) % 7] }

    var isDominant: Bool { degree == 4 && alter.isEmpty }
    var isDiatonic: Bool { alter.isEmpty }

    /// Semitones above the tonic of a scale degree (any octave) sounding over this chord: the natural scale with the
    /// chord's alterations, or (diatonic) with the seventh degree raised over a minor-key dominant.
    func semitone(ofDegree d: Int) -> Int {
        let octave = d >= 0 ? d / 7 : -((-d + 6) / 7)
        let idx = d - octave * 7
        var s = Chord.naturalScale(mode)[idx]
        if alter.isEmpty {
            if mode == .minor && degree == 4 && idx == 6 { s = 11 }
        } else {
            s += alter[idx]
        }
        return s + 12 * octave
    }

    func pitchClasses(tonic: Int) -> [Int] { tones.map { ((tonic + $0) % 12 + 12) % 12 } }
}

/// A style's harmonic vocabulary (the style preset's `harmony`): which progressions it draws on and how its
/// cadences approach the dominant. How often chords carry sevenths and chromatic colour is the style's
/// `seventhChords` and `chromaticChords`.
public enum HarmonyVocabulary: String, Sendable, Codable, CaseIterable {
    case pop    // I V vi IV loops (de Clercq & Temperley), IV-V-I cadences
    case rock   // pop's loops with the mixolydian bVII (I bVII IV I)
    case jazz   // ii-V-I and I vi ii V turnarounds, iii-vi-ii-V, ii before every cadential V
    case folk   // I IV V with ii and vi: pop's loops without borrowed chords
    case modal  // film and ambient: aeolian i bVI bVII i, plagal sways, bVI-bVII-I in major
}

enum Cadence: Sendable, Hashable {
    case authentic  // V - I
    case half       // ends on V
}

struct ChordSlot: Sendable, Hashable {
    /// Beats from the section start.
    var start: Double
    var beats: Double
    var chord: Chord
    /// What the bass stands on: the root; the chord's third (first inversion, a slash chord C/E, set by
    /// `Harmony.stepwiseBass`); or the key's tonic held under the chord (a pedal, `Harmony.tonicPedal`).
    enum Bass: Sendable, Hashable { case root, third, pedal }
    var bass: Bass = .root
    /// The chord parts add the ninth, a whole tone above the root (Cadd9), set by `Harmony.addedNinths`.
    var addNinth: Bool = false

    /// The pitch classes the chord parts voice: the chord's, and its ninth when `addNinth` is set.
    func voicedPitchClasses(tonic: Int) -> [Int] {
        let pcs = chord.pitchClasses(tonic: tonic)
        return addNinth ? pcs + [(pcs[0] + 2) % 12] : pcs
    }

    /// The pitch class the bass plays under this slot.
    func bassPitchClass(tonic: Int) -> Int {
        switch bass {
        case .root: chord.pitchClasses(tonic: tonic)[0]
        case .third: chord.pitchClasses(tonic: tonic)[1]
        case .pedal: ((tonic % 12) + 12) % 12
        }
    }
}

struct Phrase: Sendable, Hashable {
    /// Beats from the section start.
    var start: Double
    var beats: Double
    var cadence: Cadence
}

/// The harmony of one section: its chords in time and its phrases.
struct SectionHarmony: Sendable, Hashable {
    var kind: SectionKind
    var bars: Int
    var slots: [ChordSlot]
    var phrases: [Phrase]

    func chord(at beat: Double) -> Chord {
        var found = slots.first?.chord ?? Chord(degree: 0, mode: .major)
        for s in slots where s.start <= beat + 1e-9 { found = s.chord }
        return found
    }

    func phrase(at beat: Double) -> Phrase? {
        phrases.last { $0.start <= beat + 1e-9 }
    }

    /// True for slot `k` among its phrase's last two chords (the cadence: V - I, or the half close's approach and
    /// V) or outside any phrase, where a repeated section keeps the bass on the root (`Harmony.stepwiseBass`,
    /// `Harmony.tonicPedal`).
    func isCadence(_ k: Int) -> Bool {
        guard let p = phrase(at: slots[k].start) else { return true }
        return slots[(k + 1)...].filter { $0.start < p.start + p.beats - 1e-9 }.count < 2
    }

    /// The random stream a section is performed on: every chorus alike (the hook returns); a repeated verse,
    /// pre-chorus or bridge (same kind and length as an earlier one) on its own. Shared by the harmony's colour and
    /// every part, so "performed alike" means one thing.
    static func streamLabel(_ sections: [SectionHarmony], at i: Int) -> String {
        let h = sections[i], n = occurrence(sections, at: i)
        return "\(h.kind.rawValue)-\(h.bars)" + (h.kind != .chorus && n > 0 ? "-\(n)" : "")
    }

    /// How many earlier sections share this one's kind and length (0 for the first).
    static func occurrence(_ sections: [SectionHarmony], at i: Int) -> Int {
        sections[..<i].filter { $0.kind == sections[i].kind && $0.bars == sections[i].bars }.count
    }

    /// True for a section with an earlier one of the same kind and length, chorus excepted (see `streamLabel`).
    static func isRepeat(_ sections: [SectionHarmony], at i: Int) -> Bool {
        let h = sections[i]
        return h.kind != .chorus && sections[..<i].contains { $0.kind == h.kind && $0.bars == h.bars }
    }
}

enum Harmony {
    /// Four-chord progressions (chord codes, see `Chord.fromCode`) with weights, after the pop/rock corpus
    /// frequencies of de Clercq & Temperley (2011): I, IV, V and vi dominate; in minor i, iv, V (raised 7th), VI,
    /// VII. Other vocabularies add or replace tables: jazz its turnarounds, rock and modal their borrowed chords.
    static func progressions(for family: SectionKind, mode: Key.Mode, vocabulary: HarmonyVocabulary = .pop)
        -> [([Int], Double)]
    {
        if vocabulary == .jazz { return jazzProgressions(for: family, mode: mode) }
        var table: [([Int], Double)]
        switch (mode, family) {
        case (.major, .chorus):
            table = [([0, 4, 5, 3], 3), ([0, 3, 5, 4], 2), ([0, 5, 3, 4], 2), ([3, 4, 2, 5], 1), ([0, 3, 4, 3], 1),
                     ([5, 3, 0, 4], 1.5)]
        case (.major, .preChorus):
            table = [([3, 4, 3, 4], 1), ([1, 3, 4, 4], 1), ([5, 3, 1, 4], 1)]
        case (.major, .bridge):
            table = [([5, 3, 0, 4], 2), ([3, 4, 2, 5], 2), ([1, 4, 0, 5], 1.5), ([3, 0, 4, 5], 1), ([5, 4, 3, 4], 1)]
        case (.major, _):
            table = [([0, 4, 5, 3], 3), ([0, 5, 3, 4], 2), ([0, 3, 5, 4], 1.5), ([0, 3, 0, 4], 1.5),
                     ([0, 2, 3, 4], 0.5), ([0, 1, 4, 0], 1)]
        case (.minor, .chorus):
            table = [([0, 5, 2, 6], 2), ([0, 6, 5, 4], 2), ([0, 3, 5, 4], 2), ([0, 3, 4, 0], 1), ([0, 5, 3, 4], 1.5)]
        case (.minor, .preChorus):
            table = [([3, 4, 3, 4], 1), ([5, 6, 4, 4], 1), ([3, 5, 4, 4], 1)]
        case (.minor, .bridge):
            table = [([5, 6, 0, 0], 1.5), ([3, 4, 0, 5], 1.5), ([5, 3, 0, 4], 1.5), ([5, 2, 3, 4], 1)]
        case (.minor, _):
            table = [([0, 5, 2, 6], 2), ([0, 3, 4, 0], 2), ([0, 6, 5, 4], 2), ([0, 3, 5, 4], 2), ([0, 5, 3, 4], 1.5),
                     ([0, 3, 0, 4], 1)]
        }
        switch (vocabulary, mode, family) {
        case (.rock, .major, .verse), (.rock, .major, .chorus):
            table += [([0, 7, 3, 0], 2.5), ([0, 3, 7, 3], 1.5)]
        case (.rock, .major, .bridge):
            table += [([3, 7, 0, 0], 2)]
        case (.rock, .minor, .verse), (.rock, .minor, .chorus):
            table += [([0, 6, 5, 6], 2), ([0, 9, 0, 6], 1)]
        case (.modal, .major, .verse), (.modal, .major, .chorus):
            table += [([0, 3, 0, 3], 2), ([0, 8, 7, 0], 1.5)]
        case (.modal, .major, .bridge):
            table += [([8, 7, 0, 0], 2), ([5, 9, 0, 0], 1.5)]
        case (.modal, .minor, .verse), (.modal, .minor, .chorus):
            table += [([0, 5, 6, 0], 2.5), ([0, 3, 5, 6], 1.5), ([0, 9, 0, 5], 1)]
        case (.modal, .minor, .bridge):
            table += [([5, 6, 3, 0], 2)]
        default:
            break
        }
        return table
    }

    /// Jazz standards' vocabulary: ii-V-I, I-vi-ii-V and iii-vi-ii-V turnarounds, IV-iv-I; in minor iiø-V-i and the
    /// circle of fifths.
    static func jazzProgressions(for family: SectionKind, mode: Key.Mode) -> [([Int], Double)] {
        switch (mode, family) {
        case (.major, .chorus):
            return [([1, 4, 0, 0], 2), ([0, 5, 1, 4], 1.5), ([3, 9, 0, 5], 1.5), ([0, 3, 1, 4], 1.5)]
        case (.major, .preChorus):
            return [([1, 4, 1, 4], 1), ([3, 9, 1, 4], 1)]
        case (.major, .bridge):
            return [([3, 9, 0, 5], 1.5), ([5, 1, 4, 0], 1.5), ([2, 5, 1, 4], 1)]
        case (.major, _):
            return [([1, 4, 0, 0], 3), ([0, 5, 1, 4], 2), ([0, 3, 2, 5], 1.5), ([3, 9, 0, 0], 1.5)]
        case (.minor, .chorus):
            return [([0, 3, 1, 4], 2), ([0, 5, 1, 4], 2), ([3, 6, 2, 5], 1.5)]
        case (.minor, .preChorus):
            return [([1, 4, 1, 4], 1), ([3, 6, 1, 4], 1)]
        case (.minor, .bridge):
            return [([3, 6, 2, 5], 1.5), ([5, 1, 4, 0], 1.5)]
        case (.minor, _):
            return [([1, 4, 0, 0], 3), ([0, 3, 1, 4], 2), ([0, 5, 1, 4], 2), ([3, 6, 2, 5], 1)]
        }
    }

    /// Plans every section's chords and phrases. Progressions are chosen once per family, so every chorus (and
    /// every verse) plays the same chords; `colour` then adds the style's sevenths, secondary dominants and
    /// borrowed chords, and reharmonises second verses.
    static func plan(form: [SectionPlan], key: Key, harmonicRhythm: Double, vocabulary: HarmonyVocabulary = .pop,
                     rng: inout SeededGenerator) -> [SectionHarmony]
    {
        var chosen: [SectionKind: [Int]] = [:]
        for family in [SectionKind.verse, .preChorus, .chorus, .bridge] {
            let options = progressions(for: family, mode: key.mode, vocabulary: vocabulary)
            chosen[family] = options[rng.weightedIndex(options.map { $0.1 })].0
        }
        // Jazz approaches the dominant from ii, the others from IV (iv in minor).
        let predominant = vocabulary == .jazz ? 1 : 3
        let hr = min(4, max(0.5, harmonicRhythm))
        let slotBeats = hr * 4
        var result: [SectionHarmony] = []
        for (i, section) in form.enumerated() {
            let kind = SectionKind(name: section.name)
            let next = i + 1 < form.count ? SectionKind(name: form[i + 1].name) : nil
            let progression = chosen[kind.progressionFamily] ?? [0, 3, 4, 0]
            let bars = max(0, section.bars)
            let phraseBars = hr >= 2 ? 8 : 4
            var slots: [ChordSlot] = []
            var phrases: [Phrase] = []
            var bar = 0
            var phraseIndex = 0
            while bar < bars {
                let length = min(phraseBars, bars - bar)
                let isLast = bar + length >= bars
                let cadence: Cadence
                if isLast {
                    switch kind {
                    case .chorus, .outro: cadence = .authentic
                    case .verse: cadence = (next == .chorus || next == .preChorus) ? .half : .authentic
                    case .intro, .preChorus, .bridge, .breakdown: cadence = next == nil ? .authentic : .half
                    }
                } else {
                    cadence = phraseIndex % 2 == 0 ? .half : .authentic
                }
                // In major, an inner antecedent phrase keeps its loop (the progression's own ending, often IV or V)
                // rather than a half cadence: too many dominants pull a key detector towards the dominant key.
                let forced = isLast || cadence == .authentic || key.mode == .minor
                let start = Double(bar * 4)
                let beats = Double(length * 4)
                phrases.append(Phrase(start: start, beats: beats, cadence: next == nil && isLast ? .authentic : cadence))
                var degrees: [Int] = []
                var t = 0.0
                while t < beats - 1e-9 {
                    degrees.append(progression[degrees.count % progression.count])
                    t += slotBeats
                }
                if forced || next == nil {
                    applyCadence(&degrees, phrases.last!.cadence, mode: key.mode, predominant: predominant)
                }
                if key.mode == .minor && (kind == .verse || kind == .chorus) && vocabulary != .jazz { degrees[0] = 0 }
                for (j, d) in degrees.enumerated() {
                    let s = start + Double(j) * slotBeats
                    slots.append(ChordSlot(start: s, beats: min(slotBeats, start + beats - s),
                                           chord: Chord.fromCode(d, mode: key.mode)))
                }
                bar += length
                phraseIndex += 1
            }
            result.append(SectionHarmony(kind: kind, bars: bars, slots: slots, phrases: phrases))
        }
        // The song begins on the tonic.
        if let first = result.firstIndex(where: { !$0.slots.isEmpty }) {
            result[first].slots[0].chord = Chord(degree: 0, mode: key.mode)
        }
        return result
    }

    /// A song's harmony as `Composer` plays it: planned from the style's vocabulary and harmonic rhythm on the
    /// stream "harmony" of the song's generator, then coloured on "harmony-colour".
    static func song(plan: MusicPlan, style: StylePreset, root: SeededGenerator) -> [SectionHarmony] {
        let vocabulary = style.harmony ?? .pop
        var rng = root.fork("harmony")
        let planned = Harmony.plan(form: plan.form, key: plan.key, harmonicRhythm: style[.harmonicRhythm],
                                   vocabulary: vocabulary, rng: &rng)
        return colour(planned, key: plan.key, vocabulary: vocabulary, sevenths: style[.seventhChords],
                      chromatic: style[.chromaticChords], rng: root.fork("harmony-colour"))
    }

    /// Reharmonisation of a repeated verse (pre-chorus, bridge): diatonic substitutes sharing two tones.
    static func substitutes(_ degree: Int, mode: Key.Mode, vocabulary: HarmonyVocabulary = .pop) -> [Int] {
        // Jazz keeps its ii (the ii-V is the point), and swaps vi for ii instead of IV.
        if vocabulary == .jazz && degree == 1 { return [] }
        if vocabulary == .jazz && mode == .major && degree == 5 { return [1] }
        switch (mode, degree) {
        case (.major, 0): return [5, 2]     // I -> vi, iii
        case (.major, 3): return [1]        // IV -> ii
        case (.major, 5): return [3, 0]     // vi -> IV, I
        case (.major, 1): return [3]        // ii -> IV
        case (.major, 2): return [0]        // iii -> I
        case (.minor, 0): return [2, 5]     // i -> III, VI
        case (.minor, 3): return [5]        // iv -> VI
        case (.minor, 5): return [3, 0]     // VI -> iv, i
        case (.minor, 2): return [0]        // III -> i
        case (.minor, 6): return [4]        // VII -> V
        default: return []
        }
    }

    /// The style's colour over the planned chords, decided once per section kind (every chorus alike; a second
    /// verse, pre-chorus or bridge on its own stream): a repeated verse reharmonised (inner chords swapped for
    /// substitutes); sevenths with probability `sevenths` (twice that on dominants); with probability `chromatic`
    /// per phrase a secondary dominant on the second half of the chord before its target (ii, IV, vi; in minor
    /// iv, V, VI, III), or in major IV turning to iv before I. At most one chromatic chord per phrase, so the key
    /// stays clear.
    static func colour(_ sections: [SectionHarmony], key: Key, vocabulary: HarmonyVocabulary, sevenths: Double,
                       chromatic: Double, rng: SeededGenerator) -> [SectionHarmony]
    {
        let mode = key.mode
        var result: [SectionHarmony] = []
        for (i, h) in sections.enumerated() {
            var r = rng.fork(SectionHarmony.streamLabel(sections, at: i))
            var slots = h.slots
            func isCadential(_ k: Int) -> Bool {
                guard let p = h.phrase(at: slots[k].start) else { return true }
                return slots[k].start >= p.start + p.beats - 8 - 1e-9 || slots[k].start <= p.start + 1e-9
            }
            func swappable(_ k: Int) -> Bool {
                slots[k].chord.isDiatonic && !substitutes(slots[k].chord.degree, mode: mode, vocabulary: vocabulary).isEmpty
            }
            if SectionHarmony.isRepeat(sections, at: i) && [.verse, .preChorus, .bridge].contains(h.kind) {
                var eligible = slots.indices.filter { !isCadential($0) && swappable($0) }
                if eligible.isEmpty {
                    // Short phrases: any diatonic chord but the first and the last two of the section.
                    eligible = slots.indices.filter { $0 > 0 && $0 < slots.count - 2 && swappable($0) }
                }
                // The chord before a dominant keeps its place (it is the cadence's approach, ii in jazz) unless it is
                // its phrase's only candidate (IV -> ii before V is itself the classic approach).
                func phraseOf(_ k: Int) -> Double { h.phrase(at: slots[k].start)?.start ?? 0 }
                let approaching = Set(eligible.filter { k in k + 1 < slots.count && slots[k + 1].chord.isDominant })
                let plain = eligible.filter { !approaching.contains($0) }
                eligible.removeAll { k in approaching.contains(k) && plain.contains { phraseOf($0) == phraseOf(k) } }
                // Each phrase changes at least one chord (its last eligible one when chance spared the others): with
                // one swap a section, instrumental second verses of 4-bar phrases stayed 0.96-0.99 chroma-alike.
                var swappedIn: Set<Double> = []
                for (n, k) in eligible.enumerated() {
                    let phrase = phraseOf(k)
                    let lastInPhrase = eligible[(n + 1)...].allSatisfy { phraseOf($0) != phrase }
                    guard r.chance(0.6) || (lastInPhrase && !swappedIn.contains(phrase)) else { continue }
                    let options = substitutes(slots[k].chord.degree, mode: mode, vocabulary: vocabulary)
                    slots[k].chord = Chord(degree: options[r.int(in: 0...(options.count - 1))], mode: mode)
                    swappedIn.insert(phrase)
                }
            }
            for k in slots.indices where slots[k].chord.isDiatonic {
                let p = slots[k].chord.isDominant ? min(1, sevenths * 2) : sevenths
                if r.chance(p) { slots[k].chord.seventh = true }
            }
            var coloured: [ChordSlot] = []
            var phraseHasColour: Set<Double> = []
            for (k, slot) in slots.enumerated() {
                let phraseStart = h.phrase(at: slot.start)?.start ?? 0
                guard k + 1 < slots.count, slot.beats >= 2 - 1e-9, !phraseHasColour.contains(phraseStart),
                      slot.chord.isDiatonic, slots[k + 1].chord.isDiatonic else {
                    coloured.append(slot)
                    continue
                }
                let target = slots[k + 1].chord.degree
                // Not V/V in major: its raised fourth is the dominant key's leading tone, and with V-heavy
                // loops (jazz) it moved a key detector to the dominant (lofi and jazz in C heard as G).
                let targets: Set<Int> = mode == .major ? [1, 3, 5] : [2, 3, 4, 5]
                var insert: Chord? = nil
                if targets.contains(target) && target != slot.chord.degree && r.chance(chromatic) {
                    insert = Chord.secondaryDominant(of: target, mode: mode)
                } else if mode == .major && vocabulary != .folk && slot.chord.degree == 3 && target == 0
                            && r.chance(chromatic) {
                    insert = Chord.fromCode(9, mode: mode)  // iv
                }
                if let c = insert {
                    let half = slot.beats / 2
                    coloured.append(ChordSlot(start: slot.start, beats: half, chord: slot.chord))
                    coloured.append(ChordSlot(start: slot.start + half, beats: slot.beats - half, chord: c))
                    phraseHasColour.insert(phraseStart)
                } else {
                    coloured.append(slot)
                }
            }
            var section = SectionHarmony(kind: h.kind, bars: h.bars, slots: coloured, phrases: h.phrases)
            if SectionHarmony.isRepeat(sections, at: i) && [.verse, .preChorus, .bridge].contains(h.kind) {
                let n = SectionHarmony.occurrence(sections, at: i)
                section.slots = laterTreatment(section, occurrence: n, key: key)
            }
            result.append(section)
        }
        return result
    }

    /// How the n-th occurrence (1 = the second verse) of a repeated section differs beyond its reharmonised chords,
    /// in a cycle of three so that no two later verses are treated alike: (1) a bass that moves by step through
    /// first inversions, chords with added ninths; (2) a tonic pedal, chords with their sevenths; (3) a tonic pedal,
    /// added ninths. (A song stretched to 4-5 verses had its later verses, all treated as the second, 0.97-0.98
    /// chroma-alike to each other.)
    static func laterTreatment(_ h: SectionHarmony, occurrence: Int, key: Key) -> [ChordSlot] {
        switch (max(1, occurrence) - 1) % 3 {
        case 0: return addedNinths(stepwiseBass(h, key: key))
        case 1: return addedSevenths(tonicPedal(h))
        default: return addedNinths(tonicPedal(h))
        }
    }

    /// Every diatonic chord with its seventh (maj7, m7, 7, m7b5).
    static func addedSevenths(_ slots: [ChordSlot]) -> [ChordSlot] {
        slots.map { slot in
            var s = slot
            if s.chord.isDiatonic { s.chord.seventh = true }
            return s
        }
    }

    /// The bass holds the key's tonic under each phrase's chords (a pedal point), released for the phrase's last
    /// two chords so that its cadence (V - I, or the half close on V) stands in root position.
    static func tonicPedal(_ h: SectionHarmony) -> [ChordSlot] {
        var slots = h.slots
        for k in slots.indices where !h.isCadence(k) { slots[k].bass = .pedal }
        return slots
    }

    /// A repeated section's chord parts colour every diatonic chord whose scale has a whole tone above its root
    /// with that ninth (Cadd9, Am(add9); not iii, V in minor or ii dim, whose ninth would be a minor ninth), as a
    /// second verse's voicings open up in pop and rock arrangements. Chroma: the bass alone moving (inversions)
    /// left instrumental second verses 0.92-0.95 alike to the first on the tune set, unchanged in 6 of 8 verse
    /// pairs; the chords and pad carry most of a mix's pitch-class energy.
    static func addedNinths(_ slots: [ChordSlot]) -> [ChordSlot] {
        slots.map { slot in
            var s = slot
            let c = slot.chord
            s.addNinth = c.isDiatonic && c.semitone(ofDegree: c.degree + 1) - c.semitone(ofDegree: c.degree) == 2
            return s
        }
    }

    /// A repeated section's bass line moves by step where the roots would leap: a diatonic chord whose root lies
    /// more than a whole tone from the previous bass note is taken in first inversion when its third lies within a
    /// whole tone (I - V6 - vi - IV6: C B A A), as arrangers write a second verse's walk-down. The section's first
    /// chord and each phrase's last two (the cadence, V - I or the half close on V) stay in root position. With the
    /// same chords and a root-position bass, instrumental second verses stayed 0.97-0.98 chroma-alike to the first.
    static func stepwiseBass(_ h: SectionHarmony, key: Key) -> [ChordSlot] {
        func distance(_ a: Int, _ b: Int) -> Int { min((a - b + 12) % 12, (b - a + 12) % 12) }
        var slots = h.slots
        var previous: Int? = nil
        for k in slots.indices {
            let root = slots[k].chord.pitchClasses(tonic: key.tonic)[0]
            defer { previous = slots[k].bassPitchClass(tonic: key.tonic) }
            guard let prev = previous, slots[k].chord.isDiatonic, !h.isCadence(k), distance(prev, root) > 2 else {
                continue
            }
            let third = slots[k].chord.pitchClasses(tonic: key.tonic)[1]
            if distance(prev, third) <= 2 { slots[k].bass = .third }
        }
        return slots
    }

    static func applyCadence(_ degrees: inout [Int], _ cadence: Cadence, mode: Key.Mode, predominant: Int = 3) {
        let n = degrees.count
        guard n > 0 else { return }
        switch cadence {
        case .authentic:
            degrees[n - 1] = 0
            if n >= 2 { degrees[n - 2] = 4 }
            // Predominant before the dominant (IV-V-I / iv-V-i) when the phrase has room.
            if n >= 4 || (n >= 3 && degrees[n - 3] == 4) { degrees[n - 3] = predominant }
        case .half:
            degrees[n - 1] = 4
            if n >= 2 && degrees[n - 2] == 4 { degrees[n - 2] = predominant }
        }
    }

    /// A close-position voicing of `pitchClasses` (root first), every tone once; a triad with `count` 4 doubles the root on top,
    /// chosen among inversions and octaves to minimise total movement from `previous`, kept near `center`.
    static func voice(_ pitchClasses: [Int], previous: [Int]?, center: Int, count: Int) -> [Int] {
        var best: [Int] = []
        var bestCost = Double.infinity
        for inversion in 0..<pitchClasses.count {
            let ordered = Array(pitchClasses[inversion...] + pitchClasses[..<inversion])
            for lowest in (center - 12)...(center) where ((lowest % 12) + 12) % 12 == ordered[0] {
                var notes = [lowest]
                for pc in ordered.dropFirst() {
                    var p = notes.last! + 1
                    while ((p % 12) + 12) % 12 != pc { p += 1 }
                    notes.append(p)
                }
                if count >= 4 && pitchClasses.count < 4 {
                    var p = notes.last! + 1
                    while ((p % 12) + 12) % 12 != pitchClasses[0] { p += 1 }
                    notes.append(p)
                }
                let mean = Double(notes.reduce(0, +)) / Double(notes.count)
                var cost = abs(mean - Double(center)) * 0.6
                if let prev = previous, prev.count == notes.count {
                    cost += Double(zip(prev.sorted(), notes).reduce(0) { $0 + abs($1.0 - $1.1) })
                }
                if cost < bestCost {
                    bestCost = cost
                    best = notes
                }
            }
        }
        return best
    }
}
