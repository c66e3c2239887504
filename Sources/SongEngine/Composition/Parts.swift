/// Accompaniment parts: chords (per style pattern), pad, bass, arpeggio. Beats relative to the section start.

enum Parts {
    /// Voicings of a section's chords, led from a canonical voicing of its first chord so that repeated sections
    /// (every chorus) voice identically.
    static func voicings(_ h: SectionHarmony, key: Key, center: Int, count: Int) -> [[Int]] {
        var prev: [Int]? = nil
        var result: [[Int]] = []
        for slot in h.slots {
            let v = Harmony.voice(slot.voicedPitchClasses(tonic: key.tonic), previous: prev, center: center,
                                  count: count)
            result.append(v)
            prev = v
        }
        return result
    }

    /// `slow`: below about 96 bpm repeated chords move in quarters, on the beat (see `Drums.adaptToTempo`).
    static func chords(_ h: SectionHarmony, key: Key, pattern: StylePreset.ChordPattern, center: Int, velocity: Int,
                       slow: Bool = false, rng: inout SeededGenerator) -> [Note] {
        let voicings = voicings(h, key: key, center: center, count: pattern == .sustain || pattern == .strum ? 4 : 3)
        var notes: [Note] = []
        // One rhythm per section so the part grooves consistently.
        let stabOnsets: [Double] = [[0, 1.5, 3], [0, 0.75, 2, 2.75], [0, 2, 2.5], [0, 1.5, 2.5, 3.5]][rng.int(in: 0...3)]
        let strumOnsets: [(Double, Bool)] = [(0, true), (1, true), (1.5, false), (2.5, false), (3, true), (3.5, false)]
        for (slot, voicing) in zip(h.slots, voicings) {
            let end = slot.start + slot.beats
            func add(_ t: Double, _ len: Double, _ vel: Int, stagger: Double = 0, reverse: Bool = false) {
                guard t < end - 1e-9 else { return }
                let order = reverse ? voicing.reversed() : voicing
                for (i, p) in order.enumerated() {
                    let s = t + Double(i) * stagger
                    notes.append(Note(start: s, duration: max(0.05, min(len, end - s) - 0.02), pitch: p, velocity: vel))
                }
            }
            switch pattern {
            case .sustain:
                add(slot.start, slot.beats, velocity)
            case .stabs:
                var bar = slot.start
                while bar < end - 1e-9 {
                    for o in stabOnsets { add(bar + o, 0.35, velocity + (o == 0 ? 6 : 0)) }
                    bar += 4
                }
            case .strum:
                var bar = slot.start
                while bar < end - 1e-9 {
                    for (i, (o, down)) in strumOnsets.enumerated() {
                        let next = i + 1 < strumOnsets.count ? strumOnsets[i + 1].0 : 4
                        add(bar + o, next - o, velocity - (down ? 0 : 12), stagger: 0.025, reverse: !down)
                    }
                    bar += 4
                }
            case .arpeggio:
                let seq = voicing + [voicing[1] + 12]
                var t = slot.start
                var i = 0
                let order = [0, 1, 2, 3, 2, 1]
                while t < end - 1e-9 {
                    let p = seq[order[i % order.count] % seq.count]
                    notes.append(Note(start: t, duration: 0.9, pitch: p, velocity: velocity - (i % 2 == 0 ? 0 : 8)))
                    t += 0.5
                    i += 1
                }
            case .pulse:
                var t = slot.start
                while t < end - 1e-9 {
                    add(t, slow ? 0.8 : 0.4, velocity - ((t - slot.start).truncatingRemainder(dividingBy: 1) == 0 ? 0 : 10))
                    t += slow ? 1 : 0.5
                }
            case .offbeat:
                var t = slot.start + (slow ? 0 : 0.5)
                while t < end - 1e-9 {
                    add(t, slow ? 0.6 : 0.3, velocity)
                    t += 1
                }
            }
        }
        return notes
    }

    /// The chorus lift of a chord part: the top note of every chord (notes starting within 0.05 beat of each
    /// other) doubled an octave up, softer, as arrangers brighten a chorus without changing its harmony.
    static func doubledTopVoice(_ notes: [Note], velocityDrop: Int = 14, highest: Int = 96) -> [Note] {
        var out = notes
        let sorted = notes.sorted { ($0.start, $0.pitch) < ($1.start, $1.pitch) }
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1].start - sorted[i].start < 0.05 { j += 1 }
            let top = sorted[i...j].max { $0.pitch < $1.pitch }!
            if top.pitch + 12 <= highest {
                out.append(Note(start: top.start, duration: top.duration, pitch: top.pitch + 12,
                                velocity: max(1, top.velocity - velocityDrop)))
            }
            i = j + 1
        }
        return out
    }

    static func pad(_ h: SectionHarmony, key: Key, center: Int, velocity: Int) -> [Note] {
        let voicings = voicings(h, key: key, center: center, count: 3)
        var notes: [Note] = []
        for (slot, v) in zip(h.slots, voicings) {
            for p in v { notes.append(Note(start: slot.start, duration: slot.beats - 0.02, pitch: p, velocity: velocity)) }
        }
        return notes
    }

    static func bassPitch(_ pc: Int, base: Int) -> Int { base + ((pc - base) % 12 + 12) % 12 }

    static func bass(_ h: SectionHarmony, key: Key, pattern: StylePreset.BassPattern, base: Int, velocity: Int,
                     syncopation: Double, slow: Bool = false, rng: inout SeededGenerator) -> [Note] {
        var notes: [Note] = []
        func add(_ t: Double, _ len: Double, _ p: Int, _ v: Int) {
            notes.append(Note(start: t, duration: max(0.05, len), pitch: min(127, max(0, p)), velocity: v))
        }
        let syncopatedOnsets: [Double] = rng.chance(0.5) ? [0, 0.75, 1.5, 2.5, 3] : [0, 1.5, 2, 2.75, 3.5]
        for (k, slot) in h.slots.enumerated() {
            // `root` is the note the bass stands on (`ChordSlot.bass`): the chord's root, its third under an inverted
            // chord, or the key's tonic under a pedal.
            let pcs = slot.chord.pitchClasses(tonic: key.tonic)
            let root = bassPitch(slot.bassPitchClass(tonic: key.tonic), base: base)
            var fifth = bassPitch(pcs[2], base: base)
            if fifth > root + 7 { fifth -= 12 }
            // The walking line's other chord tone: the third, or over an inverted chord its root.
            let third = bassPitch(pcs[slot.bass == .third ? 0 : 1], base: root)
            let end = slot.start + slot.beats
            let nextRoot = k + 1 < h.slots.count
                ? bassPitch(h.slots[k + 1].bassPitchClass(tonic: key.tonic), base: base) : nil
            // An approach note into the next chord's root (a semitone or a scale step away) on the last eighth.
            let approach: Int? = nextRoot.flatMap { n in
                guard n != root, rng.chance(0.55) else { return nil }
                return rng.chance(0.5) ? n - 1 : n + (n > root ? -2 : 2)
            }
            switch pattern {
            case .roots, .sustained:
                var t = slot.start
                while t < end - 1e-9 {
                    let len = pattern == .sustained ? end - t : min(4, end - t)
                    let last = t + len >= end - 1e-9
                    if last, let a = approach, pattern == .roots, len >= 2 {
                        add(t, len - 0.55, root, velocity)
                        add(end - 0.5, 0.45, a, velocity - 10)
                    } else {
                        add(t, len - 0.05, root, velocity)
                    }
                    t += len
                }
            case .rootFifth:
                var t = slot.start
                var i = 0
                while t < end - 1e-9 {
                    add(t, min(2, end - t) - 0.1, i % 2 == 0 ? root : fifth, velocity - (i % 2 == 0 ? 0 : 8))
                    t += 2
                    i += 1
                }
            case .eighths, .octaves:
                var t = slot.start
                var i = 0
                while t < end - 1e-9 {
                    var p = pattern == .octaves && i % 2 == 1 ? root + 12 : root
                    if t >= end - 0.5 - 1e-9, let a = approach { p = a }
                    add(t, slow ? 0.84 : 0.42, p, velocity - (i % 2 == 0 ? 0 : 10))
                    t += slow ? 1 : 0.5
                    i += 1
                }
            case .syncopated:
                var bar = slot.start
                while bar < end - 1e-9 {
                    for (i, o) in syncopatedOnsets.enumerated() where bar + o < end - 1e-9 {
                        let next = i + 1 < syncopatedOnsets.count ? syncopatedOnsets[i + 1] : 4
                        var p = [root, root, fifth, root + 12, root][i % 5]
                        if bar + 4 >= end - 1e-9, i == syncopatedOnsets.count - 1, let a = approach { p = a }
                        if o != o.rounded() && (slow || !rng.chance(0.5 + syncopation / 2)) { continue }
                        add(bar + o, min(next - o, end - bar - o) - 0.08, p, velocity - (o == 0 ? 0 : 12))
                    }
                    bar += 4
                }
            case .walking:
                var t = slot.start
                var i = 0
                while t < end - 1e-9 {
                    let lastBeat = t >= end - 1 - 1e-9
                    var p: Int
                    if i == 0 { p = root }
                    else if lastBeat, let n = nextRoot { p = n == root ? fifth : (rng.chance(0.5) ? n - 1 : n + 1) }
                    else { p = [third, fifth, third + (rng.chance(0.5) ? 2 : -1)][(i - 1) % 3] }
                    add(t, 0.92, p, velocity - (i % 2 == 0 ? 0 : 8))
                    t += 1
                    i += 1
                }
            }
        }
        return notes
    }

    static func arp(_ h: SectionHarmony, key: Key, center: Int, step: Double, velocity: Int,
                    rng: inout SeededGenerator) -> [Note] {
        let patterns: [[Int]] = [[0, 1, 2, 3], [0, 1, 2, 3, 2, 1], [0, 2, 1, 3], [0, 1, 2, 1, 3, 1, 2, 1], [3, 2, 1, 0]]
        let pattern = patterns[rng.int(in: 0...(patterns.count - 1))]
        let voicings = voicings(h, key: key, center: center, count: 3)
        var notes: [Note] = []
        for (slot, v) in zip(h.slots, voicings) {
            let tones = v + [v[0] + 12]
            var t = slot.start
            var i = 0
            while t < slot.start + slot.beats - 1e-9 {
                let onBeat = (t - slot.start).truncatingRemainder(dividingBy: 1) == 0
                notes.append(Note(start: t, duration: step * 0.85, pitch: tones[pattern[i % pattern.count]],
                                  velocity: velocity + (onBeat ? 6 : 0)))
                t += step
                i += 1
            }
        }
        return notes
    }
}
