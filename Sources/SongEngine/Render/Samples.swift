import Foundation
internal import CDSP

/// Whole-buffer gain and fades, shared by the renderer, mastering and the vocal mix.
enum Samples {
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
