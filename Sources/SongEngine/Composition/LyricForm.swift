/// The form of a song with the user's lyrics: an instrumental intro (unless the lyrics open with a sung [Intro]),
/// one section per lyric section in the user's order with bars fitted to its lines, an instrumental outro (unless
/// [Outro] has lines). A line gets 2 bars, or more when its syllables will not fit 2 bars singably at the tempo.
public enum LyricForm {
    /// The form names and bars, with the lyrics and pronunciations re-indexed so `lyrics.sections[i]` (empty for
    /// instrumental sections) is sung over `names[i]`. `pronounced` is indexed like `lyrics.sections` [section][line].
    public static func fit(lyrics: Lyrics, pronounced: [[PronouncedLine]], bpm: Int, style: StylePreset)
        -> (names: [(String, Int)], lyrics: Lyrics, pronounced: [[PronouncedLine]])
    {
        let rhythm = VocalRhythm(bpm: bpm)
        var names: [(String, Int)] = []
        var sections: [LyricSection] = []
        var lines: [[PronouncedLine]] = []

        func instrumental(_ kind: String) {
            names.append((kind, style.sectionBars[kind] ?? 4))
            sections.append(LyricSection(kind: kind, tag: "[\(tagName(kind))]", lines: []))
            lines.append([])
        }

        let all = lyrics.sections
        let sungIntro = all.first.map { SectionKind(name: $0.kind) == .intro && !$0.lines.isEmpty } ?? false
        let sungOutro = all.last.map { SectionKind(name: $0.kind) == .outro && !$0.lines.isEmpty } ?? false
        if !sungIntro { instrumental("intro") }
        for (i, section) in all.enumerated() {
            let said: [PronouncedLine] = i < pronounced.count ? pronounced[i] : []
            let kind = normalizedKind(section.kind)
            if section.lines.isEmpty {
                // An empty [Intro] first or [Outro] last: the instrumental intro/outro stands for it.
                if (i == 0 && kind == "intro") || (i == all.count - 1 && kind == "outro") { continue }
                // Any other tag with nothing under it ("[Instrumental]", "[Solo]"): an instrumental section of the
                // style's length for that kind, where the user put it.
                names.append((kind, style.sectionBars[kind] ?? (kind == "intro" || kind == "outro" ? 4 : 8)))
                sections.append(section)
                lines.append([])
                continue
            }
            names.append((kind, sectionBars(said, lineCount: section.lines.count, rhythm: rhythm)))
            sections.append(section)
            lines.append(said)
        }
        if !sungOutro { instrumental("outro") }
        return (names, Lyrics(sections: sections, title: lyrics.title, written: lyrics.written), lines)
    }

    /// Bars of a sung section: each line's bars (2, 4, ...), the total rounded up to whole 4-bar phrases.
    static func sectionBars(_ said: [PronouncedLine], lineCount: Int, rhythm: VocalRhythm) -> Int {
        var total = 0
        for j in 0..<lineCount {
            total += rhythm.lineBars(syllables: j < said.count ? said[j].syllableCount : 8)
        }
        return max(4, (total + 3) / 4 * 4)
    }

    /// A plan section name for a lyric section kind ("Pre-Chorus" -> "pre_chorus", unknown -> "verse").
    static func normalizedKind(_ kind: String) -> String {
        switch SectionKind(name: kind) {
        case .intro: return "intro"
        case .verse: return "verse"
        case .preChorus: return "pre_chorus"
        case .chorus: return "chorus"
        case .bridge: return "bridge"
        case .breakdown: return "breakdown"
        case .outro: return "outro"
        }
    }

    static func tagName(_ kind: String) -> String {
        kind.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
    }
}

/// The rhythmic limits of a sung line at one tempo: the note grid (eighths while an eighth lasts >= 0.18 s, else
/// quarters), the breath rest (>= 1/2 beat and >= 250 ms, on the grid), the held final note (>= 1 beat), and so how
/// many syllables fit a line of a given number of bars.
struct VocalRhythm: Sendable {
    var bpm: Int
    var secondsPerBeat: Double { 60 / Double(max(1, bpm)) }
    /// Shortest note value in beats.
    var unit: Double { 0.5 * secondsPerBeat >= 0.18 ? 0.5 : 1.0 }
    /// Breath rest at the end of every line, beats.
    var rest: Double {
        let need = max(0.5, 0.25 / secondsPerBeat)
        return (need / unit).rounded(.up) * unit
    }
    /// Shortest held final note, beats.
    var finalNote: Double { max(1, 2 * unit) }

    /// Most syllables a line of `bars` bars can carry: one per grid slot up to the held final note and the rest,
    /// at most two per beat.
    func capacity(bars: Int) -> Int {
        let usable = Double(bars * 4) - rest - finalNote
        return Int((usable / unit).rounded(.down)) + 1
    }

    /// Bars for a line: 2, or the next even number of bars whose capacity (with 10% slack so not every slot is
    /// filled) takes the syllables.
    func lineBars(syllables: Int) -> Int {
        var bars = 2
        while Double(syllables) > Double(capacity(bars: bars)) * 0.9 { bars += 2 }
        return bars
    }
}
