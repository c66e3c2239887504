internal import CDSP

// Owners of CDSP objects: each class creates its C handle in init and destroys it in deinit, so no C handle
// outlives its Swift owner or leaks on an early exit. Every `process` takes whole blocks.

/// Processing block used by every stereo effect: big enough to amortise the call, small enough for the cache.
let renderBlock = 4096

final class Reverb {
    let handle: OpaquePointer
    init(sampleRate: Float, size: Float, damping: Float, width: Float, predelay: Float) {
        handle = cdsp_reverb_create(sampleRate)!
        cdsp_reverb_set(handle, size, damping, width, predelay)
    }
    deinit { cdsp_reverb_destroy(handle) }

    /// 100%-wet output of the send bus `inLeft/inRight` into `outLeft/outRight` (overwritten), blockwise.
    func process(inLeft: [Float], inRight: [Float], outLeft: inout [Float], outRight: inout [Float]) {
        let n = inLeft.count
        inLeft.withUnsafeBufferPointer { il in
            inRight.withUnsafeBufferPointer { ir in
                outLeft.withUnsafeMutableBufferPointer { ol in
                    outRight.withUnsafeMutableBufferPointer { or in
                        var start = 0
                        while start < n {
                            let count = min(renderBlock, n - start)
                            cdsp_reverb_process(handle, il.baseAddress! + start, ir.baseAddress! + start,
                                                ol.baseAddress! + start, or.baseAddress! + start, count)
                            start += count
                        }
                    }
                }
            }
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

    func process(inLeft: [Float], inRight: [Float], outLeft: inout [Float], outRight: inout [Float]) {
        let n = inLeft.count
        inLeft.withUnsafeBufferPointer { il in
            inRight.withUnsafeBufferPointer { ir in
                outLeft.withUnsafeMutableBufferPointer { ol in
                    outRight.withUnsafeMutableBufferPointer { or in
                        var start = 0
                        while start < n {
                            let count = min(renderBlock, n - start)
                            cdsp_delay_process(handle, il.baseAddress! + start, ir.baseAddress! + start,
                                               ol.baseAddress! + start, or.baseAddress! + start, count)
                            start += count
                        }
                    }
                }
            }
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

    func process(left: inout [Float], right: inout [Float]) {
        let n = left.count
        left.withUnsafeMutableBufferPointer { l in
            right.withUnsafeMutableBufferPointer { r in
                var start = 0
                while start < n {
                    let count = min(renderBlock, n - start)
                    cdsp_chorus_process(handle, l.baseAddress! + start, r.baseAddress! + start, count)
                    start += count
                }
            }
        }
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
        let n = left.count
        left.withUnsafeMutableBufferPointer { l in
            right.withUnsafeMutableBufferPointer { r in
                var start = 0
                while start < n {
                    let count = min(renderBlock, n - start)
                    cdsp_compressor_process(handle, l.baseAddress! + start, r.baseAddress! + start, nil, nil, count)
                    start += count
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

    /// Limits `gain * input` and returns it aligned with the input: the look-ahead latency is compensated by
    /// feeding `latency` frames of silence at the end and dropping the first `latency` frames of output.
    func limited(left: [Float], right: [Float], gain: Float) -> (left: [Float], right: [Float]) {
        let n = left.count
        let lat = latency
        var blockL = [Float](repeating: 0, count: renderBlock)
        var blockR = [Float](repeating: 0, count: renderBlock)
        var outL = [Float](repeating: 0, count: n)
        var outR = [Float](repeating: 0, count: n)
        left.withUnsafeBufferPointer { inL in
            right.withUnsafeBufferPointer { inR in
                outL.withUnsafeMutableBufferPointer { oL in
                    outR.withUnsafeMutableBufferPointer { oR in
                        blockL.withUnsafeMutableBufferPointer { bL in
                            blockR.withUnsafeMutableBufferPointer { bR in
                                var start = 0
                                while start < n + lat {
                                    let count = min(renderBlock, n + lat - start)
                                    let real = max(0, min(count, n - start))
                                    if real > 0 {
                                        bL.baseAddress!.update(from: inL.baseAddress! + start, count: real)
                                        bR.baseAddress!.update(from: inR.baseAddress! + start, count: real)
                                        cdsp_gain(bL.baseAddress!, real, gain)
                                        cdsp_gain(bR.baseAddress!, real, gain)
                                    }
                                    if real < count {
                                        (bL.baseAddress! + real).update(repeating: 0, count: count - real)
                                        (bR.baseAddress! + real).update(repeating: 0, count: count - real)
                                    }
                                    cdsp_limiter_process(handle, bL.baseAddress!, bR.baseAddress!, count)
                                    // Output frame j of this block is input frame start + j - lat.
                                    let skip = max(0, lat - start)
                                    if skip < count {
                                        let to = start + skip - lat
                                        let copy = min(count - skip, n - to)
                                        if copy > 0 {
                                            (oL.baseAddress! + to).update(from: bL.baseAddress! + skip, count: copy)
                                            (oR.baseAddress! + to).update(from: bR.baseAddress! + skip, count: copy)
                                        }
                                    }
                                    start += count
                                }
                            }
                        }
                    }
                }
            }
        }
        return (outL, outR)
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
