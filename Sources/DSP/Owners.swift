import CDSP

// The one owner layer of CDSP's objects, shared by SongEngine and VoiceConvert (issue 10): each class creates its
// C handle in a throwing init (a C create fails only when memory runs out: `DSPError.outOfMemory` names the
// object) and destroys it in deinit, so no handle outlives its owner, leaks on an early exit or is force-unwrapped.
// Every `process` takes whole blocks. `package` access: the package's modules see these, its users do not.

/// A C object could not be made.
package enum DSPError: Error, CustomStringConvertible, Sendable {
    case outOfMemory(String)

    package var description: String {
        switch self {
        case .outOfMemory(let object): return "could not allocate the \(object) (out of memory)"
        }
    }
}

/// The handle a C create returned, or the error that names the object.
@inline(__always)
func made(_ handle: OpaquePointer?, _ object: String) throws(DSPError) -> OpaquePointer {
    guard let handle else { throw DSPError.outOfMemory(object) }
    return handle
}

/// Processing block used by every stereo effect: big enough to amortise the call, small enough for the cache.
package let renderBlock = 4096

/// Runs `body` over [0, frames) in blocks of at most `renderBlock` frames: (offset, count).
@inline(__always)
package func forEachBlock(_ frames: Int, _ body: (Int, Int) -> Void) {
    var start = 0
    while start < frames {
        let count = min(renderBlock, frames - start)
        body(start, count)
        start += count
    }
}

package final class Reverb {
    package let handle: OpaquePointer
    package init(sampleRate: Float, size: Float, damping: Float, width: Float, predelay: Float) throws(DSPError) {
        handle = try made(cdsp_reverb_create(sampleRate), "reverb")
        cdsp_reverb_set(handle, size, damping, width, predelay)
    }
    deinit { cdsp_reverb_destroy(handle) }

    /// 100%-wet output of `frames` frames of the send bus into `outLeft/outRight` (overwritten), blockwise. The
    /// reverb keeps its state between calls, so a song can be fed window by window.
    package func process(inLeft: UnsafePointer<Float>, inRight: UnsafePointer<Float>, outLeft: UnsafeMutablePointer<Float>,
                 outRight: UnsafeMutablePointer<Float>, frames: Int) {
        forEachBlock(frames) { start, count in
            cdsp_reverb_process(handle, inLeft + start, inRight + start, outLeft + start, outRight + start, count)
        }
    }
}

package final class Delay {
    package let handle: OpaquePointer
    package init(sampleRate: Float, time: Float, feedback: Float, damping: Float, pingPong: Bool) throws(DSPError) {
        handle = try made(cdsp_delay_create(sampleRate, time + 0.05), "delay")
        cdsp_delay_set(handle, time, feedback, damping, pingPong ? 1 : 0)
    }
    deinit { cdsp_delay_destroy(handle) }

    /// Like `Reverb.process`: 100% wet, state kept between calls.
    package func process(inLeft: UnsafePointer<Float>, inRight: UnsafePointer<Float>, outLeft: UnsafeMutablePointer<Float>,
                 outRight: UnsafeMutablePointer<Float>, frames: Int) {
        forEachBlock(frames) { start, count in
            cdsp_delay_process(handle, inLeft + start, inRight + start, outLeft + start, outRight + start, count)
        }
    }
}

package final class Chorus {
    package let handle: OpaquePointer
    package init(sampleRate: Float, rate: Float, depth: Float, mix: Float) throws(DSPError) {
        handle = try made(cdsp_chorus_create(sampleRate), "chorus")
        cdsp_chorus_set(handle, rate, depth, mix)
    }
    deinit { cdsp_chorus_destroy(handle) }

    /// In place, state kept between calls.
    package func process(left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>, frames: Int) {
        forEachBlock(frames) { start, count in cdsp_chorus_process(handle, left + start, right + start, count) }
    }
}

package final class Biquad {
    package let handle: OpaquePointer
    package init(sampleRate: Float, kind: cdsp_eq_kind, frequency: Float, q: Float, gainDB: Float) throws(DSPError) {
        handle = try made(cdsp_biquad_create(sampleRate), "biquad filter")
        cdsp_biquad_set(handle, kind, frequency, q, gainDB)
    }

    /// New settings; the filter's state is kept (for changes from block to block).
    package func set(kind: cdsp_eq_kind, frequency: Float, q: Float, gainDB: Float) {
        cdsp_biquad_set(handle, kind, frequency, q, gainDB)
    }

    /// In place over `count` samples from `samples`.
    package func process(_ samples: UnsafeMutablePointer<Float>, count: Int) {
        cdsp_biquad_process(handle, samples, count)
    }
    deinit { cdsp_biquad_destroy(handle) }

    /// Magnitude response in dB at `frequency` Hz, as set.
    package func responseDB(at frequency: Double) -> Double { cdsp_biquad_response_db(handle, frequency) }

    package func process(_ samples: inout [Float]) {
        let n = samples.count
        samples.withUnsafeMutableBufferPointer { s in
            var start = 0
            while start < n {
                let count = min(renderBlock, n - start)
                cdsp_biquad_process(handle, s.baseAddress! + start, count)
                start += count
            }
        }
    }
}

package final class Compressor {
    package let handle: OpaquePointer
    package init(sampleRate: Float, thresholdDB: Float, ratio: Float, attack: Float, release: Float, kneeDB: Float) throws(DSPError) {
        handle = try made(cdsp_compressor_create(sampleRate), "compressor")
        cdsp_compressor_set(handle, thresholdDB, ratio, attack, release, kneeDB, 0)
    }
    deinit { cdsp_compressor_destroy(handle) }

    package func process(left: inout [Float], right: inout [Float]) {
        process(left: &left, right: &right, key: nil)
    }

    /// Ducking: the gain applied to `left`/`right` follows the `key` signal's level instead of their own.
    package func process(left: inout [Float], right: inout [Float], keyLeft: [Float], keyRight: [Float]) {
        keyLeft.withUnsafeBufferPointer { kl in
            keyRight.withUnsafeBufferPointer { kr in
                process(left: &left, right: &right, key: (kl.baseAddress!, kr.baseAddress!))
            }
        }
    }

    private func process(left: inout [Float], right: inout [Float],
                         key: (UnsafePointer<Float>, UnsafePointer<Float>)?) {
        left.withUnsafeMutableBufferPointer { l in
            right.withUnsafeMutableBufferPointer { r in
                forEachBlock(l.count) { start, count in
                    cdsp_compressor_process(handle, l.baseAddress! + start, r.baseAddress! + start,
                                            key.map { $0.0 + start }, key.map { $0.1 + start }, count)
                }
            }
        }
    }
}

package final class Limiter {
    package let handle: OpaquePointer
    package init(sampleRate: Float, lookahead: Float, ceilingDBTP: Float, release: Float) throws(DSPError) {
        handle = try made(cdsp_limiter_create(sampleRate, lookahead), "limiter")
        cdsp_limiter_set(handle, ceilingDBTP, release)
    }
    deinit { cdsp_limiter_destroy(handle) }

    package var latency: Int { cdsp_limiter_latency(handle) }

    /// The next frames of a stream, in place (the output lags the input by `latency`).
    package func process(left: inout [Float], right: inout [Float]) {
        left.withUnsafeMutableBufferPointer { l in
            right.withUnsafeMutableBufferPointer { r in
                cdsp_limiter_process(handle, l.baseAddress!, r.baseAddress!, min(l.count, r.count))
            }
        }
    }
}

package final class Shifter {
    package let handle: OpaquePointer
    /// Nil when `sampleRate` is outside what the shifter takes (8000...192000 Hz).
    package init?(sampleRate: Float) throws(DSPError) {
        guard sampleRate >= 8000, sampleRate <= 192_000 else { return nil }
        handle = try made(cdsp_shifter_create(sampleRate), "pitch shifter")
    }
    deinit { cdsp_shifter_destroy(handle) }

    /// False when the shifter refused a setting.
    package func set(semitones: Float, formantSemitones: Float, vibratoRate: Float, vibratoDepth: Float,
                     breath: Float, seed: UInt64) -> Bool {
        var ok = cdsp_shifter_set(handle, semitones, formantSemitones) == CDSP_OK
        ok = ok && cdsp_shifter_set_vibrato(handle, vibratoRate, vibratoDepth) == CDSP_OK
        return ok && cdsp_shifter_set_breath(handle, breath, seed) == CDSP_OK
    }

    /// Frames by which the output lags the input.
    package var latency: Int { cdsp_shifter_latency(handle) }

    /// In place over `count` samples.
    package func process(_ samples: UnsafeMutablePointer<Float>, count: Int) {
        cdsp_shifter_process(handle, samples, count, samples)
    }

    /// After the last input: writes `count` samples of what the shifter still holds (as if silence came in);
    /// `latency` samples in all bring out the last input sample.
    package func flush(_ out: UnsafeMutablePointer<Float>, count: Int) {
        cdsp_shifter_flush(handle, count, out)
    }
}

/// A stereo low-pass that opens over a span (the build into a chorus; `cdsp_opening_process`).
package final class Opening {
    package let handle: OpaquePointer
    package init(sampleRate: Float) throws(DSPError) {
        handle = try made(cdsp_opening_create(sampleRate), "opening filter")
    }
    deinit { cdsp_opening_destroy(handle) }

    package func process(left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>, count: Int,
                         position: Int, span: Int, from: Float, to: Float) {
        cdsp_opening_process(handle, left, right, count, position, span, from, to)
    }
}

/// A seeded noise generator.
package final class Noise {
    package let handle: OpaquePointer
    package init(color: cdsp_noise_color, seed: UInt64) throws(DSPError) {
        handle = try made(cdsp_noise_create(color, seed), "noise generator")
    }
    deinit { cdsp_noise_destroy(handle) }

    package func process(_ out: UnsafeMutablePointer<Float>, count: Int) { cdsp_noise_process(handle, out, count) }
}

/// The TD-PSOLA resynthesis of a spoken line onto sung pitches (CDSP's sing core).
package final class Psola {
    package let handle: OpaquePointer
    package init(sampleRate: Float, sourceF0: Float) throws(DSPError) {
        handle = try made(cdsp_psola_create(sampleRate, sourceF0), "PSOLA singer")
    }
    deinit { cdsp_psola_destroy(handle) }
}

/// A voice's vocoder constants for CDSP's singing vocoder (`cdsp_vocoder_voice`): flite's, for a clustergen voice.
package struct VocoderConstants: Sendable, Hashable {
    package var sourceRate: Float
    package var frameShift: Float
    package var alpha: Float
    package var beta: Float
    package var gain: Float
    package var bands: Int
    /// `bands` FIR filters of equal length, band after band.
    package var bandFilters: [Double]

    package init(sourceRate: Float, frameShift: Float, alpha: Float, beta: Float, gain: Float, bands: Int,
                 bandFilters: [Double]) {
        self.sourceRate = sourceRate
        self.frameShift = frameShift
        self.alpha = alpha
        self.beta = beta
        self.gain = gain
        self.bands = bands
        self.bandFilters = bandFilters
    }
}

/// CDSP's mel-cepstral singing vocoder for one voice, output rate and formant shift (`cdsp_vocoder.h`).
package final class Vocoder {
    package let handle: OpaquePointer
    package init(constants c: VocoderConstants, channels: Int, outputRate: Float, formantSemitones: Float)
        throws(DSPError) {
        let taps = c.bands > 0 ? c.bandFilters.count / c.bands : 0
        let handle = c.bandFilters.withUnsafeBufferPointer { filters in
            var voice = cdsp_vocoder_voice(source_rate: c.sourceRate, frame_shift: c.frameShift, alpha: c.alpha,
                                           beta: c.beta, gain: c.gain, bands: Int32(c.bands), band_taps: Int32(taps),
                                           band_filters: c.bands > 0 ? filters.baseAddress : nil)
            return cdsp_vocoder_create(&voice, Int32(channels), outputRate, formantSemitones)
        }
        self.handle = try made(handle, "singing vocoder")
    }
    deinit { cdsp_vocoder_destroy(handle) }
}

/// Integrated loudness (BS.1770-4) by CDSP's meter; nil for silence (below the absolute gate).
/// Long-term average power of left and right in bands (`edges`: band b spans edges[b] ..< edges[b + 1] Hz), dB
/// per band; nil on bad arguments. See `cdsp_band_levels`.
package func measureBandLevels(left: [Float], right: [Float], sampleRate: Int, edges: [Double]) -> [Double]? {
    guard edges.count >= 2 else { return nil }
    let floatEdges = edges.map { Float($0) }
    var out = [Double](repeating: 0, count: edges.count - 1)
    let status = left.withUnsafeBufferPointer { l in
        right.withUnsafeBufferPointer { r in
            cdsp_band_levels(l.baseAddress, r.baseAddress, min(l.count, r.count), Float(sampleRate), floatEdges,
                             Int32(edges.count - 1), &out)
        }
    }
    return status == 0 ? out : nil
}

package func measureLoudness(left: [Float], right: [Float], sampleRate: Int) -> Double? {
    var lufs = -Double.infinity
    let status = left.withUnsafeBufferPointer { l in
        right.withUnsafeBufferPointer { r in
            cdsp_loudness_integrated(l.baseAddress, r.baseAddress, l.count, Float(sampleRate), &lufs)
        }
    }
    guard status == CDSP_OK, lufs.isFinite else { return nil }
    return lufs
}

/// True peak in dBTP (4x oversampled) by CDSP's meter; -infinity for silence.
package func measureTruePeak(left: [Float], right: [Float], sampleRate: Int) -> Double {
    var dbtp = -Double.infinity
    _ = left.withUnsafeBufferPointer { l in
        right.withUnsafeBufferPointer { r in
            cdsp_true_peak(l.baseAddress, r.baseAddress, l.count, Float(sampleRate), &dbtp)
        }
    }
    return dbtp
}

// MARK: Meters fed in pieces (issue 14: a master that is never whole in memory). Each gives exactly the figure
// of the whole-buffer function above over everything added, whatever the pieces' sizes (`test_meters.c`).

/// Integrated loudness (BS.1770-4) of the frames added, in order.
package final class LoudnessMeter {
    package let handle: OpaquePointer
    package init(sampleRate: Int) throws(DSPError) {
        handle = try made(cdsp_loudness_meter_create(Float(sampleRate)), "loudness meter")
    }
    deinit { cdsp_loudness_meter_destroy(handle) }

    /// The first `count` frames of `left`/`right`.
    package func add(left: [Float], right: [Float], count: Int) {
        left.withUnsafeBufferPointer { l in
            right.withUnsafeBufferPointer { r in
                _ = cdsp_loudness_meter_add(handle, l.baseAddress, r.baseAddress, min(count, l.count, r.count))
            }
        }
    }

    /// LUFS; nil for silence (nothing above the absolute gate), as `measureLoudness`.
    package var integrated: Double? {
        let lufs = cdsp_loudness_meter_integrated(handle)
        return lufs.isFinite ? lufs : nil
    }
}

/// True peak (4x oversampled, zeros after the end) of the frames added, in order.
package final class TruePeakMeter {
    package let handle: OpaquePointer
    package init() throws(DSPError) {
        handle = try made(cdsp_true_peak_meter_create(), "true-peak meter")
    }
    deinit { cdsp_true_peak_meter_destroy(handle) }

    package func add(left: [Float], right: [Float], count: Int) {
        left.withUnsafeBufferPointer { l in
            right.withUnsafeBufferPointer { r in
                _ = cdsp_true_peak_meter_add(handle, l.baseAddress, r.baseAddress, min(count, l.count, r.count))
            }
        }
    }

    /// dBTP, -infinity for silence, as `measureTruePeak`; ends the signal (nothing may be added after).
    package func finish() -> Double {
        var dbtp = -Double.infinity
        _ = cdsp_true_peak_meter_finish(handle, &dbtp)
        return dbtp
    }
}

/// Long-term average band levels of the stereo frames added, in order (`measureBandLevels`).
package final class BandMeter {
    package let handle: OpaquePointer
    package init(sampleRate: Int) throws(DSPError) {
        handle = try made(cdsp_band_meter_create(Float(sampleRate), 2), "band meter")
    }
    deinit { cdsp_band_meter_destroy(handle) }

    package func add(left: [Float], right: [Float], count: Int) {
        left.withUnsafeBufferPointer { l in
            right.withUnsafeBufferPointer { r in
                _ = cdsp_band_meter_add(handle, l.baseAddress, r.baseAddress, min(count, l.count, r.count))
            }
        }
    }

    /// dB per band (`edges`: band b spans edges[b] ..< edges[b + 1] Hz); ends the signal. Nil on bad edges.
    package func finish(edges: [Double]) -> [Double]? {
        guard edges.count >= 2 else { return nil }
        let floatEdges = edges.map { Float($0) }
        var out = [Double](repeating: 0, count: edges.count - 1)
        return cdsp_band_meter_finish(handle, floatEdges, Int32(edges.count - 1), &out) == 0 ? out : nil
    }
}

/// The 10 Hz DC block (`cdsp_dc_block`) of one channel, its state carried from piece to piece.
package struct DCBlocker: Sendable {
    private var state: (Double, Double) = (0, 0)
    private let sampleRate: Float
    package init(sampleRate: Int) { self.sampleRate = Float(sampleRate) }

    package mutating func process(_ samples: inout [Float], count: Int) {
        var s = [state.0, state.1]
        samples.withUnsafeMutableBufferPointer { b in
            if let base = b.baseAddress { cdsp_dc_block_run(base, min(count, b.count), sampleRate, &s) }
        }
        state = (s[0], s[1])
    }
}
