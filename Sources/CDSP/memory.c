// The process's allocator policy for song-length buffers (see cdsp_common.h and SongEngine's ProcessMemory).
#include "cdsp_common.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <limits.h>

int cdsp_fixed_mmap_threshold(size_t bytes) {
#if defined(__GLIBC__)
    if (bytes > INT_MAX) return 0;
    return mallopt(M_MMAP_THRESHOLD, (int)bytes) == 1;
#else
    (void)bytes;
    return 0;
#endif
}

int cdsp_arena_limit(int arenas) {
#if defined(__GLIBC__)
    if (arenas < 1) return 0;
    return mallopt(M_ARENA_MAX, arenas) == 1;
#else
    (void)arenas;
    return 0;
#endif
}
