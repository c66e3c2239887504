/// One musical decision and why it was taken: "mode = minor because mean lightness 31 (dark) ...".
public struct Decision: Sendable, Codable, Hashable {
    public var name: String
    public var value: String
    public var reason: String

    public init(name: String, value: String, reason: String) {
        self.name = name
        self.value = value
        self.reason = reason
    }
}

/// A section of the planned form.
public struct SectionPlan: Sendable, Codable, Hashable {
    /// "intro", "verse", "pre_chorus", "chorus", "bridge", "breakdown", "outro" (lower case, underscores).
    public var name: String
    public var bars: Int
    /// 0...1: density and loudness of the arrangement in this section.
    public var energy: Double

    public init(name: String, bars: Int, energy: Double) {
        self.name = name
        self.bars = bars
        self.energy = energy
    }
}

/// What the request and the image steer. Built from a validated request; analysis turns it, with the image
/// features, into a MusicPlan.
public struct Steering: Sendable, Codable, Hashable {
    public var prompt: String
    public var negativeTags: String
    /// Requested key, or nil to choose from the image.
    public var key: Key?
    /// Requested tempo, or nil to choose from the image.
    public var bpm: Int?
    /// Requested duration in seconds, or nil for the style's natural form.
    public var duration: Double?
    /// Whether the song is sung (lyrics given or written); false for make_instrumental.
    public var vocals: Bool = false
    /// The user's lyrics (empty: the engine writes them when `vocals`).
    public var lyrics: String = ""
    /// The catalog voice the vocal is converted to, if any (the base singer is then the catalog's reference).
    public var voiceId: String = ""

    public init(prompt: String = "", negativeTags: String = "", key: Key? = nil, bpm: Int? = nil, duration: Double? = nil) {
        self.prompt = prompt
        self.negativeTags = negativeTags
        self.key = key
        self.bpm = bpm
        self.duration = duration
    }
}

/// Every decision needed to compose the song, shared by all versions of one request.
public struct MusicPlan: Sendable, Codable {
    public var key: Key
    public var bpm: Int
    /// Style preset id.
    public var style: String
    /// -1 (sad, dark) ... +1 (happy, bright).
    public var valence: Double
    /// -1 (calm) ... +1 (excited).
    public var arousal: Double
    /// 0...1: rhythmic and note density, syncopation, number of layers.
    public var density: Double
    /// MIDI note at the centre of the lead melody's range.
    public var register: Int
    /// 0 (rounded, soft timbres) ... 1 (angular, harsh timbres).
    public var brightness: Double
    public var form: [SectionPlan]
    /// Instrument preset id for each role that plays; a role absent here does not play (e.g. drums excluded).
    public var instruments: [Role: String]
    /// Melody contour hint, values 0...1 from the image's vertical brightness profile (top to bottom -> high to low
    /// register), one value per phrase position.
    public var contour: [Double]
    /// The decisions with their reasons, in the order they were taken.
    public var decisions: [Decision]
    /// Level changes in dB per part asked for by negative tags ("avoid loud drums" -> drums -8 dB).
    public var gainOffsets: [Role: Double] = [:]
    /// Instruments of the versions with an odd seed (the style's alternate), when the style has one.
    public var alternateInstruments: [Role: String]? = nil
    /// The base singer, when the song is sung.
    public var voice: VoiceBase? = nil
    /// What is sung, aligned with `form` (`lyrics.sections[i]` over `form[i]`), when the song is sung.
    public var lyrics: Lyrics? = nil
    /// Pronunciation of every lyric line, indexed like `lyrics.sections` [section][line].
    public var pronounced: [[PronouncedLine]]? = nil

    public init(key: Key, bpm: Int, style: String, valence: Double, arousal: Double, density: Double, register: Int,
                brightness: Double, form: [SectionPlan], instruments: [Role: String], contour: [Double],
                decisions: [Decision]) {
        self.key = key
        self.bpm = bpm
        self.style = style
        self.valence = valence
        self.arousal = arousal
        self.density = density
        self.register = register
        self.brightness = brightness
        self.form = form
        self.instruments = instruments
        self.contour = contour
        self.decisions = decisions
    }

    public var hasDrums: Bool { instruments[.drums] != nil }

    /// The plan and style a version with `seed` plays: an odd seed plays the style's alternate when the plan has
    /// one, an even seed the plan itself. Tied to the seed, not the version's position, so that a version's own
    /// seed reproduces it in a one-version request; consecutive versions get seeds of opposite parity.
    public func forVersion(seed: UInt64, style: StylePreset) -> (plan: MusicPlan, style: StylePreset) {
        guard seed & 1 == 1, let alternate = alternateInstruments else { return (self, style) }
        var plan = self
        plan.instruments = alternate
        return (plan, style.alternated)
    }
    public var totalBars: Int { form.reduce(0) { $0 + $1.bars } }
}

/// Decoded image pixels, 8-bit RGBA, row-major, top row first.
public struct RGBAImage: Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 4, "RGBAImage needs width*height*4 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
