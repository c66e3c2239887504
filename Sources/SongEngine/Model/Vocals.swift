import Foundation

/// The two base singers. Both are sung from flite clustergen vocoder frames, read from the score
/// (docs/vocals.md, "Singing from the score").
public enum VoiceBase: String, Sendable, Codable, Hashable, CaseIterable {
    /// Spoken by cmu_us_rms with its formants raised 2 semitones, sung as an alto (before issue 15's third round:
    /// cmu_us_slt with its formants lowered 2 semitones).
    case female
    /// Spoken by cmu_us_rms with its own formants (cmu_us_kal16, a diphone voice sung by PSOLA, before issue 15).
    case male

    /// Where this singer's melodies sit, and the colour of its source, when the vocal is delivered as sung (no
    /// catalog voice).
    ///
    /// The female singer sings as a dark alto, with melodies centred on A3. Both choices are for the words: the
    /// recogniser judging intelligibility loses more of them the higher a melody sits, for either source voice
    /// (slt on the same lyrics, 3 seeds, 57 lines: melody median E4 52% WER, B3 45-46%, A3 42%, F3 37%; kal16
    /// with median A3 39%, G3 27%).
    ///
    /// Her lines are spoken by rms, formants raised 2 semitones. Praat's median F1/F2/F3 over her sung vowels
    /// then match slt's lowered 2 semitones (the singer before): about 460 / 1750 / 2780 Hz against
    /// 460 / 1790 / 2770 Hz. She is more intelligible that way: issue 15's tune set read 34.5% WER against 43.2%
    /// (raised 3 semitones: 37.4%; 4: 46.6%). The judged set's figures are in docs/vocals.md, "Round 3".
    ///
    /// The male singer sits around F#3 with rms's own formants.
    public var register: VocalRegister {
        switch self {
        case .female: return VocalRegister(range: 53...72, centre: 57, speaker: .rms, formantSemitones: 2)  // F3...C5, on A3
        case .male: return VocalRegister(range: 45...64, centre: 54, speaker: Speaker.male, formantSemitones: 0)  // A2...E4, on F#3
        }
    }
}

/// The flite voice that speaks a singer's lines before they are sung.
public enum Speaker: String, Sendable, Codable, Hashable, CaseIterable {
    /// cmu_us_slt, a female clustergen voice: the source the catalog voices were measured from.
    case slt
    /// cmu_us_rms, a male clustergen voice: both base singers.
    case rms
    /// cmu_us_kal16, a male diphone voice. It has no vocoder frames, so it is sung by PSOLA; it was the male singer
    /// before issue 15.
    case kal16

    /// The male singer's speaker: rms, unless the environment's `CHROMASONG_MALE_VOICE` is `kal16`. That switch is
    /// for comparing the two on the lyric sets; it is not a parameter of the contract.
    static let male: Speaker = ProcessInfo.processInfo.environment["CHROMASONG_MALE_VOICE"] == "kal16" ? .kal16 : .rms
}

/// The notes a vocal melody may use, the pitch its phrases are built around (MIDI notes), and how far the speech
/// source's formants are moved before it is sung.
public struct VocalRegister: Sendable, Hashable {
    public var range: ClosedRange<Int>
    /// The phrase arcs start a step below this note and rise a few steps above it.
    public var centre: Int
    /// The flite voice that speaks the lines.
    public var speaker: Speaker
    /// The flite utterance's spectral envelope is moved by this many semitones (pitch kept) before the singer
    /// retimes and retunes it; 0 keeps the voice's own formants.
    public var formantSemitones: Double

    public init(range: ClosedRange<Int>, centre: Int, speaker: Speaker = .rms, formantSemitones: Double = 0) {
        self.range = range
        self.centre = centre
        self.speaker = speaker
        self.formantSemitones = formantSemitones
    }

    /// The register a catalog voice converts from: the female singer's as the catalog was measured on it
    /// (A3...E5, centred on D4, spoken by slt with its own formants). Each catalog voice's pitch and formant shifts
    /// move it to its own.
    public static let catalogReference = VocalRegister(range: 57...76, centre: 62, speaker: .slt, formantSemitones: 0)
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
    /// What flite's vocoder made `samples` from, for the clustergen voices (nil for a diphone voice): the singer
    /// builds the sung line from these frames, stretched to the notes and given the notes' f0.
    public var vocoder: VocoderFrames?

    public init(sampleRate: Int, f0: Double, samples: [Float], phones: [SpeechPhone], line: PronouncedLine,
                vocoder: VocoderFrames? = nil) {
        self.sampleRate = sampleRate
        self.f0 = f0
        self.samples = samples
        self.phones = phones
        self.line = line
        self.vocoder = vocoder
    }
}

/// A spoken line as flite's clustergen vocoder input: one frame every `shift` seconds from the start of the
/// utterance, each `channels` values (f0 in Hz, 0 when unvoiced, then the mel-cepstrum) plus `strengthChannels`
/// mixed-excitation band strengths. Vocoding these frames unchanged gives the spoken samples again (test_speech.c).
public struct VocoderFrames: Sendable {
    /// The flite voice the frames belong to (a `csp_voice`): only its vocoder can play them.
    public var voice: Int
    public var shift: Double
    public var channels: Int
    public var params: [Float]
    public var strengthChannels: Int
    public var strengths: [Float]
    /// The formant shift the spoken samples were given (semitones); the frames themselves are unshifted.
    public var formantSemitones: Double

    public var count: Int { channels > 0 ? params.count / channels : 0 }

    public init(voice: Int, shift: Double, channels: Int, params: [Float], strengthChannels: Int, strengths: [Float],
                formantSemitones: Double) {
        self.voice = voice
        self.shift = shift
        self.channels = channels
        self.params = params
        self.strengthChannels = strengthChannels
        self.strengths = strengths
        self.formantSemitones = formantSemitones
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
    /// The flite voice that speaks the lines (`VocalRegister.speaker`).
    public var speaker: Speaker
    /// Semitones the speech source's formants are moved before singing (`VocalRegister.formantSemitones`).
    public var formantSemitones: Double = 0
    /// Pronunciation of every lyric line, indexed [section][line].
    public var pronounced: [[PronouncedLine]]
    public var lines: [SungLine]
    /// Beat at which each lyric section starts (index as `lyrics.sections`), for the tag entries' timestamps.
    public var sectionStartBeats: [Double]

    /// `speaker`: nil takes the base singer's (`VoiceBase.register`).
    public init(lyrics: Lyrics, base: VoiceBase, speaker: Speaker? = nil, formantSemitones: Double = 0,
                pronounced: [[PronouncedLine]], lines: [SungLine], sectionStartBeats: [Double]) {
        self.lyrics = lyrics
        self.base = base
        self.speaker = speaker ?? base.register.speaker
        self.formantSemitones = formantSemitones
        self.pronounced = pronounced
        self.lines = lines
        self.sectionStartBeats = sectionStartBeats
    }
}
