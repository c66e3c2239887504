import Foundation

/// A tempo word of the prompt ("slow", "fast" and their kin).
public enum TempoWord: String, Codable, Sendable, Hashable {
    case slow, fast
}

/// What the prompt and the negative tags ask for, in terms the planner uses.
public struct PromptReading: Codable, Sendable, Hashable {
    /// Style id -> keyword score from the prompt (a multi-word keyword counts 2; a keyword that is also an
    /// instrument word, like "acoustic" or "guitar", counts 0.5). Only styles with a hit appear.
    public var styleScores: [String: Double] = [:]
    /// Added to the image's valence and arousal (each capped at ±0.7).
    public var valenceShift: Double = 0
    public var arousalShift: Double = 0
    /// Multiplies the chosen tempo ("slow" 0.85, "fast" 1.15, each with an arousal shift of -/+0.35); 1 when no
    /// tempo word.
    public var tempoFactor: Double = 1
    /// The prompt's tempo word, if any: it bounds the tempo as well as scaling it (`Planner.tempo(_:reading:)`).
    public var tempoWord: TempoWord?
    /// "N bpm" in the prompt, clamped to 40...240.
    public var bpm: Int?
    /// Instruments the prompt names, by role ("piano" -> chords: piano).
    public var instruments: [Role: String] = [:]
    /// "acoustic" in the prompt: swap every role to an acoustic instrument of the same family.
    public var preferAcoustic: Bool = false
    /// Styles the negative tags exclude (their words hit the style's keywords).
    public var excludedStyles: [String] = []
    /// Roles that must not play ("no drums").
    public var excludedRoles: [Role] = []
    /// Instrument ids that must not be used anywhere ("no piano").
    public var excludedInstruments: [String] = []
    /// dB added to a role's level ("avoid loud drums" -> drums: -8).
    public var gainOffsets: [Role: Double] = [:]
    /// Negative-tag words that named a quality rather than a style, role or instrument ("dark", "sad", "harsh").
    public var excludedDescriptors: [String] = []
    /// The words that did something, with what, for the decisions' reasons ("relaxing: arousal -0.35").
    public var notes: [String] = []

    public init() {}
}

/// Reads a free-text prompt and comma/semicolon separated negative tags. Words are lower-cased Unicode letters
/// and digits; hyphens and other punctuation separate words, so "lo-fi" and "lo fi" read the same.
public enum PromptInterpreter {
    static let calmWords: Set<String> = [
        "relaxing", "relaxed", "relax", "calm", "calming", "chill", "chilled", "peaceful", "soft", "gentle", "quiet",
        "mellow", "serene", "tranquil", "sleepy", "sleep", "dreamy", "soothing", "meditative", "lullaby",
    ]
    static let energeticWords: Set<String> = [
        "energetic", "upbeat", "driving", "intense", "powerful", "exciting", "excited", "aggressive", "epic",
        "party", "wild", "fierce", "pumping", "loud", "hype",
    ]
    static let sadWords: Set<String> = [
        "sad", "dark", "melancholic", "melancholy", "moody", "gloomy", "somber", "sombre", "lonely", "tragic",
        "mournful", "grim", "sorrowful", "blue", "nostalgic", "wistful",
    ]
    static let happyWords: Set<String> = [
        "happy", "bright", "joyful", "uplifting", "cheerful", "sunny", "hopeful", "playful", "positive", "fun",
        "warm", "euphoric", "triumphant",
    ]
    static let slowWords: Set<String> = ["slow", "slower", "slowly", "downtempo", "laid", "lazy"]
    static let fastWords: Set<String> = ["fast", "faster", "quick", "uptempo", "rapid", "speedy"]
    /// Words that, at the start of a negative tag, only introduce it.
    static let negators: Set<String> = ["no", "not", "avoid", "without", "less", "dont", "don", "t", "never", "non", "any", "too", "much", "the"]
    /// Words that make a negative tag about a role's level, not its presence ("avoid loud drums").
    static let levelWords: Set<String> = ["loud", "louder", "heavy", "overpowering", "booming", "strong", "big", "harsh", "busy"]

    /// Words that name the sung voice ("no vocals", negative tag "singing").
    static let vocalWords: Set<String> = [
        "vocals", "vocal", "voice", "voices", "vox", "singing", "singer", "singers", "lyrics", "words",
    ]

    /// The negative tags one by one: split at commas, semicolons and line breaks.
    static func splitTags(_ negativeTags: String) -> [String] {
        negativeTags.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\n" }).map(String.init)
    }

    /// A tag's words without the negators that only introduce it ("avoid loud drums" -> "loud drums").
    static func contentWords(ofTag tag: String) -> [String] {
        var tw = words(tag)
        while let first = tw.first, negators.contains(first) { tw.removeFirst() }
        return tw
    }

    /// Where the negation of prompt word `i` starts: the word before it when that is in `by` ("no drums"), or two
    /// before when that is in `by` and the word between is in `between` ("no loud drums"); nil when not negated.
    static func negation(of i: Int, in p: [String], by: Set<String>, between: Set<String>) -> Int? {
        if i > 0 && by.contains(p[i - 1]) { return i - 1 }
        if i > 1 && by.contains(p[i - 2]) && between.contains(p[i - 1]) { return i - 2 }
        return nil
    }

    /// Why the prompt or the negative tags ask for no singing, or nil when they do not: "instrumental" in the prompt
    /// (not after "not", "no" or "non"), "no vocals" / "without singing" (any vocal word after "no", "without" or
    /// "zero", or after "no" and one level word), or a negative tag that is only a vocal word with its negators
    /// ("vocals", "no singing"). A tag about the vocal's level ("loud vocals") does not remove it. The engine then
    /// renders as `make_instrumental` would, unless `vocal_only` asks for the voice explicitly.
    public static func refusesVocals(prompt: String, negativeTags: String) -> String? {
        let p = words(prompt)
        for (i, w) in p.enumerated() {
            let before = i > 0 ? p[i - 1] : ""
            if w == "instrumental" || w == "instrumentals" {
                if !["not", "no", "non"].contains(before) { return "the prompt says \"instrumental\"" }
            } else if vocalWords.contains(w) && w != "words" {
                // "no vocals", "zero vocals", "no loud vocals", "without any singing"; "zero" only right before
                if let from = negation(of: i, in: p, by: ["no", "without", "zero"], between: levelWords.union(["any"])),
                   from == i - 1 || p[from] != "zero"
                {
                    return "the prompt says \"\(p[from...i].joined(separator: " "))\""
                }
            }
        }
        for tag in splitTags(negativeTags) {
            let tw = contentWords(ofTag: tag)
            if !tw.isEmpty && tw.allSatisfy({ vocalWords.contains($0) }) {
                return "negative tag \"\(tag.trimmingCharacters(in: .whitespaces))\""
            }
        }
        return nil
    }

    /// Role words, singular and plural.
    static let roleWords: [String: Role] = [
        "drums": .drums, "drum": .drums, "percussion": .drums, "beat": .drums, "beats": .drums, "kick": .drums,
        "bass": .bass, "bassline": .bass, "pad": .pad, "pads": .pad, "arpeggio": .arp, "arpeggios": .arp,
        "arp": .arp, "arps": .arp, "melody": .lead, "lead": .lead, "chords": .chords,
    ]

    /// Instrument words: the role they play and the catalog ids they name.
    struct InstrumentWord {
        var role: Role
        var ids: [String]
    }
    static let instrumentWords: [String: InstrumentWord] = [
        "piano": InstrumentWord(role: .chords, ids: ["piano", "electric_piano"]),
        "pianos": InstrumentWord(role: .chords, ids: ["piano", "electric_piano"]),
        "keys": InstrumentWord(role: .chords, ids: ["piano", "electric_piano"]),
        "rhodes": InstrumentWord(role: .chords, ids: ["electric_piano"]),
        "guitar": InstrumentWord(role: .chords, ids: ["acoustic_guitar", "electric_guitar"]),
        "guitars": InstrumentWord(role: .chords, ids: ["acoustic_guitar", "electric_guitar"]),
        "strings": InstrumentWord(role: .pad, ids: ["string_pad"]),
        "string": InstrumentWord(role: .pad, ids: ["string_pad"]),
        "orchestra": InstrumentWord(role: .pad, ids: ["string_pad"]),
        "orchestral": InstrumentWord(role: .pad, ids: ["string_pad"]),
        "synth": InstrumentWord(role: .lead, ids: ["saw_lead", "square_lead", "pluck_synth", "soft_lead"]),
        "synths": InstrumentWord(role: .lead, ids: ["saw_lead", "square_lead", "pluck_synth", "soft_lead"]),
        "synthesizer": InstrumentWord(role: .lead, ids: ["saw_lead", "square_lead", "pluck_synth", "soft_lead"]),
        "bells": InstrumentWord(role: .arp, ids: ["bell"]),
        "bell": InstrumentWord(role: .arp, ids: ["bell"]),
        "chimes": InstrumentWord(role: .arp, ids: ["bell"]),
        "flute": InstrumentWord(role: .lead, ids: ["flute"]),
        "flutes": InstrumentWord(role: .lead, ids: ["flute"]),
        "organ": InstrumentWord(role: .chords, ids: ["organ"]),
        "marimba": InstrumentWord(role: .arp, ids: ["marimba"]),
        "xylophone": InstrumentWord(role: .arp, ids: ["marimba"]),
    ]

    /// Lower-cased words of a text: runs of Unicode letters and digits.
    public static func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber {
                current.append(ch)
            } else if ch == "'" || ch == "’" {
                continue  // "don't" -> "dont"
            } else if !current.isEmpty {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// True when the keyword's words occur consecutively in `words`.
    static func contains(_ words: [String], phrase: [String]) -> Bool {
        guard !phrase.isEmpty, phrase.count <= words.count else { return false }
        for i in 0...(words.count - phrase.count) where Array(words[i..<(i + phrase.count)]) == phrase {
            return true
        }
        return false
    }

    public static func read(prompt: String, negativeTags: String, styles: StyleLibrary) -> PromptReading {
        var r = PromptReading()
        let p = words(prompt)

        // Styles named in the prompt.
        for style in styles.styles {
            var score = 0.0
            for keyword in style.keywords {
                let kw = words(keyword)
                guard contains(p, phrase: kw) else { continue }
                if kw.count > 1 {
                    score += 2
                } else if instrumentWords[kw[0]] != nil || kw[0] == "acoustic" || kw[0] == "electric" {
                    score += 0.5
                } else {
                    score += 1
                }
            }
            if score > 0 {
                r.styleScores[style.id] = score
                r.notes.append("prompt names style \(style.id) (score \(score))")
            }
        }

        // Mood and tempo words; "not" just before a word flips it.
        var valence = 0.0, arousal = 0.0
        for (i, w) in p.enumerated() {
            let sign: Double = i > 0 && ["not", "no", "never", "without"].contains(p[i - 1]) ? -1 : 1
            if calmWords.contains(w) { arousal -= 0.35 * sign; r.notes.append("\(w): arousal \(sign > 0 ? "-" : "+")0.35") }
            if energeticWords.contains(w) { arousal += 0.35 * sign; r.notes.append("\(w): arousal \(sign > 0 ? "+" : "-")0.35") }
            if sadWords.contains(w) { valence -= 0.35 * sign; r.notes.append("\(w): valence \(sign > 0 ? "-" : "+")0.35") }
            if happyWords.contains(w) { valence += 0.35 * sign; r.notes.append("\(w): valence \(sign > 0 ? "+" : "-")0.35") }
            // A calm word also slows the song a little (unless a tempo word says otherwise): "relaxing" at the middle
            // of a style's range did not sound relaxed.
            if calmWords.contains(w) && sign > 0 && r.tempoFactor == 1 { r.tempoFactor = 0.9; r.notes.append("\(w): tempo x0.90") }
            // A tempo word is an arousal word too (tempo is music's strongest arousal cue): "slow" on a vivid
            // picture kept its EDM or rock at 110-140 bpm with the factor alone, and "sad" beside it made it rock.
            if slowWords.contains(w) && sign > 0 {
                r.tempoFactor = 0.85
                r.tempoWord = .slow
                arousal -= 0.35
                r.notes.append("\(w): arousal -0.35, tempo x0.85")
            }
            if fastWords.contains(w) && sign > 0 {
                r.tempoFactor = 1.15
                r.tempoWord = .fast
                arousal += 0.35
                r.notes.append("\(w): arousal +0.35, tempo x1.15")
            }
            if w == "bpm" || w.hasSuffix("bpm") {
                let digits = w == "bpm" ? (i > 0 ? p[i - 1] : "") : String(w.dropLast(3))
                if let n = Int(digits) {
                    r.bpm = min(240, max(40, n))
                    r.notes.append("\(n) bpm requested in the prompt")
                }
            }
        }

        // Instruments named in the prompt; "no drums" / "without piano" in the prompt act as negative tags.
        var promptNegatives: [String] = []
        for (i, w) in p.enumerated() {
            let negated = negation(of: i, in: p, by: ["no", "without"], between: levelWords) != nil
            if negated && (instrumentWords[w] != nil || roleWords[w] != nil) {
                promptNegatives.append((i > 1 && levelWords.contains(p[i - 1]) ? p[i - 1] + " " : "") + w)
                continue
            }
            if w == "acoustic" || w == "unplugged" {
                r.preferAcoustic = true
                continue
            }
            guard let iw = instrumentWords[w] else { continue }
            r.instruments[iw.role] = iw.ids[0]
        }

        // Negative tags: each tag excludes a role, an instrument, a style, lowers a level, or names a descriptor.
        let tags = splitTags(negativeTags) + promptNegatives
        for tag in tags {
            let tw = contentWords(ofTag: tag)
            guard !tw.isEmpty else { continue }
            let level = tw.contains { levelWords.contains($0) }
            var consumed = Set<Int>()
            for (i, w) in tw.enumerated() {
                if let role = roleWords[w] {
                    consumed.insert(i)
                    if level {
                        r.gainOffsets[role, default: 0] -= 8
                        r.notes.append("negative tag \"\(tag.trimmingCharacters(in: .whitespaces))\": \(role.rawValue) 8 dB quieter")
                    } else if !r.excludedRoles.contains(role) {
                        r.excludedRoles.append(role)
                        r.notes.append("negative tag \"\(tag.trimmingCharacters(in: .whitespaces))\": no \(role.rawValue)")
                    }
                } else if let iw = instrumentWords[w] {
                    consumed.insert(i)
                    if level {
                        r.gainOffsets[iw.role, default: 0] -= 8
                    } else {
                        for id in iw.ids where !r.excludedInstruments.contains(id) { r.excludedInstruments.append(id) }
                        r.notes.append("negative tag \"\(tag.trimmingCharacters(in: .whitespaces))\": no \(iw.ids.joined(separator: "/"))")
                    }
                }
            }
            if level && !consumed.isEmpty {
                for (i, w) in tw.enumerated() where levelWords.contains(w) { consumed.insert(i) }
            }
            let rest = tw.enumerated().filter { !consumed.contains($0.offset) }.map(\.element)
            var hitStyle = false
            if !rest.isEmpty {
                for style in styles.styles {
                    let hit = style.keywords.contains { kw in
                        let k = words(kw)
                        return !k.isEmpty && instrumentWords[k[0]] == nil && contains(rest, phrase: k)
                    }
                    if hit && !r.excludedStyles.contains(style.id) {
                        r.excludedStyles.append(style.id)
                        hitStyle = true
                        r.notes.append("negative tag \"\(tag.trimmingCharacters(in: .whitespaces))\": style \(style.id) excluded")
                    }
                }
            }
            if !hitStyle {
                for w in rest {
                    if !r.excludedDescriptors.contains(w) { r.excludedDescriptors.append(w) }
                    // Avoiding a mood pushes away from it, half as strongly as asking for its opposite.
                    if sadWords.contains(w) { valence += 0.2 }
                    if happyWords.contains(w) { valence -= 0.2 }
                    if calmWords.contains(w) { arousal += 0.2 }
                    if energeticWords.contains(w) || levelWords.contains(w) { arousal -= 0.2 }
                }
            }
        }
        r.valenceShift = max(-0.7, min(0.7, valence))
        r.arousalShift = max(-0.7, min(0.7, arousal))
        return r
    }
}
