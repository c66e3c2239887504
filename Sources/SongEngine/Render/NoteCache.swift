import Foundation
internal import CDSP

// The note and hit caches of a render: which melodic notes and drum hits sound the same, how the budgets are
// split, and the cache both use.

extension Renderer {
    /// What makes two melodic notes of a part the same sound: pitch, held frames, velocity bucket and, for a
    /// gliding instrument, the pitch it glides from (-1: none).
    /// 32-bit fields: a plan holds one per event (16 bytes, not 32).
    struct NoteKey: Hashable, Sendable {
        var pitch: Int32
        var on: Int32
        var bucket: Int32
        var glideFrom: Int32

        init(pitch: Int, on: Int, bucket: Int, glideFrom: Int) {
            self.pitch = Int32(pitch)
            self.on = Int32(on)
            self.bucket = Int32(bucket)
            self.glideFrom = Int32(glideFrom)
        }

        /// The note's seed: from the key, so identical notes are identical sounds wherever they fall.
        func seed(_ base: UInt64) -> UInt64 {
            Renderer.noteSeed(Renderer.noteSeed(base, Int(on)), Int(pitch) | Int(bucket) << 8 | (Int(glideFrom) + 1) << 16)
        }
    }

    /// What makes two drum hits of a kit the same sound: drum number, velocity bucket and round-robin variant.
    struct HitKey: Hashable, Sendable {
        var number: Int32
        var bucket: Int32
        var variant: Int32

        init(number: Int, bucket: Int, variant: Int) {
            self.number = Int32(number)
            self.bucket = Int32(bucket)
            self.variant = Int32(variant)
        }
    }

    static func velocityBucket(_ velocity: Float) -> (bucket: Int, centre: Float) {
        let buckets = noteVelocityBuckets
        let bucket = max(0, min(buckets - 1, Int(velocity * Float(buckets))))
        return (bucket, (Float(bucket) + 0.5) / Float(buckets))
    }

    /// Splits the cache budgets: the notes' between melodic parts, the hits' between kits, each in
    /// proportion to what their repeated sounds could use (the bytes of their distinct keys that occur more than
    /// once), never more than that (water-filling): long pad notes, the costliest to synthesise, get the most room.
    static func cacheBudgets(_ plans: [PartPlan], _ total: CacheBudgets) -> [Int] {
        let need = plans.map { plan -> Int in
            var bytes = 0
            if plan.isDrums {
                var seen: Set<HitKey> = []
                for (i, key) in plan.hitKeys.enumerated() {
                    if let key, plan.nextUse(i) != nil, seen.insert(key).inserted { bytes += 4 * plan.hitLength(i) }
                }
            } else {
                var seen: Set<NoteKey> = []
                for (i, key) in plan.keys.enumerated() where plan.nextUse(i) != nil && seen.insert(key).inserted {
                    bytes += 4 * (plan.events[i].on + plan.events[i].tail)
                }
            }
            return bytes
        }
        var budgets = [Int](repeating: 0, count: plans.count)
        for (drums, total) in [(false, total.notes), (true, total.hits)] {
            let parts = plans.indices.filter { plans[$0].isDrums == drums }
            let shares = waterFill(parts.map { need[$0] }, total: total)
            for (i, share) in zip(parts, shares) { budgets[i] = share }
        }
        return budgets
    }

    /// `total` split between `need` in proportion, none given more than its need.
    static func waterFill(_ need: [Int], total: Int) -> [Int] {
        var need = need
        var budgets = [Int](repeating: 0, count: need.count)
        var left = total
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

/// Rendered sounds (notes or drum hits) kept for their next use within a byte budget. A sound is kept only while
/// a later event uses it; when the budget is full, the sound used farthest ahead gives way, or the new one is not
/// kept (Belady's rule: the fewest renders for the room). Whatever is kept, a sound is the same samples rendered
/// again, so the output does not depend on the cache.
struct ReuseCache<Key: Hashable> {
    private var entries: [Key: (samples: [Float], nextUse: Int)] = [:]
    private(set) var bytes = 0
    private(set) var peakBytes = 0
    let budget: Int

    init(budget: Int) { self.budget = budget }

    /// The kept samples of `key`, now waiting for `nextUse` (dropped when there is none); nil when not kept.
    mutating func use(_ key: Key, nextUse: Int?) -> [Float]? {
        guard let cached = entries[key] else { return nil }
        if let nextUse {
            entries[key]!.nextUse = nextUse
        } else {
            entries[key] = nil
            bytes -= 4 * cached.samples.count
        }
        return cached.samples
    }

    /// Frees entries, farthest next use first, until `bytes` more fit the budget; false (nothing freed) when the
    /// new sound would be the one used farthest away. Call before rendering a sound to keep, then `insert` it.
    mutating func makeRoom(bytes: Int, nextUse: Int) -> Bool {
        guard bytes <= budget else { return false }
        guard self.bytes + bytes > budget else { return true }
        let byDistance = entries.filter { $0.value.nextUse > nextUse }.sorted { $0.value.nextUse > $1.value.nextUse }
        var victims: [Key] = []
        var freed = 0
        for (key, entry) in byDistance where self.bytes - freed + bytes > budget {
            victims.append(key)
            freed += 4 * entry.samples.count
        }
        guard self.bytes - freed + bytes <= budget else { return false }
        for key in victims { entries[key] = nil }
        self.bytes -= freed
        return true
    }

    /// Keeps `samples` for `key` until `nextUse`, in the room `makeRoom` made.
    mutating func insert(_ key: Key, _ samples: [Float], nextUse: Int) {
        entries[key] = (samples, nextUse)
        bytes += 4 * samples.count
        peakBytes = max(peakBytes, bytes)
    }
}
