internal import CDSP

/// The allocator policy a process that renders songs should run with. Called once at start by the `chromasong`
/// executable (CLI, server and its render workers) and by engine-bench; an app embedding SongEngine decides for
/// itself, since the setting is the whole process's.
///
/// Why (issue 14, docs/speed.md "The allocator kept freed songs"): a song buffer is 32 MB per channel for 3
/// minutes. glibc serves it by `mmap` at first, but after the first such buffer is freed it raises its mmap
/// threshold to that size (up to 32 MB) and its trim threshold to twice that. From then on song buffers come from
/// the heap, and a freed one can stay in the process: a one-version render held about 55 MB it no longer used while
/// it mastered and encoded. A fixed threshold keeps every buffer of 4 MB or more on `mmap`, so freeing it returns
/// it to the system at once. Rendering windows and blocks are smaller and keep the heap's speed.
public enum ProcessMemory {
    /// Buffers at least this large are mapped on their own and unmapped when freed.
    public static let largeBufferBytes = 4 << 20

    /// Malloc arenas at most. glibc gives each thread that meets a locked arena a new one, up to eight per core,
    /// and each keeps the memory its threads freed. A song's render runs on many threads (the parts, the two
    /// versions, the singer, the encoders), so the freed space piled up in many arenas, and more of it the longer
    /// the song: with two arenas a 600 s song's peak came to x1.04-1.06 of a 180 s one's on three photos where the
    /// default gave x1.06-1.10 (docs/speed.md "Stop 34"), in the same time.
    public static let arenas = 2

    /// Sets the fixed mmap threshold and the arena limit. Returns false where the platform has no such settings
    /// (not glibc).
    @discardableResult
    public static func returnLargeBuffersToSystem() -> Bool {
        let threshold = cdsp_fixed_mmap_threshold(largeBufferBytes) == 1
        let arenaLimit = cdsp_arena_limit(Int32(arenas)) == 1
        return threshold && arenaLimit
    }
}
