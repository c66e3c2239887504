internal import CDSP

// Owners of CDSP objects: each class creates its C handle in init and destroys it in deinit, so no C handle
// outlives its Swift owner or leaks on an early exit. Every `process` takes whole blocks.

/// Processing block used by every stereo effect: big enough to amortise the call, small enough for the cache.
let renderBlock = 4096

/// Runs `body` over [0, frames) in blocks of at most `renderBlock` frames: (offset, count).
@inline(__always)
func forEachBlock(_ frames: Int, _ body: (Int, Int) -> Void) {
    var start = 0
    while start < frames {
        let count = min(renderBlock, frames - start)
        body(start, count)
        start += count
    }
}

final class Reverb {
    let handle: OpaquePointer
    init(sampleRate: Float, size: Float, damping: Float, width: Float, predelay: Float) {
        handle = cdsp_reverb_create(sampleRate)!
        cdsp_reverb_set(handle, size, damping, width, predelay)
    }
    deinit { cdsp_reverb_destroy(handle) }

    /// 100%-wet output of `frames` frames of the send bus into `outLeft/outRight` (overwritten), blockwise. The
    /// reverb keeps its state between calls, so a song can be fed window by window.
    func process(inLeft: UnsafePointer<Float>, inRight: UnsafePointer<Float>, outLeft: UnsafeMutablePointer<Float>,
                 outRight: UnsafeMutablePointer<Float>, frames: Int) {
        forEachBlock(frames) { start, count in
            cdsp_reverb_process(handle, inLeft + start, inRight + start, outLeft + start, outRight + start, count)
        }
    }
}

final class Delay {
    let handle: OpaquePointer
    init(sampleRate: Float, time: Float, feedback: Float, damping: Float, pingPong: Bool) {
        handle = cdsp_delay_create(sampleRate, time + 0.05)!
        cdsp_delay_set(handle, time, feedback, damping, pingPong ? 1 : 0)
    }
    deinit { cdsp_delay_destroy(handle) }

    /// Like `Reverb.process`: 100% wet, state kept between calls.
    func process(inLeft: UnsafePointer<Float>, inRight: UnsafePointer<Float>, outLeft: UnsafeMutablePointer<Float>,
                 outRight: UnsafeMutablePointer<Float>, frames: Int) {
        forEachBlock(frames) { start, count in
            cdsp_delay_process(handle, inLeft + start, inRight + start, outLeft + start, outRight + start, count)
        }
    }
}

final class Chorus {
    let handle: OpaquePointer
    init(sampleRate: Float, rate: Float, depth: Float, mix: Float) {
        handle = cdsp_chorus_create(sampleRate)!
        cdsp_chorus_set(handle, rate, depth, mix)
    }
    deinit { cdsp_chorus_destroy(handle) }

    /// In place, state kept between calls.
    func process(left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>, frames: Int) {
        forEachBlock(frames) { start, count in cdsp_chorus_process(handle, left + start, right + start, count) }
    }
}

final class Biquad {
    let handle: OpaquePointer
    init(sampleRate: Float, kind: cdsp_eq_kind, frequency: Float, q: Float, gainDB: Float) {
        handle = cdsp_biquad_create(sampleRate)!
        cdsp_biquad_set(handle, kind, frequency, q, gainDB)
    }
    deinit { cdsp_biquad_destroy(handle) }

    func process(_ samples: inout [Float]) {
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

final class Compressor {
    let handle: OpaquePointer
    init(sampleRate: Float, thresholdDB: Float, ratio: Float, attack: Float, release: Float, kneeDB: Float) {
        handle = cdsp_compressor_create(sampleRate)!
        cdsp_compressor_set(handle, thresholdDB, ratio, attack, release, kneeDB, 0)
    }
    deinit { cdsp_compressor_destroy(handle) }

    func process(left: inout [Float], right: inout [Float]) {
        process(left: &left, right: &right, key: nil)
    }

    /// Ducking: the gain applied to `left`/`right` follows the `key` signal's level instead of their own.
    func process(left: inout [Float], right: inout [Float], keyLeft: [Float], keyRight: [Float]) {
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

final class Limiter {
    let handle: OpaquePointer
    init(sampleRate: Float, lookahead: Float, ceilingDBTP: Float, release: Float) {
        handle = cdsp_limiter_create(sampleRate, lookahead)!
        cdsp_limiter_set(handle, ceilingDBTP, release)
    }
    deinit { cdsp_limiter_destroy(handle) }

    var latency: Int { cdsp_limiter_latency(handle) }

    /// Limits `gain * signal` in place, aligned with the input: the look-ahead latency is compensated by feeding
    /// `latency` frames of silence at the end and dropping the first `latency` frames of output. Output frame
    /// `i` is written only after input frames up to `i + latency` were read, so one block of scratch suffices.
    func limitInPlace(left: inout [Float], right: inout [Float], gain: Float) {
        let n = left.count
        let lat = latency
        var blockL = [Float](repeating: 0, count: renderBlock)
        var blockR = [Float](repeating: 0, count: renderBlock)
        left.withUnsafeMutableBufferPointer { ioL in
            right.withUnsafeMutableBufferPointer { ioR in
                blockL.withUnsafeMutableBufferPointer { bL in
                    blockR.withUnsafeMutableBufferPointer { bR in
                        let l = ioL.baseAddress!, r = ioR.baseAddress!, sl = bL.baseAddress!, sr = bR.baseAddress!
                        forEachBlock(n + lat) { start, count in
                            let real = max(0, min(count, n - start))
                            if real > 0 {
                                sl.update(from: l + start, count: real)
                                sr.update(from: r + start, count: real)
                                cdsp_gain(sl, real, gain)
                                cdsp_gain(sr, real, gain)
                            }
                            if real < count {
                                (sl + real).update(repeating: 0, count: count - real)
                                (sr + real).update(repeating: 0, count: count - real)
                            }
                            cdsp_limiter_process(handle, sl, sr, count)
                            // Output frame j of this block is input frame start + j - lat (already read).
                            let skip = max(0, lat - start)
                            if skip < count {
                                let to = start + skip - lat
                                let copy = min(count - skip, n - to)
                                if copy > 0 {
                                    (l + to).update(from: sl + skip, count: copy)
                                    (r + to).update(from: sr + skip, count: copy)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Integrated loudness (BS.1770-4) by CDSP's meter; nil for silence (below the absolute gate).
func measureLoudness(left: [Float], right: [Float], sampleRate: Int) -> Double? {
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
func measureTruePeak(left: [Float], right: [Float], sampleRate: Int) -> Double {
    var dbtp = -Double.infinity
    _ = left.withUnsafeBufferPointer { l in
        right.withUnsafeBufferPointer { r in
            cdsp_true_peak(l.baseAddress, r.baseAddress, l.count, Float(sampleRate), &dbtp)
        }
    }
    return dbtp
}
