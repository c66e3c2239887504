import Foundation
import VoiceConvert

extension ChromasongEngine {
    /// Converts a WAV file (mono or stereo) to `output` (24-bit WAV): `semitones` of pitch shift, `formantSemitones`
    /// of formant shift, or a catalog voice. Errors name the parameter and the rule; nothing is left at `output`
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
        let audio: StereoBuffer
        do { audio = try AudioFile.read(URL(fileURLWithPath: input)) } catch {
            throw RequestError(field: "input", message: "\(input) cannot be read as audio")
        }
        let mono = audio.left == audio.right
        let channels = mono ? [audio.left] : [audio.left, audio.right]
        let converted = try voice.map {
            try VoiceConverter.convert(channels, sampleRate: audio.sampleRate, voice: $0, extraSemitones: semitones)
        } ?? VoiceConverter.shift(channels, sampleRate: audio.sampleRate, semitones: semitones,
                                  formantSemitones: formantSemitones)
        let result = StereoBuffer(left: converted[0], right: converted[converted.count - 1], sampleRate: audio.sampleRate)
        let target = URL(fileURLWithPath: output)
        let partial = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial")
        do {
            try AudioFile.write(result, to: partial, format: .wav, wavDepth24: true)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.moveItem(at: partial, to: target)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
    }
}
