import Foundation
internal import CDSP
internal import DSP

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
    /// Wall seconds spent in the `MixSink`, when the mix went to one.
    var sinkSeconds: Double = 0
}

/// Takes the instrumental mix a window at a time, in order, in place of a whole-song buffer (issue 14,
/// docs/speed.md): the sung mixdown ducks each window and parks it on disk as it comes.
protocol MixSink: AnyObject {
    /// Called once, before the first window, with the song's length.
    func begin(frames: Int, sampleRate: Int) throws
    /// Frames `start..<start + count` of the finished mix (risers added, the end faded) in `window`'s first `count`
    /// frames, which the sink may change. Windows start on render blocks.
    func take(_ window: inout StereoBuffer, at start: Int, count: Int) throws
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
///
/// The render streams in windows of `windowFrames`: each part keeps a ring of one window plus its longest note,
/// every note that starts in the window is rendered into the ring, the window is panned and levelled, sent to
/// the effect buses (whose objects keep their state from window to window) and added to the mix. Memory beyond
/// the one full-length mix (and any requested stems) does not grow with the song's length; with a `MixSink` there
/// is no full-length mix either, only the window handed on.
public enum Renderer {
    /// Longest tail (note releases, reverb, delay) rendered after the score's last beat.
    static let maximumTail = 4.0
    /// Level of the delay return relative to its send.
    static let delayReturnGain: Float = 0.5
    /// Frames per streaming window (~0.74 s at 44.1 kHz; 22 render blocks until stop 30, the same bytes): a multiple
    /// of the effect block and of `shareBlock`. The per-window cost (a parallel fork/join, a ring shift) stays
    /// small at this size (synthesis 2.63 s against 2.69 s summed over the default job's versions, single runs);
    /// working memory is about five stereo windows per part.
    static let windowFrames = 8 * renderBlock
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
    /// Bytes the caches of one render may hold: notes split between the melodic parts that repeat notes, hits
    /// between kits (NoteCache.swift).
    struct CacheBudgets: Sendable {
        var notes: Int
        var hits: Int
        /// 24 MB of notes (pads and chords: the costliest to render again). Stop 35, the default sung job
        /// (engine-bench, alternating): 16 MB rendered its synthesis stage in 2.19-2.22 s, 24 MB in 1.85-1.89 s
        /// and 32 MB in 1.71-1.74 s, at peaks of 117, 134 and 147 MB; 32 MB took the instrumental job to 137 MB,
        /// too near its 150 MB bar, and 24 MB kept it at 116-128 MB on five photos. 4 MB of hits: a kit keeps a
        /// hit only until its next use, and the longest (a 5 s crash) come back rarely; a 3-minute song's kit
        /// holds about 7 MB at most when nothing is given up, a 10-minute one's 16 MB, and at 4 MB both render
        /// about 1.2x and 2.5x as many hits (76 and 214 of 2507 and 8515), a cost lost in the stage's time.
        static let standard = CacheBudgets(notes: 24 << 20, hits: 4 << 20)
    }
    static var noteCacheBudget: Int { CacheBudgets.standard.notes }

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
        /// The kick's sidechain dip on this part, if the style ducks it (LowEnd.duckSettings).
        var duck: LowEnd.Duck? = nil
        /// Melodic parts: per event its note-cache key; kits: per event its hit key (nil: no such drum).
        var keys: [NoteKey] = []
        var hitKeys: [HitKey?] = []
        /// Per event the index of the next event with the same key, -1 when none (32 bits: one per event).
        var nextUses: [Int32] = []
        /// Kits: per drum number, the frames of its hits (its first event's tail; PartStream renders them so long).
        var hitLengths: [Int: Int] = [:]
        /// Frames where the build's low-pass opens over this part (Build), with the cutoff it opens from.
        var openings: [(start: Int, end: Int, fromHz: Float)] = []
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
            nextUses = Self.nextUses(keys.map { Optional($0) })
        }

        /// Fills `hitKeys` and `nextUse` for a kit: each drum's hits take its round-robin variants in turn.
        mutating func assignHitKeys() {
            let buckets = Renderer.drumVelocityBuckets
            var turns: [Int: Int] = [:]
            hitLengths = [:]
            hitKeys = events.map { event in
                let number = event.note.pitch
                guard DrumMap.kind(number) != nil else { return nil }
                if hitLengths[number] == nil { hitLengths[number] = event.tail }
                let velocity = Float(max(0, min(127, event.note.velocity))) / 127
                let turn = turns[number, default: 0]
                turns[number] = turn + 1
                return HitKey(number: number, bucket: min(buckets - 1, Int(velocity * Float(buckets))),
                              variant: turn % Renderer.drumVariants)
            }
            nextUses = Self.nextUses(hitKeys)
        }

        /// Frames of the hits of event `i`'s drum: all last as long as that drum's first event's tail.
        func hitLength(_ i: Int) -> Int { hitLengths[events[i].note.pitch] ?? 0 }

        /// The index of the next event with event `i`'s key, if any.
        func nextUse(_ i: Int) -> Int? { nextUses[i] < 0 ? nil : Int(nextUses[i]) }

        static func nextUses<K: Hashable>(_ keys: [K?]) -> [Int32] {
            var next = [Int32](repeating: -1, count: keys.count)
            var last: [K: Int32] = [:]
            for i in keys.indices.reversed() {
                guard let key = keys[i] else { continue }
                next[i] = last[key] ?? -1
                last[key] = Int32(i)
            }
            return next
        }
    }

    /// `sink`: where the mix goes, a window at a time; the returned song's mix is then empty, and no stems may be
    /// requested. Its samples are those of the whole-song mix.
    static func render(score: Score, style: StylePreset, instruments: InstrumentLibrary, sampleRate: Int,
                       stems requested: Set<Role> = [], parallel: Bool,
                       statistics: RenderStatistics? = nil, sink: MixSink? = nil,
                       cacheBudgets budgets: CacheBudgets = .standard) throws -> RenderedSong {
        precondition(sink == nil || requested.isEmpty, "a render into a sink returns no stems")
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
            guard var instrument = instruments.instrument(track.instrument) else {
                throw RenderError.unknownInstrument(track: track.name, instrument: track.instrument)
            }
            // The kick tuned to the key, its decay fitted to the tempo (LowEnd).
            if case .kit(let kit) = instrument { instrument = .kit(LowEnd.tuned(kit, key: score.key, bpm: score.bpm)) }
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
            switch instrument {
            case .voice(let voice): plan.assignNoteKeys(glides: voice[.glideDuration] > 0)
            case .kit: plan.assignHitKeys()
            }
            plans.append(plan)
        }
        // The build into each chorus (Build): the opening low-pass on the parts it applies to.
        let build = style[.build]
        let buildSpans = Build.spans(score: score, build: build, framesPerBeat: framesPerBeat)
        if !buildSpans.isEmpty {
            let from = Build.fromHz(build: build)
            for i in plans.indices where Build.openingRoles.contains(plans[i].track.role) && !plans[i].isDrums {
                plans[i].openings = buildSpans.map { ($0.start, $0.end, from) }
            }
        }
        let cacheBudgets = cacheBudgets(plans, budgets)
        // The kick's sidechain: the bass (and in four-on-the-floor styles the pad and chords) dip at every kick.
        let kicks = plans.filter(\.isDrums).flatMap { plan in
            plan.events.filter { DrumMap.kind($0.note.pitch)?.kind == CDSP_DRUM_KICK }.map(\.start)
        }.sorted()
        if !kicks.isEmpty {
            for i in plans.indices {
                guard let (depthDB, release) = LowEnd.duckSettings(role: plans[i].track.role, pattern: style.drumPattern,
                                                                  bpm: score.bpm) else { continue }
                plans[i].duck = LowEnd.Duck(kicks: kicks, depth: cdsp_db_to_gain(Float(depthDB)),
                                            attack: Int(0.004 * sr), release: Int(release * sr))
            }
        }

        // Length: the score plus the longest tail (notes ringing on, then the effect tails), capped.
        let reverbSize = style[.reverbSize]
        let reverbReturnDB = style[.reverbReturn]
        let delayTime = style[.delayBeats] * score.secondsPerBeat
        let delayFeedback = min(0.9, style[.delayFeedback])
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
        let drumDrive = Float(style[.drumDrive])
        let drumGain = cdsp_db_to_gain(Float(style[.drumGain]))
        let parts = try plans.indices.map {
            try PartStream(plan: plans[$0], window: window, totalFrames: totalFrames, sampleRate: sr, drumDrive: drumDrive,
                       drumGain: drumGain, cacheBudget: cacheBudgets[$0])
        }
        var buses: [EffectBus] = []
        if usesReverb {
            let reverb = try Reverb(sampleRate: Float(sr), size: Float(reverbSize),
                                damping: Float(style[.reverbDamping]), width: 1, predelay: 0.02)
            buses.append(EffectBus(sends: plans.map { Float($0.mix.reverb) }, gain: cdsp_db_to_gain(Float(reverbReturnDB)),
                                   memory: 0.6 + 3.0 * reverbSize, sampleRate: sr, window: window,
                                   process: { reverb.process(inLeft: $0, inRight: $1, outLeft: $2, outRight: $3, frames: $4) }))
        }
        if usesDelay {
            let delay = try Delay(sampleRate: Float(sr), time: Float(max(0.01, delayTime)), feedback: Float(delayFeedback),
                              damping: 0.35, pingPong: true)
            buses.append(EffectBus(sends: plans.map { Float($0.mix.delay) }, gain: delayReturnGain, memory: fxTail,
                                   sampleRate: sr, window: window,
                                   process: { delay.process(inLeft: $0, inRight: $1, outLeft: $2, outRight: $3, frames: $4) }))
        }
        let stemRoles = Set(plans.map(\.track.role)).intersection(requested)
        var stems: [Role: StereoBuffer] = [:]
        for role in stemRoles { stems[role] = StereoBuffer(frames: totalFrames, sampleRate: sampleRate) }
        // With a sink, the mix is one window, summed afresh each time and handed on.
        var mix = StereoBuffer(frames: sink == nil ? totalFrames : window, sampleRate: sampleRate)
        let risers = buildSpans.isEmpty || !plans.contains(where: { $0.isDrums && !$0.events.isEmpty }) ? []
            : Build.risers(spans: buildSpans, build: build, framesPerBar: 4 * framesPerBeat, frames: totalFrames)
        // Faded into silence at the very end.
        let fadeFrames = min(totalFrames, totalFrames > scoreFrames ? Int(0.5 * sr) : Int(0.01 * sr))
        try sink?.begin(frames: totalFrames, sampleRate: sampleRate)
        var sinkNanoseconds: UInt64 = 0
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
            let at = sink == nil ? start : 0
            if sink != nil { Samples.clear(&mix, frames: count) }
            for part in parts { part.addWindow(into: &mix, at: at, count: count, gain: 1) }
            for bus in buses {
                bus.run(parts, count: count)
                bus.addReturn(into: &mix, at: at, count: count, share: nil)
            }
            if !stemRoles.isEmpty {
                for bus in buses { bus.updateShares(parts, count: count) }
                for (i, part) in parts.enumerated() where stemRoles.contains(part.plan.track.role) {
                    let role = part.plan.track.role
                    part.addWindow(into: &stems[role]!, at: start, count: count, gain: 1)
                    for bus in buses { bus.addReturn(into: &stems[role]!, at: start, count: count, share: i) }
                }
            }
            if let sink {
                // What the whole-song path adds after the loop, here for this window: risers, then the fade.
                for riser in risers { riser.add(into: &mix, windowStart: start, count: count, sampleRate: sampleRate) }
                Samples.fadeOut(&mix, window: start..<start + count, songFrames: totalFrames, frames: fadeFrames)
                let sinkStart = DispatchTime.now().uptimeNanoseconds
                try sink.take(&mix, at: start, count: count)
                sinkNanoseconds += DispatchTime.now().uptimeNanoseconds - sinkStart
            }
            start += count
        }
        statistics?.setWorkingBytes(parts.reduce(0) { $0 + $1.workingBytes } + buses.reduce(0) { $0 + $1.workingBytes })
        for part in parts {
            statistics?.add(played: part.drumHitsPlayed, synthesised: part.drumHitsSynthesised,
                            cacheBytes: part.hitCachePeakBytes)
            statistics?.addNotes(played: part.notesPlayed, synthesised: part.notesSynthesised,
                                 cacheBytes: part.noteCachePeakBytes)
        }

        if sink != nil {
            return RenderedSong(mix: StereoBuffer(frames: 0, sampleRate: sampleRate), stems: [:],
                                synthesisSeconds: Double(synthesisNanoseconds) / 1e9,
                                effectsSeconds: Double(effectsNanoseconds - sinkNanoseconds) / 1e9,
                                sinkSeconds: Double(sinkNanoseconds) / 1e9)
        }
        // The risers, where a kit plays (they belong to the drums stem).
        for riser in risers {
            riser.addWhole(into: &mix, sampleRate: sampleRate)
            if stems[.drums] != nil { riser.addWhole(into: &stems[.drums]!, sampleRate: sampleRate) }
        }
        Samples.fadeOut(&mix, frames: fadeFrames)
        for role in stemRoles { Samples.fadeOut(&stems[role]!, frames: fadeFrames) }
        return RenderedSong(mix: mix, stems: stems, synthesisSeconds: Double(synthesisNanoseconds) / 1e9,
                            effectsSeconds: Double(effectsNanoseconds) / 1e9)
    }
}
