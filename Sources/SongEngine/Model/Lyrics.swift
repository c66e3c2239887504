/// Lyrics as sections of lines, in sung order. User lyrics are parsed into this (tags drive the form); written
/// lyrics are produced in this shape. A chorus that is sung three times appears three times, with its lines.
/// Once fitted to a plan, `sections[i]` is sung over `plan.form[i]`; a section with no lines is instrumental.
public struct LyricSection: Sendable, Codable, Hashable {
    /// Plan section name: "intro", "verse", "pre_chorus", "chorus", "bridge", "outro".
    public var kind: String
    /// The tag as shown in the lyrics and in lyrics_timestamped ("[Verse 2]", "[Chorus]").
    public var tag: String
    /// The lines to sing, in order, as the user wrote them (no blank lines).
    public var lines: [String]

    public init(kind: String, tag: String, lines: [String]) {
        self.kind = kind
        self.tag = tag
        self.lines = lines
    }
}

public struct Lyrics: Sendable, Codable, Hashable {
    public var sections: [LyricSection]
    /// A title the lyric writer proposed (nil for the user's own lyrics).
    public var title: String?
    /// True when the engine wrote these lyrics.
    public var written: Bool

    public init(sections: [LyricSection], title: String? = nil, written: Bool = false) {
        self.sections = sections
        self.title = title
        self.written = written
    }

    /// The lyrics as sung: tags and lines, a blank line between sections (instrumental sections left out).
    public var text: String {
        sections.filter { !$0.lines.isEmpty }.map { ([$0.tag] + $0.lines).joined(separator: "\n") }.joined(separator: "\n\n")
    }
}

/// One syllable as pronounced (from flite's lexicon and letter-to-sound rules).
public struct PronouncedSyllable: Sendable, Codable, Hashable {
    /// Phone names in order (flite's US English set: "hh", "ax", "l", "ow"...).
    public var phones: [String]
    /// Index of the vowel (nucleus) in `phones`.
    public var nucleus: Int
    /// Lexical stress: 0 none, 1 primary, 2 secondary.
    public var stress: Int

    public init(phones: [String], nucleus: Int, stress: Int) {
        self.phones = phones
        self.nucleus = nucleus
        self.stress = stress
    }
}

/// One word of a lyric line: the user's token (punctuation stripped) and the syllables flite says for it. A token
/// that flite expands ("42" -> "forty two") keeps its text and gets all the expansion's syllables; a token with
/// nothing to say (an emoji) is absent.
public struct PronouncedWord: Sendable, Codable, Hashable {
    public var text: String
    public var syllables: [PronouncedSyllable]

    public init(text: String, syllables: [PronouncedSyllable]) {
        self.text = text
        self.syllables = syllables
    }
}

public struct PronouncedLine: Sendable, Codable, Hashable {
    public var words: [PronouncedWord]

    public init(words: [PronouncedWord]) { self.words = words }

    public var syllableCount: Int { words.reduce(0) { $0 + $1.syllables.count } }
    /// Stress of every syllable of the line, in order.
    public var stresses: [Int] { words.flatMap { $0.syllables.map(\.stress) } }
}

/// What the composition and the lyric writer need from a pronouncing dictionary. `Speech` (flite) implements it.
public protocol Pronouncing: Sendable {
    func pronounce(line: String) -> PronouncedLine
}

extension Pronouncing {
    /// Rhyme key of a line's last word: its last stressed vowel (stress marks dropped) and every phone after it;
    /// "night" and "light" share "ay t". Nil when the line has no pronounceable word.
    public func rhymeKey(line: String) -> String? {
        guard let word = pronounce(line: line).words.last, !word.syllables.isEmpty else { return nil }
        let sylls = word.syllables
        let from = sylls.lastIndex { $0.stress > 0 } ?? sylls.count - 1
        var phones = Array(sylls[from].phones[sylls[from].nucleus...])
        for s in sylls[(from + 1)...] { phones += s.phones }
        return phones.joined(separator: " ")
    }
}
