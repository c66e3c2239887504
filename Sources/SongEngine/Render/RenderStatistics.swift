import Foundation

/// Counters of one render, for tests and benchmarks.
final class RenderStatistics: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var drumHitsPlayed = 0
    private(set) var drumHitsSynthesised = 0
    /// Melodic notes played, and rendered by the synth (the others came from the note cache).
    private(set) var notesPlayed = 0
    private(set) var notesSynthesised = 0
    /// Largest number of bytes the note cache held at once, summed over parts.
    private(set) var noteCacheBytes = 0
    /// Bytes of every buffer the render holds besides the mix and the stems: rings, windows, buses, hit cache.
    private(set) var workingBytes = 0

    func add(played: Int, synthesised: Int) {
        lock.withLock {
            drumHitsPlayed += played
            drumHitsSynthesised += synthesised
        }
    }

    func setWorkingBytes(_ bytes: Int) { lock.withLock { workingBytes = bytes } }

    func addNotes(played: Int, synthesised: Int, cacheBytes: Int) {
        lock.withLock {
            notesPlayed += played
            notesSynthesised += synthesised
            noteCacheBytes += cacheBytes
        }
    }
}
