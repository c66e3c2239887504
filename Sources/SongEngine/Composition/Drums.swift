/// Drums: per-style one-bar templates in sixteenths (GM percussion numbers), fills in a section's last bar, a
/// crash at section starts after the intro, and Euclidean layers (Toussaint 2005) for extra percussion.

enum Drums {
    static let kick = 36, rim = 37, snare = 38, clap = 39, closedHat = 42, openHat = 46
    static let lowTom = 41, midTom = 45, highTom = 48, crash = 49, ride = 51, shaker = 70

    /// A Euclidean rhythm: `pulses` onsets spread as evenly as possible over `steps` (Bjorklund's result, by the
    /// equivalent floor formula), rotated by `rotation`.
    static func euclidean(pulses: Int, steps: Int, rotation: Int = 0) -> [Bool] {
        guard steps > 0 else { return [] }
        let k = min(max(0, pulses), steps)
        var pattern = [Bool](repeating: false, count: steps)
        for i in 0..<steps where k > 0 {
            pattern[i] = (i * k) % steps < k
        }
        let r = ((rotation % steps) + steps) % steps
        return Array(pattern[r...] + pattern[..<r])
    }

    /// (pitch, sixteenth step, velocity) for one bar; `full` adds the chorus layer (open hats, ride, extra kicks).
    static func template(_ pattern: StylePreset.DrumPattern, full: Bool, variant: Int) -> [(Int, Int, Int)] {
        var hits: [(Int, Int, Int)] = []
        func hats(every: Int, pitch: Int = closedHat, loud: Int = 80, soft: Int = 60) {
            for s in stride(from: 0, to: 16, by: every) { hits.append((pitch, s, s % 4 == 0 ? loud : soft)) }
        }
        switch pattern {
        case .none, .ambientPulse:
            hits += [(kick, 0, 78)]
            if full { hits += [(kick, 8, 64)] }
            for s in stride(from: 0, to: 16, by: 2) { hits.append((shaker, s, s % 4 == 0 ? 58 : 44)) }
            if full { for s in stride(from: 0, to: 16, by: 4) { hits.append((ride, s, 52)) } }
        case .boomBap:
            hits += [(kick, 0, 100), (kick, 6, 84), (snare, 4, 100), (snare, 12, 100)]
            hits += variant % 2 == 0 ? [(kick, 10, 88)] : [(kick, 9, 80), (kick, 10, 70)]
            hats(every: 2, loud: 78, soft: 58)
            if full { hits += [(openHat, 14, 64)] }
        case .backbeat:
            hits += [(kick, 0, 100), (kick, 8, 96), (snare, 4, 100), (snare, 12, 100)]
            hits += [[(kick, 10, 80)], [(kick, 7, 76)], [(kick, 6, 74), (kick, 10, 80)]][variant % 3]
            hats(every: 2)
            if full { hits += [(openHat, 14, 70), (kick, 14, 70)] }
        case .rock:
            hits += [(kick, 0, 110), (kick, 6, 90), (kick, 8, 104), (snare, 4, 112), (snare, 12, 112)]
            if variant % 2 == 1 { hits += [(kick, 10, 90)] }
            hats(every: 2, pitch: full ? ride : closedHat, loud: 92, soft: 74)
        case .fourOnFloor:
            hits += [(kick, 0, 110), (kick, 4, 108), (kick, 8, 110), (kick, 12, 108), (clap, 4, 96), (clap, 12, 96)]
            for s in [2, 6, 10, 14] { hits.append((openHat, s, full ? 78 : 64)) }
            if full { for s in stride(from: 1, to: 16, by: 2) { hits.append((closedHat, s, 50)) } }
        case .halfTime:
            hits += [(kick, 0, 104), (snare, 8, 108)]
            hits += [[(kick, 11, 84)], [(kick, 3, 80), (kick, 14, 78)]][variant % 2]
            hats(every: full ? 1 : 2, loud: 74, soft: 52)
        case .folk:
            hits += [(kick, 0, 80), (kick, 8, 72), (rim, 4, 76), (rim, 12, 76)]
            for s in stride(from: 0, to: 16, by: full ? 1 : 2) { hits.append((shaker, s, s % 4 == 0 ? 64 : 46)) }
        case .synthwave:
            hits += [(kick, 0, 108), (kick, 8, 106), (snare, 4, 112), (snare, 12, 112)]
            if variant % 2 == 1 { hits += [(kick, 11, 84)] }
            hats(every: 1, loud: 70, soft: 50)
            if full { hits += [(openHat, 6, 62), (openHat, 14, 62)] }
        }
        return hits
    }

    /// A fill over the last `beats` beats of a bar (toms or snare, rising in velocity), by style.
    static func fill(_ pattern: StylePreset.DrumPattern, energy: Double, variant: Int) -> [(Int, Int, Int)] {
        let startStep = energy > 0.6 ? 8 : 12
        var hits: [(Int, Int, Int)] = []
        switch pattern {
        case .rock, .halfTime, .synthwave:
            let toms = [highTom, highTom, midTom, midTom, lowTom, lowTom, lowTom, lowTom]
            for (i, s) in (startStep..<16).enumerated() where variant % 2 == 0 || s % 2 == 0 {
                hits.append((toms[min(toms.count - 1, i * 8 / (16 - startStep))], s, 84 + i * 3))
            }
        case .fourOnFloor, .backbeat:
            for (i, s) in (startStep..<16).enumerated() { hits.append((variant % 2 == 0 ? snare : clap, s, 64 + i * 5)) }
        case .boomBap, .folk:
            hits += [(snare, 13, 70), (snare, 15, 86), (kick, 14, 80)]
        case .none, .ambientPulse:
            hits += [(midTom, 12, 56), (lowTom, 14, 64)]
        }
        return hits
    }

    /// The build into a chorus: over a pre-chorus's last bar a snare roll that doubles its rate halfway (eighths then
    /// sixteenths; quarters then eighths below `slowTempo` and from `fastTempo` on, where nothing moves faster than
    /// eighths) and rises from soft to loud, the kick keeping the beats. Kits without a backbeat snare (folk,
    /// ambient, none) keep their ordinary fill.
    static func snareBuild(_ pattern: StylePreset.DrumPattern, bpm: Int) -> [(Int, Int, Int)]? {
        guard [.rock, .halfTime, .synthwave, .fourOnFloor, .backbeat, .boomBap].contains(pattern) else { return nil }
        let plain = bpm >= slowTempo && bpm < fastTempo
        let steps = plain ? Array(stride(from: 0, to: 8, by: 2)) + Array(8..<16)
                          : [0, 4] + Array(stride(from: 8, to: 16, by: 2))
        return steps.map { s in (snare, s, 56 + 56 * s / 15) }
    }

    /// A first verse (and every other later one) held back, as drummers play a song's first verse: the snare as a
    /// side stick (cross-stick, GM 37) and softer, the kick at `heldKick` of its velocity (about 8 dB down through
    /// the kit's velocity^1.5 curve), until its last bar (the fill into the chorus is played full). Why: a kick's
    /// pitch sweep crosses every pitch class, and with a kick on every beat (fast rock) the verse's chroma sat 0.965
    /// of the way to flat, so that its second verse (new chords, inversions, ninths) and even its chorus measured
    /// 0.966-0.97 alike to it; on tune photos, fast rock's verse pairs: 0.955-0.971 with the side stick alone,
    /// 0.949-0.963 with the kick at 0.7, 0.944-0.956 at 0.55 (without drums at all: 0.83).
    /// From `fastTempo` on, a held-back verse's kick keeps only beats 1 and 3 (the side stick on 2 and 4 and the
    /// eighth cymbals keep the pulse): a kick on every beat at 167 bpm sounds almost without a gap, and its sweep
    /// set the chroma of every verse alike (fast rock's verse pairs 0.97-0.98 on judged and fresh photos; 0.93-0.96
    /// with the kick on 1 and 3, tune-set diagnosis in docs/architecture.md).
    static let heldKick = 0.55
    static func sideStick(_ notes: [Note], before end: Double, bpm: Int) -> [Note] {
        notes.compactMap { n in
            guard n.start < end - 1e-9 else { return n }
            if bpm >= fastTempo && n.pitch == kick {
                let inBar = n.start.truncatingRemainder(dividingBy: 4)
                guard abs(inBar) < 1e-6 || abs(inBar - 2) < 1e-6 else { return nil }
            }
            var m = n
            if n.pitch == snare {
                m.pitch = rim
                m.velocity = max(1, Int((Double(n.velocity) * 0.85).rounded()))
            } else if n.pitch == kick {
                m.velocity = max(1, Int((Double(n.velocity) * heldKick).rounded()))
            }
            return m
        }
    }

    /// How a verse's drums play, by its place among the song's verses (`occurrence`, 0 = the first): held back
    /// (`sideStick`) in the first and every other one after it, full in the second, and from the fourth on every
    /// other full verse a drop (`drop`): the kit rests for the verse's first half and comes back with a crash. So
    /// neighbouring verses never share a groove, and in songs of five or more verses the two full ones differ too
    /// (fast rock's second and fourth verses, both full, measured 0.98 alike in chroma whatever their chords,
    /// bass or lead did; with the fourth a drop, 0.94-0.95).
    enum VerseFeel: Equatable { case heldBack, full, drop }
    static func verseFeel(occurrence k: Int) -> VerseFeel {
        if k % 2 == 0 { return .heldBack }
        return k % 4 == 3 ? .drop : .full
    }

    /// A verse's first half without drums (the other parts carry it), the kit returning at its middle with a crash
    /// and a kick on the downbeat. `beats` is the section's length.
    static func drop(_ notes: [Note], beats: Double, velocity: Int) -> [Note] {
        let back = (beats / 8).rounded(.down) * 4
        guard back >= 4 else { return notes }
        let kept = notes.filter { $0.start >= back - 1e-9 && !($0.start < back + 1e-9 && [crash, kick].contains($0.pitch)) }
        return [Note(start: back, duration: 1, pitch: crash, velocity: velocity),
                Note(start: back, duration: 0.2, pitch: kick, velocity: velocity)] + kept
    }

    /// Keeps the beat where a listener (and a beat tracker) hears it at extreme tempi. Trackers and listeners
    /// prefer a pulse near 100-130 bpm: at slow tempi even eighth-note hats make the song read at double speed, so
    /// cymbals and shakers keep to the beat and the Euclidean layer rests; at fast tempi a half-time snare makes it
    /// read at half speed, so the snare moves to the backbeat. (Measured: essentia's beat tracker found 120 for a
    /// 60 bpm four-on-the-floor with off-beat hats, and 80 for a 160 bpm half-time groove.)
    static func adaptToTempo(_ hits: [(Int, Int, Int)], bpm: Int) -> [(Int, Int, Int)] {
        var hits = hits
        if bpm < slowTempo {
            hits = hits.filter { $0.1 % 4 == 0 }
        }
        if bpm >= fastTempo {
            // Sixteenth-note cymbals at fast tempi blur the beat: keep them to eighths.
            let cymbals: Set<Int> = [closedHat, openHat, ride, shaker]
            hits = hits.filter { !cymbals.contains($0.0) || $0.1 % 2 == 0 }
        }
        if bpm < slowTempo || bpm >= fastTempo {
            let before = hits.count
            hits = hits.filter { !($0.0 == snare && $0.1 == 8) }
            if hits.count != before { hits += [(snare, 4, 108), (snare, 12, 108)] }
        }
        if bpm >= fastTempo && hits.contains(where: { $0.0 == kick }) {
            // Every beat gets a kick, or the groove reads at half speed (a 160 bpm backbeat under a piano melody
            // in quarters and halves measured as 80 bpm).
            for step in [0, 4, 8, 12] where !hits.contains(where: { $0.0 == kick && $0.1 == step }) {
                hits.append((kick, step, 96))
            }
        }
        return hits
    }

    /// Below this tempo every part keeps to quarter notes on the beat.
    static let slowTempo = 96
    /// From this tempo on, no part moves faster than eighths and no syncopated layer blurs the beat.
    static let fastTempo = 140

    /// One section's drum notes (beats relative to the section start).
    static func section(_ h: SectionHarmony, pattern: StylePreset.DrumPattern, energy: Double, density: Double,
                        bpm: Int, crashAtStart: Bool, fillAtEnd: Bool, rng: inout SeededGenerator) -> [Note] {
        // The full layer (open hats, ride, extra kicks) plays in every chorus and in energetic sections other than
        // verses: a verse keeps the lighter layer however energetic the song, so the chorus has a layer to add
        // (a high-arousal rock verse at 0.65+ had played the chorus's ride, and its chorus measured no lift in
        // centroid or onset rate).
        let full = h.kind == .chorus || (energy >= 0.65 && h.kind != .verse)
        let variant = rng.int(in: 0...5)
        var base = adaptToTempo(template(pattern, full: full, variant: variant), bpm: bpm)
        // From 140 bpm the groove's hits are the same in verse and chorus (kicks on the beats, the backbeat, eighth
        // cymbals), so the full layer of a kit with a backbeat crashes every downbeat: fast rock choruses on the
        // tune photos measured centroid lifts of only 1.05-1.08 over their verses without it.
        if full && bpm >= fastTempo && base.contains(where: { $0.0 == snare || $0.0 == clap }) {
            base.append((crash, 0, 100))  // no template plays a crash
        }
        let velocityScale = 0.75 + 0.3 * energy
        var notes: [Note] = []
        // Euclidean percussion layer when the section is busy enough.
        var euclid: [(Int, Int, Int)] = []
        if (energy >= 0.55 || density >= 0.6) && bpm >= slowTempo && bpm < fastTempo {
            let pulses = [3, 5, 7][min(2, Int(density * 3))]
            let rotation = rng.int(in: 0...3)
            let pitch = pattern == .folk || pattern == .ambientPulse ? rim : shaker
            for (s, on) in euclidean(pulses: pulses, steps: 16, rotation: rotation).enumerated() where on {
                euclid.append((pitch, s, 52))
            }
        }
        let fillHits = (h.kind == .preChorus ? snareBuild(pattern, bpm: bpm) : nil)
            ?? fill(pattern, energy: energy, variant: variant)
        let fillStart = fillHits.map(\.1).min() ?? 16
        for bar in 0..<h.bars {
            let isFillBar = fillAtEnd && bar == h.bars - 1 && h.bars > 1
            var hits = base + euclid
            if isFillBar {
                hits = hits.filter { $0.1 < fillStart || $0.0 == kick && $0.1 % 4 == 0 } + fillHits
            }
            if bar == 0 && crashAtStart {
                hits.removeAll { $0.0 == crash && $0.1 == 0 }
                hits.append((crash, 0, 104))
            }
            for (p, s, v) in hits {
                let vel = Int((Double(v) * velocityScale).rounded())
                let len = p == crash || p == openHat ? 1.0 : 0.2
                notes.append(Note(start: Double(bar * 4) + Double(s) * 0.25, duration: len, pitch: p,
                                  velocity: min(127, max(1, vel))))
            }
        }
        return notes
    }
}
