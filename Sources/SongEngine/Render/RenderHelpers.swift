import Foundation
internal import CDSP

// Seeds and pan law of the renderer.

extension Renderer {
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
}
