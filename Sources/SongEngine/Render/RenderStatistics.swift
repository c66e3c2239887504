import Foundation
import Synchronization

/// Counters of one render, for tests and benchmarks.
final class RenderStatistics: Sendable {
    private struct Counts {
        var drumHitsPlayed = 0
        var drumHitsSynthesised = 0
        var notesPlayed = 0
        var notesSynthesised = 0
        var noteCacheBytes = 0
        var hitCacheBytes = 0
        var workingBytes = 0
    }
    private let counts = Mutex(Counts())

    var drumHitsPlayed: Int { counts.withLock { $0.drumHitsPlayed } }
    var drumHitsSynthesised: Int { counts.withLock { $0.drumHitsSynthesised } }
    /// Melodic notes played, and rendered by the synth (the others came from the note cache).
    var notesPlayed: Int { counts.withLock { $0.notesPlayed } }
    var notesSynthesised: Int { counts.withLock { $0.notesSynthesised } }
    /// Largest number of bytes the note cache held at once, summed over parts.
    var noteCacheBytes: Int { counts.withLock { $0.noteCacheBytes } }
    /// Largest number of bytes the drum-hit cache held at once, summed over kits.
    var hitCacheBytes: Int { counts.withLock { $0.hitCacheBytes } }
    /// Bytes of every buffer the render holds besides the mix and the stems: rings, windows, buses, hit cache.
    var workingBytes: Int { counts.withLock { $0.workingBytes } }

    func add(played: Int, synthesised: Int, cacheBytes: Int) {
        counts.withLock {
            $0.drumHitsPlayed += played
            $0.drumHitsSynthesised += synthesised
            $0.hitCacheBytes += cacheBytes
        }
    }

    func setWorkingBytes(_ bytes: Int) { counts.withLock { $0.workingBytes = bytes } }

    func addNotes(played: Int, synthesised: Int, cacheBytes: Int) {
        counts.withLock {
            $0.notesPlayed += played
            $0.notesSynthesised += synthesised
            $0.noteCacheBytes += cacheBytes
        }
    }
}
