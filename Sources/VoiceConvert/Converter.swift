// Conversion of a vocal (or any recording) by the C core's pitch and formant shifter. One code path for buffers
// and files: a stream of blocks through one C chain per channel (shifter with vibrato and breath, then the tilt
// EQ), with the shifter's latency trimmed so the output lines up with the input. Files are read and written in
// blocks, so memory does not grow with the input's length.
import Foundation
internal import CDSP
internal import DSP

/// A conversion that cannot run: the field and the rule.
public struct ConversionError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var description: String { "\(field): \(message)" }
}

/// Everything one conversion applies. Built from raw shifts (a plain shift: no vibrato, no breath, no tilt) or from
/// a catalog voice.
public struct ConversionSettings: Sendable, Hashable {
    public var semitones: Double
    public var formantSemitones: Double
    /// dB per octave above 1 kHz (a 2 kHz high shelf of twice this gain).
    public var tilt: Double = 0
    /// Aspiration noise level 0...1, shaped by the output's spectral envelope.
    public var breath: Double = 0
    public var vibratoRate: Double = 0
    /// Peak deviation in cents laid over the shifted line (0: none).
    public var vibratoDepth: Double = 0
    /// Seeds the breath noise; channel c uses seed + c.
    public var seed: UInt64 = 0

    public init(semitones: Double, formantSemitones: Double = 0) {
        self.semitones = semitones
        self.formantSemitones = formantSemitones
    }

    /// A catalog voice: its pitch (plus `extraSemitones` of transposition) and formant shifts, tilt, breath and
    /// vibrato.
    public init(voice: Voice, extraSemitones: Double = 0, seed: UInt64 = 0) {
        semitones = voice[.pitchShift] + extraSemitones
        formantSemitones = voice[.formantShift]
        tilt = voice[.tilt]
        breath = voice[.breath]
        vibratoRate = voice[.vibratoRate]
        vibratoDepth = voice[.vibratoDepth]
        self.seed = seed
    }

    func validate() throws {
        func check(_ value: Double, _ range: ClosedRange<Double>, _ field: String) throws {
            guard value.isFinite, range.contains(value) else {
                throw ConversionError(field: field, message: "must be within \(range.lowerBound)...\(range.upperBound), got \(value)")
            }
        }
        // Pitch and formant shifts take the converter's own range (a voice's shift plus a transposition); the voice's
        // colour takes the catalog's definitions, the one place they are defined. A vibrato rate of 0 means none.
        try check(semitones, VoiceConverter.shiftRange, "semitones")
        try check(formantSemitones, VoiceConverter.shiftRange, "formant_semitones")
        try check(tilt, VoiceParameter.tilt.definition.range, "tilt")
        try check(breath, VoiceParameter.breath.definition.range, "breath")
        if vibratoRate != 0 { try check(vibratoRate, VoiceParameter.vibratoRate.definition.range, "vibrato_rate") }
        try check(vibratoDepth, VoiceParameter.vibratoDepth.definition.range, "vibrato_depth")
    }
}

/// One channel's chain: the shifter (pitch, formants, vibrato, breath), then the tilt shelf.
final class ChannelChain {
    private let shifter: Shifter
    private let tilt: Biquad?
    /// Output samples still to drop: the shifter's latency.
    private var skip: Int
    let latency: Int

    init(sampleRate: Int, settings: ConversionSettings, channel: Int) throws {
        guard let s = try Shifter(sampleRate: Float(sampleRate)) else {
            throw ConversionError(field: "sample_rate", message: "must be within 8000...192000 Hz, got \(sampleRate)")
        }
        shifter = s
        let ok = s.set(semitones: Float(settings.semitones), formantSemitones: Float(settings.formantSemitones),
                       vibratoRate: Float(settings.vibratoRate), vibratoDepth: Float(settings.vibratoDepth),
                       breath: Float(settings.breath), seed: settings.seed &+ UInt64(channel))
        tilt = settings.tilt != 0
            ? try Biquad(sampleRate: Float(sampleRate), kind: CDSP_EQ_HIGHSHELF, frequency: 2000, q: 0.7,
                         gainDB: Float(settings.tilt * 2))
            : nil
        latency = s.latency
        skip = latency
        if !ok { throw ConversionError(field: "settings", message: "the shifter refused \(settings)") }
    }

    /// Converts the first `count` samples of `buffer` in place and returns where the aligned output lies in it:
    /// from `start`, `count` samples (the first calls drop the shifter's latency; `flush` brings out the end).
    func process(_ buffer: UnsafeMutableBufferPointer<Float>, count: Int) -> (start: Int, count: Int) {
        guard count > 0, let base = buffer.baseAddress else { return (0, 0) }
        shifter.process(base, count: count)
        return aligned(base, count: count)
    }

    /// After the last input: writes the next `count` samples of what the shifter still holds into `buffer`, and
    /// returns where the aligned output lies in it, as `process` does.
    func flush(_ buffer: UnsafeMutableBufferPointer<Float>, count: Int) -> (start: Int, count: Int) {
        guard count > 0, let base = buffer.baseAddress else { return (0, 0) }
        shifter.flush(base, count: count)
        return aligned(base, count: count)
    }

    /// Drops what is left of the latency and tilts the rest.
    private func aligned(_ base: UnsafeMutablePointer<Float>, count: Int) -> (start: Int, count: Int) {
        let dropped = min(skip, count)
        skip -= dropped
        let kept = count - dropped
        if let tilt, kept > 0 { tilt.process(base + dropped, count: kept) }
        return (dropped, kept)
    }
}

public enum VoiceConverter {
    /// Shifts are limited to two octaves either way.
    public static let shiftRange = -24.0...24.0
    /// Frames per block when streaming files.
    public static let blockFrames = 8192

    /// Shifts every channel by `semitones`, moving the spectral envelope by `formantSemitones` relative to the input
    /// (0 keeps the formants: the same voice, higher or lower). Output is aligned with the input and as long.
    /// Deterministic; safe to call from several threads at once.
    public static func shift(_ channels: [[Float]], sampleRate: Int, semitones: Double,
                             formantSemitones: Double) throws -> [[Float]] {
        try convert(channels, sampleRate: sampleRate,
                    settings: ConversionSettings(semitones: semitones, formantSemitones: formantSemitones))
    }

    /// Converts to a catalog voice: its pitch and formant shifts (plus `extraSemitones` of transposition), vibrato,
    /// breath (seeded by `seed`) and spectral tilt.
    public static func convert(_ channels: [[Float]], sampleRate: Int, voice: Voice,
                               extraSemitones: Double = 0, seed: UInt64 = 0) throws -> [[Float]] {
        try convert(channels, sampleRate: sampleRate,
                    settings: ConversionSettings(voice: voice, extraSemitones: extraSemitones, seed: seed))
    }

    /// Applies `settings` to every channel; the output is aligned with the input and as long.
    public static func convert(_ channels: [[Float]], sampleRate: Int, settings: ConversionSettings) throws -> [[Float]] {
        try settings.validate()
        return try channels.enumerated().map { c, channel in
            var out = channel
            if channel.isEmpty { return out }
            let chain = try ChannelChain(sampleRate: sampleRate, settings: settings, channel: c)
            var written = 0
            var scratch = [Float](repeating: 0, count: blockFrames)
            out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { work in
                    var read = 0
                    // the input, then the shifter's flush brings out the last samples
                    while written < o.count {
                        let n = read < o.count ? min(blockFrames, o.count - read) : min(blockFrames, chain.latency)
                        let start: Int, kept: Int
                        if read < o.count {
                            work.baseAddress!.update(from: o.baseAddress! + read, count: n)
                            (start, kept) = chain.process(work, count: n)
                        } else {
                            (start, kept) = chain.flush(work, count: n)
                        }
                        read += n
                        let take = min(kept, o.count - written)
                        (o.baseAddress! + written).update(from: work.baseAddress! + start, count: take)
                        written += take
                    }
                }
            }
            return out
        }
    }

    /// Converts the audio file `input` (anything libsndfile reads; mono or stereo, more channels give their first
    /// two) into a 24-bit WAV at `output` with the same rate, channel count and length, block by block: memory stays
    /// the same for a file of any length. `output` appears only when the conversion succeeded (written under a
    /// hidden name beside it, then moved). Returns the frames written.
    @discardableResult
    public static func convertFile(input: String, output: String, settings: ConversionSettings) throws -> Int {
        try settings.validate()
        var status = CDSP_OK
        var sampleRate: Int32 = 0, channelCount: Int32 = 0
        guard let reader = cdsp_audio_reader_open(input, &sampleRate, &channelCount, &status) else {
            throw ConversionError(field: "input", message: status == CDSP_ERR_FORMAT || status == CDSP_ERR_CORRUPT
                ? "\(input) cannot be read as audio" : "\(input) cannot be opened")
        }
        defer { cdsp_audio_reader_close(reader) }
        let channels = Int(channelCount)
        let chains = try (0..<channels).map {
            try ChannelChain(sampleRate: Int(sampleRate), settings: settings, channel: $0)
        }
        let target = URL(fileURLWithPath: output)
        let partial = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial")
        guard let writer = cdsp_audio_writer_open(partial.path, CDSP_AUDIO_WAV24, channelCount, sampleRate, &status) else {
            throw ConversionError(field: "output", message: "cannot write \(output)")
        }
        var closed = false
        defer {
            if !closed { _ = cdsp_audio_writer_close(writer) }
            try? FileManager.default.removeItem(at: partial)
        }
        // one block per channel, allocated once
        let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2 * blockFrames)
        storage.initialize(repeating: 0)
        defer { storage.deallocate() }
        let blocks = [0, 1].map { UnsafeMutableBufferPointer(rebasing: storage[($0 * blockFrames)..<(($0 + 1) * blockFrames)]) }
        var inputFrames = 0, written = 0, flushing = false
        let latency = chains[0].latency
        while !flushing || written < inputFrames {
            var n = 0
            if !flushing {
                var readStatus = CDSP_OK
                n = cdsp_audio_reader_read(reader, blocks[0].baseAddress, blocks[1].baseAddress, blockFrames, &readStatus)
                guard readStatus == CDSP_OK else {
                    throw ConversionError(field: "input", message: "\(input) broke off after \(inputFrames) frames")
                }
                inputFrames += n
                flushing = n == 0
            }
            var segment = (start: 0, count: 0)
            if n == 0 {  // end of input: the shifters' flush brings out the last `latency` samples
                if inputFrames == 0 { break }
                n = min(blockFrames, latency)
                for c in 0..<channels { segment = chains[c].flush(blocks[c], count: n) }
            } else {
                for c in 0..<channels { segment = chains[c].process(blocks[c], count: n) }
            }
            let take = min(segment.count, inputFrames - written)
            let st = cdsp_audio_writer_write(writer, blocks[0].baseAddress! + segment.start,
                                             blocks[channels - 1].baseAddress! + segment.start, take)
            guard st == CDSP_OK else { throw ConversionError(field: "output", message: "cannot write \(output)") }
            written += take
        }
        closed = true
        guard cdsp_audio_writer_close(writer) == CDSP_OK else {
            throw ConversionError(field: "output", message: "cannot finish \(output)")
        }
        if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
        try FileManager.default.moveItem(at: partial, to: target)
        return written
    }
}
