/// The two base singers, from flite's voices that honour a flat pitch target.
public enum VoiceBase: String, Sendable, Codable, Hashable, CaseIterable {
    /// flite cmu_us_slt (16 kHz).
    case female
    /// flite cmu_us_kal16 (16 kHz).
    case male

    /// Comfortable sung range (MIDI notes) for the vocal melody.
    public var range: ClosedRange<Int> {
        switch self {
        case .female: return 57...76  // A3...E5
        case .male: return 45...64    // A2...E4
        }
    }
}

/// One phone of a spoken utterance, times in seconds from the utterance start.
public struct SpeechPhone: Sendable, Codable, Hashable {
    public var name: String
    public var start: Double
    public var end: Double
    public var isVowel: Bool
    /// Index of the syllable (over the whole line, in the order of `PronouncedLine` syllables) this phone belongs
    /// to; -1 for pauses.
    public var syllable: Int

    public init(name: String, start: Double, end: Double, isVowel: Bool, syllable: Int) {
        self.name = name
        self.start = start
        self.end = end
        self.isVowel = isVowel
        self.syllable = syllable
    }
}

/// A lyric line spoken by flite at a flat pitch: the speech source the singer retimes and retunes.
public struct SpeechUtterance: Sendable {
    public var sampleRate: Int
    /// The flat pitch the line was spoken at, Hz.
    public var f0: Double
    public var samples: [Float]
    public var phones: [SpeechPhone]
    /// The line as pronounced; its syllables, flattened in order, are the syllables the phones refer to.
    public var line: PronouncedLine

    public init(sampleRate: Int, f0: Double, samples: [Float], phones: [SpeechPhone], line: PronouncedLine) {
        self.sampleRate = sampleRate
        self.f0 = f0
        self.samples = samples
        self.phones = phones
        self.line = line
    }
}

/// Which notes of the `vocals` track one syllable sings: one note, or several for a melisma (in order).
public struct SungSyllable: Sendable, Codable, Hashable {
    public var notes: [Int]

    public init(notes: [Int]) { self.notes = notes }
}

/// One lyric line placed on the melody.
public struct SungLine: Sendable, Codable, Hashable {
    /// Index into `Lyrics.sections`.
    public var section: Int
    /// Index into that section's `lines`.
    public var line: Int
    /// One entry per syllable of the line's `PronouncedLine`, in order.
    public var syllables: [SungSyllable]

    public init(section: Int, line: Int, syllables: [SungSyllable]) {
        self.section = section
        self.line = line
        self.syllables = syllables
    }
}

/// The sung part of a score: the lyrics, how each line was pronounced, and where each syllable sings. The notes
/// themselves are the score's `vocals` track.
public struct VocalScore: Sendable, Codable {
    public var lyrics: Lyrics
    public var base: VoiceBase
    /// Pronunciation of every lyric line, indexed [section][line].
    public var pronounced: [[PronouncedLine]]
    public var lines: [SungLine]
    /// Beat at which each lyric section starts (index as `lyrics.sections`), for the tag entries' timestamps.
    public var sectionStartBeats: [Double]

    public init(lyrics: Lyrics, base: VoiceBase, pronounced: [[PronouncedLine]], lines: [SungLine],
                sectionStartBeats: [Double]) {
        self.lyrics = lyrics
        self.base = base
        self.pronounced = pronounced
        self.lines = lines
        self.sectionStartBeats = sectionStartBeats
    }
}
