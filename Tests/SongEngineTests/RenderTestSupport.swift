import Foundation
@testable import SongEngine

/// Shared fixtures for the render and mastering tests: the repository's presets, a plain style, small scores and
/// measurement helpers (pitch by a Goertzel scan, RMS).
enum RenderFixtures {
    static let presetsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("presets/instruments")

    static let library: InstrumentLibrary = {
        do { return try InstrumentLibrary.load(from: presetsDirectory) } catch { fatalError("\(error)") }
    }()

    static func style(reverb: Double = 0.2, delay: Double = 0) -> StylePreset {
        var mix: [String: MixSettings] = [:]
        for role in Role.allCases {
            mix[role.rawValue] = MixSettings(gain: -3, pan: role == .arp ? 0.3 : 0, reverb: reverb,
                                             delay: role == .lead ? delay : 0)
        }
        return StylePreset(id: "test", name: "Test", description: "", keywords: [], valence: 0, arousal: 0,
                           tempoMin: 60, tempoMax: 140, form: ["verse"], sectionBars: ["verse": 2],
                           instruments: [:], drumPattern: .backbeat, chordPattern: .sustain, bassPattern: .roots,
                           parameters: ["reverbSize": 0.4, "reverbReturn": -8, "drumDrive": 1.5],
                           mix: mix)
    }

    static func score(_ tracks: [Track], beats: Double, bpm: Double = 120) -> Score {
        Score(bpm: bpm, key: Key(tonic: 0, mode: .major), beatsPerBar: 4,
              sections: [SectionSpan(name: "verse", startBeat: 0, beats: beats, energy: 0.5)], tracks: tracks,
              lengthBeats: beats)
    }

    static func track(_ role: Role, _ instrument: String, _ notes: [Note]) -> Track {
        Track(name: role.rawValue, role: role, instrument: instrument, channel: role == .drums ? 9 : 0, program: 0,
              notes: notes)
    }

    /// A small band: chords, bass, lead and (optionally) drums over `bars` bars of 4/4.
    static func band(bars: Int = 2, drums: Bool = true, lead: String = "saw_lead") -> Score {
        var chords: [Note] = [], bass: [Note] = [], melody: [Note] = [], kit: [Note] = []
        let progression = [[60, 64, 67], [57, 60, 64], [53, 57, 60], [55, 59, 62]]
        for bar in 0..<bars {
            let start = Double(bar * 4)
            for p in progression[bar % 4] { chords.append(Note(start: start, duration: 3.9, pitch: p, velocity: 80)) }
            bass.append(Note(start: start, duration: 1.8, pitch: progression[bar % 4][0] - 24, velocity: 100))
            bass.append(Note(start: start + 2, duration: 1.8, pitch: progression[bar % 4][0] - 24, velocity: 90))
            for (i, step) in [0, 2, 4, 7].enumerated() {
                melody.append(Note(start: start + Double(i), duration: 0.9, pitch: 72 + step, velocity: 90))
            }
            for beat in 0..<4 {
                kit.append(Note(start: start + Double(beat), duration: 0.1, pitch: beat % 2 == 0 ? 36 : 38, velocity: 110))
                kit.append(Note(start: start + Double(beat) + 0.5, duration: 0.1, pitch: 42, velocity: 70))
            }
        }
        var tracks = [track(.chords, "electric_piano", chords), track(.bass, "electric_bass", bass),
                      track(.lead, lead, melody)]
        if drums { tracks.append(track(.drums, "acoustic_kit", kit)) }
        return score(tracks, beats: Double(bars * 4))
    }

    /// Pitch near `expected`: a Hann-windowed Goertzel scan over +-100 cents in 1-cent steps, then the
    /// power-weighted centroid of the scan within 25 cents of its peak. For one sinusoid that is the peak itself
    /// (the window's main lobe is symmetric); for detuned oscillators it is their mean, the pitch a listener hears.
    static func pitch(of x: ArraySlice<Float>, sampleRate: Int, expected: Double) -> Double {
        let samples = Array(x)
        let n = samples.count
        let window = (0..<n).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n - 1)) }
        let windowed = zip(samples, window).map { Double($0) * $1 }
        func power(_ f: Double) -> Double {
            let coefficient = 2 * cos(2 * Double.pi * f / Double(sampleRate))
            var s1 = 0.0, s2 = 0.0
            for v in windowed {
                let s0 = v + coefficient * s1 - s2
                s2 = s1
                s1 = s0
            }
            return s1 * s1 + s2 * s2 - coefficient * s1 * s2
        }
        let cents = (-100...100).map(Double.init)
        let powers = cents.map { power(expected * pow(2, $0 / 1200)) }
        let best = powers.indices.max { powers[$0] < powers[$1] }!
        var weighted = 0.0, total = 0.0
        for i in powers.indices where abs(cents[i] - cents[best]) <= 25 {
            weighted += cents[i] * powers[i]
            total += powers[i]
        }
        return expected * pow(2, weighted / total / 1200)
    }

    static func cents(_ f: Double, from reference: Double) -> Double { 1200 * log2(f / reference) }

    static func rms(_ x: ArraySlice<Float>) -> Double {
        guard !x.isEmpty else { return 0 }
        return (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
    }
}
