import Foundation
internal import CDSP
internal import DSP

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
    /// The build's opening low-pass, for parts with opening spans.
    let opening: Opening?
    /// Kits: per drum number its kind, parameters, pan and hit length.
    var drums: [Int: (kind: cdsp_drum_kind, params: cdsp_drum_params, pan: Float, length: Int)] = [:]
    /// Rendered hits (kits) and notes (melodic parts) kept for their next use (NoteCache.swift).
    var hits: ReuseCache<Renderer.HitKey>
    var notes: ReuseCache<Renderer.NoteKey>
    private(set) var drumHitsPlayed = 0
    private(set) var drumHitsSynthesised = 0
    /// Bytes the caches held at most.
    var noteCachePeakBytes: Int { notes.peakBytes }
    var hitCachePeakBytes: Int { hits.peakBytes }
    /// A note or hit not kept in the cache is rendered here (the longest one's frames, allocated on first use).
    var scratch: [Float] = []
    private(set) var notesPlayed = 0
    private(set) var notesSynthesised = 0

    init(plan: Renderer.PartPlan, window: Int, totalFrames: Int, sampleRate: Double, drumDrive: Float,
         drumGain: Float, cacheBudget: Int) throws {
        self.plan = plan
        hits = ReuseCache(budget: plan.isDrums ? cacheBudget : 0)
        notes = ReuseCache(budget: plan.isDrums ? 0 : cacheBudget)
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
        opening = plan.openings.isEmpty ? nil : try Opening(sampleRate: Float(sampleRate))
        switch plan.instrument {
        case .voice(let voice):
            ringRight = []
            voiceParams = voice.cParams
            chorus = voice[.chorusMix] > 0
                ? try Chorus(sampleRate: Float(sampleRate), rate: Float(voice[.chorusRate]),
                         depth: Float(voice[.chorusDepth]), mix: Float(voice[.chorusMix]))
                : nil
        case .kit(let kit):
            ringRight = [Float](repeating: 0, count: window + reach)
            chorus = nil
            for event in plan.events where drums[event.note.pitch] == nil {
                guard let (kind, canonical) = DrumMap.kind(event.note.pitch) else { continue }
                let drum = kit[event.note.pitch] ?? kit[canonical] ?? InstrumentLibrary.Drum.standard
                drums[event.note.pitch] = (kind, drum.cParams, max(-1, min(1, pan + Float(drum[.pan]))),
                                           plan.hitLengths[event.note.pitch]!)
            }
        }
    }

    var workingBytes: Int {
        4 * (ringLeft.count + ringRight.count + outLeft.count + outRight.count + scratch.count) + hits.peakBytes
            + notes.peakBytes
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
        if let duck = plan.duck {
            outLeft.withUnsafeMutableBufferPointer { l in
                outRight.withUnsafeMutableBufferPointer { r in
                    duck.apply(left: l.baseAddress!, right: r.baseAddress!, start: start, count: count)
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
        if let opening {
            // The build's low-pass over the window's frames inside each opening span (Renderer.Build).
            for span in plan.openings where span.start < end && span.end > start {
                let from = max(start, span.start), to = min(end, span.end)
                outLeft.withUnsafeMutableBufferPointer { l in
                    outRight.withUnsafeMutableBufferPointer { r in
                        opening.process(left: l.baseAddress! + (from - start), right: r.baseAddress! + (from - start),
                                        count: to - from, position: from - span.start, span: span.end - span.start,
                                        from: span.fromHz, to: Renderer.Build.openTo)
                    }
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
            if let cached = notes.use(key, nextUse: plan.nextUse(index)) {
                addNote(cached, total: total, level: level, offset: offset)
                continue
            }
            notesSynthesised += 1
            let frequency = Float(440 * pow(2, Double(key.pitch - 69) / 12))
            let glideFrom = key.glideFrom >= 0 ? Float(440 * pow(2, Double(key.glideFrom - 69) / 12)) : frequency
            let seed = key.seed(plan.seedBase)
            if let next = plan.nextUse(index), notes.makeRoom(bytes: 4 * length, nextUse: next) {
                var samples = [Float](repeating: 0, count: length)
                samples.withUnsafeMutableBufferPointer {
                    _ = cdsp_voice_render(&voiceParams, sr, frequency, glideFrom, centre, event.on, seed,
                                          $0.baseAddress!, length)
                }
                addNote(samples, total: total, level: level, offset: offset)
                notes.insert(key, samples, nextUse: next)
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

    private func addNote(_ samples: [Float], total: Int, level: Float, offset: Int) {
        samples.withUnsafeBufferPointer { n in
            ringLeft.withUnsafeMutableBufferPointer { ring in
                cdsp_voice_add_note(n.baseAddress!, total, level, ring.baseAddress! + offset)
            }
        }
    }

    /// Every hit comes through the hit cache: per drum sound, velocity bucket (the drum's tone follows velocity) and
    /// round-robin variant (`PartPlan.hitKeys`), rendered at the bucket's centre velocity and seeded by the key, kept
    /// while another event will use it and the kit's budget allows, otherwise rendered again when next played. The
    /// hit's own velocity is applied as a gain with the drum's level law (level ~ velocity^1.3, exactly as the C drum
    /// scales it).
    private func renderDrums(start: Int, end: Int) {
        let sr = Float(sampleRate)
        let buckets = Float(Renderer.drumVelocityBuckets)
        while nextEvent < plan.events.count, plan.events[nextEvent].start < end {
            let index = nextEvent
            let event = plan.events[index]
            nextEvent += 1
            guard let key = plan.hitKeys[index], let drum = drums[Int(key.number)] else { continue }
            let velocity = Float(max(0, min(127, event.note.velocity))) / 127
            let centre = (Float(key.bucket) + 0.5) / buckets
            drumHitsPlayed += 1
            let level = gain * pow(velocity / centre, 1.3)
            let total = min(drum.length, totalFrames - event.start)
            let offset = event.start - start
            if let cached = hits.use(key, nextUse: plan.nextUse(index)) {
                addHit(cached, total: total, level: level, pan: drum.pan, offset: offset)
                continue
            }
            drumHitsSynthesised += 1
            var params = drum.params
            let seed = Renderer.noteSeed(Renderer.noteSeed(plan.seedBase, Int(key.number)), Int(key.bucket) * 64 + Int(key.variant))
            if let next = plan.nextUse(index), hits.makeRoom(bytes: 4 * drum.length, nextUse: next) {
                var hit = [Float](repeating: 0, count: drum.length)
                hit.withUnsafeMutableBufferPointer { h in
                    _ = cdsp_drum_render(drum.kind, &params, sr, centre, seed, h.baseAddress!, h.count)
                }
                addHit(hit, total: total, level: level, pan: drum.pan, offset: offset)
                hits.insert(key, hit, nextUse: next)
            } else {
                if scratch.count < drum.length { scratch = [Float](repeating: 0, count: reach) }
                scratch.withUnsafeMutableBufferPointer { h in
                    h.baseAddress!.update(repeating: 0, count: drum.length)
                    _ = cdsp_drum_render(drum.kind, &params, sr, centre, seed, h.baseAddress!, drum.length)
                }
                addHit(scratch, total: total, level: level, pan: drum.pan, offset: offset)
            }
        }
    }

    private func addHit(_ hit: [Float], total: Int, level: Float, pan: Float, offset: Int) {
        hit.withUnsafeBufferPointer { h in
            ringLeft.withUnsafeMutableBufferPointer { l in
                ringRight.withUnsafeMutableBufferPointer { r in
                    cdsp_mix_add_panned(h.baseAddress!, total, level, pan, l.baseAddress! + offset,
                                        r.baseAddress! + offset)
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
