/// The instrument ids every preset may name, with the General MIDI program written for each in MIDI files and
/// the role family it suits. Instrument sounds live in `presets/instruments/<id>.json`; drum kits in
/// `presets/instruments/<id>.json` too, with ids ending in `_kit`. A style naming an id not listed here is rejected
/// at load, and so is an instrument preset file whose id is not listed.
public enum InstrumentCatalog {
    public struct Entry: Sendable, Hashable {
        public var id: String
        public var gmProgram: Int
        /// True for acoustic-sounding instruments (the prompt word "acoustic" prefers them).
        public var acoustic: Bool
        public var family: String
        /// The sounding range (MIDI notes) of the acoustic instrument the sound stands for, where it has one:
        /// the composer keeps the part inside it (`Composer.fitToRange`). Synthesisers have none.
        public var range: ClosedRange<Int>? = nil
    }

    public static let entries: [Entry] = [
        Entry(id: "piano", gmProgram: 0, acoustic: true, family: "keys", range: 21...108),
        Entry(id: "electric_piano", gmProgram: 4, acoustic: false, family: "keys", range: 28...100),
        Entry(id: "organ", gmProgram: 16, acoustic: false, family: "keys", range: 36...96),
        Entry(id: "warm_pad", gmProgram: 89, acoustic: false, family: "pad"),
        Entry(id: "string_pad", gmProgram: 48, acoustic: true, family: "pad", range: 36...100),
        Entry(id: "airy_pad", gmProgram: 91, acoustic: false, family: "pad"),
        Entry(id: "acoustic_guitar", gmProgram: 25, acoustic: true, family: "guitar", range: 40...84),
        Entry(id: "electric_guitar", gmProgram: 29, acoustic: false, family: "guitar", range: 40...86),
        Entry(id: "pluck_synth", gmProgram: 84, acoustic: false, family: "synth"),
        Entry(id: "soft_lead", gmProgram: 80, acoustic: false, family: "lead"),
        Entry(id: "saw_lead", gmProgram: 81, acoustic: false, family: "lead"),
        Entry(id: "square_lead", gmProgram: 80, acoustic: false, family: "lead"),
        Entry(id: "bell", gmProgram: 14, acoustic: false, family: "mallet"),
        Entry(id: "flute", gmProgram: 73, acoustic: true, family: "lead", range: 60...96),
        Entry(id: "marimba", gmProgram: 12, acoustic: true, family: "mallet", range: 45...96),
        Entry(id: "sub_bass", gmProgram: 38, acoustic: false, family: "bass"),
        Entry(id: "drone_bass", gmProgram: 38, acoustic: false, family: "bass"),
        Entry(id: "synth_bass", gmProgram: 39, acoustic: false, family: "bass"),
        Entry(id: "electric_bass", gmProgram: 33, acoustic: false, family: "bass", range: 28...67),
        Entry(id: "upright_bass", gmProgram: 32, acoustic: true, family: "bass", range: 28...67),
        Entry(id: "acoustic_kit", gmProgram: 0, acoustic: true, family: "drums"),
        Entry(id: "electronic_kit", gmProgram: 0, acoustic: false, family: "drums"),
        Entry(id: "lofi_kit", gmProgram: 0, acoustic: false, family: "drums"),
        Entry(id: "brush_kit", gmProgram: 0, acoustic: true, family: "drums"),
    ]

    public static func entry(_ id: String) -> Entry? { entries.first { $0.id == id } }
}

/// Rendered stereo audio, planar.
public struct StereoBuffer: Sendable {
    public var left: [Float]
    public var right: [Float]
    public var sampleRate: Int

    public init(left: [Float], right: [Float], sampleRate: Int) {
        precondition(left.count == right.count, "StereoBuffer channels must have equal length")
        self.left = left
        self.right = right
        self.sampleRate = sampleRate
    }

    public init(frames: Int, sampleRate: Int) {
        self.init(left: [Float](repeating: 0, count: frames), right: [Float](repeating: 0, count: frames),
                  sampleRate: sampleRate)
    }

    public var frames: Int { left.count }
    public var duration: Double { Double(frames) / Double(sampleRate) }
}
