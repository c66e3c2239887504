// Why one file of 470 lines: the planner is one decision (style, key, tempo, form, voice) whose steps read each
// other's results and all write their reasons into the plan.
import Foundation

/// A plan request that cannot be satisfied.
public struct PlanError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Turns image features and the request's steering into a `MusicPlan`, with a reason for every decision.
///
/// The mapping follows design-notes ("From image to musical decisions"): features -> valence and arousal ->
/// musical cues, summed roughly linearly. Valence leans on lightness (Valdez & Mehrabian: pleasure ~ .69
/// brightness + .22 saturation) with a small warmth term; arousal on saturation and colourfulness (arousal ~ .60
/// saturation - .31 brightness) plus visual complexity (edge density) and contrast. Features are centred on the
/// values typical of photographs so that ordinary photos spread over the plane instead of bunching in one corner.
public enum Planner {
    /// Valence and arousal of an image (before the prompt), each -1...1, with the terms that made them.
    public struct Affect: Sendable {
        public var valence: Double
        public var arousal: Double
        public var valenceTerms: String
        public var arousalTerms: String
    }

    static func clamp(_ x: Double, _ lo: Double = -1, _ hi: Double = 1) -> Double { max(lo, min(hi, x)) }
    /// The fastest tempo a prompt's tempo word ("fast") takes a song to, bpm; an explicit "N bpm" is not bound by it.
    static let tempoWordCeiling = 180.0
    /// The fastest a song asked to be "slow" may be, bpm: the top of the walking pace that tempo markings call
    /// andante (76-108 in metronome tables) less a margin; "slow" on the most vivid photo gave EDM at 110 bpm with the
    /// factor and the arousal shift alone. An explicit "N bpm" is not bound by it.
    static let slowWordCeiling = 100.0

    /// A tempo chosen from the style's range, after the prompt's tempo word: "slow" x0.85 and at most 100 bpm, "fast"
    /// x1.15 and at most 180 bpm (unless already faster), a calm word x0.9. Also bounds the lyric-length check's
    /// slowest tempo (`SongRequest`), so both apply the same rule.
    static func tempo(_ t: Double, reading: PromptReading) -> Double {
        switch reading.tempoWord {
        case .slow: return min(t * reading.tempoFactor, slowWordCeiling)
        case .fast: return min(t * reading.tempoFactor, max(t, tempoWordCeiling))
        case nil: return t * reading.tempoFactor
        }
    }
    static func f2(_ x: Double) -> String { String(format: "%.2f", x) }
    static func signed(_ x: Double) -> String { String(format: "%+.2f", x) }

    public static func affect(_ f: ImageFeatures) -> Affect {
        // Centred, roughly unit-scaled features (centres and spans from typical photographs).
        let l = clamp((f.meanLightness - 52) / 25, -1.6, 1.6)
        let s = clamp((f.meanSaturation - 0.5) / 0.3, -1.6, 1.6)
        let m = clamp((f.colourfulness - 60) / 40, -1.6, 1.6)
        let e = clamp((f.edgeDensity - 0.08) / 0.07, -1.6, 1.6)
        let c = clamp((f.lightnessContrast - 15) / 10, -1.6, 1.6)
        let vRaw = 0.69 * l + 0.22 * s + 0.15 * f.warmth
        let aRaw = 0.45 * s + 0.25 * m + 0.35 * e + 0.12 * c - 0.31 * l + 0.08 * f.warmth
        let valence = tanh(0.9 * vRaw)
        let arousal = tanh(0.75 * aRaw)
        let vt = "lightness L* \(Int(f.meanLightness.rounded())) (\(signed(0.69 * l))), saturation \(f2(f.meanSaturation)) (\(signed(0.22 * s))), warmth \(f2(f.warmth)) (\(signed(0.15 * f.warmth)))"
        let at = "saturation \(f2(f.meanSaturation)) (\(signed(0.45 * s))), colourfulness \(Int(f.colourfulness.rounded())) (\(signed(0.25 * m))), edge density \(f2(f.edgeDensity)) (\(signed(0.35 * e))), contrast \(Int(f.lightnessContrast.rounded())) (\(signed(0.12 * c))), lightness (\(signed(-0.31 * l)))"
        return Affect(valence: valence, arousal: arousal, valenceTerms: vt, arousalTerms: at)
    }

    /// `lyricsTime` hears how long the lyric work (parsing and pronouncing the user's lyrics) took, in seconds.
    /// Lyrics the engine writes come later, from `LyricStage`.
    public static func plan(features f: ImageFeatures, steering: Steering, styles: StyleLibrary, seed: UInt64,
                            scene: Scene? = nil, pronouncer: any Pronouncing = Speech.shared,
                            lyricsTime: ((Double) -> Void)? = nil) throws -> MusicPlan
    {
        var textSeconds = 0.0
        func timed<T>(_ body: () -> T) -> T {
            let t0 = DispatchTime.now().uptimeNanoseconds
            defer { textSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
            return body()
        }
        guard !styles.styles.isEmpty else { throw PlanError(description: "no style presets loaded") }
        let reading = PromptInterpreter.read(prompt: steering.prompt, negativeTags: steering.negativeTags, styles: styles)
        var decisions: [Decision] = []
        let rng = SeededGenerator(seed: seed)

        // 1. Valence and arousal.
        let base = affect(f)
        let valence = clamp(base.valence + reading.valenceShift)
        let arousal = clamp(base.arousal + reading.arousalShift)
        var vReason = "from the image: \(base.valenceTerms) -> \(f2(base.valence))"
        if reading.valenceShift != 0 { vReason += "; prompt/negative tags \(signed(reading.valenceShift))" }
        var aReason = "from the image: \(base.arousalTerms) -> \(f2(base.arousal))"
        if reading.arousalShift != 0 { aReason += "; prompt/negative tags \(signed(reading.arousalShift))" }
        decisions.append(Decision(name: "valence", value: f2(valence), reason: vReason))
        decisions.append(Decision(name: "arousal", value: f2(arousal), reason: aReason))

        // 2. Style.
        let (style, styleReason) = chooseStyle(features: f, valence: valence, arousal: arousal, reading: reading,
                                               styles: styles)
        decisions.append(Decision(name: "style", value: style.id, reason: styleReason))

        // 3. Mode and tonic.
        let key: Key
        if let requested = steering.key {
            key = requested
            decisions.append(Decision(name: "mode", value: requested.mode.rawValue, reason: "requested key \(requested)"))
            decisions.append(Decision(name: "key", value: requested.description, reason: "requested"))
        } else {
            // Steep enough that clearly light images are major (and dark ones minor) nearly always; the middle stays a
            // seeded draw. (With slope 4 a bright meadow at valence 0.40 still came out minor one time in seven.)
            let pMajor = 1 / (1 + exp(-7 * (valence + 0.05)))
            var modeRng = rng.fork("mode")
            let mode: Key.Mode = modeRng.chance(pMajor) ? .major : .minor
            decisions.append(Decision(
                name: "mode", value: mode.rawValue,
                reason: "valence \(f2(valence)) gives P(major) = \(f2(pMajor)) (lighter images lean major; Palmer et al. 2013); drawn from the seed"))
            let (tonic, tonicReason) = chooseTonic(f)
            key = Key(tonic: tonic, mode: mode)
            decisions.append(Decision(name: "key", value: key.description, reason: tonicReason))
        }

        // 4. Tempo.
        let bpm: Int
        if let requested = steering.bpm {
            bpm = requested
            decisions.append(Decision(name: "tempo", value: "\(bpm) bpm", reason: "requested"))
        } else if let promptBpm = reading.bpm {
            bpm = promptBpm
            decisions.append(Decision(name: "tempo", value: "\(bpm) bpm", reason: "requested in the prompt (\"\(bpm) bpm\")"))
        } else {
            // Position in the style's range: arousal (saturation, colourfulness, edges...) plus a direct edge-density
            // term for rhythmic busyness; may stretch 15% of the range past either end.
            let position = clamp(0.5 + 0.55 * arousal + 0.15 * clamp((f.edgeDensity - 0.08) / 0.07), -0.15, 1.15)
            let span = Double(style.tempoMax - style.tempoMin)
            var t = Double(style.tempoMin) + span * position
            var reason = "\(style.id) range \(style.tempoMin)-\(style.tempoMax) at position \(f2(position)) from arousal \(f2(arousal)) (saturation \(f2(f.meanSaturation)), edge density \(f2(f.edgeDensity)))"
            if position < 0 || position > 1 { reason += ", stretched past the range" }
            if reading.tempoFactor != 1 {
                // Bounded too: a tempo word's arousal has already moved the position, and "fast" on a vivid rock
                // picture reached 193 bpm, which beat trackers hear at half time; "slow" on a vivid one stayed 110.
                let scaled = t * reading.tempoFactor
                t = Self.tempo(t, reading: reading)
                reason += "; prompt \(reading.tempoWord.map { "tempo word \"\($0.rawValue)\"" } ?? "mood word") x\(f2(reading.tempoFactor))"
                if t < scaled { reason += ", at most \(Int(t)) bpm" }
            }
            bpm = Int(clamp(t.rounded(), 40, 240))
            decisions.append(Decision(name: "tempo", value: "\(bpm) bpm", reason: reason))
        }

        // 5. Density, register, brightness.
        var density = clamp(0.45 * clamp((f.edgeDensity - 0.02) / 0.2, 0, 1) + 0.4 * (arousal + 1) / 2
                            + 0.15 * style[.melodyDensity], 0, 1)
        decisions.append(Decision(name: "density", value: f2(density),
                                  reason: "edge density \(f2(f.edgeDensity)) (visual complexity -> rhythmic density; Machado 2015), arousal \(f2(arousal)), style melody density \(f2(style[.melodyDensity]))"))
        let register = 60 + Int((clamp((f.meanLightness - 50) / 40) * 7).rounded())
        decisions.append(Decision(name: "register", value: "MIDI \(register)",
                                  reason: "mean lightness L* \(Int(f.meanLightness.rounded())): lighter images sit higher (C4 = 60, ±7 semitones)"))
        var brightness = clamp(0.55 * f.angularity + 0.25 * (f.warmth + 1) / 2 + 0.2 * f.meanSaturation, 0, 1)
        decisions.append(Decision(name: "brightness", value: f2(brightness),
                                  reason: "angularity \(f2(f.angularity)) (straight edges -> harsher timbres; Adeli 2014), warmth \(f2(f.warmth)), saturation \(f2(f.meanSaturation))"))

        // 6. Instruments.
        var (instruments, instrumentReason) = chooseInstruments(style: style, reading: reading)
        // The sound follows the scene where the picture gives evidence (water, night, city lights, snow).
        if let scene {
            let sound = SceneSound.choose(scene: scene, instruments: instruments, density: density,
                                          brightness: brightness, reading: reading)
            if !sound.reasons.isEmpty {
                instruments = sound.instruments
                density = sound.density
                brightness = sound.brightness
                decisions.append(Decision(name: "scene sound", value: sound.reasons.joined(separator: "; "),
                                          reason: "what the picture shows steers the sound; the prompt's instruments and the negative tags stay as asked"))
            }
        }
        decisions.append(Decision(
            name: "instruments",
            value: instruments.sorted { $0.key < $1.key }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: ", "),
            reason: instrumentReason))
        // Versions: a version with an odd seed (every second version) plays the style's alternate (other instruments and patterns), chosen
        // under the same prompt rules, so two versions differ in sound as well as in tune.
        var alternateInstruments: [Role: String]? = nil
        if let a = style.alternate {
            let (alternate, _) = chooseInstruments(style: style.alternated, reading: reading)
            let patterns = [a.drumPattern.map { "drums \($0.rawValue)" }, a.chordPattern.map { "chords \($0.rawValue)" },
                            a.bassPattern.map { "bass \($0.rawValue)" }].compactMap { $0 }
            let swapped = alternate.filter { instruments[$0.key] != $0.value }.sorted { $0.key < $1.key }
                .map { "\($0.key.rawValue): \($0.value)" }
            if !swapped.isEmpty || !patterns.isEmpty {
                alternateInstruments = alternate
                decisions.append(Decision(
                    name: "versions", value: "versions with an odd seed: " + (swapped + patterns).joined(separator: ", "),
                    reason: "the \(style.id) preset's alternate, under the same prompt and negative-tag rules, consecutive versions get seeds of opposite parity, so two versions differ in sound as well as in melody"))
            }
        }
        if !reading.gainOffsets.isEmpty {
            decisions.append(Decision(
                name: "mix", value: reading.gainOffsets.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \(signed($0.value)) dB" }.joined(separator: ", "),
                reason: "negative tags ask for quieter parts"))
        }

        // 7. Form and energy: the user's lyrics decide the form when there are any; otherwise the style's form.
        let userLyrics = steering.vocals ? timed { singableLyrics(steering.lyrics, pronouncer: pronouncer) } : nil
        var fitted: (lyrics: Lyrics, pronounced: [[PronouncedLine]])?
        let names: [(String, Int)]
        let formReason: String
        if let (lyrics, pronounced) = userLyrics {
            let fit = LyricForm.fit(lyrics: lyrics, pronounced: pronounced, bpm: bpm, style: style)
            names = fit.names
            fitted = (fit.lyrics, fit.pronounced)
            let sung = fit.lyrics.sections.filter { !$0.lines.isEmpty }.count
            formReason = "the lyrics' \(sung) sung sections in their order, each fitted to its lines at this tempo"
                + (steering.duration != nil ? " (the lyrics decide the length; the requested duration gives way)" : "")
        } else {
            (names, formReason) = fitForm(style: style, bpm: bpm, duration: steering.duration)
        }
        let form = energies(names: names, arousal: arousal, profile: f.verticalProfile)
        let seconds = Double(form.reduce(0) { $0 + $1.bars }) * 240 / Double(bpm)
        decisions.append(Decision(
            name: "form", value: form.map { "\($0.name) \($0.bars)" }.joined(separator: ", "),
            reason: formReason + String(format: "; %d bars at %d bpm = %.1f s", form.reduce(0) { $0 + $1.bars }, bpm, seconds)))
        decisions.append(Decision(
            name: "energy", value: form.map { f2($0.energy) }.joined(separator: " "),
            reason: "intro/outro low, verse mid, chorus high; scaled by arousal \(f2(arousal)) and shaded by the image's vertical lightness profile"))

        // 8. Contour.
        let contour = f.verticalProfile.count == 8 ? f.verticalProfile : [Double](repeating: 0.5, count: 8)
        decisions.append(Decision(
            name: "contour", value: contour.map { f2($0) }.joined(separator: " "),
            reason: "melody height per phrase position from the image's band lightness, top to bottom (a design choice, normalised per image)"))

        var plan = MusicPlan(key: key, bpm: bpm, style: style.id, valence: valence, arousal: arousal, density: density,
                             register: register, brightness: brightness, form: form, instruments: instruments,
                             contour: contour, decisions: decisions)
        plan.gainOffsets = reading.gainOffsets.filter { instruments[$0.key] != nil }
        plan.alternateInstruments = alternateInstruments

        // 9. Voice.
        if steering.vocals {
            let (voice, reason) = VoiceChoice.choose(prompt: steering.prompt, voiceId: steering.voiceId, valence: valence,
                                                     brightness: brightness, lightness: f.meanLightness)
            plan.voice = voice
            plan.decisions.append(Decision(name: "voice", value: voice.rawValue, reason: reason))
            // 10. Lyrics: the user's, fitted above, or written from the image and the prompt.
            if let fitted {
                plan.lyrics = fitted.lyrics
                plan.pronounced = fitted.pronounced
                let lines = fitted.lyrics.sections.reduce(0) { $0 + $1.lines.count }
                plan.decisions.append(Decision(name: "lyrics", value: "the user's, \(lines) lines",
                                               reason: "tags drive the form; lines with nothing to sing are dropped"))
            }
            // Otherwise the lyric stage (`LyricStage`, between planning and composition) writes them.
        }
        lyricsTime?(textSeconds)
        return plan
    }

    /// The user's lyrics parsed, with every line pronounced and lines with nothing to sing (emoji, symbols)
    /// dropped; nil when nothing singable remains.
    static func singableLyrics(_ text: String, pronouncer: any Pronouncing = Speech.shared) -> (Lyrics, [[PronouncedLine]])? {
        guard text.contains(where: { $0.isLetter || $0.isNumber }) else { return nil }
        let parsed = LyricsParser.parse(text)
        var sections: [LyricSection] = []
        var pronounced: [[PronouncedLine]] = []
        for section in parsed.sections {
            var kept = section
            kept.lines = []
            var said: [PronouncedLine] = []
            for line in section.lines {
                let p = pronouncer.pronounce(line: line)
                guard p.syllableCount > 0 else { continue }
                kept.lines.append(line)
                said.append(p)
            }
            sections.append(kept)
            pronounced.append(said)
        }
        guard sections.contains(where: { !$0.lines.isEmpty }) else { return nil }
        return (Lyrics(sections: sections, title: nil, written: false), pronounced)
    }

    // MARK: - Style

    static func chooseStyle(features f: ImageFeatures, valence: Double, arousal: Double, reading: PromptReading,
                            styles: StyleLibrary) -> (StylePreset, String) {
        let allowed = styles.styles.filter { !reading.excludedStyles.contains($0.id) }
        let pool = allowed.isEmpty ? styles.styles : allowed
        let excludedNote = reading.excludedStyles.isEmpty ? "" : "; excluded by negative tags: \(reading.excludedStyles.joined(separator: ", "))"

        // Distance in the valence/arousal plane, nudged by image character: warm images lean to acoustic and
        // warm styles, cool ones to electronic/atmospheric; straight edges to hard-edged styles; flat images to
        // drumless/soft styles.
        func distance(_ s: StylePreset) -> Double {
            let dv = valence - s.valence, da = arousal - s.arousal
            var d = (dv * dv + da * da).squareRoot()
            let warmStyles: Set<String> = ["folk", "jazz_chill", "lofi"]
            let coolStyles: Set<String> = ["ambient", "synthwave", "cinematic"]
            if warmStyles.contains(s.id) { d -= 0.08 * f.warmth }
            if coolStyles.contains(s.id) { d += 0.08 * f.warmth }
            if s.id == "rock" || s.id == "synthwave" { d -= 0.08 * (f.angularity - 0.5) }
            if s.drumPattern == .none { d += 0.6 * max(0, f.edgeDensity - 0.06) }
            return d
        }
        let ranked = pool.sorted { (distance($0), $0.id) < (distance($1), $1.id) }

        let named = pool.filter { (reading.styleScores[$0.id] ?? 0) > 0 }
        if !named.isEmpty {
            let best = named.max { a, b in
                let sa = reading.styleScores[a.id]!, sb = reading.styleScores[b.id]!
                return sa != sb ? sa < sb : distance(a) > distance(b)
            }!
            return (best, "prompt names \(best.id) (keyword score \(reading.styleScores[best.id]!))" + excludedNote)
        }
        let best = ranked[0]
        var reason = "nearest style to valence \(f2(valence)), arousal \(f2(arousal)): \(best.id) at (\(f2(best.valence)), \(f2(best.arousal))), distance \(f2(distance(best))) with warmth \(f2(f.warmth)), angularity \(f2(f.angularity)), edge density \(f2(f.edgeDensity)) adjustments"
        if ranked.count > 1 { reason += "; next: \(ranked[1].id) \(f2(distance(ranked[1])))" }
        if allowed.isEmpty { reason += "; every style was excluded, so the nearest was kept" }
        return (best, reason + excludedNote)
    }

    // MARK: - Tonic

    /// Dominant hue -> tonic: the hue circle is laid on the circle of fifths (red = C, then every 30° one fifth
    /// up: orange G, yellow D, yellow-green A, green E, ... blue-violet Ab/G#, magenta F), so neighbouring hues give
    /// closely related keys. This is a design choice for a stable identity of the image, not evidence: no study
    /// links hue to key. Images without colour take a tonic from their lightness instead.
    static func chooseTonic(_ f: ImageFeatures) -> (Int, String) {
        if f.meanSaturation < 0.08 {
            let step = min(11, Int(f.meanLightness / 100 * 12))
            let tonic = (step * 7) % 12
            return (tonic, "image has almost no colour (saturation \(f2(f.meanSaturation))): lightness L* \(Int(f.meanLightness.rounded())) laid on the circle of fifths (a design choice, not evidence)")
        }
        let step = Int((f.dominantHue / 30).rounded()) % 12
        let tonic = (step * 7) % 12
        return (tonic, "dominant hue \(Int(f.dominantHue.rounded()))° laid on the circle of fifths (red = C, each 30° a fifth up): a stable identity for the image, a design choice, not evidence")
    }

    // MARK: - Instruments

    static let acousticFallback: [Role: String] = [
        .lead: "flute", .chords: "acoustic_guitar", .pad: "string_pad", .bass: "upright_bass", .arp: "marimba",
        .drums: "brush_kit",
    ]

    static func chooseInstruments(style: StylePreset, reading: PromptReading) -> ([Role: String], String) {
        var result: [Role: String] = [:]
        for (name, id) in style.instruments {
            if let role = Role(rawValue: name) { result[role] = id }
        }
        var notes = ["\(style.id) preset"]
        let excluded = Set(reading.excludedInstruments)
        func acousticVersion(of id: String, role: Role) -> String? {
            guard let entry = InstrumentCatalog.entry(id) else { return nil }
            if entry.acoustic { return id }
            if let same = InstrumentCatalog.entries.first(where: {
                $0.acoustic && $0.family == entry.family && !excluded.contains($0.id)
            }) {
                return same.id
            }
            return acousticFallback[role].flatMap { excluded.contains($0) ? nil : $0 }
        }
        // Instruments the prompt names.
        for (role, wanted) in reading.instruments.sorted(by: { $0.key < $1.key }) {
            var id = wanted
            // "guitar" in an electric style stays electric; "acoustic" makes it acoustic.
            if wanted == "acoustic_guitar" && !reading.preferAcoustic
                && style.instruments.values.contains("electric_guitar") {
                id = "electric_guitar"
            }
            // "synth" keeps a synth lead the style already has.
            if ["saw_lead", "square_lead", "soft_lead", "pluck_synth"].contains(wanted),
               let current = result[role], ["saw_lead", "square_lead", "soft_lead", "pluck_synth"].contains(current) {
                id = current
            }
            if excluded.contains(id) { continue }
            result[role] = id
            notes.append("prompt asks for \(id) (\(role.rawValue))")
        }
        if reading.preferAcoustic {
            var swapped: [String] = []
            for (role, id) in result.sorted(by: { $0.key < $1.key }) {
                if let a = acousticVersion(of: id, role: role), a != id {
                    result[role] = a
                    swapped.append("\(role.rawValue) \(id) -> \(a)")
                }
            }
            if !swapped.isEmpty { notes.append("\"acoustic\": " + swapped.joined(separator: ", ")) }
        }
        // Excluded instruments: replace within the role's family if possible, else drop the role.
        for (role, id) in result.sorted(by: { $0.key < $1.key }) where excluded.contains(id) {
            let families = StyleLibrary.familiesForRole[role] ?? []
            let family = InstrumentCatalog.entry(id)?.family
            let replacement = InstrumentCatalog.entries.first { $0.family == family && !excluded.contains($0.id) }
                ?? InstrumentCatalog.entries.first { families.contains($0.family) && !excluded.contains($0.id)
                    && !result.values.contains($0.id) }
            if let r = replacement {
                result[role] = r.id
                notes.append("negative tags exclude \(id): \(role.rawValue) plays \(r.id)")
            } else {
                result[role] = nil
                notes.append("negative tags exclude \(id): no \(role.rawValue)")
            }
        }
        for role in reading.excludedRoles where result[role] != nil {
            result[role] = nil
            notes.append("negative tags: no \(role.rawValue)")
        }
        return (result, notes.joined(separator: "; "))
    }

    // MARK: - Form

    /// The style's form fitted to a duration: `duration` when requested (to within one bar), else the natural
    /// form brought into 150...210 s by repeating verse/chorus pairs or dropping sections.
    static func fitForm(style: StylePreset, bpm: Int, duration: Double?) -> ([(String, Int)], String) {
        let barSeconds = 240 / Double(bpm)
        var form: [(String, Int)] = style.form.map { ($0, style.sectionBars[$0] ?? 8) }
        func total() -> Int { form.reduce(0) { $0 + $1.1 } }
        let natural = Double(total()) * barSeconds
        let targetSeconds: Double
        var reason: String
        if let d = duration {
            targetSeconds = d
            reason = String(format: "requested duration %.1f s", d)
        } else if natural < 150 || natural > 210 {
            targetSeconds = natural < 150 ? 165 : 195
            reason = String(format: "\(style.id) form is %.0f s at this tempo; fitted toward %.0f s (2.5-3.5 min)", natural, targetSeconds)
        } else {
            return (form, String(format: "\(style.id) form as written (%.0f s at this tempo, within 2.5-3.5 min)", natural))
        }
        let target = max(1, Int((targetSeconds / barSeconds).rounded()))

        // Grow: insert verse+chorus pairs (or repeat the chorus) before the last chorus/outro.
        let pair = form.filter { $0.0 == "verse" || $0.0 == "chorus" }.prefix(2)
        let unit = pair.isEmpty ? [form[form.count / 2]] : Array(pair)
        let unitBars = unit.reduce(0) { $0 + $1.1 }
        var inserted = 0
        while target - total() >= unitBars * 3 / 4 && inserted < 40 {
            let at = form.lastIndex { $0.0 == "outro" } ?? form.count
            form.insert(contentsOf: unit, at: at)
            inserted += 1
        }
        if inserted > 0 { reason += "; repeated \(unit.map(\.0).joined(separator: "+")) \(inserted)x" }
        // Shrink: drop sections in order of least importance while the form is much too long.
        let dropOrder = ["breakdown", "pre_chorus", "bridge", "verse", "intro", "chorus", "outro"]
        var dropped: [String] = []
        while total() - target >= 4 && form.count > 1 {
            // The last occurrence of the least important section whose removal does not undershoot the target by
            // more than half its length; the bar trimming below absorbs the rest.
            // Verses and choruses go in pairs, so a short song keeps the shape verse-chorus rather than
            // becoming a row of choruses: the more numerous of the two loses one first.
            let verses = form.filter { $0.0 == "verse" }.count
            let choruses = form.filter { $0.0 == "chorus" }.count
            let order = dropOrder.filter { $0 != "verse" && $0 != "chorus" && $0 != "intro" && $0 != "outro" }
                + (choruses > verses ? ["chorus", "verse"] : ["verse", "chorus"]) + ["intro", "outro"]
            let candidate = order.lazy.compactMap { name -> Int? in
                if name == "chorus" && choruses <= 1 { return nil }
                if name == "verse" && verses <= 1 && choruses >= 1 && form.count > 3 { return nil }
                guard let i = form.lastIndex(where: { $0.0 == name }) else { return nil }
                return total() - form[i].1 >= target - form[i].1 / 2 ? i : nil
            }.first
            guard let i = candidate else { break }
            dropped.append(form[i].0)
            form.remove(at: i)
        }
        if !dropped.isEmpty { reason += "; dropped \(dropped.joined(separator: ", "))" }
        // Trim or extend bar counts toward the target (each section 1...32 bars).
        var diff = target - total()
        let growOrder = ["outro", "intro", "chorus", "verse", "bridge", "pre_chorus", "breakdown"]
        var guardCount = 0
        // Without a requested duration sections keep whole 4-bar phrases and land within 2 bars of the target; a
        // requested duration is met to the bar.
        let quantum = duration == nil ? 4 : 1
        while abs(diff) * 2 > quantum && guardCount < 10_000 {
            guardCount += 1
            var changed = false
            for name in diff > 0 ? growOrder : Array(growOrder.reversed()) {
                for i in form.indices where form[i].0 == name {
                    if diff > 0 && form[i].1 + quantum <= 32 {
                        let step = quantum == 1 ? min(diff, 32 - form[i].1, 4) : 4
                        form[i].1 += step; diff -= step; changed = true
                    } else if diff < 0 && form[i].1 - quantum >= quantum {
                        let step = quantum == 1 ? min(-diff, form[i].1 - 1, 4) : 4
                        form[i].1 -= step; diff += step; changed = true
                    }
                    if abs(diff) * 2 <= quantum { break }
                }
                if abs(diff) * 2 <= quantum { break }
            }
            if !changed {
                // Everything at 32 bars: add another chorus.
                if diff > 0 {
                    form.insert(("chorus", quantum == 1 ? min(32, diff) : 8), at: form.count - 1)
                    diff = target - total()
                } else {
                    break
                }
            }
        }
        return (form, reason)
    }

    static func energies(names: [(String, Int)], arousal: Double, profile: [Double]) -> [SectionPlan] {
        let baseEnergy: [String: Double] = [
            "intro": 0.3, "verse": 0.55, "pre_chorus": 0.65, "chorus": 0.85, "bridge": 0.6, "breakdown": 0.4,
            "outro": 0.3,
        ]
        let totalBars = Double(max(1, names.reduce(0) { $0 + $1.1 }))
        var start = 0.0
        let lastChorus = names.lastIndex { $0.0 == "chorus" }
        return names.enumerated().map { index, section in
            let mid = (start + Double(section.1) / 2) / totalBars
            start += Double(section.1)
            let band = profile.isEmpty ? 0.5 : profile[min(profile.count - 1, Int(mid * Double(profile.count)))]
            var e = (baseEnergy[section.0] ?? 0.5) * (0.85 + 0.2 * (arousal + 1) / 2) + 0.12 * (band - 0.5)
            if index == lastChorus { e += 0.07 }
            return SectionPlan(name: section.0, bars: section.1, energy: clamp(e, 0.05, 1))
        }
    }
}
