import Foundation
internal import CDSP

// The note cache of a render: which melodic notes sound the same, and how the cache budget is split.

extension Renderer {
    /// What makes two melodic notes of a part the same sound: pitch, held frames, velocity bucket and, for a
    /// gliding instrument, the pitch it glides from (-1: none).
    struct NoteKey: Hashable, Sendable {
        var pitch: Int
        var on: Int
        var bucket: Int
        var glideFrom: Int

        /// The note's seed: from the key, so identical notes are identical sounds wherever they fall.
        func seed(_ base: UInt64) -> UInt64 {
            Renderer.noteSeed(Renderer.noteSeed(base, on), pitch | bucket << 8 | (glideFrom + 1) << 16)
        }
    }

    static func velocityBucket(_ velocity: Float) -> (bucket: Int, centre: Float) {
        let buckets = noteVelocityBuckets
        let bucket = max(0, min(buckets - 1, Int(velocity * Float(buckets))))
        return (bucket, (Float(bucket) + 0.5) / Float(buckets))
    }

    /// Splits the cache budget between melodic parts in proportion to what their repeated notes could use (the
    /// bytes of their distinct keys that occur more than once), never more than that (water-filling): long
    /// pad notes, the costliest to synthesise, get the most room.
    static func noteCacheBudgets(_ plans: [PartPlan]) -> [Int] {
        var need = plans.map { plan -> Int in
            var seen: Set<NoteKey> = []
            var bytes = 0
            for (i, key) in plan.keys.enumerated() where plan.nextUse[i] != nil && seen.insert(key).inserted {
                bytes += 4 * (plan.events[i].on + plan.events[i].tail)
            }
            return bytes
        }
        var budgets = [Int](repeating: 0, count: plans.count)
        var left = noteCacheBudget
        while left > 0 {
            let open = need.indices.filter { need[$0] > 0 }
            guard !open.isEmpty else { break }
            let openNeed = open.reduce(0) { $0 + need[$1] }
            let pool = left
            for i in open {
                let give = min(max(1, Int(Double(pool) * Double(need[i]) / Double(openNeed))), need[i], left)
                budgets[i] += give
                need[i] -= give
                left -= give
            }
        }
        return budgets
    }
}
