import Foundation
internal import CDSP
internal import DSP

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
