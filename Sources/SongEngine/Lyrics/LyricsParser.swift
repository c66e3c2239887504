/// Reads the user's lyrics into sections of singable lines (`Lyrics`, written: false). Rules (docs/vocals.md,
/// "Lyrics"):
/// - A line that is a bracketed tag (`[Verse 2]`, `[pre chorus]`, `[Hook]`) starts a section; text after the tag
///   on the same line is the section's first line. Bare `Chorus:` or `(Chorus)` lines also count when they name a
///   known kind. Kinds: intro, verse, pre_chorus, chorus (also hook, refrain, post-chorus), bridge, outro; anything
///   else is a verse that keeps the user's words as its tag. Tags are shown title-cased ("[Verse 2]").
/// - "[Chorus x2]" sings the section twice (up to 4 times).
/// - A tag with no lines under it repeats the section sung before under the same tag, or else the latest section
///   of the same kind; when there is none it stays an empty (instrumental) section.
/// - Untagged text: stanzas by blank lines (groups of 4 lines when there is no blank line), stanzas over 8 lines
///   are split evenly; a stanza that occurs more than once is the chorus; otherwise verse and chorus alternate.
/// - Lines: control characters dropped, whitespace collapsed, lines without a letter or digit dropped, lines over
///   14 (estimated) syllables split at the comma nearest the middle, else at the middle word.
public enum LyricsParser {
    /// Longest line, in estimated syllables, that is sung as one line.
    public static let maxLineSyllables = 14
    /// Largest untagged stanza kept whole.
    public static let maxStanzaLines = 8

    public static func parse(_ text: String) -> Lyrics {
        var sections: [LyricSection] = []
        var stanzas: [[String]] = []  // untagged text before the first tag, by blank lines
        var current: [String] = []
        var openTag: (kind: String, tag: String, times: Int)?

        func closeSection() {
            if let open = openTag {
                var lines = current
                if lines.isEmpty {
                    let key = open.tag.lowercased()
                    let source = sections.last { $0.tag.lowercased() == key && !$0.lines.isEmpty }
                        ?? sections.last { $0.kind == open.kind && !$0.lines.isEmpty }
                    lines = source?.lines ?? []
                }
                for _ in 0..<open.times { sections.append(LyricSection(kind: open.kind, tag: open.tag, lines: lines)) }
            } else if !current.isEmpty {
                stanzas.append(current)
            }
            current = []
        }

        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        for raw in normalised.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = clean(String(raw))
            if let (kind, tag, rest, times) = readTag(line) {
                closeSection()
                openTag = (kind, tag, times)
                if let rest { current += split(rest) }
                continue
            }
            if !line.unicodeScalars.contains(where: { isLetterOrDigit($0) }) {
                // A blank (or punctuation-only) line ends an untagged stanza; inside a tagged section it is nothing.
                if openTag == nil && !current.isEmpty && line.isEmpty {
                    stanzas.append(current)
                    current = []
                }
                continue
            }
            current += split(line)
        }
        closeSection()

        let untagged = arrangeUntagged(stanzas, hasBlankLines: stanzas.count > 1)
        return Lyrics(sections: untagged + sections, title: nil, written: false)
    }

    // MARK: - Tags

    /// A tag line: `[...]` (with optional text after it), or a bare known kind written as `Chorus:` / `(Chorus)`.
    /// `times` > 1 for "[Chorus x2]" (also "2x", "×2"): the section is sung that many times (at most 4).
    static func readTag(_ line: String) -> (kind: String, tag: String, rest: String?, times: Int)? {
        if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
            let inner = String(line[line.index(after: line.startIndex)..<close])
            let restText = clean(String(line[line.index(after: close)...]))
            let rest = restText.unicodeScalars.contains(where: { isLetterOrDigit($0) }) ? restText : nil
            // The part before a colon names the section ("[Verse 1: Ana]" is a verse).
            let name = inner.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            var words = tagWords(name)
            var times = 1
            if let last = words.last, words.count > 1, let n = repeatCount(last) {
                times = n
                words.removeLast()
            }
            guard words.contains(where: { $0.unicodeScalars.contains(where: isLetterOrDigit) }) else { return nil }
            return (kind(of: words) ?? "verse", "[" + titleCase(words) + "]", rest, times)
        }
        var inner = line
        if inner.hasPrefix("(") && inner.hasSuffix(")") && inner.count >= 2 {
            inner = String(inner.dropFirst().dropLast())
        } else if inner.hasSuffix(":") {
            inner = String(inner.dropLast())
        } else {
            return nil
        }
        let words = tagWords(inner)
        guard !words.isEmpty, words.count <= 3, let kind = kind(of: words) else { return nil }
        // Only "Chorus", "Verse 2", "Pre-Chorus"...: the known word first, at most a number after it.
        let known: Set<String> = ["intro", "verse", "pre", "prechorus", "chorus", "hook", "refrain", "bridge", "outro", "post", "postchorus"]
        guard known.contains(words[0].lowercased()) else { return nil }
        return (kind, "[" + titleCase(words) + "]", nil, 1)
    }

    /// "x2", "2x", "×3" -> 2, 3 (capped at 4); nil for anything else.
    static func repeatCount(_ word: String) -> Int? {
        let w = word.lowercased().replacingOccurrences(of: "×", with: "x").replacingOccurrences(of: "(", with: "")
            .replacingOccurrences(of: ")", with: "")
        let digits = w.hasPrefix("x") ? w.dropFirst() : w.hasSuffix("x") ? w.dropLast() : Substring("")
        guard !digits.isEmpty, digits.count <= 2, digits.allSatisfy(\.isASCII), let n = Int(digits), n >= 1 else { return nil }
        return min(n, 4)
    }

    /// The tag's words, whitespace collapsed; hyphens kept inside words ("pre-chorus").
    static func tagWords(_ s: String) -> [String] {
        clean(s).split(separator: " ").map(String.init).filter { !$0.isEmpty }
    }

    /// The plan section kind a tag names, or nil when it names none.
    static func kind(of words: [String]) -> String? {
        let joined = words.joined(separator: " ").lowercased()
        let parts = joined.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" }).map(String.init)
        let flat = parts.joined()
        if flat.contains("prechorus") { return "pre_chorus" }
        if parts.contains(where: { ["chorus", "hook", "refrain", "postchorus"].contains($0) }) { return "chorus" }
        if parts.contains("verse") { return "verse" }
        if parts.contains("bridge") { return "bridge" }
        if parts.contains("intro") { return "intro" }
        if parts.contains("outro") { return "outro" }
        return nil
    }

    /// "pre-chorus" -> "Pre-Chorus", "VERSE 2" -> "Verse 2".
    static func titleCase(_ words: [String]) -> String {
        words.map { word in
            word.split(separator: "-", omittingEmptySubsequences: false).map { part in
                part.prefix(1).uppercased() + part.dropFirst().lowercased()
            }.joined(separator: "-")
        }.joined(separator: " ")
    }

    // MARK: - Untagged stanzas

    static func arrangeUntagged(_ given: [[String]], hasBlankLines: Bool) -> [LyricSection] {
        guard !given.isEmpty else { return [] }
        var stanzas: [[String]] = []
        for stanza in given {
            if !hasBlankLines && stanza.count > 4 {
                stanzas += chunks(stanza, size: 4)
            } else if stanza.count > maxStanzaLines {
                let pieces = (stanza.count + maxStanzaLines - 1) / maxStanzaLines
                stanzas += evenSplit(stanza, pieces: pieces)
            } else {
                stanzas.append(stanza)
            }
        }
        // A stanza sung more than once is the chorus (compared on letters and digits, any case).
        let keys = stanzas.map { $0.joined(separator: " ").lowercased().unicodeScalars.filter(isLetterOrDigit).map(String.init).joined() }
        var counts: [String: Int] = [:]
        for k in keys { counts[k, default: 0] += 1 }
        let repeated = Set(keys.filter { counts[$0]! > 1 })

        var kinds: [String] = []
        if repeated.isEmpty {
            kinds = stanzas.indices.map { $0 % 2 == 0 ? "verse" : "chorus" }
            // A last verse right after a chorus with more verses before it reads as verse; nothing more to guess.
        } else {
            var chorusesSeen = 0
            for (i, k) in keys.enumerated() {
                if repeated.contains(k) {
                    kinds.append("chorus")
                    chorusesSeen += 1
                } else if chorusesSeen >= 2 && i + 1 < keys.count && repeated.contains(keys[i + 1]) {
                    kinds.append("bridge")  // new material between two later choruses
                } else {
                    kinds.append("verse")
                }
            }
        }
        var verseNumber = 0
        var chorusTag: [String: String] = [:]
        var out: [LyricSection] = []
        let distinctChoruses = Set(zip(kinds, keys).filter { $0.0 == "chorus" }.map(\.1))
        for (i, stanza) in stanzas.enumerated() {
            switch kinds[i] {
            case "verse":
                verseNumber += 1
                out.append(LyricSection(kind: "verse", tag: "[Verse \(verseNumber)]", lines: stanza))
            case "chorus":
                let tag = chorusTag[keys[i]] ?? (distinctChoruses.count > 1 && !chorusTag.isEmpty
                                                    ? "[Chorus \(chorusTag.count + 1)]" : "[Chorus]")
                chorusTag[keys[i]] = tag
                out.append(LyricSection(kind: "chorus", tag: tag, lines: stanza))
            default:
                out.append(LyricSection(kind: "bridge", tag: "[Bridge]", lines: stanza))
            }
        }
        return out
    }

    static func chunks(_ lines: [String], size: Int) -> [[String]] {
        stride(from: 0, to: lines.count, by: size).map { Array(lines[$0..<min($0 + size, lines.count)]) }
    }

    static func evenSplit(_ lines: [String], pieces: Int) -> [[String]] {
        var out: [[String]] = []
        var start = 0
        for p in 0..<pieces {
            let end = (lines.count * (p + 1)) / pieces
            if end > start { out.append(Array(lines[start..<end])) }
            start = end
        }
        return out
    }

    // MARK: - Lines

    static func isLetterOrDigit(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || s.properties.numericType != nil
    }

    /// Control and format characters dropped, any run of whitespace made one space, ends trimmed.
    static func clean(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in s.unicodeScalars {
            let category = scalar.properties.generalCategory
            if scalar.properties.isWhitespace || category == .spaceSeparator {
                pendingSpace = !out.isEmpty
                continue
            }
            if category == .control || category == .format || category == .surrogate || category == .unassigned
                || category == .lineSeparator || category == .paragraphSeparator {
                continue
            }
            if pendingSpace { out.append(" ") }
            pendingSpace = false
            out.append(scalar)
        }
        return String(out)
    }

    /// A line split until every piece has at most `maxLineSyllables` estimated syllables: at the comma (or ; : —)
    /// that best balances the halves, else at the word nearest the middle.
    static func split(_ line: String) -> [String] {
        let words = line.split(separator: " ").map(String.init)
        let counts = words.map(estimateSyllables)
        let total = counts.reduce(0, +)
        guard total > maxLineSyllables, words.count > 1 else { return [line] }
        var best: (index: Int, score: Double)?
        var before = 0
        for i in 0..<(words.count - 1) {
            before += counts[i]
            let balance = abs(Double(before) - Double(total) / 2)
            let last = words[i].last!
            let pause = [",", ";", ":", "—", "–"].contains(String(last))
            // A pause is worth up to a quarter of the line's imbalance.
            let score = balance - (pause ? Double(total) / 4 : 0)
            if best == nil || score < best!.score { best = (i, score) }
        }
        let cut = best!.index
        var first = words[...cut].joined(separator: " ")
        while let last = first.last, [",", ";", ":", "—", "–"].contains(String(last)) {
            first.removeLast()
            first = first.trimmingSpaces()
        }
        let second = words[(cut + 1)...].joined(separator: " ")
        let pieces = [first, second].filter { $0.unicodeScalars.contains(where: isLetterOrDigit) }
        return pieces.flatMap(split)
    }

    /// Syllables of a written word, estimated from its spelling (vowel groups, a silent final e); digits count one
    /// each. Only used to decide where long lines split: the sung count comes from the pronouncer.
    static func estimateSyllables(_ word: String) -> Int {
        let letters = Array(word.lowercased().unicodeScalars.filter { isLetterOrDigit($0) })
        guard !letters.isEmpty else { return 0 }
        let vowels: Set<Unicode.Scalar> = ["a", "e", "i", "o", "u", "y", "à", "á", "â", "ä", "è", "é", "ê", "ë", "ì",
                                           "í", "î", "ï", "ò", "ó", "ô", "ö", "ù", "ú", "û", "ü"]
        var count = 0
        var previousVowel = false
        var ascii = true
        for s in letters {
            if s.properties.numericType != nil {
                count += 1
                previousVowel = false
                continue
            }
            if !s.isASCII && !vowels.contains(s) { ascii = false }
            let v = vowels.contains(s)
            if v && !previousVowel { count += 1 }
            previousVowel = v
        }
        if letters.count > 2, letters.last == "e", !vowels.contains(letters[letters.count - 2]), count > 1,
           !(letters[letters.count - 2] == "l" && letters.count > 3 && !vowels.contains(letters[letters.count - 3])) {
            count -= 1
        }
        // Scripts without these vowels (CJK, Cyrillic...): about one syllable per two characters.
        if !ascii && count == 0 { count = max(1, letters.count / 2) }
        return max(1, count)
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
