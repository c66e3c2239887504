import Foundation
internal import CDSP

// One note of one instrument preset, alone: what `engine-bench --notes` writes so that a timbre can be measured
// and listened to outside a song (`Benchmarks/timbre_check.py`). Same C voice as a song's parts, no mix.

extension InstrumentLibrary {
    /// The melodic instruments (kits excluded), sorted.
    public var melodicIds: [String] {
        instruments.compactMap { id, instrument in
            if case .voice = instrument { return id } else { return nil }
        }.sorted()
    }

    /// The sounding range a melodic instrument stands for (`InstrumentCatalog`), when it has one.
    public static func soundingRange(_ id: String) -> ClosedRange<Int>? { InstrumentCatalog.entry(id)?.range }

    /// Renders `pitch` (MIDI) at `velocity` (0...1), held `seconds` and then released, as mono samples with the
    /// release tail; nil for an unknown id or a kit.
    public func auditionNote(_ id: String, pitch: Int, velocity: Double, seconds: Double, seed: UInt64 = 1,
                             sampleRate: Int = 44100) -> [Float]? {
        guard case .voice(let voice) = instruments[id] else { return nil }
        var p = voice.cParams
        let sr = Float(sampleRate)
        let frequency = Float(440 * pow(2, Double(pitch - 69) / 12))
        guard frequency < 0.45 * sr else { return nil }
        let on = Int(seconds * Double(sampleRate))
        let total = on + cdsp_voice_tail_frames(&p, sr)
        var samples = [Float](repeating: 0, count: total)
        let status = samples.withUnsafeMutableBufferPointer {
            cdsp_voice_render(&p, sr, frequency, frequency, Float(velocity), on, seed, $0.baseAddress!, total)
        }
        return status == CDSP_OK ? samples : nil
    }

    /// `auditionNote` written as a 24-bit WAV (the note on both channels).
    public func writeAudition(_ id: String, pitch: Int, velocity: Double, seconds: Double, to url: URL) throws {
        guard let note = auditionNote(id, pitch: pitch, velocity: velocity, seconds: seconds) else {
            throw ConfigurationError("instrument \"\(id)\" cannot play MIDI note \(pitch)")
        }
        try AudioFile.write(StereoBuffer(left: note, right: note, sampleRate: 44100), to: url, format: .wav,
                            wavDepth24: true)
    }
}
