/// The definition of one tunable number: every numeric field of a preset has one, and presets are validated
/// against it at load (a bad preset names the file, the field and the allowed range).
public struct ParameterDefinition: Sendable, Hashable {
    public var identifier: String
    public var defaultValue: Double
    public var range: ClosedRange<Double>
    public var unit: String
    public var summary: String

    public init(_ identifier: String, default defaultValue: Double, range: ClosedRange<Double>, unit: String,
                _ summary: String) {
        self.identifier = identifier
        self.defaultValue = defaultValue
        self.range = range
        self.unit = unit
        self.summary = summary
    }
}

/// How one role sits in the mix.
public struct MixSettings: Sendable, Codable, Hashable {
    /// dB relative to unity.
    public var gain: Double
    /// -1 (left) ... +1 (right).
    public var pan: Double
    /// 0...1 amount sent to the reverb bus.
    public var reverb: Double
    /// 0...1 amount sent to the delay bus.
    public var delay: Double

    public init(gain: Double = 0, pan: Double = 0, reverb: Double = 0.2, delay: Double = 0) {
        self.gain = gain
        self.pan = pan
        self.reverb = reverb
        self.delay = delay
    }
}

/// A style preset (`presets/styles/<id>.json`): what instruments play, in what patterns, at what tempi, mixed how.
/// Pattern names are closed vocabularies (see the nested enums); numbers are validated against
/// `StylePreset.parameterDefinitions`.
public struct StylePreset: Sendable, Codable, Hashable {
    public enum DrumPattern: String, Sendable, Codable, CaseIterable {
        case none          // no drums in this style
        case ambientPulse  // soft kick on 1, shaker/ride texture
        case boomBap       // lo-fi hip-hop: kick on 1 and the "and" of 2, snare on 2 and 4, swung hats
        case backbeat      // pop: kick 1 and 3 (+ variations), snare 2 and 4, eighth hats
        case rock          // rock: driving eighths, crash at section starts, tom fills
        case fourOnFloor   // dance: kick every beat, clap 2 and 4, off-beat open hats
        case halfTime      // cinematic/trap feel: snare on 3, sparse kick, toms
        case folk          // brushes-like: light kick, rim on 2 and 4, shaker
        case synthwave     // 80s: kick 1 and 3, big snare 2 and 4, sixteenth hats
    }

    public enum ChordPattern: String, Sendable, Codable, CaseIterable {
        case sustain   // whole-bar held chords
        case stabs     // short rhythmic stabs
        case strum     // guitar-like strums (staggered note starts)
        case arpeggio  // broken chords
        case pulse     // repeated eighth-note chords
        case offbeat   // chords on the off-beats (dance, reggae-ish)
    }

    public enum BassPattern: String, Sendable, Codable, CaseIterable {
        case roots        // chord roots, one per chord
        case rootFifth    // root and fifth alternating (folk, country)
        case eighths      // driving eighth-note roots (rock, synthwave)
        case octaves      // octave jumps (disco, dance)
        case syncopated   // funk/pop syncopation following the kick
        case walking      // stepwise approach notes
        case sustained    // long drones (ambient, cinematic)
    }

    public var id: String
    public var name: String
    public var description: String
    /// Prompt and negative-tag words that name this style ("lofi", "lo-fi", "chill", "hip hop").
    public var keywords: [String]
    /// Where this style sits in the valence/arousal plane (-1...1 each); analysis picks the nearest style.
    public var valence: Double
    public var arousal: Double
    public var tempoMin: Int
    public var tempoMax: Int
    /// Section names in order, e.g. ["intro", "verse", "chorus", "verse", "chorus", "bridge", "chorus", "outro"].
    public var form: [String]
    /// Bars per section name.
    public var sectionBars: [String: Int]
    /// Instrument preset id per role name ("lead", "chords", "pad", "bass", "arp"; "drums" names a drum kit).
    public var instruments: [String: String]
    public var drumPattern: DrumPattern
    public var chordPattern: ChordPattern
    public var bassPattern: BassPattern
    /// Numeric tunables by identifier, validated against `parameterDefinitions`; missing ones take the default.
    public var parameters: [String: Double]
    /// Mix per role name.
    public var mix: [String: MixSettings]
    /// General MIDI percussion numbers played instead of the drum pattern's own, by number as text:
    /// `{"42": 51}` plays the ride where the pattern has closed hats. Optional.
    public var drumSubstitutes: [String: Int]? = nil
    /// The style's harmonic vocabulary (progressions and cadence approach); optional, `pop` when absent. How often
    /// its chords carry sevenths and chromatic colour are the parameters `seventhChords` and `chromaticChords`.
    public var harmony: HarmonyVocabulary? = nil
    /// The master's target long-term spectrum: dB per third-octave band (relative; only the shape counts) by
    /// frequency in Hz as text, {"63": 4, "1000": 0, "8000": -8}, linear in log frequency between the points.
    /// Optional; without it the master only tilts by `brightness`. See `SpectrumMatch`.
    public var targetSpectrum: [String: Double]? = nil
    /// What a version with an odd seed (every second version of a request) changes: other instruments for some roles
    /// and other patterns, within the style. Optional; without it every version uses the fields above.
    public var alternate: Alternate? = nil

    /// A version's variation of the style: each field present replaces the style's own.
    public struct Alternate: Sendable, Codable, Hashable {
        public var instruments: [String: String]?
        public var drumPattern: DrumPattern?
        public var chordPattern: ChordPattern?
        public var bassPattern: BassPattern?
        public var drumSubstitutes: [String: Int]?

        public init(instruments: [String: String]? = nil, drumPattern: DrumPattern? = nil,
                    chordPattern: ChordPattern? = nil, bassPattern: BassPattern? = nil,
                    drumSubstitutes: [String: Int]? = nil) {
            self.instruments = instruments
            self.drumPattern = drumPattern
            self.chordPattern = chordPattern
            self.bassPattern = bassPattern
            self.drumSubstitutes = drumSubstitutes
        }
    }

    /// The style as its alternate version plays it (itself when it has no alternate); its mix stays the style's.
    public var alternated: StylePreset {
        guard let a = alternate else { return self }
        var s = self
        for (role, id) in a.instruments ?? [:] where s.instruments[role] != nil { s.instruments[role] = id }
        if let d = a.drumPattern { s.drumPattern = d }
        if let c = a.chordPattern { s.chordPattern = c }
        if let b = a.bassPattern { s.bassPattern = b }
        if let d = a.drumSubstitutes { s.drumSubstitutes = d }
        s.alternate = nil
        return s
    }

    public init(id: String, name: String, description: String, keywords: [String], valence: Double, arousal: Double,
                tempoMin: Int, tempoMax: Int, form: [String], sectionBars: [String: Int], instruments: [String: String],
                drumPattern: DrumPattern, chordPattern: ChordPattern, bassPattern: BassPattern,
                parameters: [String: Double], mix: [String: MixSettings]) {
        self.id = id
        self.name = name
        self.description = description
        self.keywords = keywords
        self.valence = valence
        self.arousal = arousal
        self.tempoMin = tempoMin
        self.tempoMax = tempoMax
        self.form = form
        self.sectionBars = sectionBars
        self.instruments = instruments
        self.drumPattern = drumPattern
        self.chordPattern = chordPattern
        self.bassPattern = bassPattern
        self.parameters = parameters
        self.mix = mix
    }

    /// A tunable by its typed key: the preset's value, or the definition's default.
    public subscript(_ parameter: StyleParameter) -> Double {
        parameters[parameter.rawValue] ?? parameter.definition.defaultValue
    }

    /// A tunable by name, for callers that hold one as text; nil for a name that is not a tunable.
    public func parameter(_ identifier: String) -> Double? {
        StyleParameter(rawValue: identifier).map { self[$0] }
    }

    /// Every numeric tunable of a style: one definition per `StyleParameter`.
    public static let parameterDefinitions: [ParameterDefinition] = StyleParameter.allCases.map(\.definition)
}

/// The numeric tunables of a style preset: the typed keys of `StylePreset`, each with its one definition.
public enum StyleParameter: String, CaseIterable, Sendable {
    case swing, humanizeTiming, humanizeVelocity, melodyDensity, melodyRange, syncopation, harmonicRhythm
    case seventhChords, chromaticChords
    case chordOctave, bassOctave, reverbSize, reverbDamping, reverbReturn, delayBeats, delayFeedback
    case drumGain, drumDrive, compression, brightness, build

    public var definition: ParameterDefinition {
        switch self {
        case .swing:
            ParameterDefinition(rawValue, default: 0, range: 0...0.6, unit: "fraction",
                                "delay of off-beat eighths/sixteenths as a fraction of their length")
        case .humanizeTiming:
            ParameterDefinition(rawValue, default: 0.012, range: 0...0.05, unit: "beats",
                                "standard deviation of random timing offsets")
        case .humanizeVelocity:
            ParameterDefinition(rawValue, default: 8, range: 0...30, unit: "velocity",
                                "standard deviation of random velocity offsets")
        case .melodyDensity:
            ParameterDefinition(rawValue, default: 0.5, range: 0...1, unit: "fraction",
                                "how many of the available rhythmic slots the lead melody fills")
        case .melodyRange:
            ParameterDefinition(rawValue, default: 12, range: 5...24, unit: "semitones",
                                "span of the lead melody")
        case .syncopation:
            ParameterDefinition(rawValue, default: 0.2, range: 0...1, unit: "fraction",
                                "probability of off-beat note starts in melody and bass")
        case .harmonicRhythm:
            ParameterDefinition(rawValue, default: 1, range: 0.5...4, unit: "bars",
                                "bars per chord")
        case .seventhChords:
            ParameterDefinition(rawValue, default: 0, range: 0...1, unit: "fraction",
                                "share of chords that carry their seventh (dominants twice as often)")
        case .chromaticChords:
            ParameterDefinition(rawValue, default: 0, range: 0...1, unit: "fraction",
                                "chance per phrase of a secondary dominant or borrowed chord")
        case .chordOctave:
            ParameterDefinition(rawValue, default: 4, range: 2...6, unit: "octave",
                                "octave of the chord voicings' centre")
        case .bassOctave:
            ParameterDefinition(rawValue, default: 2, range: 1...3, unit: "octave",
                                "octave of the bass line")
        case .reverbSize:
            ParameterDefinition(rawValue, default: 0.5, range: 0...1, unit: "fraction",
                                "room (0) to hall (1)")
        case .reverbDamping:
            ParameterDefinition(rawValue, default: 0.5, range: 0...1, unit: "fraction",
                                "bright (0) to dark (1)")
        case .reverbReturn:
            ParameterDefinition(rawValue, default: -6, range: -40...0, unit: "dB",
                                "level of the reverb return")
        case .delayBeats:
            ParameterDefinition(rawValue, default: 0.75, range: 0.125...2, unit: "beats",
                                "delay time")
        case .delayFeedback:
            ParameterDefinition(rawValue, default: 0.35, range: 0...0.9, unit: "fraction",
                                "delay feedback")
        case .drumGain:
            ParameterDefinition(rawValue, default: 0, range: -24...6, unit: "dB",
                                "level of the drum bus")
        case .drumDrive:
            ParameterDefinition(rawValue, default: 1, range: 1...4, unit: "factor",
                                "saturation of the drum bus")
        case .compression:
            ParameterDefinition(rawValue, default: 0.5, range: 0...1, unit: "fraction",
                                "amount of mix-bus compression")
        case .brightness:
            ParameterDefinition(rawValue, default: 0.5, range: 0...1, unit: "fraction",
                                "master tilt: dark (0) to bright (1)")
        case .build:
            ParameterDefinition(rawValue, default: 0, range: 0...1, unit: "fraction",
                                "the build over a pre-chorus: noise riser level and how closed the opening low-pass starts (0: none)")
        }
    }
}
