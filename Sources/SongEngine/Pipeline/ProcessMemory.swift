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

    /// Sets the fixed mmap threshold. Returns false where the platform has no such setting (not glibc).
    @discardableResult
    public static func returnLargeBuffersToSystem() -> Bool {
        cdsp_fixed_mmap_threshold(largeBufferBytes) == 1
    }
}
