/// The lead melody: a one-bar motif varied over the chords (repetition, sequence, rhythmic variation), chord tones
/// on strong beats, mostly steps, leaps recovered by a step back, phrase ends on stable degrees, rests between
/// phrases (Temperley 2008's melodic constraints, as a generator).

/// A one-bar rhythmic and melodic idea: onsets and lengths in beats, and cumulative offsets in scale degrees.
struct Motif: Sendable, Hashable {
    var rhythm: [(onset: Double, length: Double)]
    var offsets: [Int]
    /// Degrees each repetition moves by (sequence).
    var sequenceStep: Int

    static func == (a: Motif, b: Motif) -> Bool {
        a.offsets == b.offsets && a.sequenceStep == b.sequenceStep
            && a.rhythm.map(\.onset) == b.rhythm.map(\.onset) && a.rhythm.map(\.length) == b.rhythm.map(\.length)
    }

    func hash(into h: inout Hasher) { h.combine(offsets) }
}

/// Moving a melodic cell by whole semitones (a real sequence) so that it fits other chords: every note a tone of
/// its chord's scale (the key's, bent by a chromatic chord), strong notes chord tones, all inside the range. Shared
/// by the lead (`MelodyWriter`) and the sung melody (`VocalWriter`).
enum MotifFit {
    struct Place {
        var chord: Chord
        var strong: Bool
    }

    /// The cell moved by the semitone shift that fits `places` with its first note nearest `near`; nil if none
    /// within an octave does. `relaxed`: when no shift fits strictly, a shift with one strong non-chord tone
    /// (not the first note) that resolves by step to a chord tone (an appoggiatura) will do.
    /// `then`: the pitch that follows the cell, when it stays: the shift also keeps the step into it small.
    /// `resolution`: where the note after the cell falls, when the caller will make that note resolve the cell's
    /// last one (relaxed only): the last note may then lean too, if a chord tone of that place lies a step away
    /// (`resolving`). Without it a cell whose last note is the strong one fits few later lines' chords: a cell
    /// rising a fourth onto a downbeat fits no shift when the downbeat's chord moves from IV to V.
    static func transpose(_ cell: [Int], near: Int, then: Int? = nil, places: [Place], key: Key,
                          range: ClosedRange<Int>, relaxed: Bool = false, resolution: Place? = nil) -> [Int]? {
        guard let first = cell.first, let last = cell.last, cell.count == places.count else { return nil }
        func cost(_ k: Int) -> Int { abs(first + k - near) + (then.map { abs(last + k - $0) } ?? 0) }
        let shifts = (-12...12).sorted { (cost($0), abs($0), $0) < (cost($1), abs($1), $1) }
        func inScale(_ pc: Int, _ chord: Chord) -> Bool {
            (0..<7).contains { ((chord.semitone(ofDegree: $0) % 12) + 12) % 12 == pc }
        }
        func pc(_ p: Int) -> Int { ((p - key.tonic) % 12 + 12) % 12 }
        for strict in relaxed ? [true, false] : [true] {
            for k in shifts {
                let moved = cell.map { $0 + k }
                var leaning = 0  // strong non-chord tones (relaxed only: at most one, resolving by step)
                let fits = zip(moved, places).enumerated().allSatisfy { i, pair in
                    let (p, place) = pair
                    guard range.contains(p), inScale(pc(p), place.chord) else { return false }
                    guard place.strong, !isChordTone(p, of: place.chord, key: key) else { return true }
                    guard !strict, i > 0 else { return false }
                    if i + 1 < moved.count {
                        guard abs(moved[i + 1] - p) <= 2, isChordTone(moved[i + 1], of: places[i + 1].chord, key: key) else {
                            return false
                        }
                    } else {
                        guard let resolution, resolving(p, at: resolution, key: key, range: range) != nil else {
                            return false
                        }
                    }
                    leaning += 1
                    return leaning <= 1
                }
                if fits { return moved }
            }
        }
        return nil
    }

    /// The chord tone of `place` a step (1-2 semitones) from `pitch` that resolves it, inside the range; the step
    /// down first (an appoggiatura usually falls), then the smaller step. Nil when `pitch` is a chord tone there
    /// already or no chord tone lies a step away.
    static func resolving(_ pitch: Int, at place: Place, key: Key, range: ClosedRange<Int>) -> Int? {
        guard !isChordTone(pitch, of: place.chord, key: key) else { return nil }
        return [pitch - 1, pitch - 2, pitch + 1, pitch + 2].first {
            range.contains($0) && isChordTone($0, of: place.chord, key: key)
        }
    }

    /// Whether a MIDI pitch is a tone of a chord of the key.
    static func isChordTone(_ pitch: Int, of chord: Chord, key: Key) -> Bool {
        let pc = ((pitch - key.tonic) % 12 + 12) % 12
        return chord.tones.contains { (($0 % 12) + 12) % 12 == pc }
    }
}

struct MelodyWriter {
    var key: Key
    var low: Int
    var high: Int
    var density: Double
    var syncopation: Double
    var contour: [Double]

    /// Where a restated motif may go when no shift fits inside the register: a whole tone wider each way. A
    /// group of three bars spans most of a narrow register, so the one shift that fits the later chords often
    /// lands a step outside it (tune-set ambient t01: no restatement fitted, no motif recurred). The instrument's
    /// sounding range is still kept afterwards (`Composer.fitToRange`).
    var restatementRange: ClosedRange<Int> { (low - 2)...(high + 2) }

    /// `MotifFit.transpose` inside the register, or failing that inside `restatementRange`.
    func restate(_ cell: [Int], near: Int, then: Int?, places: [MotifFit.Place], relaxed: Bool = false) -> [Int]? {
        MotifFit.transpose(cell, near: near, then: then, places: places, key: key, range: low...high, relaxed: relaxed)
            ?? MotifFit.transpose(cell, near: near, then: then, places: places, key: key, range: restatementRange,
                                  relaxed: relaxed)
    }

    /// The MIDI pitch of degree 0 (the tonic at or below the range's bottom).
    var tonicBase: Int { low - ((low - key.tonic) % 12 + 12) % 12 }

    func pitch(_ d: Int, over chord: Chord) -> Int { tonicBase + chord.semitone(ofDegree: d) }

    var lowestDegree: Int {
        var d = 0
        while pitch(d, over: Chord(degree: 0, mode: key.mode)) < low { d += 1 }
        return d
    }

    var highestDegree: Int {
        var d = lowestDegree
        while pitch(d + 1, over: Chord(degree: 4, mode: key.mode)) <= high { d += 1 }
        return d
    }

    func makeMotif(rng: inout SeededGenerator) -> Motif {
        let grid = density > 0.75 ? 0.25 : 0.5
        let slotCount = Int(4 / grid)
        let wanted = grid == 0.5 ? Int((1.5 + density * 5).rounded()) : Int((3 + density * 6).rounded())
        let count = min(max(2, wanted), slotCount - 2)
        var onsets: Set<Int> = [rng.chance(syncopation * 0.6) ? Int(0.5 / grid) : 0]
        while onsets.count < count {
            var weights: [Double] = []
            for s in 0..<slotCount {
                let pos = Double(s) * grid
                let w: Double
                if onsets.contains(s) || pos >= 3.5 { w = 0 }
                else if pos == pos.rounded() { w = 1 }
                else if (pos * 2) == (pos * 2).rounded() { w = 0.35 + syncopation }
                else { w = 0.15 + syncopation * 0.5 }
                weights.append(w)
            }
            if weights.allSatisfy({ $0 == 0 }) { break }
            onsets.insert(rng.weightedIndex(weights))
        }
        let sorted = onsets.sorted().map { Double($0) * grid }
        var rhythm: [(onset: Double, length: Double)] = []
        for (i, o) in sorted.enumerated() {
            let next = i + 1 < sorted.count ? sorted[i + 1] : min(4, o + 1.5)
            rhythm.append((o, (next - o) * 0.92))
        }
        var offsets = [0]
        var lastStep = 0
        for _ in 1..<rhythm.count {
            var step: Int
            if abs(lastStep) >= 3 {
                step = lastStep > 0 ? -1 : 1
            } else {
                // Mostly steps (62% of the motif's moves; thirds 17%): restated motifs carry these moves through
                // the whole melody, which measured 56% steps on the tune set with thirds at 23%.
                let choices = [0, 1, -1, 2, -2, 3, -3, 4, -4]
                step = choices[rng.weightedIndex([0.12, 0.31, 0.29, 0.09, 0.08, 0.04, 0.03, 0.02, 0.02])]
            }
            offsets.append(offsets.last! + step)
            lastStep = step
        }
        let sequenceStep = [1, -1, 2, -2, 0][rng.weightedIndex([0.3, 0.3, 0.12, 0.12, 0.16])]
        return Motif(rhythm: rhythm, offsets: offsets, sequenceStep: sequenceStep)
    }

    func contourValue(_ fraction: Double) -> Double {
        let c = contour.isEmpty ? [0.35, 0.55, 0.7, 0.5, 0.3] : contour
        let i = min(c.count - 1, max(0, Int(fraction * Double(c.count))))
        return min(1, max(0, c[i]))
    }

    func nearestChordTone(_ d: Int, _ chord: Chord, preferBelow: Bool? = nil) -> Int {
        let tones = chord.degreeTones
        var best = d
        var bestDist = Int.max
        for cand in (d - 4)...(d + 4) where tones.contains(((cand % 7) + 7) % 7) {
            var dist = abs(cand - d) * 2
            if let below = preferBelow { dist += (below ? cand > d : cand < d) ? 1 : 0 }
            if dist < bestDist { bestDist = dist; best = cand }
        }
        return best
    }

    func clampDegree(_ d: Int, _ chord: Chord, strong: Bool) -> Int {
        var x = d
        let lo = lowestDegree, hi = highestDegree
        while x < lo { x += strong ? 7 : 1 }
        while x > hi { x -= strong ? 7 : 1 }
        if x < lo { x = lo }
        while pitch(x, over: chord) > high { x -= 1 }
        while pitch(x, over: chord) < low { x += 1 }
        return x
    }

    /// The melody of one section (beats relative to the section start), with its motif varied per bar.
    func realize(_ harmony: SectionHarmony, motif: Motif, lift: Int, finalOnly: Bool, rng: inout SeededGenerator)
        -> [Note]
    {
        var notes: [(start: Double, length: Double, degree: Int, chord: Chord, strong: Bool)] = []
        // Bars that play the motif itself: (first note index, note count), for the restatement below.
        var motifBars: [(first: Int, count: Int)] = []
        // The three bars before each cadence (a 4-bar phrase's first three, an 8-bar phrase's bars 1-3 and 5-7) as
        // (first note index, note count): a later group answers the first by starting as it did (a period:
        // antecedent and consequent open alike). Two bars were too few for a sparse lead (one or two notes a bar)
        // to carry a four-note motif.
        var openings: [(first: Int, count: Int, twoBars: Int)] = []
        let variation = makeVariation(motif, rng: &rng)
        var prevDegree: Int? = nil
        var prevStep = 0
        let phrases = finalOnly ? Array(harmony.phrases.suffix(1)) : harmony.phrases
        for phrase in phrases {
            let phraseBars = Int((phrase.beats / 4).rounded())
            var anchor = 0
            var groupFirst = notes.count
            var twoBars = 0
            for b in 0..<phraseBars {
                if b % 4 == 0 { groupFirst = notes.count }
                if b % 4 == 2 { twoBars = notes.count - groupFirst }
                if b % 4 == 3 { openings.append((groupFirst, notes.count - groupFirst, twoBars)) }
                let barStart = phrase.start + Double(b) * 4
                let isCadenceBar = b == phraseBars - 1
                let isMidCadence = phraseBars == 8 && b == 3
                let fraction = Double(b) / Double(max(1, phraseBars))
                let target = Double(low) + Double(high - low) * (0.2 + 0.6 * contourValue(fraction))
                let barChord = harmony.chord(at: barStart)
                var targetDegree = lowestDegree
                while pitch(targetDegree + 1, over: barChord) <= Int(target) { targetDegree += 1 }
                targetDegree += lift
                if b % 4 == 0 || prevDegree == nil {
                    anchor = nearestChordTone(targetDegree, barChord)
                } else {
                    anchor = nearestChordTone(anchor + motif.sequenceStep + (targetDegree > anchor + 3 ? 1 : 0)
                                                  - (targetDegree < anchor - 3 ? 1 : 0), barChord)
                }
                var rhythm: [(onset: Double, length: Double)]
                var offsets: [Int]
                if isCadenceBar || isMidCadence {
                    if density > 0.55 {
                        rhythm = [(0, 0.45), (0.5, 0.45), (1, isCadenceBar ? 1.9 : 1.4)]
                        offsets = [0, 0, 0]
                    } else if density > 0.25 {
                        rhythm = [(0, 0.9), (1, isCadenceBar ? 1.9 : 1.4)]
                        offsets = [0, 0]
                    } else {
                        rhythm = [(0, isCadenceBar ? 2.8 : 2.4)]
                        offsets = [0]
                    }
                } else if b % 4 == 2 {
                    rhythm = variation.rhythm
                    offsets = variation.offsets
                } else {
                    rhythm = motif.rhythm
                    offsets = motif.offsets
                    motifBars.append((notes.count, rhythm.count))
                }
                for (i, r) in rhythm.enumerated() {
                    let start = barStart + r.onset
                    let chord = harmony.chord(at: start)
                    let strong = r.onset == 0 || r.onset == 2 || harmony.slots.contains { abs($0.start - start) < 1e-9 }
                    var d = anchor + offsets[min(i, offsets.count - 1)]
                    let isFinal = (isCadenceBar || isMidCadence) && i == rhythm.count - 1
                    if isFinal {
                        let stable: [Int]
                        if isCadenceBar {
                            stable = phrase.cadence == .authentic ? [0] : [4]
                        } else {
                            let s = [0, 2, 4].filter { chord.degreeTones.contains($0) }
                            stable = s.isEmpty ? [0, 2, 4] : s
                        }
                        let ref = prevDegree ?? d
                        var best = ref
                        var bestDist = Int.max
                        for cand in (ref - 7)...(ref + 7) where stable.contains(((cand % 7) + 7) % 7) {
                            let c = clampDegree(cand, chord, strong: true)
                            guard stable.contains(((c % 7) + 7) % 7) else { continue }
                            if abs(c - ref) < bestDist { bestDist = abs(c - ref); best = c }
                        }
                        d = best
                    } else if (isCadenceBar || isMidCadence), let p = prevDegree {
                        // approach the cadence by step
                        d = i == 0 ? nearestChordTone(p, chord) : p + (p > anchor ? -1 : 1)
                    } else if let p = prevDegree, abs(prevStep) >= 3, !strong {
                        d = p + (prevStep > 0 ? -1 : 1)
                    } else if strong {
                        d = nearestChordTone(d, chord, preferBelow: prevStep > 0)
                    }
                    if !isFinal { d = clampDegree(d, chord, strong: false) }
                    if strong && !chord.degreeTones.contains(((d % 7) + 7) % 7) { d = clampDegree(nearestChordTone(d, chord), chord, strong: true) }
                    if !isFinal, let p = prevDegree, abs(d - p) > 5 {
                        // keep leaps singable: at most a sixth, and towards the range centre
                        let c = nearestChordTone(p + (d > p ? 2 : -2), chord)
                        d = clampDegree(strong ? c : p + (d > p ? 1 : -1), chord, strong: false)
                    }
                    prevStep = prevDegree.map { d - $0 } ?? 0
                    prevDegree = d
                    notes.append((start, r.length, d, chord, strong))
                }
            }
            prevStep = 0
        }
        placeNonChordTones(&notes, rng: &rng)
        var pitches = notes.map { pitch($0.degree, over: $0.chord) }
        let places = notes.map { MotifFit.Place(chord: $0.chord, strong: $0.strong) }
        // The pitch after a range of notes (a restated cell keeps the step into it small).
        func following(_ range: Range<Int>) -> Int? { range.upperBound < pitches.count ? pitches[range.upperBound] : nil }
        // State and restate: a later motif bar plays the first statement's exact intervals, moved to where its own
        // line went (a real sequence), when that fits its chords; otherwise it keeps its free realisation.
        if let statement = motifBars.first {
            let cell = Array(pitches[statement.first..<(statement.first + statement.count)])
            for bar in motifBars.dropFirst() where bar.count == statement.count {
                let range = bar.first..<(bar.first + bar.count)
                if let moved = restate(cell, near: pitches[bar.first], then: following(range),
                                       places: Array(places[range])) {
                    pitches.replaceSubrange(range, with: moved)
                }
            }
        }
        // A later group opens as the first did: its three bars restate the first group's, moved by whole
        // semitones to fit its chords (strictly, or with one strong appoggiatura resolving by step).
        if let first = openings.first, first.count >= 2 {
            let rhythm = notes[first.first..<(first.first + first.count)].map { $0.start - notes[first.first].start }
            for o in openings.dropFirst() where o.count == first.count {
                let same = zip(notes[o.first..<(o.first + o.count)].map { $0.start - notes[o.first].start }, rhythm)
                    .allSatisfy { abs($0 - $1) < 1e-9 }
                guard same else { continue }
                // The whole group, or when its chords will not take it, its first two bars (a sparse lead's
                // four-note motif, all on strong beats, rarely fits three bars of other chords).
                for count in [o.count, o.twoBars] where count >= 2 {
                    let cell = Array(pitches[first.first..<(first.first + count)])
                    let range = o.first..<(o.first + count)
                    if let moved = restate(cell, near: pitches[o.first], then: following(range),
                                           places: Array(places[range]), relaxed: true) {
                        pitches.replaceSubrange(range, with: moved)
                        break
                    }
                }
            }
        }
        return zip(notes, pitches).map { n, p in Note(start: n.start, duration: n.length, pitch: p, velocity: 80) }
    }

    /// Passing and neighbour tones, on weak beats only (strong beats keep their chord tones): a weak note between
    /// two notes a third apart takes the step between them (a passing tone), and a weak note that repeats the
    /// note before it, when the next returns to that note, steps a degree up or down and back, one time in two (a
    /// neighbour tone). Notes more than two beats apart are not joined (a rest or a phrase lies between).
    func placeNonChordTones(_ notes: inout [(start: Double, length: Double, degree: Int, chord: Chord, strong: Bool)],
                            rng: inout SeededGenerator) {
        guard notes.count >= 3 else { return }
        for i in 1..<(notes.count - 1) where !notes[i].strong {
            guard notes[i].start - notes[i - 1].start <= 2, notes[i + 1].start - notes[i].start <= 2 else { continue }
            let a = notes[i - 1].degree, b = notes[i + 1].degree, d = notes[i].degree
            if abs(b - a) == 2 {
                notes[i].degree = (a + b) / 2
            } else if a == b, d == a, rng.chance(0.5) {
                let n = a + (rng.chance(0.5) ? 1 : -1)
                if n >= lowestDegree && pitch(n, over: notes[i].chord) <= high { notes[i].degree = n }
            }
        }
    }

    /// A rhythmic variation of the motif: one note split in two, or two merged, with the contour kept.
    func makeVariation(_ motif: Motif, rng: inout SeededGenerator) -> Motif {
        var v = motif
        if v.rhythm.count > 2 && rng.chance(0.5) {
            let i = rng.int(in: 1...(v.rhythm.count - 1))
            v.rhythm[i - 1].length = v.rhythm[i - 1].length + v.rhythm[i].length + 0.04
            v.rhythm.remove(at: i)
            v.offsets.remove(at: i)
        } else if let i = v.rhythm.indices.max(by: { v.rhythm[$0].length < v.rhythm[$1].length }),
            v.rhythm[i].length >= 0.9
        {
            let half = (v.rhythm[i].length / 0.92 / 2 * 4).rounded() / 4
            let first = (v.rhythm[i].onset, half * 0.92)
            let second = (v.rhythm[i].onset + half, v.rhythm[i].length - half)
            v.rhythm.replaceSubrange(i...i, with: [first, second])
            v.offsets.insert(v.offsets[i] + (rng.chance(0.5) ? 1 : -1), at: i + 1)
        }
        return v
    }
}
