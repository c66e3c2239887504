import Foundation
internal import CDSP

/// Gain and fades over whole buffers (or a window of a song), shared by the renderer, mastering and the vocal mix.
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
            for i in 0..<frames { p[start + i] *= fadeGain(i, of: frames) }
        }
    }

    /// The same fade over the last `frames` of a song of `songFrames` frames, applied to the song's frames `window`,
    /// held in `buffer`'s first `window.count` frames (the renderer's windows, issue 14).
    static func fadeOut(_ buffer: inout StereoBuffer, window: Range<Int>, songFrames: Int, frames: Int) {
        guard frames > 0 else { return }
        let fadeStart = songFrames - frames
        let from = max(window.lowerBound, fadeStart)
        guard from < window.upperBound else { return }
        for i in from..<window.upperBound {
            let g = fadeGain(i - fadeStart, of: frames)
            buffer.left[i - window.lowerBound] *= g
            buffer.right[i - window.lowerBound] *= g
        }
    }

    /// The fade's gain at its `i`-th frame of `frames`.
    private static func fadeGain(_ i: Int, of frames: Int) -> Float {
        let t = Double(i + 1) / Double(frames)
        return Float(0.5 + 0.5 * cos(Double.pi * t))
    }

    /// Zeroes `buffer`'s first `frames` frames.
    static func clear(_ buffer: inout StereoBuffer, frames: Int) {
        buffer.left.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: frames) }
        buffer.right.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: frames) }
    }
}
