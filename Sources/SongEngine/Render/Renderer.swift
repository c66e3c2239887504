import Foundation
internal import CDSP

/// A rendered song before mastering.
public struct RenderedSong: Sendable {
    /// The instrumental mix, before mastering: exactly the sum of `stems`.
    public var mix: StereoBuffer
    /// One stereo buffer per role that plays, at the gain it has in the mix, including its share of the reverb and
    /// delay returns. A role without a track (e.g. no drums) has no entry.
    public var stems: [Role: StereoBuffer]
}

public enum RenderError: Error, CustomStringConvertible, Sendable {
    case unknownInstrument(track: String, instrument: String)
    case invalidScore(String)

    public var description: String {
        switch self {
        case .unknownInstrument(let track, let instrument):
            return "track \"\(track)\" names instrument \"\(instrument)\", which the instrument library does not hold"
        case .invalidScore(let why): return "invalid score: \(why)"
        }
    }
}

/// Turns a Score into audio: every note through the C synth core, parts panned and levelled from the style's mix
/// settings, shared reverb and tempo-synced delay buses, a drum bus with saturation. The `vocals` track is not
/// rendered here (the sung line has its own renderer); the result is the instrumental.
public enum Renderer {
    /// Longest tail (note releases, reverb, delay) rendered after the score's last beat.
    static let maximumTail = 4.0
    /// Level of the delay return relative to its send.
    static let delayReturnGain: Float = 0.5

    public static func render(score: Score, style: StylePreset, instruments: InstrumentLibrary,
                              sampleRate: Int = 44100) throws -> RenderedSong {
        try render(score: score, style: style, instruments: instruments, sampleRate: sampleRate, parallel: true)
    }

    /// A part ready to render: resolved instrument and the frames of every note.
    struct PartPlan: Sendable {
        var track: Track
        var instrument: InstrumentLibrary.Instrument
        var mix: MixSettings
        /// Sorted notes with start frame, held frames and tail frames.
        var events: [(note: Note, start: Int, on: Int, tail: Int)]
        var seedBase: UInt64
        var isDrums: Bool { if case .kit = instrument { return true } else { return false } }
    }

    static func render(score: Score, style: StylePreset, instruments: InstrumentLibrary, sampleRate: Int,
                       parallel: Bool) throws -> RenderedSong {
        guard score.bpm > 0, score.bpm.isFinite else { throw RenderError.invalidScore("bpm \(score.bpm) must be > 0") }
        guard sampleRate >= 8000 && sampleRate <= 192_000 else {
            throw RenderError.invalidScore("sample rate \(sampleRate) outside 8000...192000")
        }
        guard score.lengthBeats.isFinite, score.lengthBeats >= 0, score.durationSeconds <= 3600 else {
            throw RenderError.invalidScore("length \(score.lengthBeats) beats must be finite and at most an hour")
        }
        for track in score.tracks {
            for note in track.notes where !(note.start.isFinite && note.duration.isFinite && abs(note.start) < 1e6
                                             && abs(note.duration) < 1e6) {
                throw RenderError.invalidScore("track \"\(track.name)\" has a note at \(note.start) lasting \(note.duration)")
            }
        }
        let sr = Double(sampleRate)
        let framesPerBeat = score.secondsPerBeat * sr
        let scoreFrames = max(0, Int((score.lengthBeats * framesPerBeat).rounded(.up)))

        // Resolve instruments and note frames.
        var plans: [PartPlan] = []
        for (trackIndex, track) in score.tracks.enumerated() where track.role != .vocals {
            guard let instrument = instruments.instrument(track.instrument) else {
                throw RenderError.unknownInstrument(track: track.name, instrument: track.instrument)
            }
            let sorted = track.notes.enumerated().sorted {
                ($0.element.start, $0.element.pitch, $0.offset) < ($1.element.start, $1.element.pitch, $1.offset)
            }.map(\.element)
            var events: [(note: Note, start: Int, on: Int, tail: Int)] = []
            events.reserveCapacity(sorted.count)
            switch instrument {
            case .voice(let voice):
                var params = voice.cParams
                let tail = cdsp_voice_tail_frames(&params, Float(sr))
                for note in sorted where note.velocity > 0 && note.duration > 0 && (0...127).contains(note.pitch) {
                    let start = Int((max(0, note.start) * framesPerBeat).rounded())
                    let on = max(1, Int((note.duration * framesPerBeat).rounded()))
                    events.append((note, start, on, tail))
                }
            case .kit(let kit):
                for note in sorted where note.velocity > 0 {
                    guard let (kind, canonical) = DrumMap.kind(note.pitch) else { continue }
                    var params = (kit[note.pitch] ?? kit[canonical] ?? InstrumentLibrary.Drum(values: [:])).cParams
                    let length = cdsp_drum_length(kind, &params, Float(sr))
                    let start = Int((max(0, note.start) * framesPerBeat).rounded())
                    events.append((note, start, 0, length))
                }
            }
            let mix = style.mix[track.role.rawValue] ?? MixSettings()
            let seedBase = stableHash(Array("\(trackIndex):\(track.role.rawValue):\(track.instrument)".utf8))
            plans.append(PartPlan(track: track, instrument: instrument, mix: mix, events: events, seedBase: seedBase))
        }

        // Length: the score plus the longest tail (notes ringing on, then the effect tails), capped.
        let reverbSize = style.parameter("reverbSize")
        let reverbReturnDB = style.parameter("reverbReturn")
        let delayTime = style.parameter("delayBeats") * score.secondsPerBeat
        let delayFeedback = min(0.9, style.parameter("delayFeedback"))
        let usesReverb = plans.contains { $0.mix.reverb > 0 && !$0.events.isEmpty } && reverbReturnDB > -40
        let usesDelay = plans.contains { $0.mix.delay > 0 && !$0.events.isEmpty }
        var fxTail = 0.0
        if usesReverb { fxTail = max(fxTail, 0.6 + 3.0 * reverbSize) }
        if usesDelay {
            let repeats = delayFeedback > 0.01 ? log(0.001) / log(delayFeedback) : 1
            fxTail = max(fxTail, delayTime * (repeats + 1))
        }
        let lastSound = plans.flatMap { $0.events.map { $0.start + $0.on + $0.tail } }.max() ?? 0
        let hasSound = lastSound > 0
        let wanted = hasSound ? lastSound + Int(fxTail * sr) : scoreFrames
        let totalFrames = min(scoreFrames + Int(maximumTail * sr), max(scoreFrames, wanted))

        // Render every part (dry, panned, levelled) independently: parallel and serial give the same bits.
        let parts = PartBuffers(count: plans.count)
        let drumDrive = Float(style.parameter("drumDrive"))
        let drumGain = cdsp_db_to_gain(Float(style.parameter("drumGain")))
        let frozenPlans = plans
        let work: @Sendable (Int) -> Void = { i in
            parts.set(i, renderPart(frozenPlans[i], frames: totalFrames, sampleRate: sr, drumDrive: drumDrive,
                                    drumGain: drumGain))
        }
        if parallel && plans.count > 1 {
            DispatchQueue.concurrentPerform(iterations: plans.count, execute: work)
        } else {
            for i in plans.indices { work(i) }
        }
        var dry = parts.take()

        // Shared effect buses. Each part's stem receives a share of each return proportional to the (smoothed)
        // energy it sends, so the stems still sum exactly to the mix without running one reverb per part.
        // Sends and shares are taken from the dry parts before any return is added to them.
        let shareBlock = 1024
        let energies = blockEnergies(dry, block: shareBlock)
        var returns: [(left: [Float], right: [Float], gain: Float, share: [[Float]])] = []
        if usesReverb {
            let sends = plans.map { Float($0.mix.reverb) }
            let (sendL, sendR) = sendBus(dry, amounts: sends, frames: totalFrames)
            var wetL = [Float](repeating: 0, count: totalFrames)
            var wetR = [Float](repeating: 0, count: totalFrames)
            let reverb = Reverb(sampleRate: Float(sr), size: Float(reverbSize),
                                damping: Float(style.parameter("reverbDamping")), width: 1, predelay: 0.02)
            reverb.process(inLeft: sendL, inRight: sendR, outLeft: &wetL, outRight: &wetR)
            let share = shares(energies, amounts: sends, block: shareBlock, memory: 0.6 + 3.0 * reverbSize,
                               sampleRate: sr)
            returns.append((wetL, wetR, cdsp_db_to_gain(Float(reverbReturnDB)), share))
        }
        if usesDelay {
            let sends = plans.map { Float($0.mix.delay) }
            let (sendL, sendR) = sendBus(dry, amounts: sends, frames: totalFrames)
            var wetL = [Float](repeating: 0, count: totalFrames)
            var wetR = [Float](repeating: 0, count: totalFrames)
            let delay = Delay(sampleRate: Float(sr), time: Float(max(0.01, delayTime)), feedback: Float(delayFeedback),
                              damping: 0.35, pingPong: true)
            delay.process(inLeft: sendL, inRight: sendR, outLeft: &wetL, outRight: &wetR)
            let share = shares(energies, amounts: sends, block: shareBlock, memory: fxTail, sampleRate: sr)
            returns.append((wetL, wetR, delayReturnGain, share))
        }
        for r in returns {
            for i in plans.indices {
                addShared(r.left, r.right, gain: r.gain, share: r.share[i], block: shareBlock, into: &dry[i])
            }
        }
        returns = []

        // Stems by role (several tracks of one role are summed), faded into silence at the very end.
        var stems: [Role: StereoBuffer] = [:]
        for (i, plan) in plans.enumerated() {
            if stems[plan.track.role] != nil {
                add(dry[i], into: &stems[plan.track.role]!)
            } else {
                stems[plan.track.role] = dry[i]
            }
        }
        dry = []
        let fadeFrames = min(totalFrames, totalFrames > scoreFrames ? Int(0.5 * sr) : Int(0.01 * sr))
        var mix = StereoBuffer(frames: totalFrames, sampleRate: sampleRate)
        for role in stems.keys.sorted() {
            fadeOut(&stems[role]!, frames: fadeFrames)
            addStereo(stems[role]!.left, stems[role]!.right, gain: 1, into: &mix.left, &mix.right)
        }
        return RenderedSong(mix: mix, stems: stems)
    }

    // MARK: Parts

    /// Renders one part: notes into a mono buffer (the left channel), then equal-power pan and gain into stereo,
    /// the instrument's chorus, and for drum kits the drum bus (saturation, gain).
    static func renderPart(_ plan: PartPlan, frames: Int, sampleRate sr: Double, drumDrive: Float,
                           drumGain: Float) -> StereoBuffer {
        var left = [Float](repeating: 0, count: frames)
        var right = [Float](repeating: 0, count: frames)
        let gain = cdsp_db_to_gain(Float(plan.mix.gain))
        let pan = Float(max(-1, min(1, plan.mix.pan)))
        switch plan.instrument {
        case .voice(let voice):
            var params = voice.cParams
            left.withUnsafeMutableBufferPointer { out in
                guard let base = out.baseAddress else { return }
                var previous: Float = 0
                for (index, event) in plan.events.enumerated() where event.start < frames {
                    let frequency = Float(440 * pow(2, Double(event.note.pitch - 69) / 12))
                    let velocity = Float(max(0, min(127, event.note.velocity))) / 127
                    let total = min(event.on + event.tail, frames - event.start)
                    let seed = noteSeed(plan.seedBase, index)
                    _ = cdsp_voice_render(&params, Float(sr), frequency, previous > 0 ? previous : frequency, velocity,
                                          event.on, seed, base + event.start, total)
                    previous = frequency
                }
            }
            right = left
            let (gl, gr) = panGains(pan)
            scale(&left, gain * gl)
            scale(&right, gain * gr)
            if voice.value("chorusMix") > 0 {
                let chorus = Chorus(sampleRate: Float(sr), rate: Float(voice.value("chorusRate")),
                                    depth: Float(voice.value("chorusDepth")), mix: Float(voice.value("chorusMix")))
                chorus.process(left: &left, right: &right)
            }
        case .kit(let kit):
            // One pass per drum sound, so every drum keeps its own place in the stereo image.
            var scratch = [Float](repeating: 0, count: frames)
            let numbers = Set(plan.events.map(\.note.pitch)).sorted()
            for number in numbers {
                guard let (kind, canonical) = DrumMap.kind(number) else { continue }
                let drum = kit[number] ?? kit[canonical] ?? InstrumentLibrary.Drum(values: [:])
                var params = drum.cParams
                let drumPan = max(-1, min(1, pan + Float(drum.value("pan"))))
                var low = Int.max, high = 0
                scratch.withUnsafeMutableBufferPointer { out in
                    let base = out.baseAddress!
                    for (index, event) in plan.events.enumerated()
                    where event.note.pitch == number && event.start < frames {
                        let velocity = Float(max(0, min(127, event.note.velocity))) / 127
                        let total = min(event.tail, frames - event.start)
                        _ = cdsp_drum_render(kind, &params, Float(sr), velocity, noteSeed(plan.seedBase, index),
                                             base + event.start, total)
                        low = min(low, event.start)
                        high = max(high, event.start + total)
                    }
                    guard low < high else { return }
                    left.withUnsafeMutableBufferPointer { l in
                        right.withUnsafeMutableBufferPointer { r in
                            cdsp_mix_add_panned(base + low, high - low, gain, drumPan, l.baseAddress! + low,
                                                r.baseAddress! + low)
                        }
                    }
                    (base + low).update(repeating: 0, count: high - low)
                }
            }
            if drumDrive > 1 {
                left.withUnsafeMutableBufferPointer { cdsp_saturate($0.baseAddress!, $0.count, drumDrive) }
                right.withUnsafeMutableBufferPointer { cdsp_saturate($0.baseAddress!, $0.count, drumDrive) }
            }
            scale(&left, drumGain)
            scale(&right, drumGain)
        }
        return StereoBuffer(left: left, right: right, sampleRate: Int(sr))
    }

    // MARK: Helpers

    static func noteSeed(_ base: UInt64, _ index: Int) -> UInt64 {
        var z = base &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Equal-power pan law: -1 all left, 0 both at -3 dB, +1 all right.
    static func panGains(_ pan: Float) -> (Float, Float) {
        let angle = (pan + 1) * Float.pi / 4
        return (cos(angle), sin(angle))
    }

    static func scale(_ x: inout [Float], _ gain: Float) {
        guard gain != 1 else { return }
        x.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { cdsp_gain(b, $0.count, gain) } }
    }

    static func addStereo(_ inLeft: [Float], _ inRight: [Float], gain: Float, into left: inout [Float],
                          _ right: inout [Float]) {
        let n = min(inLeft.count, left.count)
        guard n > 0 else { return }
        inLeft.withUnsafeBufferPointer { il in
            inRight.withUnsafeBufferPointer { ir in
                left.withUnsafeMutableBufferPointer { l in
                    right.withUnsafeMutableBufferPointer { r in
                        cdsp_mix_add_stereo(il.baseAddress!, ir.baseAddress!, n, gain, l.baseAddress!, r.baseAddress!)
                    }
                }
            }
        }
    }

    /// The send bus: the sum of every part times its send amount.
    static func sendBus(_ parts: [StereoBuffer], amounts: [Float], frames: Int) -> ([Float], [Float]) {
        var left = [Float](repeating: 0, count: frames)
        var right = [Float](repeating: 0, count: frames)
        for (part, amount) in zip(parts, amounts) where amount > 0 {
            addStereo(part.left, part.right, gain: amount, into: &left, &right)
        }
        return (left, right)
    }

    /// Energy (both channels) of every part in blocks of `block` frames.
    static func blockEnergies(_ parts: [StereoBuffer], block: Int) -> [[Double]] {
        parts.map { part in
            let frames = part.frames
            let blocks = (frames + block - 1) / block
            return part.left.withUnsafeBufferPointer { l in
                part.right.withUnsafeBufferPointer { r in
                    (0..<blocks).map { b in
                        let start = b * block
                        let count = min(block, frames - start)
                        let lr = cdsp_rms(l.baseAddress! + start, count)
                        let rr = cdsp_rms(r.baseAddress! + start, count)
                        return Double(lr * lr + rr * rr)
                    }
                }
            }
        }
    }

    /// Per part and block, the fraction of an effect return that belongs to the part: its send energy, smoothed
    /// by a one-pole memory of about the effect's decay time, over all parts' smoothed send energy. The fractions
    /// of one block sum to 1, so the stems sum to the mix.
    static func shares(_ energies: [[Double]], amounts: [Float], block: Int, memory: Double,
                       sampleRate: Double) -> [[Float]] {
        guard let blocks = energies.first?.count else { return [] }
        let decay = exp(-Double(block) / (sampleRate * max(0.05, memory)))
        var smoothed = [Double](repeating: 0, count: energies.count)
        var result = [[Float]](repeating: [Float](repeating: 0, count: blocks), count: energies.count)
        let firstSender = amounts.firstIndex { $0 > 0 } ?? 0
        for b in 0..<blocks {
            var total = 0.0
            for i in energies.indices {
                smoothed[i] = smoothed[i] * decay + Double(amounts[i] * amounts[i]) * energies[i][b]
                total += smoothed[i]
            }
            for i in energies.indices {
                result[i][b] = total > 0 ? Float(smoothed[i] / total) : (i == firstSender ? 1 : 0)
            }
        }
        return result
    }

    /// Adds wet * gain * share[block] into the stem, block by block.
    static func addShared(_ wetLeft: [Float], _ wetRight: [Float], gain: Float, share: [Float], block: Int,
                          into stem: inout StereoBuffer) {
        let frames = stem.frames
        wetLeft.withUnsafeBufferPointer { wl in
            wetRight.withUnsafeBufferPointer { wr in
                stem.left.withUnsafeMutableBufferPointer { l in
                    stem.right.withUnsafeMutableBufferPointer { r in
                        for (b, fraction) in share.enumerated() where fraction > 0 {
                            let start = b * block
                            let count = min(block, frames - start)
                            cdsp_mix_add_stereo(wl.baseAddress! + start, wr.baseAddress! + start, count,
                                                gain * fraction, l.baseAddress! + start, r.baseAddress! + start)
                        }
                    }
                }
            }
        }
    }

    static func add(_ source: StereoBuffer, into target: inout StereoBuffer) {
        addStereo(source.left, source.right, gain: 1, into: &target.left, &target.right)
    }

    static func fadeOut(_ buffer: inout StereoBuffer, frames: Int) {
        fadeOut(&buffer.left, frames: frames)
        fadeOut(&buffer.right, frames: frames)
    }

    /// Raised-cosine fade over the last `frames` samples, ending at exactly zero.
    static func fadeOut(_ x: inout [Float], frames: Int) {
        let n = x.count
        guard frames > 0, n > 0 else { return }
        let start = n - frames
        x.withUnsafeMutableBufferPointer { p in
            for i in 0..<frames {
                let t = Double(i + 1) / Double(frames)
                p[start + i] *= Float(0.5 + 0.5 * cos(Double.pi * t))
            }
        }
    }
}

/// Results of the parallel part renders: each slot written by exactly one iteration, read after all finished.
final class PartBuffers: @unchecked Sendable {
    private var slots: [StereoBuffer?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ buffer: StereoBuffer) {
        lock.lock()
        slots[index] = buffer
        lock.unlock()
    }

    func take() -> [StereoBuffer] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
