import Foundation
import VoiceConvert

extension ChromasongEngine {
    /// Converts a WAV file (mono or stereo) to `output` (24-bit WAV, same channels): `semitones` of pitch shift,
    /// `formantSemitones` of formant shift, or a catalog voice (its vibrato, breath and tilt too). Streams in blocks,
    /// so memory does not grow with the file. Errors name the parameter and the rule; nothing is left at `output`
    /// unless the conversion succeeded.
    public func convert(input: String, output: String, semitones: Double = 0, formantSemitones: Double = 0,
                        voiceId: String = "") throws {
        guard FileManager.default.fileExists(atPath: input) else {
            throw RequestError(field: "input", message: "no file at \(input)")
        }
        guard let head = FileHandle(forReadingAtPath: input)?.readData(ofLength: 12), head.count == 12,
              head.starts(with: Array("RIFF".utf8)), head.suffix(4).elementsEqual(Array("WAVE".utf8))
        else { throw RequestError(field: "input", message: "\(input) is not a WAV file (RIFF/WAVE)") }
        guard VoiceConverter.shiftRange.contains(semitones) else {
            throw RequestError(field: "semitones", message: "must be within -24...24, got \(semitones)")
        }
        guard VoiceConverter.shiftRange.contains(formantSemitones) else {
            throw RequestError(field: "formant_semitones", message: "must be within -24...24, got \(formantSemitones)")
        }
        var voice: Voice?
        if !voiceId.isEmpty {
            guard let v = voices.voice(id: voiceId) else {
                throw RequestError(field: "voice", message: "unknown voice \"\(voiceId)\"; known: "
                    + voices.voices.map(\.id).joined(separator: ", "))
            }
            voice = v
        }
        let settings = voice.map { ConversionSettings(voice: $0, extraSemitones: semitones) }
            ?? ConversionSettings(semitones: semitones, formantSemitones: formantSemitones)
        do {
            try VoiceConverter.convertFile(input: input, output: output, settings: settings)
        } catch let error as ConversionError {
            throw RequestError(field: error.field, message: error.message)
        }
    }
}
