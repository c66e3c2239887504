/// A seedable generator (splitmix64). Every random choice in the engine draws from one of these, seeded from
/// the request, so the same request and seed give the same song on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform Double in [0, 1), from the top 53 bits (independent of the standard library's algorithms).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in range, by rejection-free multiply-shift (stable across Swift versions).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next().multipliedFullWidth(by: span).high)
    }

    /// True with probability p.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Picks an index with probability proportional to weights (all >= 0, not all 0).
    public mutating func weightedIndex(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var r = unit() * total
        for (i, w) in weights.enumerated() {
            r -= w
            if r < 0 { return i }
        }
        return weights.count - 1
    }

    /// A derived generator for an independent stream (e.g. per part), so adding draws in one part does not
    /// shift another part's choices.
    public func fork(_ label: String) -> SeededGenerator {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in label.utf8 {
            h = (h ^ UInt64(b)) &* 0x100_0000_01B3
        }
        return SeededGenerator(seed: state ^ h)
    }
}

/// FNV-1a 64-bit hash of bytes: used to derive default seeds from the image bytes and request.
public func stableHash<S: Sequence>(_ bytes: S, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 where S.Element == UInt8 {
    var h = seed
    for b in bytes {
        h = (h ^ UInt64(b)) &* 0x100_0000_01B3
    }
    return h
}
