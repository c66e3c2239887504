// Conversion of a vocal (or any recording) by the C core's pitch and formant shifter, channel by channel, in
// blocks, so memory does not grow with the input beyond the samples themselves.
import Foundation
internal import CDSP

/// A conversion that cannot run: the field and the rule.
public struct ConversionError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var description: String { "\(field): \(message)" }
}

public enum VoiceConverter {
    /// Shifts are limited to two octaves either way.
    public static let shiftRange = -24.0...24.0

    /// Shifts every channel by `semitones`, moving the spectral envelope by `formantSemitones` relative to the input
    /// (0 keeps the formants: the same voice, higher or lower). Output is aligned with the input and as long.
    /// Deterministic; safe to call from several threads at once.
    public static func shift(_ channels: [[Float]], sampleRate: Int, semitones: Double,
                             formantSemitones: Double) throws -> [[Float]] {
        guard shiftRange.contains(semitones), semitones.isFinite else {
            throw ConversionError(field: "semitones", message: "must be within -24...24, got \(semitones)")
        }
        guard shiftRange.contains(formantSemitones), formantSemitones.isFinite else {
            throw ConversionError(field: "formant_semitones", message: "must be within -24...24, got \(formantSemitones)")
        }
        return try channels.map { channel in
            var out = [Float](repeating: 0, count: channel.count)
            if channel.isEmpty { return out }
            let status = channel.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    cdsp_pitch_shift(input.baseAddress, input.count, Float(sampleRate), Float(semitones),
                                     Float(formantSemitones), output.baseAddress)
                }
            }
            guard status == CDSP_OK else {
                throw ConversionError(field: "audio", message: "the shifter refused the input (status \(status.rawValue))")
            }
            return out
        }
    }

    /// Converts to a catalog voice: its pitch and formant shifts (plus `extraSemitones` of transposition), then its
    /// spectral tilt above 1 kHz.
    public static func convert(_ channels: [[Float]], sampleRate: Int, voice: Voice,
                               extraSemitones: Double = 0) throws -> [[Float]] {
        var shifted = try shift(channels, sampleRate: sampleRate, semitones: voice.value("pitchShift") + extraSemitones,
                                formantSemitones: voice.value("formantShift"))
        let tilt = voice.value("tilt")
        if tilt != 0 {
            for c in shifted.indices {
                guard let eq = cdsp_biquad_create(Float(sampleRate)) else { continue }
                defer { cdsp_biquad_destroy(eq) }
                // A high shelf at 2 kHz of (tilt x 2) dB approximates tilt dB per octave over the voice's upper range.
                cdsp_biquad_set(eq, CDSP_EQ_HIGHSHELF, 2000, 0.7, Float(tilt * 2))
                shifted[c].withUnsafeMutableBufferPointer { cdsp_biquad_process(eq, $0.baseAddress, $0.count) }
            }
        }
        return shifted
    }
}
