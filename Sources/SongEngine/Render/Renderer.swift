import Foundation
internal import CDSP

/// A rendered song before mastering.
public struct RenderedSong: Sendable {
    /// The instrumental mix, before mastering: the sum of every part and of the reverb and delay returns.
    public var mix: StereoBuffer
    /// One stereo buffer per requested role that plays, at the gain it has in the mix, including its share of the
    /// reverb and delay returns. Only roles asked for in `render(...stems:)` are present; a role without a track
    /// (e.g. no drums) has no entry. With every playing role requested, the stems sum to the mix (to float
    /// rounding, ~1e-6).
    public var stems: [Role: StereoBuffer]
    /// Wall seconds spent rendering the parts (notes, drum hits, per-part chorus), for engine-bench.
    public var synthesisSeconds: Double = 0
    /// Wall seconds spent on the effect buses and summing the mix and stems, for engine-bench.
    public var effectsSeconds: Double = 0
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

/// Counters of one render, for tests and benchmarks.
final class RenderStatistics: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var drumHitsPlayed = 0
    private(set) var drumHitsSynthesised = 0
    /// Melodic notes played, and rendered by the synth (the others came from the note cache).
    private(set) var notesPlayed = 0
    private(set) var notesSynthesised = 0
    /// Largest number of bytes the note cache held at once, summed over parts.
    private(set) var noteCacheBytes = 0
    /// Bytes of every buffer the render holds besides the mix and the stems: rings, windows, buses, hit cache.
    private(set) var workingBytes = 0

    func add(played: Int, synthesised: Int) {
        lock.withLock {
            drumHitsPlayed += played
            drumHitsSynthesised += synthesised
        }
    }

    func setWorkingBytes(_ bytes: Int) { lock.withLock { workingBytes = bytes } }

    func addNotes(played: Int, synthesised: Int, cacheBytes: Int) {
        lock.withLock {
            notesPlayed += played
            notesSynthesised += synthesised
            noteCacheBytes += cacheBytes
        }
    }
}

/// Turns a Score into audio: every note through the C synth core, parts panned and levelled from the style's mix
/// settings, shared reverb and tempo-synced delay buses, a drum bus with saturation. The `vocals` track is not
/// rendered here (the sung line has its own renderer); the result is the instrumental.
///
/// The render streams in windows of `windowFrames`: each part keeps a ring of one window plus its longest note,
/// every note that starts in the window is rendered into the ring, the window is panned and levelled, sent to
/// the effect buses (whose objects keep their state from window to window) and added to the mix. Memory beyond
/// the one full-length mix (and any requested stems) does not grow with the song's length.
public enum Renderer {
    /// Longest tail (note releases, reverb, delay) rendered after the score's last beat.
    static let maximumTail = 4.0
    /// Level of the delay return relative to its send.
    static let delayReturnGain: Float = 0.5
    /// Frames per streaming window (~2 s at 44.1 kHz): a multiple of the effect block and of `shareBlock`. The
    /// per-window cost (a parallel fork/join, a ring shift) is negligible at this size; working memory is about
    /// five stereo windows per part.
    static let windowFrames = 22 * renderBlock
    /// Frames over which a part's share of an effect return is measured.
    static let shareBlock = 1024
    /// Longest a single note (hold plus release) may ring, in seconds: longer holds are released earlier so
    /// that the ring stays bounded. No composed note comes near it.
    static let maximumNoteDuration = 30.0
    /// Drum hits: round-robin variants per drum sound and velocity bucket, and the number of velocity buckets
    /// (the drum's tone moves with velocity by 0.25 * velocity, so a bucket of 0.1 moves it by at most 0.0125).
    static let drumVariants = 3
    static let drumVelocityBuckets = 10
    /// Melodic notes: velocity buckets of the note cache. A note is rendered at its bucket's centre and its own
    /// velocity applied as a gain with the voice's level law (velocity^1.5); velocity also opens the filter (at
    /// most 4 octaves at full velocity), so half a bucket moves the cutoff by at most 4 / 32 octave.
    static let noteVelocityBuckets = 16
    /// Bytes the note cache of one render may hold (split between the melodic parts that repeat notes).
    static let noteCacheBudget = 16 << 20

    /// Renders the instrumental. `stems`: the roles whose stems to return (each costs one full-length stereo
    /// buffer); the default returns none.
    public static func render(score: Score, style: StylePreset, instruments: InstrumentLibrary,
                              sampleRate: Int = 44100, stems: Set<Role> = []) throws -> RenderedSong {
        try render(score: score, style: style, instruments: instruments, sampleRate: sampleRate, stems: stems,
                   parallel: true)
    }

    /// A part ready to render: resolved instrument and the frames of every note.
    struct PartPlan: Sendable {
        var track: Track
        var instrument: InstrumentLibrary.Instrument
        var mix: MixSettings
        /// Sorted notes with start frame, held frames and tail frames.
        var events: [(note: Note, start: Int, on: Int, tail: Int)]
        var seedBase: UInt64
        /// Melodic parts: per event its note-cache key and the index of the next event with the same key.
        var keys: [NoteKey] = []
        var nextUse: [Int?] = []
        var isDrums: Bool { if case .kit = instrument { return true } else { return false } }

        /// Fills `keys` and `nextUse` for a melodic part.
        mutating func assignNoteKeys(glides: Bool) {
            keys = []
            keys.reserveCapacity(events.count)
            var previous = -1
            for event in events {
                let velocity = Float(max(0, min(127, event.note.velocity))) / 127
                let from = glides && previous >= 0 && previous != event.note.pitch ? previous : -1
                keys.append(NoteKey(pitch: event.note.pitch, on: event.on,
                                    bucket: Renderer.velocityBucket(velocity).bucket, glideFrom: from))
                previous = event.note.pitch
            }
            nextUse = [Int?](repeating: nil, count: events.count)
            var last: [NoteKey: Int] = [:]
            for i in keys.indices.reversed() {
                nextUse[i] = last[keys[i]]
                last[keys[i]] = i
            }
        }
    }

    static func render(score: Score, style: StylePreset, instruments: InstrumentLibrary, sampleRate: Int,
                       stems requested: Set<Role> = [], parallel: Bool,
                       statistics: RenderStatistics? = nil) throws -> RenderedSong {
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
        let noteCap = Int(maximumNoteDuration * sr)

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
                let tail = min(cdsp_voice_tail_frames(&params, Float(sr)), noteCap / 2)
                for note in sorted where note.velocity > 0 && note.duration > 0 && (0...127).contains(note.pitch) {
                    let start = Int((max(0, note.start) * framesPerBeat).rounded())
                    let on = max(1, min(noteCap - tail, Int((note.duration * framesPerBeat).rounded())))
                    events.append((note, start, on, tail))
                }
            case .kit(let kit):
                for note in sorted where note.velocity > 0 {
                    guard let (kind, canonical) = DrumMap.kind(note.pitch) else { continue }
                    var params = (kit[note.pitch] ?? kit[canonical] ?? InstrumentLibrary.Drum.standard).cParams
                    let length = min(noteCap, cdsp_drum_length(kind, &params, Float(sr)))
                    let start = Int((max(0, note.start) * framesPerBeat).rounded())
                    events.append((note, start, 0, length))
                }
            }
            let mix = style.mix[track.role.rawValue] ?? MixSettings()
            let seedBase = stableHash(Array("\(trackIndex):\(track.role.rawValue):\(track.instrument)".utf8))
            var plan = PartPlan(track: track, instrument: instrument, mix: mix, events: events, seedBase: seedBase)
            if case .voice(let voice) = instrument { plan.assignNoteKeys(glides: voice[.glideDuration] > 0) }
            plans.append(plan)
        }
        let cacheBudgets = noteCacheBudgets(plans)

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

        // Streaming state: one ring per part, the effect buses, the full-length mix and requested stems.
        let window = windowFrames
        let drumDrive = Float(style.parameter("drumDrive"))
        let drumGain = cdsp_db_to_gain(Float(style.parameter("drumGain")))
        let parts = plans.indices.map {
            PartStream(plan: plans[$0], window: window, totalFrames: totalFrames, sampleRate: sr, drumDrive: drumDrive,
                       drumGain: drumGain, noteCacheBudget: cacheBudgets[$0])
        }
        var buses: [EffectBus] = []
        if usesReverb {
            let reverb = Reverb(sampleRate: Float(sr), size: Float(reverbSize),
                                damping: Float(style.parameter("reverbDamping")), width: 1, predelay: 0.02)
            buses.append(EffectBus(sends: plans.map { Float($0.mix.reverb) }, gain: cdsp_db_to_gain(Float(reverbReturnDB)),
                                   memory: 0.6 + 3.0 * reverbSize, sampleRate: sr, window: window,
                                   process: { reverb.process(inLeft: $0, inRight: $1, outLeft: $2, outRight: $3, frames: $4) }))
        }
        if usesDelay {
            let delay = Delay(sampleRate: Float(sr), time: Float(max(0.01, delayTime)), feedback: Float(delayFeedback),
                              damping: 0.35, pingPong: true)
            buses.append(EffectBus(sends: plans.map { Float($0.mix.delay) }, gain: delayReturnGain, memory: fxTail,
                                   sampleRate: sr, window: window,
                                   process: { delay.process(inLeft: $0, inRight: $1, outLeft: $2, outRight: $3, frames: $4) }))
        }
        let stemRoles = Set(plans.map(\.track.role)).intersection(requested)
        var stems: [Role: StereoBuffer] = [:]
        for role in stemRoles { stems[role] = StereoBuffer(frames: totalFrames, sampleRate: sampleRate) }
        var mix = StereoBuffer(frames: totalFrames, sampleRate: sampleRate)
        statistics?.setWorkingBytes(parts.reduce(0) { $0 + $1.workingBytes } + buses.reduce(0) { $0 + $1.workingBytes })

        var synthesisNanoseconds: UInt64 = 0
        var effectsNanoseconds: UInt64 = 0
        var start = 0
        while start < totalFrames {
            let count = min(window, totalFrames - start)
            let windowStart = start
            // Parts render independently into their own rings and windows: parallel and serial give the same bits.
            let work: @Sendable (Int) -> Void = { i in parts[i].renderWindow(start: windowStart, count: count) }
            let synthesisStart = DispatchTime.now().uptimeNanoseconds
            if parallel && parts.count > 1 {
                DispatchQueue.concurrentPerform(iterations: parts.count, execute: work)
            } else {
                for i in parts.indices { work(i) }
            }
            let effectsStart = DispatchTime.now().uptimeNanoseconds
            synthesisNanoseconds += effectsStart - synthesisStart
            defer { effectsNanoseconds += DispatchTime.now().uptimeNanoseconds - effectsStart }
            // Sum in fixed order: dry parts, then each effect's return.
            for part in parts { part.addWindow(into: &mix, at: start, count: count, gain: 1) }
            for bus in buses {
                bus.run(parts, count: count)
                bus.addReturn(into: &mix, at: start, count: count, share: nil)
            }
            if !stemRoles.isEmpty {
                for bus in buses { bus.updateShares(parts, count: count) }
                for (i, part) in parts.enumerated() where stemRoles.contains(part.plan.track.role) {
                    let role = part.plan.track.role
                    part.addWindow(into: &stems[role]!, at: start, count: count, gain: 1)
                    for bus in buses { bus.addReturn(into: &stems[role]!, at: start, count: count, share: i) }
                }
            }
            start += count
        }
        statistics?.setWorkingBytes(parts.reduce(0) { $0 + $1.workingBytes } + buses.reduce(0) { $0 + $1.workingBytes })
        for part in parts {
            statistics?.add(played: part.drumHitsPlayed, synthesised: part.drumHitsSynthesised)
            statistics?.addNotes(played: part.notesPlayed, synthesised: part.notesSynthesised,
                                 cacheBytes: part.noteCachePeakBytes)
        }

        // Faded into silence at the very end.
        let fadeFrames = min(totalFrames, totalFrames > scoreFrames ? Int(0.5 * sr) : Int(0.01 * sr))
        fadeOut(&mix, frames: fadeFrames)
        for role in stemRoles { fadeOut(&stems[role]!, frames: fadeFrames) }
        return RenderedSong(mix: mix, stems: stems, synthesisSeconds: Double(synthesisNanoseconds) / 1e9,
                            effectsSeconds: Double(effectsNanoseconds) / 1e9)
    }

    // MARK: Note cache

    /// What makes two melodic notes of a part the same sound: pitch, held frames, velocity bucket and, for a
    /// gliding instrument, the pitch it glides from (-1: none).
    struct NoteKey: Hashable, Sendable {
        var pitch: Int
        var on: Int
        var bucket: Int
        var glideFrom: Int

        /// The note's seed: from the key, so identical notes are identical sounds wherever they fall.
        func seed(_ base: UInt64) -> UInt64 {
            Renderer.noteSeed(Renderer.noteSeed(base, on), pitch | bucket << 8 | (glideFrom + 1) << 16)
        }
    }

    static func velocityBucket(_ velocity: Float) -> (bucket: Int, centre: Float) {
        let buckets = noteVelocityBuckets
        let bucket = max(0, min(buckets - 1, Int(velocity * Float(buckets))))
        return (bucket, (Float(bucket) + 0.5) / Float(buckets))
    }

    /// Splits the cache budget between melodic parts in proportion to what their repeated notes could use (the
    /// bytes of their distinct keys that occur more than once), never more than that (water-filling): long
    /// pad notes, the costliest to synthesise, get the most room.
    static func noteCacheBudgets(_ plans: [PartPlan]) -> [Int] {
        var need = plans.map { plan -> Int in
            var seen: Set<NoteKey> = []
            var bytes = 0
            for (i, key) in plan.keys.enumerated() where plan.nextUse[i] != nil && seen.insert(key).inserted {
                bytes += 4 * (plan.events[i].on + plan.events[i].tail)
            }
            return bytes
        }
        var budgets = [Int](repeating: 0, count: plans.count)
        var left = noteCacheBudget
        while left > 0 {
            let open = need.indices.filter { need[$0] > 0 }
            guard !open.isEmpty else { break }
            let openNeed = open.reduce(0) { $0 + need[$1] }
            let pool = left
            for i in open {
                let give = min(max(1, Int(Double(pool) * Double(need[i]) / Double(openNeed))), need[i], left)
                budgets[i] += give
                need[i] -= give
                left -= give
            }
        }
        return budgets
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

/// One part while streaming: its ring (mono for voices; stereo for drum kits, whose sounds are panned apart),
/// its window output, its chorus and, for kits, the cache of rendered hits. Touched by one thread at a time:
/// `renderWindow` by one iteration of the window's parallel loop, everything else between windows.
final class PartStream: @unchecked Sendable {
    let plan: Renderer.PartPlan
    let window: Int
    let totalFrames: Int
    let sampleRate: Double
    let drumDrive: Float
    let drumGain: Float
    let gain: Float
    let pan: Float
    /// Frames a note may reach past its start: the ring holds one window plus this.
    let reach: Int
    var ringLeft: [Float]
    var ringRight: [Float]
    /// The part's output for the current window, panned, levelled, with chorus / drum bus applied.
    var outLeft: [Float]
    var outRight: [Float]
    var nextEvent = 0
    var voiceParams = cdsp_voice_params()
    let chorus: Chorus?
    /// Kits: per drum number its kind, parameters, pan and hit length; rendered hits by (number, bucket, variant).
    var drums: [Int: (kind: cdsp_drum_kind, params: cdsp_drum_params, pan: Float, length: Int)] = [:]
    var hits: [HitKey: [Float]] = [:]
    var roundRobin: [Int: Int] = [:]
    private(set) var drumHitsPlayed = 0
    private(set) var drumHitsSynthesised = 0
    /// Melodic notes by key, each with the index of the event that next uses it; bytes held, its budget.
    var notes: [Renderer.NoteKey: (samples: [Float], nextUse: Int)] = [:]
    var noteBytes = 0
    let noteCacheBudget: Int
    private(set) var noteCachePeakBytes = 0
    /// A note not kept in the cache is rendered here (the longest note's frames, allocated on first use).
    var scratch: [Float] = []
    private(set) var notesPlayed = 0
    private(set) var notesSynthesised = 0

    struct HitKey: Hashable {
        var number: Int
        var bucket: Int
        var variant: Int
    }

    init(plan: Renderer.PartPlan, window: Int, totalFrames: Int, sampleRate: Double, drumDrive: Float,
         drumGain: Float, noteCacheBudget: Int) {
        self.plan = plan
        self.noteCacheBudget = noteCacheBudget
        self.window = window
        self.totalFrames = totalFrames
        self.sampleRate = sampleRate
        self.drumDrive = drumDrive
        self.drumGain = drumGain
        gain = cdsp_db_to_gain(Float(plan.mix.gain))
        pan = Float(max(-1, min(1, plan.mix.pan)))
        reach = plan.events.map { $0.on + $0.tail }.max() ?? 0
        ringLeft = [Float](repeating: 0, count: window + reach)
        outLeft = [Float](repeating: 0, count: window)
        outRight = [Float](repeating: 0, count: window)
        switch plan.instrument {
        case .voice(let voice):
            ringRight = []
            voiceParams = voice.cParams
            chorus = voice[.chorusMix] > 0
                ? Chorus(sampleRate: Float(sampleRate), rate: Float(voice[.chorusRate]),
                         depth: Float(voice[.chorusDepth]), mix: Float(voice[.chorusMix]))
                : nil
        case .kit(let kit):
            ringRight = [Float](repeating: 0, count: window + reach)
            chorus = nil
            for event in plan.events where drums[event.note.pitch] == nil {
                guard let (kind, canonical) = DrumMap.kind(event.note.pitch) else { continue }
                let drum = kit[event.note.pitch] ?? kit[canonical] ?? InstrumentLibrary.Drum.standard
                drums[event.note.pitch] = (kind, drum.cParams, max(-1, min(1, pan + Float(drum[.pan]))),
                                           event.tail)
            }
        }
    }

    var workingBytes: Int {
        let hitFrames = hits.values.reduce(0) { $0 + $1.count }
        return 4 * (ringLeft.count + ringRight.count + outLeft.count + outRight.count + hitFrames + scratch.count)
            + noteBytes
    }

    /// Renders the window [start, start + count): every note starting in it into the ring, then the ring's first
    /// `count` frames into `outLeft/outRight`; then the ring moves on by `count` frames.
    func renderWindow(start: Int, count: Int) {
        let end = start + count
        if plan.isDrums { renderDrums(start: start, end: end) } else { renderVoices(start: start, end: end) }
        outLeft.withUnsafeMutableBufferPointer { ol in
            outRight.withUnsafeMutableBufferPointer { or in
                ringLeft.withUnsafeMutableBufferPointer { rl in
                    let l = ol.baseAddress!, r = or.baseAddress!, ring = rl.baseAddress!
                    l.update(repeating: 0, count: count)
                    r.update(repeating: 0, count: count)
                    if plan.isDrums {
                        ringRight.withUnsafeMutableBufferPointer { rr in
                            l.update(from: ring, count: count)
                            r.update(from: rr.baseAddress!, count: count)
                            shift(rr.baseAddress!, count: count)
                        }
                        if drumDrive > 1 {
                            cdsp_saturate(l, count, drumDrive)
                            cdsp_saturate(r, count, drumDrive)
                        }
                        if drumGain != 1 {
                            cdsp_gain(l, count, drumGain)
                            cdsp_gain(r, count, drumGain)
                        }
                    } else {
                        cdsp_mix_add_panned(ring, count, gain, pan, l, r)
                    }
                    shift(ring, count: count)
                }
            }
        }
        if let chorus {
            outLeft.withUnsafeMutableBufferPointer { l in
                outRight.withUnsafeMutableBufferPointer { r in
                    chorus.process(left: l.baseAddress!, right: r.baseAddress!, frames: count)
                }
            }
        }
    }

    /// Moves the ring on by `count` frames: what rang past the window comes to the front, the back is cleared.
    private func shift(_ ring: UnsafeMutablePointer<Float>, count: Int) {
        let length = window + reach
        ring.update(from: ring + count, count: length - count)
        (ring + length - count).update(repeating: 0, count: count)
    }

    /// Every note comes through the note cache: rendered once per key at its velocity bucket's centre (seeded by
    /// the key), its own velocity applied as a gain with the voice's level law (velocity^1.5, as the C voice
    /// scales it). A rendered note is kept while another event will use it and the part's budget allows; when
    /// it does not, the note whose next use is farthest away makes room (or the new one is not kept). Kept or
    /// not, every note takes the same path, so the output does not depend on the cache.
    private func renderVoices(start: Int, end: Int) {
        let sr = Float(sampleRate)
        while nextEvent < plan.events.count, plan.events[nextEvent].start < end {
            let index = nextEvent
            let event = plan.events[index]
            let key = plan.keys[index]
            nextEvent += 1
            notesPlayed += 1
            let velocity = Float(max(0, min(127, event.note.velocity))) / 127
            let centre = Renderer.velocityBucket(velocity).centre
            let length = event.on + event.tail
            let total = min(length, totalFrames - event.start)
            let offset = event.start - start
            let level = pow(velocity / centre, 1.5)
            if let cached = notes[key] {
                addNote(cached.samples, total: total, level: level, offset: offset)
                if let next = plan.nextUse[index] {
                    notes[key]!.nextUse = next
                } else {
                    notes[key] = nil
                    noteBytes -= 4 * cached.samples.count
                }
                continue
            }
            notesSynthesised += 1
            let frequency = Float(440 * pow(2, Double(key.pitch - 69) / 12))
            let glideFrom = key.glideFrom >= 0 ? Float(440 * pow(2, Double(key.glideFrom - 69) / 12)) : frequency
            let seed = key.seed(plan.seedBase)
            if let next = plan.nextUse[index], makeRoom(bytes: 4 * length, nextUse: next) {
                var samples = [Float](repeating: 0, count: length)
                samples.withUnsafeMutableBufferPointer {
                    _ = cdsp_voice_render(&voiceParams, sr, frequency, glideFrom, centre, event.on, seed,
                                          $0.baseAddress!, length)
                }
                addNote(samples, total: total, level: level, offset: offset)
                notes[key] = (samples, next)
                noteBytes += 4 * length
                noteCachePeakBytes = max(noteCachePeakBytes, noteBytes)
            } else {
                if scratch.count < reach { scratch = [Float](repeating: 0, count: reach) }
                scratch.withUnsafeMutableBufferPointer {
                    $0.baseAddress!.update(repeating: 0, count: total)
                    _ = cdsp_voice_render(&voiceParams, sr, frequency, glideFrom, centre, event.on, seed,
                                          $0.baseAddress!, total)
                }
                addNote(scratch, total: total, level: level, offset: offset)
            }
        }
    }

    /// Frees cache entries, farthest next use first, until `bytes` more fit the budget; false (nothing freed)
    /// when the new note would be the one used farthest away.
    private func makeRoom(bytes: Int, nextUse: Int) -> Bool {
        guard bytes <= noteCacheBudget else { return false }
        var victims: [(key: Renderer.NoteKey, bytes: Int)] = []
        var freed = 0
        if noteBytes + bytes > noteCacheBudget {
            let byDistance = notes.filter { $0.value.nextUse > nextUse }
                .sorted { $0.value.nextUse > $1.value.nextUse }
            for (key, entry) in byDistance where noteBytes - freed + bytes > noteCacheBudget {
                victims.append((key, 4 * entry.samples.count))
                freed += 4 * entry.samples.count
            }
            guard noteBytes - freed + bytes <= noteCacheBudget else { return false }
        }
        for victim in victims {
            notes[victim.key] = nil
            noteBytes -= victim.bytes
        }
        return true
    }

    private func addNote(_ samples: [Float], total: Int, level: Float, offset: Int) {
        samples.withUnsafeBufferPointer { n in
            ringLeft.withUnsafeMutableBufferPointer { ring in
                cdsp_voice_add_note(n.baseAddress!, total, level, ring.baseAddress! + offset)
            }
        }
    }

    /// Each hit comes from the cache: per drum sound, velocity bucket (the drum's tone follows velocity) and
    /// round-robin variant, synthesised once at the bucket's centre velocity; the hit's own velocity is applied
    /// as a gain with the drum's level law (level ~ velocity^1.3, exactly as the C drum scales it).
    private func renderDrums(start: Int, end: Int) {
        let sr = Float(sampleRate)
        let buckets = Renderer.drumVelocityBuckets
        while nextEvent < plan.events.count, plan.events[nextEvent].start < end {
            let event = plan.events[nextEvent]
            nextEvent += 1
            let number = event.note.pitch
            guard let drum = drums[number] else { continue }
            let velocity = Float(max(0, min(127, event.note.velocity))) / 127
            let bucket = min(buckets - 1, Int(velocity * Float(buckets)))
            let centre = (Float(bucket) + 0.5) / Float(buckets)
            let turn = roundRobin[number, default: 0]
            roundRobin[number] = turn + 1
            let key = HitKey(number: number, bucket: bucket, variant: turn % Renderer.drumVariants)
            if hits[key] == nil {
                var hit = [Float](repeating: 0, count: drum.length)
                var params = drum.params
                let seed = Renderer.noteSeed(Renderer.noteSeed(plan.seedBase, number), bucket * 64 + key.variant)
                hit.withUnsafeMutableBufferPointer { h in
                    _ = cdsp_drum_render(drum.kind, &params, sr, centre, seed, h.baseAddress!, h.count)
                }
                hits[key] = hit
                drumHitsSynthesised += 1
            }
            drumHitsPlayed += 1
            let level = gain * pow(velocity / centre, 1.3)
            let total = min(drum.length, totalFrames - event.start)
            let offset = event.start - start
            hits[key]!.withUnsafeBufferPointer { h in
                ringLeft.withUnsafeMutableBufferPointer { l in
                    ringRight.withUnsafeMutableBufferPointer { r in
                        cdsp_mix_add_panned(h.baseAddress!, total, level, drum.pan, l.baseAddress! + offset,
                                            r.baseAddress! + offset)
                    }
                }
            }
        }
    }

    /// Adds the current window's output times `gain` into `target` at frame `at`.
    func addWindow(into target: inout StereoBuffer, at: Int, count: Int, gain: Float) {
        addStereo(outLeft, outRight, count: count, gain: gain, into: &target, at: at)
    }
}

/// Adds `count` frames of a stereo pair times `gain` into `target` at frame `at`.
func addStereo(_ left: [Float], _ right: [Float], count: Int, gain: Float, into target: inout StereoBuffer,
               at: Int) {
    guard count > 0 else { return }
    left.withUnsafeBufferPointer { il in
        right.withUnsafeBufferPointer { ir in
            target.left.withUnsafeMutableBufferPointer { l in
                target.right.withUnsafeMutableBufferPointer { r in
                    cdsp_mix_add_stereo(il.baseAddress!, ir.baseAddress!, count, gain, l.baseAddress! + at,
                                        r.baseAddress! + at)
                }
            }
        }
    }
}

/// A shared effect (reverb or delay) fed by a send bus, window by window. For stems, each part gets a share of
/// the return proportional to the (smoothed) energy it sends: per `shareBlock` frames, the part's send energy
/// smoothed by a one-pole memory of about the effect's decay time, over all parts' smoothed send energy. The
/// shares of one block sum to 1, so the stems sum to the mix without running one effect per part (the split of
/// a return between parts is an approximation: a long tail is credited to whoever sends most recently).
final class EffectBus {
    let sends: [Float]
    let gain: Float
    let decay: Double
    let firstSender: Int
    let process: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                  UnsafeMutablePointer<Float>, Int) -> Void
    var sendLeft: [Float], sendRight: [Float], wetLeft: [Float], wetRight: [Float]
    var smoothed: [Double]
    /// Per part, per block of the current window: its share of the return.
    var shares: [[Float]]

    init(sends: [Float], gain: Float, memory: Double, sampleRate: Double, window: Int,
         process: @escaping (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                             UnsafeMutablePointer<Float>, Int) -> Void) {
        self.sends = sends
        self.gain = gain
        self.process = process
        decay = exp(-Double(Renderer.shareBlock) / (sampleRate * max(0.05, memory)))
        firstSender = sends.firstIndex { $0 > 0 } ?? 0
        sendLeft = [Float](repeating: 0, count: window)
        sendRight = sendLeft
        wetLeft = sendLeft
        wetRight = sendLeft
        smoothed = [Double](repeating: 0, count: sends.count)
        let blocks = (window + Renderer.shareBlock - 1) / Renderer.shareBlock
        shares = [[Float]](repeating: [Float](repeating: 0, count: blocks), count: sends.count)
    }

    var workingBytes: Int { 4 * 4 * sendLeft.count + 4 * shares.reduce(0) { $0 + $1.count } }

    /// Sums the parts' windows into the send bus and runs the effect (state carries over between windows).
    func run(_ parts: [PartStream], count: Int) {
        sendLeft.withUnsafeMutableBufferPointer { sl in
            sendRight.withUnsafeMutableBufferPointer { sr in
                wetLeft.withUnsafeMutableBufferPointer { wl in
                    wetRight.withUnsafeMutableBufferPointer { wr in
                        sl.baseAddress!.update(repeating: 0, count: count)
                        sr.baseAddress!.update(repeating: 0, count: count)
                        for (part, amount) in zip(parts, sends) where amount > 0 {
                            part.outLeft.withUnsafeBufferPointer { pl in
                                part.outRight.withUnsafeBufferPointer { pr in
                                    cdsp_mix_add_stereo(pl.baseAddress!, pr.baseAddress!, count, amount,
                                                        sl.baseAddress!, sr.baseAddress!)
                                }
                            }
                        }
                        process(sl.baseAddress!, sr.baseAddress!, wl.baseAddress!, wr.baseAddress!, count)
                    }
                }
            }
        }
    }

    /// Updates the per-block shares of the current window from the parts' dry output.
    func updateShares(_ parts: [PartStream], count: Int) {
        let block = Renderer.shareBlock
        let blocks = (count + block - 1) / block
        var energies = [Double](repeating: 0, count: parts.count)
        for b in 0..<blocks {
            let start = b * block
            let n = min(block, count - start)
            var total = 0.0
            for (i, part) in parts.enumerated() {
                let lr = part.outLeft.withUnsafeBufferPointer { cdsp_rms($0.baseAddress! + start, n) }
                let rr = part.outRight.withUnsafeBufferPointer { cdsp_rms($0.baseAddress! + start, n) }
                energies[i] = Double(lr * lr + rr * rr)
                smoothed[i] = smoothed[i] * decay + Double(sends[i] * sends[i]) * energies[i]
                total += smoothed[i]
            }
            for i in parts.indices {
                shares[i][b] = total > 0 ? Float(smoothed[i] / total) : (i == firstSender ? 1 : 0)
            }
        }
    }

    /// Adds the return times its gain (times part `share`'s fraction, per block, when given) into `target`.
    func addReturn(into target: inout StereoBuffer, at: Int, count: Int, share: Int?) {
        guard let share else {
            addStereo(wetLeft, wetRight, count: count, gain: gain, into: &target, at: at)
            return
        }
        let block = Renderer.shareBlock
        wetLeft.withUnsafeBufferPointer { wl in
            wetRight.withUnsafeBufferPointer { wr in
                target.left.withUnsafeMutableBufferPointer { l in
                    target.right.withUnsafeMutableBufferPointer { r in
                        for (b, fraction) in shares[share].enumerated() where fraction > 0 && b * block < count {
                            let start = b * block
                            let n = min(block, count - start)
                            cdsp_mix_add_stereo(wl.baseAddress! + start, wr.baseAddress! + start, n,
                                                gain * fraction, l.baseAddress! + at + start,
                                                r.baseAddress! + at + start)
                        }
                    }
                }
            }
        }
    }
}
