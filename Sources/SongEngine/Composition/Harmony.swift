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

/// A triad on a scale degree of the key. In minor the dominant takes the raised leading tone (harmonic minor).
struct Chord: Hashable, Sendable {
    /// 0 = I/i ... 6 = VII.
    var degree: Int
    var mode: Key.Mode

    static func naturalScale(_ mode: Key.Mode) -> [Int] {
        mode == .major ? [0, 2, 4, 5, 7, 9, 11] : [0, 2, 3, 5, 7, 8, 10]
    }

    /// Semitones above the tonic, root first, ascending.
    var tones: [Int] {
        [0, 2, 4].map { semitone(ofDegree: degree + $0) }
    }

    /// Scale degrees (0...6) of the chord tones.
    var degreeTones: [Int] { [degree % 7, (degree + 2) % 7, (degree + 4) % 7] }

    var isDominant: Bool { degree == 4 }

    /// Semitones above the tonic of a scale degree (any octave) sounding over this chord: natural scale, except the
    /// seventh degree over a minor-key dominant, which is raised.
    func semitone(ofDegree d: Int) -> Int {
        let octave = d >= 0 ? d / 7 : -((-d + 6) / 7)
        let idx = d - octave * 7
        var s = Chord.naturalScale(mode)[idx]
        if mode == .minor && degree == 4 && idx == 6 { s = 11 }
        return s + 12 * octave
    }

    func pitchClasses(tonic: Int) -> [Int] { tones.map { (tonic + $0) % 12 } }
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
}

enum Harmony {
    /// Four-chord progressions (scale degrees) with weights, after the pop/rock corpus frequencies of de Clercq &
    /// Temperley (2011): I, IV, V and vi dominate; in minor i, iv, V (raised 7th), VI, VII.
    static func progressions(for family: SectionKind, mode: Key.Mode) -> [([Int], Double)] {
        switch (mode, family) {
        case (.major, .chorus):
            return [([0, 4, 5, 3], 3), ([0, 3, 5, 4], 2), ([0, 5, 3, 4], 2), ([3, 4, 2, 5], 1), ([0, 3, 4, 3], 1),
                    ([5, 3, 0, 4], 1.5)]
        case (.major, .preChorus):
            return [([3, 4, 3, 4], 1), ([1, 3, 4, 4], 1), ([5, 3, 1, 4], 1)]
        case (.major, .bridge):
            return [([5, 3, 0, 4], 2), ([3, 4, 2, 5], 2), ([1, 4, 0, 5], 1.5), ([3, 0, 4, 5], 1), ([5, 4, 3, 4], 1)]
        case (.major, _):
            return [([0, 4, 5, 3], 3), ([0, 5, 3, 4], 2), ([0, 3, 5, 4], 1.5), ([0, 3, 0, 4], 1.5), ([0, 2, 3, 4], 0.5),
                    ([0, 1, 4, 0], 1)]
        case (.minor, .chorus):
            return [([0, 5, 2, 6], 2), ([0, 6, 5, 4], 2), ([0, 3, 5, 4], 2), ([0, 3, 4, 0], 1), ([0, 5, 3, 4], 1.5)]
        case (.minor, .preChorus):
            return [([3, 4, 3, 4], 1), ([5, 6, 4, 4], 1), ([3, 5, 4, 4], 1)]
        case (.minor, .bridge):
            return [([5, 6, 0, 0], 1.5), ([3, 4, 0, 5], 1.5), ([5, 3, 0, 4], 1.5), ([5, 2, 3, 4], 1)]
        case (.minor, _):
            return [([0, 5, 2, 6], 2), ([0, 3, 4, 0], 2), ([0, 6, 5, 4], 2), ([0, 3, 5, 4], 2), ([0, 5, 3, 4], 1.5),
                    ([0, 3, 0, 4], 1)]
        }
    }

    /// Plans every section's chords and phrases. Progressions are chosen once per family, so every chorus (and
    /// every verse) plays the same chords.
    static func plan(form: [SectionPlan], key: Key, harmonicRhythm: Double, rng: inout SeededGenerator)
        -> [SectionHarmony]
    {
        var chosen: [SectionKind: [Int]] = [:]
        for family in [SectionKind.verse, .preChorus, .chorus, .bridge] {
            let options = progressions(for: family, mode: key.mode)
            chosen[family] = options[rng.weightedIndex(options.map { $0.1 })].0
        }
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
                if forced || next == nil { applyCadence(&degrees, phrases.last!.cadence, mode: key.mode) }
                if key.mode == .minor && (kind == .verse || kind == .chorus) { degrees[0] = 0 }
                for (j, d) in degrees.enumerated() {
                    let s = start + Double(j) * slotBeats
                    slots.append(ChordSlot(start: s, beats: min(slotBeats, start + beats - s), chord: Chord(degree: d, mode: key.mode)))
                }
                bar += length
                phraseIndex += 1
            }
            result.append(SectionHarmony(kind: kind, bars: bars, slots: slots, phrases: phrases))
        }
        // The song begins on the tonic.
        if let first = result.firstIndex(where: { !$0.slots.isEmpty }) {
            result[first].slots[0].chord.degree = 0
        }
        return result
    }

    static func applyCadence(_ degrees: inout [Int], _ cadence: Cadence, mode: Key.Mode) {
        let n = degrees.count
        guard n > 0 else { return }
        switch cadence {
        case .authentic:
            degrees[n - 1] = 0
            if n >= 2 { degrees[n - 2] = 4 }
            // Predominant before the dominant (IV-V-I / iv-V-i) when the phrase has room.
            if n >= 4 || (n >= 3 && degrees[n - 3] == 4) { degrees[n - 3] = 3 }
        case .half:
            degrees[n - 1] = 4
            if n >= 2 && degrees[n - 2] == 4 { degrees[n - 2] = 3 }
        }
    }

    /// A close-position voicing of `pitchClasses` (root first) with `count` notes (4 doubles the root on top),
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
                if count >= 4 {
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
