/// The parts a song can have. Each part becomes one MIDI track and one rendered instrument.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case drums, bass, chords, pad, arp, lead, vocals

    public static func < (a: Role, b: Role) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Roles key JSON objects by name ("drums": ...), so plans encode the same bytes every time.
extension Role: CodingKeyRepresentable {}

/// One note. Times are in beats (quarter notes) from the start of the song; humanising moves `start` by small
/// fractions of a beat. Drum notes use General MIDI percussion numbers (36 kick, 38 snare, 42 closed hat, ...).
public struct Note: Sendable, Hashable, Codable {
    public var start: Double
    public var duration: Double
    public var pitch: Int
    public var velocity: Int

    public init(start: Double, duration: Double, pitch: Int, velocity: Int) {
        self.start = start
        self.duration = duration
        self.pitch = pitch
        self.velocity = velocity
    }
}

/// One part of the score: a named track played by one instrument preset.
public struct Track: Sendable, Codable {
    public var name: String
    public var role: Role
    /// Instrument preset id (`presets/instruments/<id>.json`), or a drum kit id for drums.
    public var instrument: String
    /// MIDI channel 0...15 (drums on 9).
    public var channel: Int
    /// General MIDI program number 0...127 written to the MIDI file so other players pick a similar sound.
    public var program: Int
    public var notes: [Note]

    public init(name: String, role: Role, instrument: String, channel: Int, program: Int, notes: [Note]) {
        self.name = name
        self.role = role
        self.instrument = instrument
        self.channel = channel
        self.program = program
        self.notes = notes
    }
}

/// Where a section of the form lies, in beats.
public struct SectionSpan: Sendable, Codable, Hashable {
    public var name: String
    public var startBeat: Double
    public var beats: Double
    /// 0...1, how full and loud the arrangement is here.
    public var energy: Double

    public init(name: String, startBeat: Double, beats: Double, energy: Double) {
        self.name = name
        self.startBeat = startBeat
        self.beats = beats
        self.energy = energy
    }
}

/// The composed song: what every part plays, when. Rendering turns it into audio; MIDI writing into a file.
public struct Score: Sendable, Codable {
    public var bpm: Double
    public var key: Key
    public var beatsPerBar: Int
    public var sections: [SectionSpan]
    public var tracks: [Track]
    /// Length of the music in beats (the last section's end); rendering adds the reverb/release tail.
    public var lengthBeats: Double
    /// The sung line's lyrics and syllable placement, when the song has vocals (notes: the `vocals` track).
    public var vocal: VocalScore? = nil

    public init(bpm: Double, key: Key, beatsPerBar: Int, sections: [SectionSpan], tracks: [Track], lengthBeats: Double) {
        self.bpm = bpm
        self.key = key
        self.beatsPerBar = beatsPerBar
        self.sections = sections
        self.tracks = tracks
        self.lengthBeats = lengthBeats
    }

    public var secondsPerBeat: Double { 60.0 / bpm }
    public var durationSeconds: Double { lengthBeats * secondsPerBeat }
    public func track(_ role: Role) -> Track? { tracks.first { $0.role == role } }
}
